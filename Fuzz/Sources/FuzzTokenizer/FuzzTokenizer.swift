import FuzzSupport
import Tokenizer

/// A small byte-level vocabulary built in code: the 256 byte tokens, chains of merges spelling a
/// few English words, digits and multi-byte characters, and two added tokens (one special).
func makeTokenizer(_ pre: String, addBOS: Bool) -> BPETokenizer {
    var tokens = ByteLevel.scalarForByte.map { String($0) }
    var merges: [String] = []
    var known = Set(tokens)
    let words = [" the", " a", "ing", "he", "llo", " world", " fuzz", "12", "2024", " é", "é", "日本", "’s", "\n\n", "  ", "🙂"]
    for word in words {
        let spelled = Array(word.utf8).map { String(ByteLevel.scalarForByte[Int($0)]) }
        var left = spelled[0]
        for right in spelled.dropFirst() {
            let merged = left + right
            if !known.contains(merged) {
                merges.append("\(left) \(right)")
                tokens.append(merged)
                known.insert(merged)
            }
            left = merged
        }
    }
    let endOfText = tokens.count
    tokens += ["<|endoftext|>", "<fuzz>"]
    let types = [Int32](repeating: 1, count: tokens.count - 2) + [3, 4]
    do {
        return try BPETokenizer(tokens: tokens, merges: merges, tokenTypes: types, pre: pre,
                                bosID: endOfText, eosID: endOfText, addBOS: addBOS)
    } catch {
        fatalError("the fuzzer's own vocabulary does not load: \(error)")
    }
}

let gpt2 = makeTokenizer("gpt2", addBOS: false)
let smollm = makeTokenizer("smollm", addBOS: true)

/// Any bytes as text (invalid UTF-8 becomes U+FFFD, as a String holds it), encoded with the
/// GPT-2 and SmolLM2 pre-tokenizers. Checks: the words concatenate back to the text; every id
/// is in the vocabulary; decoding the ids gives back the text's bytes exactly (BOS aside).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let utf8 = Array(text.utf8)
    for tokenizer in [gpt2, smollm] {
        let words = tokenizer.preTokenizer.split(text)
        require(words.joined() == text, "\(tokenizer.preTokenizer) words \(words) do not concatenate to \(text.debugDescription)")
        require(!words.contains(""), "\(tokenizer.preTokenizer) gave an empty word for \(text.debugDescription)")
        var ids = tokenizer.encode(text)
        require(ids.allSatisfy { (0..<tokenizer.vocabularySize).contains($0) }, "an id outside the vocabulary: \(ids)")
        if tokenizer.addBOS {
            require(ids.first == tokenizer.bosID, "\(tokenizer.preTokenizer): no BOS first in \(ids)")
            ids.removeFirst()
        }
        let decoded = try? tokenizer.bytes(of: ids)
        require(decoded == utf8, "\(tokenizer.preTokenizer): \(text.debugDescription) encodes to \(ids), which decodes to \(decoded ?? [])")
        require((try? tokenizer.decode(ids)) == text, "\(tokenizer.preTokenizer): decode does not give back \(text.debugDescription)")
    }
    return 0
}

@_cdecl("FuzzTokenizer_main")
public func fuzzTokenizerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzTokenizer)
}
