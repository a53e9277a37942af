/// Why a tokenizer could not be loaded or used; each reads as one sentence naming the file and field.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read or parsed at all.
    case unreadable(file: String, reason: String)
    /// A field is missing or has the wrong shape.
    case malformed(file: String, field: String, reason: String)
    /// A field asks for a behaviour this tokenizer does not implement.
    case unsupported(file: String, field: String, value: String)
    /// A pre-tokenizer name (GGUF `tokenizer.ggml.pre`) that has no rule here.
    case unknownPreTokenizer(name: String, field: String)
    /// A path that holds no tokenizer this module reads.
    case noTokenizer(path: String, reason: String)
    /// A token id outside the vocabulary.
    case unknownTokenID(Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): cannot read the tokenizer: \(reason)"
        case .malformed(let file, let field, let reason):
            return "\(file): \(field): \(reason)"
        case .unsupported(let file, let field, let value):
            return "\(file): \(field) is \(value), which this tokenizer does not support (byte-level BPE of the GPT-2 family only)"
        case .unknownPreTokenizer(let name, let field):
            let known = PreTokenizer.allCases.map(\.rawValue).joined(separator: ", ")
            return "\(field) names the pre-tokenizer \"\(name)\", which has no rule here (known: \(known))"
        case .noTokenizer(let path, let reason):
            return "\(path): \(reason)"
        case .unknownTokenID(let id, let size):
            return "token id \(id) is outside the vocabulary of \(size) tokens"
        }
    }
}
