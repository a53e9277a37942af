import Foundation

/// Little-endian packing for build state files (checkpoints and shard parts).
struct BinaryWriter {
    private(set) var bytes: [UInt8] = []

    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func int(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
    mutating func string(_ s: String) { raw(Array(s.utf8)) }
    mutating func raw(_ b: [UInt8]) {
        int(b.count)
        bytes += b
    }
    mutating func array<T: FixedWidthInteger>(_ values: [T]) {
        int(values.count)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }  // little-endian hosts only (see BinaryReader)
    }
    mutating func floats(_ values: [Float]) { array(values.map(\.bitPattern)) }
}

struct BinaryReader {
    let bytes: [UInt8]
    let path: String
    private var offset = 0

    /// Reads `bytes` from `start`; errors give offsets into `bytes`, so pass the whole file.
    init(_ bytes: [UInt8], path: String, start: Int = 0) {
        self.bytes = bytes
        self.path = path
        self.offset = start
    }

    var atEnd: Bool { offset == bytes.count }
    /// Bytes not read yet: a bound on any count that follows (each item takes at least a byte).
    var remaining: Int { bytes.count - offset }

    private mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - offset else { throw BuildError.badState(path, "it ends early (at byte \(offset))") }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    mutating func u64() throws -> UInt64 {
        try take(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }
    mutating func int() throws -> Int { Int(Int64(bitPattern: try u64())) }
    mutating func count(limit: Int = 1 << 40) throws -> Int {
        let at = offset
        let n = try int()
        guard n >= 0, n <= limit else { throw BuildError.badState(path, "a count of \(n) at byte \(at) is impossible (the file is damaged or cut short)") }
        return n
    }
    mutating func u32() throws -> UInt32 {
        try take(4).withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
    }
    mutating func f32() throws -> Float { Float(bitPattern: try u32()) }
    mutating func f64() throws -> Double { Double(bitPattern: try u64()) }
    mutating func raw() throws -> [UInt8] { Array(try take(try count())) }
    mutating func string() throws -> String { String(decoding: try raw(), as: UTF8.self) }
    mutating func array<T: FixedWidthInteger>(_: T.Type) throws -> [T] {
        let n = try count()
        let slice = try take(n * MemoryLayout<T>.size)
        return [T](unsafeUninitializedCapacity: n) { buffer, filled in
            slice.withUnsafeBytes { raw in
                for i in 0..<n { buffer[i] = T(littleEndian: raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)) }
            }
            filled = n
        }
    }
    mutating func floats() throws -> [Float] { try array(UInt32.self).map { Float(bitPattern: $0) } }
}
