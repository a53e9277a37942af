// Starting an SAE from data. Legend: T sample tokens, D input width, N latents.
import Foundation

/// A small seeded generator (SplitMix64), so a run is reproducible from its seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal sample (Box–Muller).
    public mutating func normal() -> Float {
        let u1 = Double(next() >> 11 | 1) / Double(1 << 53), u2 = Double(next() >> 11) / Double(1 << 53)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}

extension SAEParameters {
    /// Decoder rows in random directions (unit norm), the encoder as the decoder's transpose
    /// (in the (N, D) layout: the same rows), encoder bias 0, decoder bias `decoderBias`.
    public static func initial(inputWidth d: Int, latentCount n: Int, decoderBias: [Float], seed: UInt64) -> SAEParameters {
        var generator = SeededGenerator(seed: seed)
        var decoder = (0..<(n * d)).map { _ in generator.normal() }
        TopKTrainer.normalizeRows(&decoder, width: d)
        return SAEParameters(encoder: decoder, encoderBias: [Float](repeating: 0, count: n), decoder: decoder, decoderBias: decoderBias)
    }
}

public enum DataStatistics {
    /// The factor s that makes the sample's mean squared norm D (one per coordinate on
    /// average, the size layer-normed inputs have): s = √(D / mean ‖x‖²). x: (T, D).
    public static func unitCoordinateScale(_ x: [Float], width d: Int) -> Float {
        let rows = x.count / d
        guard rows > 0 else { return 1 }
        var squares: Double = 0
        for v in x { squares += Double(v) * Double(v) }
        let meanSquaredNorm = squares / Double(rows)
        return meanSquaredNorm > 0 ? Float((Double(d) / meanSquaredNorm).squareRoot()) : 1
    }

    /// The geometric median of the rows of x (T, D) by Weiszfeld's iteration, started at the
    /// mean: the point with the least total distance to the rows, robust to outlier tokens.
    public static func geometricMedian(_ x: [Float], width d: Int, iterations: Int = 100, tolerance: Double = 1e-6) -> [Float] {
        let rows = x.count / d
        guard rows > 0 else { return [Float](repeating: 0, count: d) }
        var median = [Double](repeating: 0, count: d)
        for t in 0..<rows { for j in 0..<d { median[j] += Double(x[t * d + j]) } }
        for j in 0..<d { median[j] /= Double(rows) }
        for _ in 0..<iterations {
            var next = [Double](repeating: 0, count: d), weights: Double = 0
            for t in 0..<rows {
                var distance: Double = 0
                for j in 0..<d { let c = Double(x[t * d + j]) - median[j]; distance += c * c }
                let w = 1 / max(distance.squareRoot(), 1e-12)
                weights += w
                for j in 0..<d { next[j] += w * Double(x[t * d + j]) }
            }
            var moved: Double = 0, size: Double = 0
            for j in 0..<d {
                next[j] /= weights
                moved += (next[j] - median[j]) * (next[j] - median[j])
                size += next[j] * next[j]
            }
            median = next
            if moved.squareRoot() <= tolerance * max(size.squareRoot(), 1) { break }
        }
        return median.map { Float($0) }
    }
}
