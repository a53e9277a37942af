import Foundation

/// Writes a deterministic synthetic index of any size through `IndexWriter`, for tests and
/// benchmarks. The shapes are realistic (log-uniform densities, dead latents, peaked snippets)
/// and the text is deliberately awkward: unicode, newlines, HTML-special strings, and
/// characters split across tokens.
public struct SyntheticIndex {
    public var latents: Int
    public var topExamples = 10
    public var intervals = 4
    public var examplesPerInterval = 3
    public var context = 32
    public var seed: UInt64 = 42

    public init(latents: Int) { self.latents = latents }

    /// Tokens every synthetic vocabulary starts with (ids 0 …), so tests can name them.
    public static let fixedTokens: [VocabToken] = [
        VocabToken("<|endoftext|>", special: true),
        VocabToken("\n"), VocabToken("\n\n"), VocabToken(" "), VocabToken("  "), VocabToken("\t"),
        VocabToken("<img src=x onerror=alert(1)>"), VocabToken("</script>"), VocabToken("&amp;"), VocabToken("\"quoted\""),
        VocabToken(bytes: [0xF0, 0x9F]), VocabToken(bytes: [0x98, 0x80]),  // 😀 split in two
        VocabToken(bytes: [0xE6, 0x97]), VocabToken(bytes: [0xA5]),        // 日 split in two
        VocabToken(" café"), VocabToken("naïve"), VocabToken(" 東京"), VocabToken(" Москва"), VocabToken(" ñ"),
        VocabToken(" Paris"), VocabToken(" France"), VocabToken(" French"), VocabToken("Paris"),
    ]

    /// Fixed tokens that are whole characters (not the split halves 10…13, nor the special token 0).
    static let wholeFixed: [UInt32] = (1..<UInt32(fixedTokens.count)).filter { !(10...13).contains($0) }

    static let syllables = ["ka", "lo", "mi", "ne", "ra", "tu", "shi", "va", "en", "or", "th", "qu", "ing", "ed", "ion", "al"]
    static let words = ["the", "of", "and", "code", "number", "city", "river", "function", "return", "music", "legal",
                        "question", "dialogue", "quote", "date", "price", "plural", "negation", "emotion", "science"]

