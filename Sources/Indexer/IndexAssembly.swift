import FeatureIndex
import Foundation

// Turning a finished build state into an index file: per-latent records (statistics, histogram,
// top examples, interval groups, logit tokens, neighbours), the token → latent table, automatic
// explanations and the metadata. Everything here is a function of the state alone, so equal
// states (one pass, or shards merged) write equal indexes.

extension BuildState {
    /// Equal-width bins of the stored histogram of positive activations.
    static let histogramBins = 32
    /// Latents listed per vocabulary token in `token_latents`.
    static let latentsPerToken = 32
    /// Tokens named in an automatic explanation.
    static let explanationTokens = 5

    /// Writes the index to `path` through `IndexWriter` (a `.partial` file renamed at the end).
    func writeIndex(to path: String, overwrite: Bool, extraBuildFacts: [String: JSONValue] = [:],
                    progress: ((Int) -> Void)? = nil) throws {
        let writer = try IndexWriter(path: path, overwrite: overwrite)
        try writer.writeVocabulary(vocabulary)
        var meta = metadata
        meta.corpus.documents = documents
        meta.corpus.tokens = tokens
        let p = parameters
        var build: [String: JSONValue] = [
            "generator": "saescope index", "context_length": .number(Double(p.context)),
            "top_examples": .number(Double(p.topExamples)), "intervals": .number(Double(p.intervals)),
            "examples_per_interval": .number(Double(p.examplesPerInterval)), "seed": .number(Double(p.seed)),
            "max_tokens": p.maxTokens.map { .number(Double($0)) } ?? .null, "shards": .number(Double(p.shardCount)),
            "windows": .number(Double(windows)), "bad_lines": .number(Double(badLines)),
            "corpus_seconds": .number(seconds),
            "tokens_per_second": .number(seconds > 0 ? Double(tokens) / seconds : 0),
        ]
        build.merge(extraBuildFacts) { _, new in new }
        meta.build.merge(build) { _, new in new }
        try writer.setMetadata(meta)

        let display = Vocabulary(vocabulary)
        // token id → (latent, count, sum, max) from each latent's top examples.
        var perToken: [UInt32: [TokenLatent]] = [:]
        for l in 0..<latents {
            let record = latentRecord(l)
            try writer.writeLatent(record)
            let peaks = peakTokens(record.topExamples)
            for (token, stat) in peaks {
                perToken[token, default: []].append(TokenLatent(latentID: l, count: stat.count, meanActivation: stat.sum / Double(stat.count),
                                                                 maxActivation: stat.max))
            }
            if let text = automaticExplanation(peaks, display) {
                try writer.setExplanation(latent: l, Explanation(text: text, source: "auto", automatic: true))
            }
            if l % 4096 == 4095 { progress?(l + 1) }
        }
        for token in perToken.keys.sorted() {
            let ranked = perToken[token]!.sorted {
                $0.meanActivation != $1.meanActivation ? $0.meanActivation > $1.meanActivation : $0.latentID < $1.latentID
            }
            try writer.setTokenLatents(tokenID: Int(token), Array(ranked.prefix(BuildState.latentsPerToken)))
        }
        try writer.finish(tokensIndexed: tokens)
        progress?(latents)
    }

