/// An error from reading a weight file: it names the file and, where there is one, the tensor or
/// metadata key at fault, and says what is wrong in one sentence.
public struct TensorFileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, so callers and tests can tell failures apart without parsing the message.
    public enum Kind: String, Sendable {
        /// The file could not be opened or mapped.
        case io
        /// The file ends before a structure it declares.
        case truncated
        /// A structure is malformed: bad magic, bad JSON, an offset outside the data, …
        case corrupt
        /// A header's sizes disagree: shape × dtype is not the byte range it gives.
        case sizeMismatch
        /// A count or size too large to be real (a lying header); nothing is allocated for it.
        case tooLarge
        /// A valid but unsupported feature: an unknown dtype or quantisation type, Fortran order, …
        case unsupported
        /// The tensor or key asked for is not in the file.
        case notFound
        /// The tensor's dtype cannot be read the way asked (e.g. integers from a float tensor).
        case wrongType
    }

    /// What went wrong.
    public let kind: Kind
    /// The file (its path, or the name given to an in-memory buffer).
    public let file: String
    /// The tensor or metadata key at fault, if the error concerns one.
    public let item: String?
    /// The rest of the sentence, e.g. "its data runs past the end of the file".
    public let message: String

    public init(_ kind: Kind, file: String, item: String? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.item = item
        self.message = message
    }

    public var description: String {
        if let item { return "\(file): '\(item)': \(message)" }
        return "\(file): \(message)"
    }
}
