/// Packing of the index's blob columns, little-endian: arrays of u32 / f32 values back to back,
/// and a latent's example groups. They are read in place by `PackedWords`, `PackedPairs` and
/// `PackedGroups` (LatentPage.swift).
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

    /// A latent's example groups, group 0 its top examples (the layout is `PackedGroups`'s).
    /// Token ids take 2 bytes when all fit, activations are stored only where they are not +0.
    /// Every example must have as many activations as tokens (`IndexWriter` checks).
    static func pack(groups: [IntervalGroup]) -> [UInt8] {
        let examples = groups.lazy.flatMap(\.examples)
        let wide = examples.contains { $0.tokenIDs.contains { $0 > UInt32(UInt16.max) } }
        var out: [UInt8] = [wide ? 4 : 2, UInt8(groups.count)]
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        for group in groups {
            for v in [group.min, group.max, group.contains] { append(v.bitPattern) }
            append(UInt32(group.examples.count))
            for e in group.examples {
                let nonzero = e.activations.indices.filter { e.activations[$0].bitPattern != 0 }
                for v in [e.document, e.position, e.tokenIDs.count, nonzero.count] { append(UInt32(truncatingIfNeeded: v)) }
                for id in e.tokenIDs { if wide { append(id) } else { append(UInt16(id)) } }
                let widePositions = PackedActivations.widePositions(e.tokenIDs.count)
                for p in nonzero { if widePositions { append(UInt32(p)) } else { append(UInt16(p)) } }
                for p in nonzero { append(e.activations[p].bitPattern) }
            }
        }
        return out
    }
}
