/// A numpy `.npz` archive: a zip of `name.npy` members, stored (method 0, `np.savez`) or
/// deflated (method 8, `np.savez_compressed`), with zip64 extra fields and end records as
/// numpy and other zip64 writers produce them. Stored members are views into the mapped
/// file; deflated ones are inflated once, when the archive is opened.
public struct NpzFile: Sendable {
    /// The archive's bytes (memory-mapped).
    public let file: MappedFile
    /// The arrays in archive order, named by their member name without `.npy`.
    public let arrays: [NpyFile]
    /// Each array's zip compression method (0 stored, 8 deflated), in the order of `arrays`.
    public let methods: [Int]

    /// The arrays' tensors, in archive order.
    public var tensors: [Tensor] { arrays.map(\.tensor) }

    /// Maps and parses the archive at `path`.
    public init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    /// Parses an npz archive from bytes already in memory (the pure entry point fuzzers use).
    public init(file: MappedFile) throws {
        self.file = file
        let archive = try ZipArchive(file)
        var arrays: [NpyFile] = []
        var methods: [Int] = []
        for entry in archive.entries {
            // numpy loads only `.npy` members as arrays; others (if any) are not weights.
            guard entry.name.hasSuffix(".npy") else { continue }
            let name = String(entry.name.dropLast(4))
            let data = try ZipArchive.memberData(entry, file: file)
            switch entry.method {
            case 0:
                guard entry.compressedSize == entry.size else {
                    throw TensorFileError(.corrupt, file: file.name, item: name,
                                          "is stored uncompressed but its sizes differ (\(entry.compressedSize) and \(entry.size)).")
                }
                arrays.append(try NpyFile(file: file, range: data, name: name))
            case 8:
                // Deflate cannot expand data more than 1032:1; a larger claim is a lie.
                guard entry.size <= entry.compressedSize * 1032 + 1024 else {
                    throw TensorFileError(.tooLarge, file: file.name, item: name,
                                          "claims to inflate \(entry.compressedSize) bytes to \(entry.size), more than deflate allows.")
                }
                let inflated = try Inflate.raw(UnsafeRawBufferPointer(rebasing: file.bytes[data]), size: entry.size,
                                               crc: entry.crc, file: file.name, item: name)
                arrays.append(try NpyFile(file: inflated, range: 0..<inflated.count, name: name))
            default:
                throw TensorFileError(.unsupported, file: file.name, item: name,
                                      "uses zip compression method \(entry.method); only stored (0) and deflated (8) are supported.")
            }
            methods.append(entry.method)
        }
        self.arrays = arrays
        self.methods = methods
    }

    /// The array names (member names without `.npy`) of the npz archive `file`, read from its
    /// central directory only: nothing is inflated, so this is cheap for any archive size.
    public static func arrayNames(in file: MappedFile) throws -> [String] {
        try ZipArchive(file).entries.map(\.name).filter { $0.hasSuffix(".npy") }.map { String($0.dropLast(4)) }
    }

    /// The tensor named `name` (without `.npy`); throws `notFound` when it is not in the archive.
    public func tensor(_ name: String) throws -> Tensor {
        guard let array = arrays.first(where: { $0.tensor.name == name }) else {
            throw TensorFileError(.notFound, file: file.name, item: name, "no array of that name is in the archive.")
        }
        return array.tensor
    }
}
