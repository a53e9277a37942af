import FeatureIndex
import Foundation
import SparseAutoencoder

// Everything a build has learned from the corpus so far, per latent, in memory bounded by
// latents × examples (never by corpus size). Every part merges exactly — counts and maxima,
// moments as exact fixed-point sums (ExactSum), histograms over fixed bins, top examples by a
// total order, interval samples by smallest hash — so `saescope merge` of shard parts gives
// the same index as one pass over the whole corpus. The state is saved as a checkpoint
// (`--resume`) and as a shard's part file.
// Legend: N latents, P = 4 powers (a, a², a³, a⁴), B histogram bins, S sample buckets.

/// Build options that change what a build computes; parts merge only when these agree.
public struct BuildParameters: Equatable, Sendable {
    /// Tokens per window, the BOS it starts with included.
    public var context = 64
    public var topExamples = 20
    /// Equal-width activation intervals per latent, and examples drawn from each.
    public var intervals = 10
    public var examplesPerInterval = 5
    /// Seeds the sample hash.
    public var seed: UInt64 = 0
    /// Stop after this many tokens (per shard); nil for the whole corpus.
    public var maxTokens: Int?
    public var shardIndex = 0
    public var shardCount = 1

    public init() {}
}

final class BuildState {
    let latents: Int
    var parameters: BuildParameters
    /// What the index will say it was built from (its `build` entry is completed at the end).
    var metadata: IndexMetadata
    var vocabulary: [VocabToken]

    // Progress through the corpus.
    /// Records (documents and bad lines) of the whole corpus before this one are done.
    var nextRecord = 0
    var documents = 0
    /// Non-special tokens seen: the denominator of density and the moments.
    var tokens = 0
    var windows = 0
    var badLines = 0
    var seconds = 0.0
    var complete = false

    // Per latent.
    var positives: [Int64]
    var maxima: [Float]
    /// Smallest positive activation (+∞ while none).
    var minima: [Float]
    /// (N, P, ExactSum.limbs)
    var sums: [UInt64]
    /// (N, B) counts of positive activations over `FineHistogram`'s fixed bins.
    var histogram: [UInt32]
    var top: [TopHeap]
    /// (N, S): per latent and octave of the window maximum, the samples with smallest hash.
    var samples: [[Candidate]]

    /// Logit tokens and neighbours, from the weights alone; computed by the build that finishes
    /// an index, or shard 0 of a sharded build.
    var decoder: DecoderFacts?

    static let powers = 4
    static let sumStride = powers * ExactSum.limbs

    init(latents: Int, parameters: BuildParameters, metadata: IndexMetadata, vocabulary: [VocabToken]) {
        self.latents = latents
        self.parameters = parameters
        self.metadata = metadata
        self.vocabulary = vocabulary
        positives = [Int64](repeating: 0, count: latents)
        maxima = [Float](repeating: 0, count: latents)
        minima = [Float](repeating: .infinity, count: latents)
        sums = [UInt64](repeating: 0, count: latents * BuildState.sumStride)
        histogram = [UInt32](repeating: 0, count: latents * FineHistogram.bins)
        top = [TopHeap](repeating: TopHeap(), count: latents)
        samples = [[Candidate]](repeating: [], count: latents * SampleBuckets.count)
    }

    /// Scratch for `add`: (latent, position, value) of one window.
    private var entries: [(latent: Int32, position: UInt16, value: Float)] = []

    /// Adds one window: `tokens` went through the model, the first `skip` of them are not part
    /// of the document (the BOS every window starts with), the rest start at `position` in `document`.
    /// `codes` holds the SAE latents of every row of `tokens`.
    func add(tokens: [Int], skip: Int, document: Int, position: Int, codes: SparseCodes, isSpecial: (Int) -> Bool) {
        entries.removeAll(keepingCapacity: true)
        windows += 1
        sums.withUnsafeMutableBufferPointer { sums in
            histogram.withUnsafeMutableBufferPointer { histogram in
                for r in skip..<tokens.count where !isSpecial(tokens[r]) {
                    self.tokens += 1
                    let (ids, values) = codes.row(r)
                    for (id, v) in zip(ids, values) where v > 0 {
                        let l = Int(id)
                        positives[l] += 1
                        if v > maxima[l] { maxima[l] = v }
                        if v < minima[l] { minima[l] = v }
                        let a = Double(v), a2 = a * a
                        let s = sums.baseAddress! + l * BuildState.sumStride
                        ExactSum.add(a, into: s)
                        ExactSum.add(a2, into: s + ExactSum.limbs)
                        ExactSum.add(a2 * a, into: s + 2 * ExactSum.limbs)
                        ExactSum.add(a2 * a2, into: s + 3 * ExactSum.limbs)
                        histogram[l * FineHistogram.bins + FineHistogram.bin(v)] += 1
                        entries.append((id, UInt16(r - skip), v))
                    }
                }
            }
        }
        guard !entries.isEmpty else { return }
        entries.sort { ($0.latent, $0.position) < ($1.latent, $1.position) }

        let p = parameters
        var window: Window?
        var start = 0
        while start < entries.count {
            let latent = entries[start].latent
            var end = start, best: Float = 0
            while end < entries.count && entries[end].latent == latent {
                best = max(best, entries[end].value)
                end += 1
            }
            let l = Int(latent)
            let intoTop = top[l].admits(best, document, position, capacity: p.topExamples)
            var hash: UInt64 = 0
            var slot = -1
            if p.intervals > 0 && p.examplesPerInterval > 0 {
                hash = Candidate.hash(seed: p.seed, document: document, position: position, latent: l)
                slot = l * SampleBuckets.count + SampleBuckets.bucket(best)
                let kept = samples[slot]
                if kept.count >= p.examplesPerInterval,
                   let last = kept.last, !Candidate.samples(hash, document, position, before: last) { slot = -1 }
            }
            if intoTop || slot >= 0 {
                if window == nil {
                    window = Window(document: document, position: position, tokens: tokens[skip...].map { UInt32($0) })
                }
                let candidate = Candidate(maxActivation: best, hash: hash, window: window!,
                                          positions: entries[start..<end].map(\.position),
                                          values: entries[start..<end].map(\.value))
                if intoTop { top[l].insert(candidate, capacity: p.topExamples) }
                if slot >= 0 { insertSample(candidate, slot: slot) }
            }
            start = end
        }
    }

