/// A tensor in a weight file: its name, dtype and shape, and a view of its bytes in the file
/// (memory-mapped; nothing is copied until the data is read).
///
/// `shape` is row-major, outermost dimension first, as numpy and PyTorch write it: a matrix of
/// `rows` rows of `cols` values has shape `[rows, cols]` and element (r, c) at `r * cols + c`.
/// GGUF lists dimensions innermost first; `GGUFFile` reverses them into this order, so a GGUF
/// token embedding with dims `[576, 49152]` has shape `[49152, 576]`, the same as the `gguf`
/// package's `ReaderTensor.data.shape`.
public struct Tensor: Sendable {
    /// The tensor's name in the file.
    public let name: String
    /// How the elements are stored.
    public let dtype: DType
    /// Dimensions, outermost first (row-major). A scalar has shape `[]` and one element.
    public let shape: [Int]
    /// The number of elements (the product of `shape`).
    public let count: Int
    /// The file holding the bytes; kept alive by this tensor.
    public let file: MappedFile
    /// Where the bytes start in `file`.
    public let offset: Int
    /// How many bytes the data takes (`count` elements of `dtype`).
    public let byteCount: Int

    /// Checks that `shape` × `dtype` is exactly `byteCount` bytes and that they lie inside
    /// `file`, and throws a `TensorFileError` naming the tensor when not.
    public init(name: String, dtype: DType, shape: [Int], file: MappedFile, offset: Int, byteCount: Int) throws {
        guard let count = checkedProduct(shape) else {
            throw TensorFileError(.tooLarge, file: file.name, item: name, "its shape \(shape) has a negative or overflowing element count.")
        }
        if dtype.isQuantized, let innermost = shape.last, innermost % dtype.blockSize != 0 {
            throw TensorFileError(.sizeMismatch, file: file.name, item: name,
                                  "its rows of \(innermost) values are not a whole number of \(dtype.rawValue) blocks of \(dtype.blockSize).")
        }
        guard let expected = dtype.byteCount(elements: count) else {
            throw TensorFileError(.sizeMismatch, file: file.name, item: name,
                                  "\(count) elements are not a whole number of \(dtype.rawValue) blocks of \(dtype.blockSize).")
        }
        guard expected == byteCount else {
            throw TensorFileError(.sizeMismatch, file: file.name, item: name,
                                  "shape \(shape) of \(dtype.rawValue) needs \(expected) bytes but the file gives it \(byteCount).")
        }
        guard offset >= 0, byteCount >= 0, offset <= file.count, byteCount <= file.count - offset else {
            throw TensorFileError(.truncated, file: file.name, item: name,
                                  "its data (bytes \(offset)..<\(offset &+ byteCount)) runs past the end of the file (\(file.count) bytes).")
        }
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.count = count
        self.file = file
        self.offset = offset
        self.byteCount = byteCount
    }

    /// The raw bytes, little-endian as stored. Valid while this tensor (or its file) lives.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[offset..<(offset + byteCount)])
    }

    /// Dequantises (or converts) every element to Float into `destination`, which must hold
    /// exactly `count` floats.
    public func dequantize(into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard destination.count == count else {
            throw TensorFileError(.sizeMismatch, file: file.name, item: name,
                                  "cannot dequantise \(count) elements into a buffer of \(destination.count).")
        }
        guard count > 0, let src = bytes.baseAddress, let dst = destination.baseAddress else { return }
        if dtype.isQuantized {
            Dequantize.blocks(dtype, src, dst, blocks: count / dtype.blockSize)
        } else {
            Dequantize.plain(dtype, src, dst, count: count)
        }
    }

    /// All elements as Float, row-major (`shape` order): dequantised for GGML block types,
    /// widened for F16/BF16, narrowed for F64, converted for integers (1/0 for BOOL).
    public func floats() throws -> [Float] {
        var failure: Error?
        let result = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            do {
                try dequantize(into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
            } catch {
                failure = error
                buffer.initialize(repeating: 0)
            }
            initialized = count
        }
        if let failure { throw failure }
        return result
    }

    /// Calls `body` with the elements as Float: a view straight into the mapped file when the
    /// data is F32 and 4-byte aligned, else a temporary dequantised copy. The view must not
    /// escape `body`.
    public func withFloats<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        if dtype == .f32, let base = bytes.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
            #if _endian(little)
            return try body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: count))
            #endif
        }
        let copy = try floats()
        return try copy.withUnsafeBufferPointer(body)
    }

    /// All elements as exact integers (I64, I32, I16, I8, U8, BOOL as 0/1); throws for float
    /// and quantised dtypes.
    public func integers() throws -> [Int64] {
        guard dtype.isInteger else {
            throw TensorFileError(.wrongType, file: file.name, item: name, "it holds \(dtype.rawValue) values, not integers.")
        }
        let raw = bytes
        guard let src = raw.baseAddress else { return [] }
        return (0..<count).map { i -> Int64 in
            switch dtype {
            case .i64: Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
            case .i32: Int64(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
            case .i16: Int64(Int16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
            case .i8: Int64(src.load(fromByteOffset: i, as: Int8.self))
            case .bool: src.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0
            default: Int64(src.load(fromByteOffset: i, as: UInt8.self))
            }
        }
    }
}
