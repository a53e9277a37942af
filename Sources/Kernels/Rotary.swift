import CPointwise
import Foundation

// Rotary position embedding. Legend: T tokens, H heads, D head dimension (even).

/// Which channels rotate together.
public enum RotaryLayout: Sendable {
    /// Adjacent pairs (x[2i], x[2i+1]): GPT-J, and Llama weights as llama.cpp's converter
    /// permutes them into GGUF.
    case interleaved
    /// First half with second half (x[i], x[i + D/2]): GPT-NeoX, Hugging Face's `rotate_half`.
    case halves
}

/// Precomputed rotation angles for positions 0..<maxPositions.
public struct RotaryEmbedding: Sendable {
    public let headDim: Int
    public let layout: RotaryLayout
    /// cos and sin of position · base^(−2i/D), (maxPositions, D/2).
    private let cos: [Float]
    private let sin: [Float]
    public let maxPositions: Int

    public init(headDim: Int, base: Double, maxPositions: Int, layout: RotaryLayout) {
        self.headDim = headDim
        self.layout = layout
        self.maxPositions = maxPositions
        let half = headDim / 2
        var c = [Float](repeating: 0, count: maxPositions * half), s = c
        for p in 0..<maxPositions {
            for i in 0..<half {
                // Angles in Double, rounded once: positions in the thousands times small
                // frequencies lose digits in Float, and the reference computes them in Double too.
                let angle = Double(p) * pow(base, -2 * Double(i) / Double(headDim))
                c[p * half + i] = Float(Foundation.cos(angle))
                s[p * half + i] = Float(Foundation.sin(angle))
            }
        }
        cos = c
        sin = s
    }

    /// Rotates x (T, H, D) in place; token t sits at position `start + t` (< maxPositions).
    public func apply(_ x: UnsafeMutablePointer<Float>, t: Int, heads: Int, start: Int = 0) {
        let half = headDim / 2
        cos.withUnsafeBufferPointer { cosTable in
            sin.withUnsafeBufferPointer { sinTable in
                cp_rotary(x, t, heads, headDim, cosTable.baseAddress! + start * half, sinTable.baseAddress! + start * half,
                          layout == .interleaved ? 1 : 0)
            }
        }
    }
}