    /// Keeps a bucket's samples sorted by sample order, at most `examplesPerInterval`.
    private func insertSample(_ c: Candidate, slot: Int) {
        var kept = samples[slot]
        samples[slot] = []
        let at = kept.firstIndex { c.samplesBefore($0) } ?? kept.count
        kept.insert(c, at: at)
        if kept.count > parameters.examplesPerInterval { kept.removeLast() }
        samples[slot] = kept
    }

    /// Mean, E[a²], skew and kurtosis of a latent over all tokens (zeros included).
    func moments(_ l: Int) -> (mean: Double, meanSquare: Double, skew: Double?, kurtosis: Double?) {
        guard tokens > 0 else { return (0, 0, nil, nil) }
        let n = Double(tokens)
        let e: [Double] = sums.withUnsafeBufferPointer { s in
            (0..<BuildState.powers).map { ExactSum.value(s.baseAddress! + l * BuildState.sumStride + $0 * ExactSum.limbs) / n }
        }
        let mean = e[0], e2 = e[1], e3 = e[2], e4 = e[3]
        let variance = e2 - mean * mean
        guard positives[l] > 0, variance > 1e-12 * max(e2, .leastNormalMagnitude) else { return (mean, e2, nil, nil) }
        let m3 = e3 - 3 * mean * e2 + 2 * mean * mean * mean
        let m4 = e4 - 4 * mean * e3 + 6 * mean * mean * e2 - 3 * mean * mean * mean * mean
        return (mean, e2, m3 / pow(variance, 1.5), m4 / (variance * variance))
    }

    // MARK: - Merging

    /// Adds `other` (another part of the same build) into this state.
    func merge(_ other: BuildState) {
        documents += other.documents
        tokens += other.tokens
        windows += other.windows
        badLines += other.badLines
        seconds = max(seconds, other.seconds)
        for l in 0..<latents {
            positives[l] += other.positives[l]
            maxima[l] = max(maxima[l], other.maxima[l])
            minima[l] = min(minima[l], other.minima[l])
        }
        sums.withUnsafeMutableBufferPointer { a in
            other.sums.withUnsafeBufferPointer { b in
                for i in stride(from: 0, to: a.count, by: ExactSum.limbs) {
                    ExactSum.add(sum: b.baseAddress! + i, into: a.baseAddress! + i)
                }
            }
        }
        for i in histogram.indices { histogram[i] &+= other.histogram[i] }
        // Windows of different parts come from different documents, so no window is in both.
        for l in 0..<latents {
            let all = (top[l].items + other.top[l].items).sorted { $0.ranksAbove($1) }
            top[l] = TopHeap(sorted: Array(all.prefix(parameters.topExamples)))
        }
        for s in samples.indices where !other.samples[s].isEmpty {
            samples[s] = Array((samples[s] + other.samples[s]).sorted { $0.samplesBefore($1) }.prefix(parameters.examplesPerInterval))
        }
        if decoder == nil { decoder = other.decoder }
    }
}

/// Fixed bins for positive activations: 16 per octave from 2⁻¹⁰ to 2¹⁴ (about 4% wide), by
/// the float's exponent and top mantissa bits; values outside fall in the end bins. Fixed
/// edges are what lets histograms of shards add up exactly.
enum FineHistogram {
    static let perOctave = 16
    static let lowestExponent = -10
    static let octaves = 24
    static let bins = perOctave * octaves

    @inline(__always)
    static func bin(_ v: Float) -> Int {
        let bits = v.bitPattern
        let exponent = Int((bits >> 23) & 0xFF) - 127
        if exponent < lowestExponent { return 0 }
        if exponent >= lowestExponent + octaves { return bins - 1 }
        return (exponent - lowestExponent) * perOctave + Int((bits >> 19) & 0xF)
    }

    /// The middle of bin `i`.
    static func center(_ i: Int) -> Double {
        let octave = i / perOctave, step = i % perOctave
        return pow(2, Double(lowestExponent + octave)) * (1 + (Double(step) + 0.5) / Double(perOctave))
    }
}

/// Interval samples are kept per octave of a window's maximum (2⁻¹² … 2¹²), so that every
/// part of a latent's range keeps examples however skewed its distribution.
enum SampleBuckets {
    static let lowestExponent = -12
    static let count = 25

    @inline(__always)
    static func bucket(_ v: Float) -> Int {
        min(count - 1, max(0, Int(v.exponent) - lowestExponent))
    }
}
