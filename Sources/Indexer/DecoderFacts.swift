import Foundation
import Kernels

// What an SAE's decoder says about each latent without any corpus: the vocabulary tokens its
// direction promotes and suppresses (decoder row · unembedding, no final norm), and the latents
// whose decoder directions are nearest by cosine. Both are blocked matrix products through BLAS:
// a block of latents at a time against the whole unembedding or decoder, so memory stays at
// one block of scores (≤ 32M floats) however many latents there are.
// Legend: N latents, D model width, V vocabulary, B latents per block.

struct DecoderFacts: Equatable {
    /// Logit tokens kept on each side.
    let perLatent: Int
    /// (N, perLatent) each: strongest first; ties by lower token id.
    var topTokens: [UInt32]
    var topValues: [Float]
    var bottomTokens: [UInt32]
    var bottomValues: [Float]
    let neighborsPerLatent: Int
    /// (N, neighborsPerLatent): nearest first, ties by lower id; padded with id N (none) when
    /// there are fewer other latents.
    var neighborIDs: [UInt32]
    var neighborCosines: [Float]

    /// decoder: (N, D), unembedding: (V, D).
    static func compute(decoder: [Float], latents n: Int, width d: Int, unembedding: UnsafeBufferPointer<Float>, vocabulary v: Int,
                        perLatent: Int = 10, neighbors: Int = 10, threads: Int) -> DecoderFacts {
        precondition(decoder.count == n * d && unembedding.count == v * d)
        let kLogits = min(perLatent, v), kNeighbors = min(neighbors, max(0, n - 1))
        var facts = DecoderFacts(
            perLatent: kLogits,
            topTokens: [UInt32](repeating: 0, count: n * kLogits), topValues: [Float](repeating: 0, count: n * kLogits),
            bottomTokens: [UInt32](repeating: 0, count: n * kLogits), bottomValues: [Float](repeating: 0, count: n * kLogits),
            neighborsPerLatent: kNeighbors,
            neighborIDs: [UInt32](repeating: UInt32(n), count: n * kNeighbors), neighborCosines: [Float](repeating: 0, count: n * kNeighbors))

        // Unit decoder directions, for cosines (a zero row stays zero).
        var unit = decoder
        for r in 0..<n {
            var squares: Double = 0
            for j in 0..<d { squares += Double(decoder[r * d + j]) * Double(decoder[r * d + j]) }
            let inverse = squares > 0 ? Float(1 / squares.squareRoot()) : 0
            for j in 0..<d { unit[r * d + j] *= inverse }
        }
        let block = max(1, min(n, (32 << 20) / max(v, n, 1)))
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: block * max(v, n))
        defer { scores.deallocate() }
        let workers = max(1, threads)
        for first in stride(from: 0, to: n, by: block) {
            let rows = min(block, n - first)
            decoder.withUnsafeBufferPointer { dec in
                linear(dec.baseAddress! + first * d, unembedding.baseAddress!, scores, m: rows, n: v, k: d)  // (B, V)
            }
            let picked = perRow(rows, workers: workers) { r in
                (selectTop(scores + r * v, count: v, k: kLogits, exclude: -1, negate: false),
                 selectTop(scores + r * v, count: v, k: kLogits, exclude: -1, negate: true))
            }
            for (r, (top, bottom)) in picked.enumerated() {
                for (i, (id, value)) in top.enumerated() {
                    facts.topTokens[(first + r) * kLogits + i] = id
                    facts.topValues[(first + r) * kLogits + i] = value
                }
                for (i, (id, value)) in bottom.enumerated() {
                    facts.bottomTokens[(first + r) * kLogits + i] = id
                    facts.bottomValues[(first + r) * kLogits + i] = -value
                }
            }
            guard kNeighbors > 0 else { continue }
            unit.withUnsafeBufferPointer { u in
                linear(u.baseAddress! + first * d, u.baseAddress!, scores, m: rows, n: n, k: d)  // (B, N) cosines
            }
            let near = perRow(rows, workers: workers) { r in
                selectTop(scores + r * n, count: n, k: kNeighbors, exclude: first + r, negate: false)
            }
            for (r, list) in near.enumerated() {
                for (i, (id, value)) in list.enumerated() {
                    facts.neighborIDs[(first + r) * kNeighbors + i] = id
                    facts.neighborCosines[(first + r) * kNeighbors + i] = value
                }
            }
        }
        return facts
    }

    /// `body` for rows 0..<rows, spread over `workers` threads, results in row order.
    private static func perRow<T>(_ rows: Int, workers: Int, _ body: @escaping (Int) -> T) -> [T] {
        let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: rows)
        results.initialize(repeating: nil)
        defer { results.deinitialize(); results.deallocate() }
        let stripes = min(workers, rows)
        let out = SharedPointer(results.baseAddress!)
        nonisolated(unsafe) let work = body
        parallel(stripes) { stripe in
            for r in stride(from: stripe, to: rows, by: stripes) { out.base[r] = work(r) }
        }
        return results.map { $0! }
    }

    /// The k largest of row[0..<count] (of −row when `negate`), largest first, ties by lower
    /// index, skipping index `exclude`.
    static func selectTop(_ row: UnsafePointer<Float>, count: Int, k: Int, exclude: Int, negate: Bool) -> [(UInt32, Float)] {
        guard k > 0 else { return [] }
        var best: [(UInt32, Float)] = []
        best.reserveCapacity(k + 1)
        var threshold = -Float.infinity
        for i in 0..<count where i != exclude {
            let value = negate ? -row[i] : row[i]
            guard best.count < k || value > threshold else { continue }
            // Later indices lose ties, so an equal value goes after those already kept.
            var at = best.count
            while at > 0 && best[at - 1].1 < value { at -= 1 }
            best.insert((UInt32(i), value), at: at)
            if best.count > k { best.removeLast() }
            if best.count == k { threshold = best[k - 1].1 }
        }
        return best
    }
}
