import Foundation

/// A safetensors file: a u64 little-endian header length N, N bytes of JSON
/// `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}`,
/// then the data; offsets count from the start of the data.
public struct SafetensorsFile: Sendable {
    /// The file's bytes (memory-mapped).
    public let file: MappedFile
    /// The `__metadata__` string map (empty when absent).
    public let metadata: [String: String]
    /// Tensors in the order of their data in the file.
    public let tensors: [Tensor]

    private let tensorIndex: [String: Int]

    /// Maps and parses the file at `path`.
    public init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    /// Parses a safetensors file from bytes already in memory (the pure entry point fuzzers use).
    public init(file: MappedFile) throws {
        self.file = file
        var reader = ByteReader(file.bytes, file: file.name)
        let headerLength = try reader.read(UInt64.self, "the header length")
        guard headerLength <= UInt64(reader.remaining) else {
            throw TensorFileError(.truncated, file: file.name,
                                  "its header claims \(headerLength) bytes but only \(reader.remaining) follow.")
        }
        let header = try reader.readBytes(Int(headerLength), "the JSON header")
        let dataStart = reader.position
        let dataSize = file.count - dataStart

        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(header), options: [])
        } catch {
            throw TensorFileError(.corrupt, file: file.name, "its header is not valid JSON, so it is not a safetensors file.")
        }
        guard let entries = json as? [String: Any] else {
            throw TensorFileError(.corrupt, file: file.name, "its header is not a JSON object, so it is not a safetensors file.")
        }

        var metadata: [String: String] = [:]
        var tensors: [Tensor] = []
        for (name, entry) in entries {
            if name == "__metadata__" {
                guard let map = entry as? [String: Any] else {
                    throw TensorFileError(.corrupt, file: file.name, item: name, "must be an object of strings.")
                }
                for (key, value) in map {
                    guard let string = value as? String else {
                        throw TensorFileError(.corrupt, file: file.name, item: "__metadata__.\(key)", "must be a string.")
                    }
                    metadata[key] = string
                }
                continue
            }
            func corrupt(_ message: String) -> TensorFileError {
                TensorFileError(.corrupt, file: file.name, item: name, message)
            }
            guard let fields = entry as? [String: Any] else { throw corrupt("its entry is not a JSON object.") }
            guard let dtypeName = fields["dtype"] as? String else { throw corrupt("it has no \"dtype\" string.") }
            guard let dtype = DType(rawValue: dtypeName), !dtype.isQuantized else {
                throw TensorFileError(.unsupported, file: file.name, item: name, "has dtype \(dtypeName), which saescope cannot read.")
            }
            guard let shapeValues = fields["shape"] as? [Any], shapeValues.count <= 16 else {
                throw corrupt("it has no \"shape\" list of at most 16 dimensions.")
            }
            let shape = try shapeValues.map { value -> Int in
                guard let dim = Self.integer(value), dim >= 0 else { throw corrupt("its shape has a dimension that is not a non-negative integer.") }
                return dim
            }
            guard let offsets = fields["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = Self.integer(offsets[0]), let end = Self.integer(offsets[1]) else {
                throw corrupt("it has no \"data_offsets\" pair of integers.")
            }
            guard begin >= 0, begin <= end else { throw corrupt("its data_offsets [\(begin), \(end)] are reversed or negative.") }
            guard end <= dataSize else {
                throw TensorFileError(.truncated, file: file.name, item: name,
                                      "its data_offsets [\(begin), \(end)] run past the end of the data (\(dataSize) bytes).")
            }
            tensors.append(try Tensor(name: name, dtype: dtype, shape: shape, file: file,
                                      offset: dataStart + begin, byteCount: end - begin))
        }
        tensors.sort { ($0.offset, $0.name) < ($1.offset, $1.name) }
        for (previous, next) in zip(tensors, tensors.dropFirst()) where previous.offset + previous.byteCount > next.offset {
            throw TensorFileError(.corrupt, file: file.name, item: next.name, "its data overlaps that of '\(previous.name)'.")
        }
        self.metadata = metadata
        self.tensors = tensors
        var index: [String: Int] = [:]
        for (position, tensor) in tensors.enumerated() { index[tensor.name] = position }
        tensorIndex = index
    }

    /// A JSON number that is an exact integer, or nil.
    private static func integer(_ value: Any) -> Int? {
        // Booleans are NSNumbers too (objCType "c"); they are not offsets or dimensions.
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        let double = number.doubleValue
        guard double.rounded() == double, double >= 0, double < 0x1p62 else { return nil }
        return Int(number.int64Value)
    }

    /// The tensor named `name`; throws `notFound` when it is not in the file.
    public func tensor(_ name: String) throws -> Tensor {
        guard let index = tensorIndex[name] else {
            throw TensorFileError(.notFound, file: file.name, item: name, "no tensor of that name is in the file.")
        }
        return tensors[index]
    }
}
