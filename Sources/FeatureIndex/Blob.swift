/// Packing of the index's array columns: little-endian u32 / f32 values, back to back.
enum Blob {
    static func pack(_ values: [UInt32]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count * 4)
        out.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() { raw.storeBytes(of: v.littleEndian, toByteOffset: i * 4, as: UInt32.self) }
        }
        return out
    }

    static func pack(_ values: [Float]) -> [UInt8] { pack(values.map(\.bitPattern)) }

    /// (u32, f32) pairs.
    static func pack(pairs: [(UInt32, Float)]) -> [UInt8] {
        pack(pairs.flatMap { [$0.0, $0.1.bitPattern] })
    }

    /// Reads u32 values; trailing bytes that don't make a whole value are ignored.
    static func unpackUInt32(_ raw: UnsafeRawBufferPointer) -> [UInt32] {
        let n = raw.count / 4
        return [UInt32](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { buffer[i] = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
            count = n
        }
    }

    static func unpackFloat(_ raw: UnsafeRawBufferPointer) -> [Float] {
        let n = raw.count / 4
        return [Float](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n {
                buffer[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
            }
            count = n
        }
    }

    static func unpackPairs(_ raw: UnsafeRawBufferPointer) -> [(UInt32, Float)] {
        let words = unpackUInt32(raw)
        return stride(from: 0, to: words.count - 1, by: 2).map { (words[$0], Float(bitPattern: words[$0 + 1])) }
    }
}
