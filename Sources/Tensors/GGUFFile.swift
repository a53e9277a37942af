/// A GGUF file (versions 2 and 3), as llama.cpp writes them: magic `GGUF`, version, tensor
/// count, metadata key/values, tensor infos, then the tensor data at an aligned offset.
///
/// Tensor shapes are exposed outermost first (see `Tensor`): GGUF's dims `[ne0, ne1]`
/// (innermost first) become `shape == [ne1, ne0]`; `dimensions(of:)` gives GGUF's own order.
public struct GGUFFile: Sendable {
    /// The file's bytes (memory-mapped).
    public let file: MappedFile
    /// The format version (2 or 3).
    public let version: UInt32
    /// Metadata in file order.
    public let metadata: [(key: String, value: GGUFValue)]
    /// Tensors in file order.
    public let tensors: [Tensor]
    /// The alignment of tensor data (`general.alignment`, default 32).
    public let alignment: Int
    /// Where the tensor data starts in the file.
    public let dataOffset: Int

    private let metadataIndex: [String: Int]
    private let tensorIndex: [String: Int]

    /// Maps and parses the file at `path`.
    public init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    /// Parses a GGUF file from bytes already in memory (the pure entry point fuzzers use).
    public init(file: MappedFile) throws {
        self.file = file
        var reader = ByteReader(file.bytes, file: file.name)
        let magic = try reader.read(UInt32.self, "the magic number")
        guard magic == 0x4655_4747 else {  // "GGUF" little-endian
            throw TensorFileError(.corrupt, file: file.name, "is not a GGUF file (it does not start with 'GGUF').")
        }
        version = try reader.read(UInt32.self, "the version")
        guard version == 2 || version == 3 else {
            throw TensorFileError(.unsupported, file: file.name,
                                  "is GGUF version \(version); only versions 2 and 3 are supported (convert it with a recent llama.cpp).")
        }
        let tensorCount = try reader.read(UInt64.self, "the tensor count")
        let metadataCount = try reader.read(UInt64.self, "the metadata count")
        // Each tensor info takes at least 8 + 4 + 4 + 8 bytes and each key/value at least
        // 8 + 4 + 1, so larger counts are lies; checking first keeps allocations bounded.
        guard tensorCount <= UInt64(reader.remaining / 24) else {
            throw TensorFileError(.tooLarge, file: file.name, "claims \(tensorCount) tensors, more than its \(file.count) bytes can hold.")
        }
        guard metadataCount <= UInt64(reader.remaining / 13) else {
            throw TensorFileError(.tooLarge, file: file.name, "claims \(metadataCount) metadata entries, more than its \(file.count) bytes can hold.")
        }

        var metadata: [(key: String, value: GGUFValue)] = []
        var metadataIndex: [String: Int] = [:]
        metadata.reserveCapacity(Int(metadataCount))
        for _ in 0..<metadataCount {
            reader.context = nil
            let key = try reader.readString(count: reader.read(UInt64.self, "a metadata key's length"), "a metadata key")
            reader.context = key
            let type = try reader.read(UInt32.self, "the value type")
            let value = try Self.readValue(type: type, from: &reader, depth: 0)
            guard metadataIndex[key] == nil else {
                throw TensorFileError(.corrupt, file: file.name, item: key, "the metadata key appears twice.")
            }
            metadataIndex[key] = metadata.count
            metadata.append((key, value))
        }
        self.metadata = metadata
        self.metadataIndex = metadataIndex

        var alignment = 32
        if let index = metadataIndex["general.alignment"] {
            guard let value = metadata[index].value.int, value > 0, value <= 1 << 20, value & (value - 1) == 0 else {
                throw TensorFileError(.corrupt, file: file.name, item: "general.alignment",
                                      "must be a power of two integer, not \(metadata[index].value).")
            }
            alignment = value
        }
        self.alignment = alignment

        struct Info { let name: String; let dims: [Int]; let type: UInt32; let offset: UInt64 }
        var infos: [Info] = []
        infos.reserveCapacity(Int(tensorCount))
        for index in 0..<tensorCount {
            reader.context = nil
            let name = try reader.readString(count: reader.read(UInt64.self, "tensor \(index)'s name length"), "tensor \(index)'s name")
            reader.context = name
            let dimCount = try reader.read(UInt32.self, "the number of dimensions")
            guard dimCount <= 8 else {
                throw TensorFileError(.corrupt, file: file.name, item: name, "claims \(dimCount) dimensions (at most 8 are allowed).")
            }
            var dims: [Int] = []
            for _ in 0..<dimCount {
                let dim = try reader.read(UInt64.self, "a dimension")
                guard dim <= UInt64(Int.max) else {
                    throw TensorFileError(.tooLarge, file: file.name, item: name, "has an absurd dimension \(dim).")
                }
                dims.append(Int(dim))
            }
            let type = try reader.read(UInt32.self, "the tensor type")
            let offset = try reader.read(UInt64.self, "the data offset")
            infos.append(Info(name: name, dims: dims, type: type, offset: offset))
        }
        reader.context = nil

        let padding = (alignment - reader.position % alignment) % alignment
        // A file with no tensor data may end right after the infos, without the padding.
        dataOffset = min(reader.position + padding, file.count)
        var tensors: [Tensor] = []
        var tensorIndex: [String: Int] = [:]
        for info in infos {
            guard let dtype = DType(ggmlType: info.type) else {
                throw TensorFileError(.unsupported, file: file.name, item: info.name,
                                      "has GGML type \(info.type) (\(DType.ggmlTypeName(info.type))), which saescope cannot read yet.")
            }
            guard info.offset % UInt64(alignment) == 0 else {
                throw TensorFileError(.corrupt, file: file.name, item: info.name,
                                      "its data offset \(info.offset) is not a multiple of the alignment \(alignment).")
            }
            guard info.offset <= UInt64(file.count - dataOffset) else {
                throw TensorFileError(.truncated, file: file.name, item: info.name,
                                      "its data offset \(info.offset) is past the end of the file (\(file.count) bytes).")
            }
            let shape = Array(info.dims.reversed())
            guard let count = checkedProduct(shape), let byteCount = dtype.byteCount(elements: count) else {
                throw TensorFileError(.sizeMismatch, file: file.name, item: info.name,
                                      "its shape \(shape) is not a whole number of \(dtype.rawValue) blocks, or is absurdly large.")
            }
            let tensor = try Tensor(name: info.name, dtype: dtype, shape: shape, file: file,
                                    offset: dataOffset + Int(info.offset), byteCount: byteCount)
            guard tensorIndex[info.name] == nil else {
                throw TensorFileError(.corrupt, file: file.name, item: info.name, "the tensor name appears twice.")
            }
            tensorIndex[info.name] = tensors.count
            tensors.append(tensor)
        }
        self.tensors = tensors
        self.tensorIndex = tensorIndex
    }

