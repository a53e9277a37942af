/// Packing of the index's array columns: little-endian u32 / f32 values, back to back. They are
/// read in place by `PackedWords`, `PackedPairs` and `PackedExamples` (LatentPage.swift).
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
}
