import FeatureIndex

/// A window's document tokens (the BOS a model input starts with is not among them), shared by
/// every latent that keeps the window as an example: memory grows with the examples kept, and
/// a window many latents fire on is stored once.
final class Window: @unchecked Sendable {  // immutable after init
    let document: Int
    /// Token position of `tokens[0]` in its document.
    let position: Int
    let tokens: [UInt32]

    init(document: Int, position: Int, tokens: [UInt32]) {
        self.document = document
        self.position = position
        self.tokens = tokens
    }
}

/// One latent's activity in one window: where it is positive, and its largest value.
struct Candidate {
    let maxActivation: Float
    /// A pseudo-random number fixed by (seed, document, position, latent): interval samples
    /// keep the smallest, which is a uniform sample that merges exactly.
    let hash: UInt64
    let window: Window
    /// Positions in `window.tokens` where the latent is > 0, ascending, and its values there.
    let positions: [UInt16]
    let values: [Float]

    var document: Int { window.document }
    var position: Int { window.position }

    /// Top-example order: larger maximum first; ties by earlier document, then position. A
    /// total order, so the top N of a corpus are the same however it was split.
    @inline(__always)
    func ranksAbove(_ other: Candidate) -> Bool {
        Candidate.ranks(maxActivation, document, position, above: other)
    }

    @inline(__always)
    static func ranks(_ value: Float, _ document: Int, _ position: Int, above other: Candidate) -> Bool {
        if value != other.maxActivation { return value > other.maxActivation }
        if document != other.document { return document < other.document }
        return position < other.position
    }

    /// Sample order: smaller hash first, ties by document and position.
    @inline(__always)
    func samplesBefore(_ other: Candidate) -> Bool {
        Candidate.samples(hash, document, position, before: other)
    }

    @inline(__always)
    static func samples(_ hash: UInt64, _ document: Int, _ position: Int, before other: Candidate) -> Bool {
        if hash != other.hash { return hash < other.hash }
        if document != other.document { return document < other.document }
        return position < other.position
    }

    /// The snippet as the index stores it: every token, this latent's activation at each.
    var example: Example {
        var dense = [Float](repeating: 0, count: window.tokens.count)
        for (p, v) in zip(positions, values) { dense[Int(p)] = v }
        return Example(tokenIDs: window.tokens, activations: dense, document: document, position: position)
    }

    /// The first position of the maximum.
    var maxPosition: Int {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return positions.isEmpty ? 0 : Int(positions[best])
    }

    static func hash(seed: UInt64, document: Int, position: Int, latent: Int) -> UInt64 {
        var h = mix(seed ^ UInt64(truncatingIfNeeded: document))
        h = mix(h ^ UInt64(truncatingIfNeeded: position))
        return mix(h ^ UInt64(truncatingIfNeeded: latent))
    }

    /// splitmix64's finaliser.
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A bounded min-heap of a latent's best candidates: the root is the one that ranks lowest, so a
/// newcomer is compared with it alone.
struct TopHeap {
    private(set) var items: [Candidate] = []

    init() {}
    init(sorted: [Candidate]) { items = sorted.reversed() }  // descending rank reversed is a valid min-heap order

    var count: Int { items.count }

    /// Whether a candidate with this key would enter a heap of `capacity`.
    @inline(__always)
    func admits(_ value: Float, _ document: Int, _ position: Int, capacity: Int) -> Bool {
        guard capacity > 0 else { return false }
        return items.count < capacity || Candidate.ranks(value, document, position, above: items[0])
    }

    mutating func insert(_ c: Candidate, capacity: Int) {
        if items.count < capacity {
            items.append(c)
            var i = items.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard items[parent].ranksAbove(items[i]) else { break }
                items.swapAt(parent, i)
                i = parent
            }
        } else {
            items[0] = c
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var lowest = i
                if l < items.count && items[lowest].ranksAbove(items[l]) { lowest = l }
                if r < items.count && items[lowest].ranksAbove(items[r]) { lowest = r }
                if lowest == i { break }
                items.swapAt(i, lowest)
                i = lowest
            }
        }
    }

    /// Best first.
    var sorted: [Candidate] { items.sorted { $0.ranksAbove($1) } }
}