    /// Reads one value of GGUF type `type`; arrays may nest up to 4 deep.
    private static func readValue(type: UInt32, from reader: inout ByteReader, depth: Int) throws -> GGUFValue {
        switch type {
        case 0: return .uint8(try reader.read(UInt8.self, "a uint8 value"))
        case 1: return .int8(try reader.read(Int8.self, "an int8 value"))
        case 2: return .uint16(try reader.read(UInt16.self, "a uint16 value"))
        case 3: return .int16(try reader.read(Int16.self, "an int16 value"))
        case 4: return .uint32(try reader.read(UInt32.self, "a uint32 value"))
        case 5: return .int32(try reader.read(Int32.self, "an int32 value"))
        case 6: return .float32(try reader.readFloat("a float32 value"))
        case 7:
            let byte = try reader.read(UInt8.self, "a bool value")
            guard byte <= 1 else {
                throw TensorFileError(.corrupt, file: reader.file, item: reader.context, "has a bool value of \(byte) (must be 0 or 1).")
            }
            return .bool(byte == 1)
        case 8: return .string(try reader.readString(count: reader.read(UInt64.self, "a string's length"), "a string value"))
        case 9:
            guard depth < 4 else {
                throw TensorFileError(.unsupported, file: reader.file, item: reader.context, "nests arrays more than 4 deep.")
            }
            let elementType = try reader.read(UInt32.self, "an array's element type")
            let count = try reader.read(UInt64.self, "an array's length")
            // Every element takes at least one byte (a string at least 8, an array 12).
            let minimumSize: UInt64 = switch elementType {
            case 8, 10, 11, 12: 8
            case 9: 12
            case 4, 5, 6: 4
            case 2, 3: 2
            default: 1
            }
            guard count <= UInt64(reader.remaining) / minimumSize else {
                throw TensorFileError(.tooLarge, file: reader.file, item: reader.context,
                                      "claims an array of \(count) \(GGUFValue.typeName(elementType)) values, more than the file's remaining \(reader.remaining) bytes can hold.")
            }
            var values: [GGUFValue] = []
            values.reserveCapacity(Int(count))
            for _ in 0..<count { values.append(try readValue(type: elementType, from: &reader, depth: depth + 1)) }
            return .array(elementType: elementType, values)
        case 10: return .uint64(try reader.read(UInt64.self, "a uint64 value"))
        case 11: return .int64(try reader.read(Int64.self, "an int64 value"))
        case 12: return .float64(try reader.readDouble("a float64 value"))
        default:
            throw TensorFileError(.unsupported, file: reader.file, item: reader.context, "has unknown GGUF value type \(type).")
        }
    }

