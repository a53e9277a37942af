/// How text is cut into words before BPE runs on each word; merges never cross a cut.
///
/// Both rules implement GPT-2's split regex by hand, over Unicode scalars:
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// with `\p{L}` the letter categories, `\p{N}` the number categories and `\s` the White_Space
/// property, as Oniguruma (Hugging Face tokenizers) and llama.cpp read them.
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// GPT-2's split (GGUF `tokenizer.ggml.pre` "gpt2"; HF `ByteLevel` with `use_regex`).
    case gpt2
    /// SmolLM2's: every number scalar is a word of its own, then GPT-2's split on the rest
    /// (llama.cpp "smollm"; HF `Sequence[Digits(individual_digits), ByteLevel]`).
    case smollm

    /// The rule a GGUF file names in `tokenizer.ggml.pre`.
    public init(ggufName name: String) throws {
        switch name {
        case "gpt2", "default": self = .gpt2  // llama.cpp treats a missing/"default" pre as GPT-2's split
        case "smollm", "starcoder", "refact", "codeshell": self = .smollm  // llama.cpp groups these
        default: throw TokenizerError.unknownPreTokenizer(name: name, field: "tokenizer.ggml.pre")
        }
    }

    /// The words of `text`, in order (they concatenate back to `text`).
    public func split(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        let text = ScalarText(scalars.map(\.value))
        var words: [String] = []
        forEachWord(text, in: 0..<scalars.count) { range in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            words.append(String(view))
        }
        return words
    }

    /// Calls `body` with the scalar range of each word of `text[range]`.
    func forEachWord(_ text: ScalarText, in range: Range<Int>, _ body: (Range<Int>) -> Void) {
        switch self {
        case .gpt2:
            PreTokenizer.gpt2Split(text, range, body)
        case .smollm:
            var start = range.lowerBound
            for i in range where text.classes[i] == .number {
                if start < i { PreTokenizer.gpt2Split(text, start..<i, body) }
                body(i..<(i + 1))
                start = i + 1
            }
            if start < range.upperBound { PreTokenizer.gpt2Split(text, start..<range.upperBound, body) }
        }
    }

    /// GPT-2's regex over `text[range]`, as if that range were the whole string (the lookahead
    /// does not see past its end). At each position the alternatives are tried in order.
    static func gpt2Split(_ text: ScalarText, _ range: Range<Int>, _ body: (Range<Int>) -> Void) {
        let v = text.values, c = text.classes
        let end = range.upperBound
        var i = range.lowerBound
        let space: UInt32 = 0x20, apostrophe: UInt32 = 0x27
        while i < end {
            // 's|'t|'re|'ve|'m|'ll|'d (lowercase only)
            if v[i] == apostrophe && i + 1 < end {
                let a = v[i + 1]
                if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 {  // s t m d
                    body(i..<(i + 2)); i += 2; continue
                }
                if i + 2 < end {
                    let b = v[i + 2]
                    if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) {  // re ve ll
                        body(i..<(i + 3)); i += 3; continue
                    }
                }
            }
            // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': an optional space, then a run of one class.
            let first = (v[i] == space && i + 1 < end && c[i + 1] != .space) ? i + 1 : i
            let kind = c[first]
            if kind != .space {
                var j = first + 1
                while j < end && c[j] == kind { j += 1 }
                body(i..<j); i = j; continue
            }
            // '\s+(?!\S)|\s+': a whitespace run, leaving its last scalar to the word that follows.
            var j = i + 1
            while j < end && c[j] == .space { j += 1 }
            if j < end && j - i >= 2 { j -= 1 }
            body(i..<j); i = j
        }
    }
}

/// The classes GPT-2's regex tells apart.
enum ScalarClass: UInt8 {
    case letter, number, space, other

    private static let ascii: [ScalarClass] = (0..<128).map { (v: Int) -> ScalarClass in
        switch v {
        case 0x41...0x5A, 0x61...0x7A: return .letter
        case 0x30...0x39: return .number
        case 0x09...0x0D, 0x20: return .space
        default: return .other
        }
    }

    init(_ value: UInt32) {
        if value < 128 { self = ScalarClass.ascii[Int(value)]; return }
        guard let scalar = Unicode.Scalar(value) else { self = .other; return }
        let properties = scalar.properties
        if properties.isWhitespace { self = .space; return }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: self = .letter
        case .decimalNumber, .letterNumber, .otherNumber: self = .number
        default: self = .other
        }
    }
}

/// A run of text as scalar values with their classes.
struct ScalarText {
    var values: [UInt32]
    var classes: [ScalarClass]

    init(_ values: [UInt32]) {
        self.values = values
        self.classes = values.map(ScalarClass.init)
    }
}
