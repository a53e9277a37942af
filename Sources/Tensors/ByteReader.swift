/// A bounds-checked little-endian cursor over a file's bytes. Every read checks that the bytes
/// are there and throws `TensorFileError.truncated` (naming `context`) when they are not, so a
/// parser built on it cannot read past the end.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let file: String
    /// The offset of the next read.
    var position: Int = 0
    /// What is being read, for error messages (a tensor name or metadata key).
    var context: String?

    init(_ bytes: UnsafeRawBufferPointer, file: String, position: Int = 0) {
        self.bytes = bytes
        self.file = file
        self.position = position
    }

    var remaining: Int { bytes.count - position }

    func truncated(_ what: String) -> TensorFileError {
        TensorFileError(.truncated, file: file, item: context,
                        "the file ends at byte \(bytes.count) in the middle of \(what) (at byte \(position)).")
    }

    /// Throws unless `count` more bytes are there.
    func need(_ count: Int, for what: String) throws {
        guard count >= 0, position >= 0, count <= remaining else { throw truncated(what) }
    }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type, _ what: String) throws -> T {
        try need(MemoryLayout<T>.size, for: what)
        let value = bytes.loadUnaligned(fromByteOffset: position, as: T.self)
        position += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    mutating func readFloat(_ what: String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what))
    }

    mutating func readDouble(_ what: String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what))
    }

    /// Reads `count` bytes as a view into the file.
    mutating func readBytes(_ count: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        try need(count, for: what)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
        position += count
        return slice
    }

    /// Reads `count` bytes of UTF-8 (invalid sequences are repaired, never trusted).
    mutating func readString(count: UInt64, _ what: String) throws -> String {
        guard count <= UInt64(remaining) else { throw truncated(what) }
        let raw = try readBytes(Int(count), what)
        return String(decoding: raw, as: UTF8.self)
    }

    mutating func skip(_ count: Int, _ what: String) throws {
        try need(count, for: what)
        position += count
    }
}

/// Multiplies sizes, returning nil on overflow (a lying header's shape must not wrap around).
func checkedProduct(_ values: some Sequence<Int>) -> Int? {
    var product = 1
    for value in values {
        guard value >= 0 else { return nil }
        let (result, overflow) = product.multipliedReportingOverflow(by: value)
        if overflow { return nil }
        product = result
    }
    return product
}
