/// Everything the index holds about one latent, with its arrays left packed as stored (`Blob`)
/// and read in place. `IndexReader.withLatentPage` lends one to a closure; the views are valid
/// only during that call. The server writes a latent's JSON straight from it: decoding 20-odd
/// examples into Swift arrays first cost more than writing them.
public struct LatentPage {
    public let id: Int
    public let stats: LatentStats
    public let histogramMin: Double
    public let histogramMax: Double
    public let histogramCounts: PackedWords
    public let topLogits: PackedPairs
    public let bottomLogits: PackedPairs
    /// (latent id, cosine) pairs.
    public let neighbors: PackedPairs
    /// The top examples (group 0), empty when the index has none.
    public let topExamples: PackedExamples
    /// Interval groups, highest range first.
    public let intervals: [PackedGroup]
    /// Preferred first: written before automatic, then by source.
    public let explanations: [Explanation]
    /// The preferred explanation of each neighbour, in the order of `neighbors`.
    public let neighborExplanations: [Explanation?]

    /// The same facts decoded into arrays (`IndexReader.feature(id:)`).
    public var feature: Feature {
        let pairs = { (p: PackedPairs) in p.map { TokenValue(tokenID: $0.key, value: $0.value) } }
        let record = LatentRecord(
            id: id, stats: stats, histogram: Histogram(min: histogramMin, max: histogramMax, counts: Array(histogramCounts)),
            topLogits: pairs(topLogits), bottomLogits: pairs(bottomLogits),
            neighbors: neighbors.map { Neighbor(id: $0.key, cosine: $0.value) },
            topExamples: topExamples.map { $0.example },
            intervals: intervals.map { IntervalGroup(min: $0.min, max: $0.max, contains: $0.contains, examples: $0.examples.map { $0.example }) })
        var byNeighbor: [Int: Explanation] = [:]
        for (neighbor, explanation) in zip(neighbors, neighborExplanations) { byNeighbor[Int(neighbor.key)] = explanation }
        return Feature(record: record, explanations: explanations, neighborExplanations: byNeighbor)
    }
}

/// An interval group with its examples packed.
public struct PackedGroup {
    public let min: Double
    public let max: Double
    /// Fraction (0…1) of the latent's positive activations in [min, max].
    public let contains: Double
    public let examples: PackedExamples
}

/// Little-endian u32 values read in place; trailing bytes that make no whole value are ignored.
public struct PackedWords: RandomAccessCollection {
    @usableFromInline let raw: UnsafeRawBufferPointer

    @inlinable init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { raw.count / 4 }
    @inlinable public subscript(i: Int) -> UInt32 {
        UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self))
    }
}

/// (u32, f32) pairs read in place: logit tables (token id, value) and neighbours (id, cosine).
public struct PackedPairs: RandomAccessCollection {
    @usableFromInline let words: PackedWords

    @inlinable init(_ raw: UnsafeRawBufferPointer) { words = PackedWords(raw) }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { words.endIndex / 2 }
    @inlinable public subscript(i: Int) -> (key: UInt32, value: Float) {
        (words[2 &* i], Float(bitPattern: words[2 &* i &+ 1]))
    }
}

/// One example read in place.
public struct PackedExample {
    public let document: Int
    /// Token position of the snippet's first token in its document.
    public let position: Int
    public let tokenIDs: PackedTokenIDs
    /// This latent's activation at every token.
    public let activations: PackedActivations

    @inlinable init(document: Int, position: Int, tokenIDs: PackedTokenIDs, activations: PackedActivations) {
        (self.document, self.position, self.tokenIDs, self.activations) = (document, position, tokenIDs, activations)
    }

    public var example: Example {
        Example(tokenIDs: Array(tokenIDs), activations: Array(activations), document: document, position: position)
    }
}

/// Little-endian token ids read in place, 2 bytes each or 4 (`wide`).
public struct PackedTokenIDs: RandomAccessCollection {
    @usableFromInline let base: UnsafeRawPointer?
    @usableFromInline let wide: Bool
    public let endIndex: Int

    @inlinable init(base: UnsafeRawPointer?, count: Int, wide: Bool) {
        (self.base, self.endIndex, self.wide) = (base, count, wide)
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public subscript(i: Int) -> UInt32 {
        wide ? UInt32(littleEndian: base!.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self))
             : UInt32(UInt16(littleEndian: base!.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self)))
    }
}