    /// The metadata value for `key`, or nil.
    public subscript(key: String) -> GGUFValue? {
        metadataIndex[key].map { metadata[$0].value }
    }

    /// The string value for `key`; throws when missing or not a string.
    public func string(_ key: String) throws -> String {
        guard let value = self[key] else { throw missing(key) }
        guard let string = value.string else { throw wrongType(key, value, "a string") }
        return string
    }

    /// The integer value for `key` (any GGUF integer type); throws when missing or not an integer.
    public func int(_ key: String) throws -> Int {
        guard let value = self[key] else { throw missing(key) }
        guard let int = value.int else { throw wrongType(key, value, "an integer") }
        return int
    }

    /// The numeric value for `key` as a Double; throws when missing or not a number.
    public func double(_ key: String) throws -> Double {
        guard let value = self[key] else { throw missing(key) }
        guard let double = value.double else { throw wrongType(key, value, "a number") }
        return double
    }

    /// The array of strings for `key` (e.g. `tokenizer.ggml.tokens`); throws when missing or not one.
    public func strings(_ key: String) throws -> [String] {
        guard let value = self[key] else { throw missing(key) }
        guard case .array(8, let values) = value else { throw wrongType(key, value, "an array of strings") }
        return values.compactMap(\.string)
    }

    /// The tensor named `name`; throws `notFound` when it is not in the file.
    public func tensor(_ name: String) throws -> Tensor {
        guard let index = tensorIndex[name] else {
            throw TensorFileError(.notFound, file: file.name, item: name, "no tensor of that name is in the file.")
        }
        return tensors[index]
    }

    /// A tensor's dimensions in GGUF's own order, innermost first (`ne0, ne1, …`).
    public func dimensions(of tensor: Tensor) -> [Int] { tensor.shape.reversed() }

    private func missing(_ key: String) -> TensorFileError {
        TensorFileError(.notFound, file: file.name, item: key, "the metadata key is missing.")
    }

    private func wrongType(_ key: String, _ value: GGUFValue, _ expected: String) -> TensorFileError {
        TensorFileError(.wrongType, file: file.name, item: key, "is a \(GGUFValue.typeName(value.typeID)), not \(expected).")
    }
}