    /// Writes the index to `path`; `progress` is called with the number of latents written.
    public func write(to path: String, overwrite: Bool = true, progress: ((Int) -> Void)? = nil) throws {
        var rng = SplitMix64(seed: seed)
        let writer = try IndexWriter(path: path, overwrite: overwrite)
        var vocab = SyntheticIndex.fixedTokens
        while vocab.count < 8192 {
            let n = 1 + Int(rng.next() % 3)
            var word = (0..<n).map { _ in SyntheticIndex.syllables[Int(rng.next() % UInt64(SyntheticIndex.syllables.count))] }.joined()
            if rng.next() % 3 != 0 { word = " " + word }
            if rng.next() % 7 == 0 { word = word.capitalized }
            vocab.append(VocabToken(word))
        }
        try writer.writeVocabulary(vocab)
        let vocabulary = Vocabulary(vocab)
        let nVocab = UInt32(vocab.count)
        let tokensIndexed = 1_000_000
        try writer.setMetadata(IndexMetadata(
            sae: .init(name: "synthetic", architecture: "topk", nLatents: latents, dModel: 576, k: 32,
                       hook: "blocks.15.hook_resid_post", layer: 15, file: nil, sha256: nil),
            model: .init(name: "synthetic-model", architecture: "llama"),
            corpus: .init(name: "synthetic", documents: 5000, tokens: tokensIndexed),
            build: ["generator": "saescope synth-index", "seed": .number(Double(seed)), "context_length": .number(Double(context)),
                    "top_examples": .number(Double(topExamples)), "intervals": .number(Double(intervals))]))

        func snippet(peak: Float, _ rng: inout SplitMix64) -> Example {
            var ids = [UInt32](repeating: 0, count: context)
            for i in 0..<context {
                let r = rng.next() % 100
                ids[i] = r < 20 ? SyntheticIndex.wholeFixed[Int(rng.next() % UInt64(SyntheticIndex.wholeFixed.count))]
                                : UInt32(SyntheticIndex.fixedTokens.count) + UInt32(rng.next() % UInt64(nVocab - UInt32(SyntheticIndex.fixedTokens.count)))
            }
            // Characters split over two tokens appear only as complete pairs.
            if context > 3, rng.next() % 3 == 0 {
                let i = Int(rng.next() % UInt64(context - 1)), pair: UInt32 = rng.next() % 2 == 0 ? 10 : 12
                (ids[i], ids[i + 1]) = (pair, pair + 1)
            }
            let peakIndex = Int(rng.next() % UInt64(context))
            var acts = [Float](repeating: 0, count: context)
            for i in 0..<context {
                let d = abs(i - peakIndex)
                if d == 0 { acts[i] = peak } else if d < 4, rng.next() % 2 == 0 { acts[i] = peak * Float(rng.unit()) / Float(d + 1) }
            }
            return Example(tokenIDs: ids, activations: acts, document: Int(rng.next() % 5000), position: Int(rng.next() % 2000))
        }

        for id in 0..<latents {
            let dead = rng.next() % 100 == 0
            let density = dead ? 0 : pow(10, -6 + 5 * rng.unit())
            let maxAct = dead ? 0 : 1 + 15 * rng.unit()
            let mean = maxAct * 0.3
            var counts = [UInt32](repeating: 0, count: dead ? 0 : 32)
            for b in counts.indices { counts[b] = UInt32(Double(1000) * exp(-Double(b) / 6) * (0.5 + rng.unit())) }
            let top = dead ? [] : (0..<topExamples).map { i in snippet(peak: Float(maxAct * (1 - 0.04 * Double(i))), &rng) }
            let groups: [IntervalGroup] = dead ? [] : (0..<intervals).map { g in
                let hi = maxAct * Double(intervals - g) / Double(intervals), lo = maxAct * Double(intervals - g - 1) / Double(intervals)
                return IntervalGroup(min: lo, max: hi, contains: Double(g + 1) / Double(intervals * (intervals + 1) / 2),
                                     examples: (0..<examplesPerInterval).map { _ in snippet(peak: Float(lo + (hi - lo) * rng.unit()), &rng) })
            }
            func logits(_ sign: Float) -> [TokenValue] {
                (0..<10).map { i in TokenValue(tokenID: UInt32(rng.next() % UInt64(nVocab)), value: sign * Float(2.0 - 0.1 * Double(i))) }
            }
            let neighbors = (0..<10).map { i in Neighbor(id: UInt32((id + 1 + Int(rng.next() % 1000)) % latents), cosine: 0.8 - 0.05 * Float(i)) }
            try writer.writeLatent(LatentRecord(
                id: id,
                stats: LatentStats(density: density, maxActivation: maxAct, mean: mean, meanSquare: mean * mean * 2,
                                   skew: dead ? nil : 2 * rng.unit(), kurtosis: dead ? nil : 3 + 5 * rng.unit()),
                histogram: Histogram(min: 0, max: maxAct, counts: counts),
                topLogits: logits(1), bottomLogits: logits(-1), neighbors: neighbors, topExamples: top, intervals: groups))
            if !dead, id % 3 == 0 {
                let fires = top.prefix(3).map { e in "'\(vocabulary.display(e.tokenIDs)[e.maxIndex])'" }
                try writer.setExplanation(latent: id, Explanation(text: "fires on: " + fires.joined(separator: ", "), source: "auto", automatic: true))
            }
            if !dead, id % 20 == 0 {
                let a = SyntheticIndex.words[Int(rng.next() % UInt64(SyntheticIndex.words.count))]
                let b = SyntheticIndex.words[Int(rng.next() % UInt64(SyntheticIndex.words.count))]
                try writer.setExplanation(latent: id, Explanation(text: "\(a) \(b) in context", source: "manual", automatic: false))
            }
            if id % 1000 == 999 { progress?(id + 1) }
        }
        let perToken = min(10, latents)
        for token in 0..<Int(min(nVocab, 2048)) where latents > 0 {
            try writer.setTokenLatents(tokenID: token, (0..<perToken).map { r in
                TokenLatent(latentID: (token * 7919 + r * 104_729) % latents, count: 100 - r, meanActivation: 5 - 0.3 * Double(r), maxActivation: 9 - 0.5 * Double(r))
            })
        }
        try writer.finish(tokensIndexed: tokensIndexed)
        progress?(latents)
    }
}

/// A small, fast, deterministic PRNG (splitmix64), for synthetic data and benchmarks.
public struct SplitMix64 {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// Standard normal (Box–Muller).
    public mutating func normal() -> Float {
        let u = (Double(next() >> 11) + 1) / Double(1 << 53), v = unit()
        return Float((-2 * log(u)).squareRoot() * cos(2 * .pi * v))
    }
}