    /// Everything the index stores about latent `l`.
    func latentRecord(_ l: Int) -> LatentRecord {
        let (mean, meanSquare, skew, kurtosis) = moments(l)
        let alive = positives[l] > 0
        let stats = LatentStats(density: tokens > 0 ? Double(positives[l]) / Double(tokens) : 0,
                                maxActivation: Double(maxima[l]), mean: mean, meanSquare: meanSquare, skew: skew, kurtosis: kurtosis)
        let fine = Array(histogram[l * FineHistogram.bins..<(l + 1) * FineHistogram.bins])
        var histogram = Histogram(min: 0, max: 0, counts: [])
        if alive {
            let lo = Double(minima[l]), hi = Double(maxima[l])
            var counts = [UInt32](repeating: 0, count: BuildState.histogramBins)
            for (i, c) in fine.enumerated() where c > 0 {
                // A fine bin goes where its centre falls (clamped to the latent's range).
                let x = min(hi, max(lo, FineHistogram.center(i)))
                let j = hi > lo ? Int((x - lo) / (hi - lo) * Double(counts.count)) : 0
                counts[min(counts.count - 1, max(0, j))] += c
            }
            histogram = Histogram(min: lo, max: hi, counts: counts)
        }
        var topLogits: [TokenValue] = [], bottomLogits: [TokenValue] = [], neighbors: [Neighbor] = []
        if let d = decoder {
            for i in 0..<d.perLatent {
                topLogits.append(TokenValue(tokenID: d.topTokens[l * d.perLatent + i], value: d.topValues[l * d.perLatent + i]))
                bottomLogits.append(TokenValue(tokenID: d.bottomTokens[l * d.perLatent + i], value: d.bottomValues[l * d.perLatent + i]))
            }
            for i in 0..<d.neighborsPerLatent where d.neighborIDs[l * d.neighborsPerLatent + i] < UInt32(latents) {
                neighbors.append(Neighbor(id: d.neighborIDs[l * d.neighborsPerLatent + i], cosine: d.neighborCosines[l * d.neighborsPerLatent + i]))
            }
        }
        return LatentRecord(id: l, stats: stats, histogram: histogram, topLogits: topLogits, bottomLogits: bottomLogits,
                            neighbors: neighbors, topExamples: top[l].sorted.map(\.example),
                            intervals: alive ? intervals(l, fine: fine) : [])
    }

    /// Equal-width intervals over (0, max] of the window maxima, highest first, each with the
    /// fraction of the latent's positive activations in its range (from the fine histogram)
    /// and the samples of smallest hash whose window maximum falls in it.
    func intervals(_ l: Int, fine: [UInt32]) -> [IntervalGroup] {
        let k = min(parameters.intervals, IndexWriter.groupsPerLatent - 1)
        guard k > 0 else { return [] }
        let hi = Double(maxima[l])
        func interval(_ x: Double) -> Int { min(k - 1, max(0, Int(x / hi * Double(k)))) }
        var contains = [Double](repeating: 0, count: k)
        for (i, c) in fine.enumerated() where c > 0 {
            contains[interval(min(hi, FineHistogram.center(i)))] += Double(c) / Double(positives[l])
        }
        var pool = [[Candidate]](repeating: [], count: k)
        for s in 0..<SampleBuckets.count {
            for c in samples[l * SampleBuckets.count + s] { pool[interval(Double(c.maxActivation))].append(c) }
        }
        return (0..<k).reversed().map { j in
            let chosen = pool[j].sorted { $0.samplesBefore($1) }.prefix(parameters.examplesPerInterval)
            return IntervalGroup(min: hi * Double(j) / Double(k), max: hi * Double(j + 1) / Double(k), contains: contains[j],
                                 examples: chosen.map(\.example))
        }
    }

    /// The tokens at which a latent peaks in its top examples: count, sum and max of the peak.
    func peakTokens(_ examples: [Example]) -> [(UInt32, (count: Int, sum: Double, max: Double))] {
        var stats: [UInt32: (count: Int, sum: Double, max: Double)] = [:]
        for e in examples where !e.tokenIDs.isEmpty {
            let i = e.maxIndex, a = Double(e.activations[i])
            guard a > 0 else { continue }
            let old = stats[e.tokenIDs[i]] ?? (0, 0, 0)
            stats[e.tokenIDs[i]] = (old.count + 1, old.sum + a, max(old.max, a))
        }
        return stats.sorted { a, b in
            a.value.count != b.value.count ? a.value.count > b.value.count
                : a.value.sum != b.value.sum ? a.value.sum > b.value.sum : a.key < b.key
        }
    }

    /// "fires on: ' Paris', ' France'": the most frequent peak tokens of the top examples.
    func automaticExplanation(_ peaks: [(UInt32, (count: Int, sum: Double, max: Double))], _ vocabulary: Vocabulary) -> String? {
        guard !peaks.isEmpty else { return nil }
        let names = peaks.prefix(BuildState.explanationTokens).map { token, _ in
            "'" + vocabulary.text(token).replacingOccurrences(of: "\n", with: "\\n") + "'"
        }
        return "fires on: " + names.joined(separator: ", ")
    }
}
