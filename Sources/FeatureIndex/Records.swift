/// The values an index holds, as `IndexWriter` takes them and `IndexReader` returns them.

/// Per-latent statistics over every non-special token of the corpus.
public struct LatentStats: Sendable, Equatable {
    /// Fraction of tokens where the latent is > 0.
    public var density: Double
    public var maxActivation: Double
    public var mean: Double
    /// E[a²].
    public var meanSquare: Double
    /// nil when undefined (a dead latent, or zero variance).
    public var skew: Double?
    public var kurtosis: Double?

    public init(density: Double, maxActivation: Double, mean: Double, meanSquare: Double, skew: Double?, kurtosis: Double?) {
        self.density = density
        self.maxActivation = maxActivation
        self.mean = mean
        self.meanSquare = meanSquare
        self.skew = skew
        self.kurtosis = kurtosis
    }
}

/// Equal-width bins over [min, max].
public struct Histogram: Sendable, Equatable {
    public var min: Double
    public var max: Double
    public var counts: [UInt32]
    public init(min: Double, max: Double, counts: [UInt32]) {
        self.min = min
        self.max = max
        self.counts = counts
    }
}

/// A vocabulary token with a value (a logit weight).
public struct TokenValue: Sendable, Equatable {
    public var tokenID: UInt32
    public var value: Float
    public init(tokenID: UInt32, value: Float) {
        self.tokenID = tokenID
        self.value = value
    }
}

/// Another latent and the cosine similarity of its decoder direction.
public struct Neighbor: Sendable, Equatable {
    public var id: UInt32
    public var cosine: Float
    public init(id: UInt32, cosine: Float) {
        self.id = id
        self.cosine = cosine
    }
}

extension RandomAccessCollection where Element == Float, Index == Int {
    /// The first position of the largest activation and its value ((0, 0) when there are none):
    /// an example's `max_index` and `max_activation`, whether decoded or read in place.
    @inlinable public var peak: (index: Int, activation: Float) {
        guard !isEmpty else { return (0, 0) }
        var best = startIndex
        for i in indices.dropFirst() where self[i] > self[best] { best = i }
        return (best, self[best])
    }
}

/// One snippet where a latent fires.
public struct Example: Sendable, Equatable {
    public var tokenIDs: [UInt32]
    /// This latent's activation at every token.
    public var activations: [Float]
    public var document: Int
    /// Token position of the snippet's first token in its document.
    public var position: Int

    public var maxIndex: Int { activations.peak.index }
    public var maxActivation: Float { activations.peak.activation }

    public init(tokenIDs: [UInt32], activations: [Float], document: Int, position: Int) {
        self.tokenIDs = tokenIDs
        self.activations = activations
        self.document = document
        self.position = position
    }
}

/// Examples drawn from one activation range.
public struct IntervalGroup: Sendable, Equatable {
    public var min: Double
    public var max: Double
    /// Fraction (0…1) of the latent's positive activations in [min, max].
    public var contains: Double
    public var examples: [Example]
    public init(min: Double, max: Double, contains: Double, examples: [Example]) {
        self.min = min
        self.max = max
        self.contains = contains
        self.examples = examples
    }
}

/// An explanation of what a latent does.
public struct Explanation: Sendable, Equatable {
    public var text: String
    public var source: String
    /// True for generated summaries ("fires on: …"), false for written or imported ones.
    public var automatic: Bool
    public init(text: String, source: String, automatic: Bool) {
        self.text = text
        self.source = source
        self.automatic = automatic
    }
}

/// Everything the index stores about one latent (explanations are written separately).
public struct LatentRecord: Sendable, Equatable {
    public var id: Int
    public var stats: LatentStats
    public var histogram: Histogram
    public var topLogits: [TokenValue]
    public var bottomLogits: [TokenValue]
    public var neighbors: [Neighbor]
    public var topExamples: [Example]
    /// Highest range first.
    public var intervals: [IntervalGroup]

    public init(id: Int, stats: LatentStats, histogram: Histogram, topLogits: [TokenValue], bottomLogits: [TokenValue],
                neighbors: [Neighbor], topExamples: [Example], intervals: [IntervalGroup]) {
        self.id = id
        self.stats = stats
        self.histogram = histogram
        self.topLogits = topLogits
        self.bottomLogits = bottomLogits
        self.neighbors = neighbors
        self.topExamples = topExamples
        self.intervals = intervals
    }
}

/// A latent as `IndexReader.feature(id:)` returns it.
public struct Feature: Sendable, Equatable {
    public var record: LatentRecord
    /// Preferred first: written before automatic, then by source.
    public var explanations: [Explanation]
    /// The preferred explanation of each neighbour that has one.
    public var neighborExplanations: [Int: Explanation]
}

/// A row of the latent list.
public struct FeatureSummary: Sendable, Equatable {
    public var id: Int
    public var density: Double
    public var maxActivation: Double
    public var mean: Double
    public var explanation: Explanation?
}

/// A latent that fires on a given token, for `/api/search/tokens`.
public struct TokenLatent: Sendable, Equatable {
    public var latentID: Int
    public var count: Int
    public var meanActivation: Double
    public var maxActivation: Double
    public init(latentID: Int, count: Int, meanActivation: Double, maxActivation: Double) {
        self.latentID = latentID
        self.count = count
        self.meanActivation = meanActivation
        self.maxActivation = maxActivation
    }
}

/// A vocabulary entry: raw bytes (possibly part of a UTF-8 character) and whether it is a
/// special token (BOS, EOS, padding …).
public struct VocabToken: Sendable, Equatable {
    public var bytes: [UInt8]
    public var special: Bool
    public init(bytes: [UInt8], special: Bool = false) {
        self.bytes = bytes
        self.special = special
    }
    public init(_ text: String, special: Bool = false) { self.init(bytes: Array(text.utf8), special: special) }
}