/// A snippet's activations read in place from their sparse form (`Blob.pack(groups:)`): the
/// ascending positions of the activations that are not +0, and those activations. Most of a
/// snippet's activations are zero: a TopK latent fires on a few tokens of a context.
public struct PackedActivations: RandomAccessCollection {
    /// Positions: u16 each, u32 when the snippet is longer than 65,536 tokens (`widePositions`).
    @usableFromInline let positions: UnsafeRawPointer?
    @usableFromInline let values: UnsafeRawPointer?
    /// How many activations are stored (not +0).
    public let nonzeroCount: Int
    public let endIndex: Int

    @inlinable init(count: Int, nonzeroCount: Int, positions: UnsafeRawPointer?, values: UnsafeRawPointer?) {
        (endIndex, self.nonzeroCount, self.positions, self.values) = (count, nonzeroCount, positions, values)
    }

    /// Whether a snippet of `count` tokens stores its positions in 4 bytes.
    @inlinable static func widePositions(_ count: Int) -> Bool { count > 1 << 16 }

    /// The `k`th stored activation and its position, in order of position.
    @inlinable public func nonzero(_ k: Int) -> (index: Int, value: Float) {
        let index = PackedActivations.widePositions(endIndex)
            ? Int(UInt32(littleEndian: positions!.loadUnaligned(fromByteOffset: k &* 4, as: UInt32.self)))
            : Int(UInt16(littleEndian: positions!.loadUnaligned(fromByteOffset: k &* 2, as: UInt16.self)))
        let bits = UInt32(littleEndian: values!.loadUnaligned(fromByteOffset: k &* 4, as: UInt32.self))
        return (index, Float(bitPattern: bits))
    }

    @inlinable public var startIndex: Int { 0 }
    /// A binary search over the stored positions; writers iterate with `nonzero(_:)` instead.
    @inlinable public subscript(i: Int) -> Float {
        var (lo, hi) = (0, nonzeroCount)
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            let entry = nonzero(mid)
            if entry.index == i { return entry.value }
            if entry.index < i { lo = mid &+ 1 } else { hi = mid }
        }
        return 0
    }

    /// The same as the generic `peak` (the first position of the largest activation, zeros
    /// included), reading only the stored activations: of a run of zeros only the first can
    /// take the lead.
    @inlinable public var peak: (index: Int, activation: Float) {
        guard endIndex > 0 else { return (0, 0) }
        var best = 0, bestValue: Float = 0
        var next = 0  // the first position not yet seen
        func consider(_ i: Int, _ v: Float) {
            if i == 0 || v > bestValue { (best, bestValue) = (i, v) }
        }
        for k in 0..<nonzeroCount {
            let (index, value) = nonzero(k)
            if index > next { consider(next, 0) }
            consider(index, value)
            next = index &+ 1
        }
        if next < endIndex { consider(next, 0) }
        return (best, bestValue)
    }
}

/// A group's examples, read in place from a latent's `groups` blob (in its `latents` row).
/// Checked whole when made (`PackedGroups.init?`), so iterating never reads past the bytes.
public struct PackedExamples: Sequence {
    @usableFromInline let raw: UnsafeRawBufferPointer
    @usableFromInline let wideTokens: Bool
    public let count: Int

    static var empty: PackedExamples { PackedExamples(raw: UnsafeRawBufferPointer(start: nil, count: 0), wideTokens: false, count: 0) }

    init(raw: UnsafeRawBufferPointer, wideTokens: Bool, count: Int) {
        (self.raw, self.wideTokens, self.count) = (raw, wideTokens, count)
    }

    public struct Iterator: IteratorProtocol {
        @usableFromInline let examples: PackedExamples
        @usableFromInline var offset = 0
        @usableFromInline var remaining: Int

        @inlinable init(_ examples: PackedExamples) {
            self.examples = examples
            remaining = examples.count
        }

        @inlinable public mutating func next() -> PackedExample? {
            guard remaining > 0, let base = examples.raw.baseAddress else { return nil }
            remaining &-= 1
            let start = offset
            let word = { (i: Int) in Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: start &+ 4 &* i, as: UInt32.self))) }
            let (n, nonzero) = (word(2), word(3))
            let ids = base + (start &+ 16)
            let positions = ids + n &* (examples.wideTokens ? 4 : 2)
            let values = positions + nonzero &* (PackedActivations.widePositions(n) ? 4 : 2)
            let example = PackedExample(
                document: word(0), position: word(1),
                tokenIDs: PackedTokenIDs(base: ids, count: n, wide: examples.wideTokens),
                activations: PackedActivations(count: n, nonzeroCount: nonzero, positions: positions, values: values))
            offset = base.distance(to: values) &+ nonzero &* 4
            return example
        }
    }

    @inlinable public func makeIterator() -> Iterator { Iterator(self) }
    public var underestimatedCount: Int { count }
}

