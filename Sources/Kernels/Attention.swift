// Causal self-attention with grouped-query heads.
// Legend: T tokens, H query heads, G key/value heads (H is a multiple of G), D head dimension.
import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// out (T, H, D) = softmax(q kᵀ · scale, causal) v, per head; query head h reads key/value head
/// h / (H / G). q (T, H, D), k (T, G, D), v (T, G, D). Heads are shared between threads
/// (`BLASRuntime.threads`), each with its own T × T scores.
public func causalAttention(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                            out: UnsafeMutablePointer<Float>, t: Int, heads: Int, kvHeads: Int, headDim d: Int,
                            scale: Float) {
    let group = heads / kvHeads
    let qStride = heads * d, kvStride = kvHeads * d
    let parts = partsFor(work: heads * t * t * d, limit: heads)
    let (q, k, v, out) = (SharedPointer(q), SharedPointer(k), SharedPointer(v), SharedPointer(out))
    parallel(parts) { p in
        let (q, k, v, out) = (q.base, k.base, v.base, out.base)
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: t * t)  // (T, T)
        defer { scores.deallocate() }
        for h in (heads * p / parts)..<(heads * (p + 1) / parts) {
            let kv = h / group
            // scores (T, T) = q_h (T, D) · k_kvᵀ, strided views into the packed tensors.
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(t), Int32(d),
                        scale, q + h * d, Int32(qStride), k + kv * d, Int32(kvStride), 0, scores, Int32(t))
            for i in 0..<t {
                let row = scores + i * t
                softmax(row, count: i + 1)
                (row + i + 1).update(repeating: 0, count: t - i - 1)
            }
            // out_h (T, D) = scores (T, T) · v_kv (T, D)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(d), Int32(t),
                        1, scores, Int32(t), v + kv * d, Int32(kvStride), 0, out + h * d, Int32(qStride))
        }
    }
}

/// The naive attention, kept beside the BLAS one to test it. Same shapes as `causalAttention`.
public func referenceCausalAttention(q: [Float], k: [Float], v: [Float], t: Int, heads: Int, kvHeads: Int, headDim d: Int,
                                     scale: Float) -> [Float] {
    var out = [Float](repeating: 0, count: t * heads * d)
    let group = heads / kvHeads
    for h in 0..<heads {
        let kv = h / group
        for i in 0..<t {
            var scores = [Double](repeating: 0, count: i + 1)
            for j in 0...i {
                var dot: Double = 0
                for x in 0..<d { dot += Double(q[(i * heads + h) * d + x]) * Double(k[(j * kvHeads + kv) * d + x]) }
                scores[j] = dot * Double(scale)
            }
            let maximum = scores.max() ?? 0
            let exps = scores.map { exp($0 - maximum) }
            let total = exps.reduce(0, +)
            for x in 0..<d {
                var sum: Double = 0
                for j in 0...i { sum += exps[j] / total * Double(v[(j * kvHeads + kv) * d + x]) }
                out[(i * heads + h) * d + x] = Float(sum)
            }
        }
    }
    return out
}
