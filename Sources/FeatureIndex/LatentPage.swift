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

/// Little-endian f32 values read in place.
public struct PackedFloats: RandomAccessCollection {
    @usableFromInline let words: PackedWords

    @inlinable init(_ raw: UnsafeRawBufferPointer) { words = PackedWords(raw) }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { words.endIndex }
    @inlinable public subscript(i: Int) -> Float { Float(bitPattern: words[i]) }
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
    public let tokenIDs: PackedWords
    /// This latent's activation at every token.
    public let activations: PackedFloats

    @inlinable init(document: Int, position: Int, tokenIDs: PackedWords, activations: PackedFloats) {
        (self.document, self.position, self.tokenIDs, self.activations) = (document, position, tokenIDs, activations)
    }

    public var example: Example {
        Example(tokenIDs: Array(tokenIDs), activations: Array(activations), document: document, position: position)
    }
}

/// A group's examples as `Blob.pack(examples:)` stores them: per example u32 document,
/// u32 position, u32 n, n u32 token ids, n f32 activations. Checked whole when made, so
/// iterating never reads past the bytes.
public struct PackedExamples: Sequence {
    @usableFromInline let words: PackedWords
    public let count: Int

    static var empty: PackedExamples { PackedExamples(words: PackedWords(UnsafeRawBufferPointer(start: nil, count: 0)), count: 0) }

    private init(words: PackedWords, count: Int) {
        self.words = words
        self.count = count
    }

    /// nil when the bytes don't hold exactly `count` well-formed examples.
    init?(_ raw: UnsafeRawBufferPointer, count: Int) {
        guard raw.count % 4 == 0 else { return nil }
        let words = PackedWords(raw)
        var i = 0, found = 0
        while i < words.count {
            guard i + 3 <= words.count else { return nil }
            let n = Int(words[i + 2])
            guard n <= (words.count - i - 3) / 2 else { return nil }
            i += 3 + 2 * n
            found += 1
        }
        guard found == count else { return nil }
        self.init(words: words, count: count)
    }

    public struct Iterator: IteratorProtocol {
        @usableFromInline let words: PackedWords
        @usableFromInline var offset = 0

        @inlinable init(words: PackedWords) { self.words = words }

        @inlinable public mutating func next() -> PackedExample? {
            guard offset < words.count else { return nil }
            let n = Int(words[offset + 2])
            let start = (offset + 3) * 4
            let example = PackedExample(
                document: Int(words[offset]), position: Int(words[offset + 1]),
                tokenIDs: PackedWords(UnsafeRawBufferPointer(rebasing: words.raw[start..<start + 4 * n])),
                activations: PackedFloats(UnsafeRawBufferPointer(rebasing: words.raw[start + 4 * n..<start + 8 * n])))
            offset += 3 + 2 * n
            return example
        }
    }

    @inlinable public func makeIterator() -> Iterator { Iterator(words: words) }
    public var underestimatedCount: Int { count }
}

extension IndexReader {
    /// Reads latent `id` and calls `body` with it, its arrays packed and valid only during the
    /// call; nil (without calling `body`) if the index has no latent `id`. `body` runs inside
    /// the read transaction, holding one of the pool's connections: keep it short.
    public func withLatentPage<T>(id: Int, _ body: (LatentPage) throws -> T) throws -> T? {
        // Group rowids are id × 64 + group: larger ids can't be in an index (the writer refuses them).
        guard id >= 0, id < IndexWriter.maxLatentID else { return nil }
        return try pool.withVersion { db, version in
            let row = try db.statement("""
                SELECT density, max_activation, mean, mean_square, skew, kurtosis, hist_min, hist_max,
                       hist_counts, top_logits, bottom_logits, neighbors
                FROM latents WHERE id = ?
                """).bind(.int(id))
            guard try row.step() else { return nil }
            // A row's blobs live until its statement steps again, so everything is copied into
            // one buffer (a few KB) and the views are made once all rows are read.
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16 * 1024)
            func keep(_ statement: Statement, _ column: Int32) -> Range<Int> {
                statement.withBlob(column) { blob in
                    let start = bytes.count
                    bytes.append(contentsOf: blob)
                    return start..<bytes.count
                }
            }
            let stats = LatentStats(density: row.double(0), maxActivation: row.double(1), mean: row.double(2),
                                    meanSquare: row.double(3), skew: row.optionalDouble(4), kurtosis: row.optionalDouble(5))
            let (histogramMin, histogramMax) = (row.double(6), row.double(7))
            let arrays = (keep(row, 8), keep(row, 9), keep(row, 10), keep(row, 11))

            var groups: [(group: Int, min: Double, max: Double, contains: Double, count: Int, bytes: Range<Int>)] = []
            let first = id * IndexWriter.groupsPerLatent
            let groupRows = try db.statement("""
                SELECT grp, min, max, contains, count, examples FROM example_groups WHERE id BETWEEN ? AND ? ORDER BY id
                """).bind(.int(first), .int(first + IndexWriter.groupsPerLatent - 1))
            while try groupRows.step() {
                groups.append((groupRows.int(0), groupRows.double(1), groupRows.double(2), groupRows.double(3),
                               groupRows.int(4), keep(groupRows, 5)))
            }
            return try bytes.withUnsafeBytes { all in
                let view = { (r: Range<Int>) in UnsafeRawBufferPointer(rebasing: all[r]) }
                let neighbors = PackedPairs(view(arrays.3))
                var top = PackedExamples.empty
                var intervals: [PackedGroup] = []
                intervals.reserveCapacity(groups.count)
                for g in groups {
                    guard let examples = PackedExamples(view(g.bytes), count: g.count) else {
                        throw IndexReadError.unreadable(path, "latent \(id), example group \(g.group) holds malformed examples")
                    }
                    if g.group == 0 { top = examples } else { intervals.append(PackedGroup(min: g.min, max: g.max, contains: g.contains, examples: examples)) }
                }
                let explanations = try self.explanations(db, version: version, latents: [id] + neighbors.map { Int($0.key) })
                let page = LatentPage(
                    id: id, stats: stats, histogramMin: histogramMin, histogramMax: histogramMax,
                    histogramCounts: PackedWords(view(arrays.0)), topLogits: PackedPairs(view(arrays.1)),
                    bottomLogits: PackedPairs(view(arrays.2)), neighbors: neighbors, topExamples: top, intervals: intervals,
                    explanations: explanations[0], neighborExplanations: explanations.dropFirst().map(\.first))
                return try body(page)
            }
        }
    }
}
