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

    /// A group's examples: per example u32 document, u32 position, u32 n, n u32 ids, n f32 values.
    static func pack(examples: [Example]) -> [UInt8] {
        var words: [UInt32] = []
        words.reserveCapacity(examples.reduce(0) { $0 + 3 + 2 * $1.tokenIDs.count })
        for e in examples {
            words += [UInt32(truncatingIfNeeded: e.document), UInt32(truncatingIfNeeded: e.position), UInt32(e.tokenIDs.count)]
            words += e.tokenIDs
            words += e.activations.map(\.bitPattern)
        }
        return pack(words)
    }

    /// The inverse of `pack(examples:)`; nil when the bytes don't hold exactly `count` examples.
    static func unpackExamples(_ raw: UnsafeRawBufferPointer, count: Int) -> [Example]? {
        let words = raw.count / 4
        guard raw.count % 4 == 0 else { return nil }
        func word(_ i: Int) -> UInt32 { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
        var examples: [Example] = []
        examples.reserveCapacity(max(0, min(count, 1024)))
        var i = 0
        while i < words {
            guard i + 3 <= words else { return nil }
            let n = Int(word(i + 2))
            guard n <= (words - i - 3) / 2 else { return nil }
            let start = i + 3
            let ids = [UInt32](unsafeUninitializedCapacity: n) { buffer, filled in
                for k in 0..<n { buffer[k] = word(start + k) }
                filled = n
            }
            let activations = [Float](unsafeUninitializedCapacity: n) { buffer, filled in
                for k in 0..<n { buffer[k] = Float(bitPattern: word(start + n + k)) }
                filled = n
            }
            examples.append(Example(tokenIDs: ids, activations: activations, document: Int(word(i)), position: Int(word(i + 1))))
            i = start + 2 * n
        }
        return examples.count == count ? examples : nil
    }

    static func unpackPairs(_ raw: UnsafeRawBufferPointer) -> [(UInt32, Float)] {
        let words = unpackUInt32(raw)
        return stride(from: 0, to: words.count - 1, by: 2).map { (words[$0], Float(bitPattern: words[$0 + 1])) }
    }
}