/// A latent's example groups as `Blob.pack(groups:)` stores them, checked whole:
///   u8 token id width (2 or 4), u8 group count (group 0 holds the top examples), then per
///   group f64 min, f64 max, f64 contains, u32 count and its examples, each:
///   u32 document, u32 position, u32 n, u32 nonzero, n token ids, nonzero positions (u16, or
///   u32 when n > 65,536), nonzero f32 activations: those that are not +0, in order of position.
struct PackedGroups {
    var top = PackedExamples.empty
    var intervals: [PackedGroup] = []

    /// nil when the bytes are not exactly well-formed groups.
    init?(_ raw: UnsafeRawBufferPointer) {
        guard !raw.isEmpty else { return }
        guard raw.count >= 2, let base = raw.baseAddress, [2, 4].contains(raw[0]), raw[1] > 0 else { return nil }
        let wide = raw[0] == 4
        var offset = 2
        func u32() -> Int { defer { offset += 4 }; return Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))) }
        func f64() -> Double { defer { offset += 8 }; return Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))) }
        for group in 0..<Int(raw[1]) {
            guard raw.count - offset >= 28 else { return nil }
            let (min, max, contains, count) = (f64(), f64(), f64(), u32())
            let start = offset
            for _ in 0..<count {
                guard raw.count - offset >= 16 else { return nil }
                offset += 8
                let (n, nonzero) = (u32(), u32())
                let positionWidth = PackedActivations.widePositions(n) ? 4 : 2
                // Sizes checked by division first: a count near 2^32 must not overflow.
                guard n <= (raw.count - offset) / (wide ? 4 : 2) else { return nil }
                offset += n * (wide ? 4 : 2)
                guard nonzero <= n, nonzero <= (raw.count - offset) / (positionWidth + 4) else { return nil }
                var previous = -1
                for k in 0..<nonzero {
                    let p = positionWidth == 2
                        ? Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: offset + 2 * k, as: UInt16.self)))
                        : Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset + 4 * k, as: UInt32.self)))
                    guard p > previous, p < n else { return nil }
                    previous = p
                }
                offset += nonzero * (positionWidth + 4)
            }
            let examples = PackedExamples(raw: UnsafeRawBufferPointer(rebasing: raw[start..<offset]), wideTokens: wide, count: count)
            if group == 0 { top = examples } else { intervals.append(PackedGroup(min: min, max: max, contains: contains, examples: examples)) }
        }
        guard offset == raw.count else { return nil }
    }
}

extension IndexReader {
    /// Reads latent `id` and calls `body` with it, its arrays packed and valid only during the
    /// call; nil (without calling `body`) if the index has no latent `id`. `body` runs inside
    /// the read transaction, holding one of the pool's connections: keep it short.
    public func withLatentPage<T>(id: Int, _ body: (LatentPage) throws -> T) throws -> T? {
        // Larger ids can't be in an index (the writer refuses them).
        guard id >= 0, id < IndexWriter.maxLatentID else { return nil }
        return try pool.withVersion { db, version in
            let row = try db.statement("""
                SELECT density, max_activation, mean, mean_square, skew, kurtosis, hist_min, hist_max,
                       hist_counts, top_logits, bottom_logits, neighbors, groups
                FROM latents WHERE id = ?
                """).bind(.int(id))
            guard try row.step() else { return nil }
            // The row's blobs are read in place: they stay valid until this statement steps or is
            // reset, which happens after `body` returns (the explanations below use another one).
            func blob(_ column: Int32) -> UnsafeRawBufferPointer { row.withBlob(column) { $0 } }
            let stats = LatentStats(density: row.double(0), maxActivation: row.double(1), mean: row.double(2),
                                    meanSquare: row.double(3), skew: row.optionalDouble(4), kurtosis: row.optionalDouble(5))
            let neighbors = PackedPairs(blob(11))
            guard let groups = PackedGroups(blob(12)) else {
                throw IndexReadError.unreadable(path, "latent \(id) has malformed example groups")
            }
            let explanations = try self.explanations(db, version: version, latents: [id] + neighbors.map { Int($0.key) })
            let page = LatentPage(
                id: id, stats: stats, histogramMin: row.double(6), histogramMax: row.double(7),
                histogramCounts: PackedWords(blob(8)), topLogits: PackedPairs(blob(9)),
                bottomLogits: PackedPairs(blob(10)), neighbors: neighbors, topExamples: groups.top, intervals: groups.intervals,
                explanations: explanations[0], neighborExplanations: explanations.dropFirst().map { $0.first })
            return try body(page)
        }
    }
}
