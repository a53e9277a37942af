// Matrix products through BLAS (OpenBLAS on Linux, Accelerate on macOS).
// Legend: M rows of the left operand (tokens), K the shared dimension, N output columns.
// All matrices are row-major and contiguous.
import CPointwise
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// c (M, N) = a (M, K) · wᵀ + (c if `accumulate`), with w (N, K): a linear layer whose weight is
/// stored (out, in), as PyTorch and GGUF store them. Output columns are split between threads
/// (`partsFor`); for one row (M = 1) sgemv is faster.
public func linear(_ a: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                   m: Int, n: Int, k: Int, accumulate: Bool = false) {
    let beta: Float = accumulate ? 1 : 0
    let (a, w, c) = (SharedPointer(a), SharedPointer(w), SharedPointer(c))
    splitColumns(n, work: m * n * k) { begin, end in  // rows [begin, end) of w
        if m == 1 {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(end - begin), Int32(k), 1, w.base + begin * k, Int32(k),
                        a.base, 1, beta, c.base + begin, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(end - begin), Int32(k),
                        1, a.base, Int32(k), w.base + begin * k, Int32(k), beta, c.base + begin, Int32(n))
        }
    }
}

/// c (M, N) = a (M, K) · b (K, N) + (c if `accumulate`): for weights stored (in, out), like
/// GPT-2's Conv1D. Output columns are split between threads as in `linear`.
public func matmul(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                   m: Int, n: Int, k: Int, accumulate: Bool = false) {
    let beta: Float = accumulate ? 1 : 0
    let (a, b, c) = (SharedPointer(a), SharedPointer(b), SharedPointer(c))
    splitColumns(n, work: m * n * k) { begin, end in  // columns [begin, end) of b
        if m == 1 {
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(end - begin), 1, b.base + begin, Int32(n),
                        a.base, 1, beta, c.base + begin, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(end - begin), Int32(k),
                        1, a.base, Int32(k), b.base + begin, Int32(n), beta, c.base + begin, Int32(n))
        }
    }
}

/// body(begin, end) for the output columns [0, n) split between threads (`partsFor`), at
/// multiples of 16 (whole cache lines of output), the last part ending at n.
private func splitColumns(_ n: Int, work: Int, _ body: @Sendable (_ begin: Int, _ end: Int) -> Void) {
    let blocks = (n + 15) / 16
    let parts = partsFor(work: work, limit: blocks)
    parallel(parts) { p in
        let begin = blocks * p / parts * 16, end = p == parts - 1 ? n : blocks * (p + 1) / parts * 16
        if end > begin { body(begin, end) }
    }
}

/// Adds `bias` (N) to every row of c (M, N).
public func addBias(_ c: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, m: Int, n: Int) {
    for row in 0..<m {
        let r = c + row * n
        for j in 0..<n { r[j] += bias[j] }
    }
}

/// y (N) += x (N): a residual connection.
public func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
    cp_add(x, y, n)
}

/// The naive product, kept beside the BLAS one to test it: c (M, N) = a (M, K) · wᵀ, w (N, K).
public func referenceLinear(_ a: [Float], _ w: [Float], m: Int, n: Int, k: Int) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var sum: Double = 0
            for p in 0..<k { sum += Double(a[i * k + p]) * Double(w[j * k + p]) }
            c[i * n + j] = Float(sum)
        }
    }
    return c
}
