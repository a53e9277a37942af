/// A PyTorch `.pt` file as `torch.save` writes it (the zip format, PyTorch ≥ 1.6): a zip
/// archive whose members sit under one folder `<archive>/`: `data.pkl` (the pickled object),
/// `data/<key>` (each storage's raw little-endian bytes), `byteorder`, `version`, … All members
/// are stored uncompressed, so tensors are views straight into the mapped file.
///
/// The pickle is read by `PickleReader` (a small VM for the subset a state dict uses; nothing
/// is executed). Tensors must be contiguous; float32, float16, bfloat16 and the other plain
/// storage types are supported.
public struct TorchFile: Sendable {
    /// The archive's bytes (memory-mapped).
    public let file: MappedFile
    /// The folder every member sits under (the saved file's stem, or `archive`).
    public let archiveName: String
    /// The unpickled object: for a state dict, a `.dict` of names to tensors and plain values.
    public let root: PickleValue
    /// Every tensor reachable through string-keyed dicts from the root, in pickle order, named
    /// by their keys joined with dots (`encoder.weight`, or `state_dict.encoder.weight` when
    /// the state dict sits inside another dict).
    public let tensors: [Tensor]

    /// Maps and parses the file at `path`.
    public init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    /// Parses a `.pt` archive from bytes already in memory (the pure entry point fuzzers use).
    public init(file: MappedFile) throws {
        self.file = file
        if file.bytes.starts(with: Self.legacyMagic) {
            throw TensorFileError(.unsupported, file: file.name,
                                  "was written by torch.save in the legacy (pre-1.6) format; load it in Python and save it again with a current torch.")
        }
        let archive = try ZipArchive(file)
        let pickles = archive.entries.filter { entry in
            let parts = entry.name.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && parts[1] == "data.pkl" && !parts[0].isEmpty
        }
        guard pickles.count == 1, let pickle = pickles.first else {
            throw TensorFileError(pickles.isEmpty ? .notFound : .corrupt, file: file.name,
                                  pickles.isEmpty ? "is a zip archive without <archive>/data.pkl, so it is not a PyTorch .pt file."
                                                  : "holds \(pickles.count) data.pkl pickles; a .pt file has one.")
        }
        let prefix = String(pickle.name.dropLast("data.pkl".count))
        archiveName = String(prefix.dropLast())
        var members: [String: ZipArchive.Entry] = [:]
        for entry in archive.entries { members[entry.name] = entry }

        if let byteorder = members[prefix + "byteorder"] {
            let order = try Self.storedBytes(byteorder, file: file)
            guard order.elementsEqual("little".utf8) else {
                throw TensorFileError(.unsupported, file: file.name, item: byteorder.name,
                                      "says the tensors are stored \(String(decoding: order, as: UTF8.self)) endian; only little endian is supported.")
            }
        }
        var reader = PickleReader(try Self.storedBytes(pickle, file: file), file: file.name, item: pickle.name)
        root = try reader.read()

        var tensors: [Tensor] = []
        func collect(_ value: PickleValue, name: String) throws {
            switch value {
            case .tensor(let reference):
                tensors.append(try Self.tensor(reference, name: name, prefix: prefix, members: members, file: file))
            case .dict(let entries):
                for entry in entries {
                    guard let key = entry.key.string else { continue }
                    try collect(entry.value, name: name.isEmpty ? key : "\(name).\(key)")
                }
            default: break
            }
        }
        try collect(root, name: "")  // depth is bounded by PickleReader.maxDepth
        self.tensors = tensors
    }

    /// The tensor named `name`; throws `notFound` when there is none.
    public func tensor(_ name: String) throws -> Tensor {
        guard let tensor = tensors.first(where: { $0.name == name }) else {
            throw TensorFileError(.notFound, file: file.name, item: name, "no tensor of that name is in the file.")
        }
        return tensor
    }

    /// `torch.save`'s legacy format starts with a pickled magic number (PROTO 2, LONG1 0x1950a86a20f9469cfc6c).
    static let legacyMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    /// Whether `file` looks like a `.pt` zip: its first member is `<archive>/data.pkl`, as
    /// torch.save writes it. Cheap: reads only the first local header.
    public static func looksLikeTorchZip(_ file: MappedFile) -> Bool {
        let bytes = file.bytes
        guard bytes.count >= 30, bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) else { return false }
        let nameLength = Int(bytes[26]) | Int(bytes[27]) << 8
        guard nameLength <= bytes.count - 30 else { return false }
        let parts = String(decoding: bytes[30..<(30 + nameLength)], as: UTF8.self).split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1] == "data.pkl"
    }

    /// Where the data of a member that must be stored uncompressed lies in the file.
    private static func storedRange(_ entry: ZipArchive.Entry, file: MappedFile) throws -> Range<Int> {
        guard entry.method == 0, entry.compressedSize == entry.size else {
            throw TensorFileError(.unsupported, file: file.name, item: entry.name,
                                  "is compressed (zip method \(entry.method)); torch.save stores every member uncompressed.")
        }
        return try ZipArchive.memberData(entry, file: file)
    }

    private static func storedBytes(_ entry: ZipArchive.Entry, file: MappedFile) throws -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[try storedRange(entry, file: file)])
    }

    /// Resolves a tensor reference to a view of its storage member, checking that the storage
    /// is there, has the size its id claims, holds the view, and that the view is contiguous.
    private static func tensor(_ reference: TorchTensorReference, name: String, prefix: String,
                               members: [String: ZipArchive.Entry], file: MappedFile) throws -> Tensor {
        let storage = reference.storage
        let memberName = prefix + "data/" + storage.key
        guard let member = members[memberName] else {
            throw TensorFileError(.notFound, file: file.name, item: name, "its storage '\(memberName)' is not in the archive.")
        }
        let elementBytes = storage.dtype.blockBytes
        guard let storageBytes = storage.dtype.byteCount(elements: storage.count), storageBytes == member.size else {
            throw TensorFileError(.sizeMismatch, file: file.name, item: name,
                                  "its storage '\(memberName)' should hold \(storage.count) \(storage.dtype.rawValue) values but has \(member.size) bytes.")
        }
        let data = try storedRange(member, file: file)
        guard let count = checkedProduct(reference.shape) else {
            throw TensorFileError(.tooLarge, file: file.name, item: name, "its shape \(reference.shape) overflows.")
        }
        // Contiguous (row-major): each stride is the product of the sizes inside it; dimensions
        // of size 1 may carry any stride.
        var expected = 1
        for (size, stride) in zip(reference.shape, reference.stride).reversed() {
            guard size == 1 || stride == expected else {
                throw TensorFileError(.unsupported, file: file.name, item: name,
                                      "is not contiguous (shape \(reference.shape), stride \(reference.stride)); save tensor.contiguous() instead.")
            }
            expected = expected.multipliedReportingOverflow(by: size).partialValue
        }
        guard reference.offset <= storage.count, count <= storage.count - reference.offset else {
            throw TensorFileError(.truncated, file: file.name, item: name,
                                  "its \(count) values from element \(reference.offset) run past its storage of \(storage.count).")
        }
        return try Tensor(name: name, dtype: storage.dtype, shape: reference.shape, file: file,
                          offset: data.lowerBound + reference.offset * elementBytes, byteCount: count * elementBytes)
    }
}
