import CPointwise

// Element-wise functions of the forward passes; the loops are C (Sources/CPointwise), compiled
// for AVX-512, AVX2 and the baseline and chosen by the CPU at load. e^x there is a polynomial
// within a few ulp of libm's (KernelsTests), eight or sixteen lanes at a time.

/// out[i] = e^x[i] over n values (`out` may be `x`); 0 below −87.3, e^88 above 88.
public func exp(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count n: Int) {
    cp_exp(x, out, n)
}

/// GELU with the tanh approximation (GPT-2's "gelu_new"), in place over n values:
/// 0.5·x·(1 + tanh(u)) with u = √(2/π)·(x + 0.044715·x³), computed as x / (1 + e^(−2u)), the same
/// value with one exp instead of a tanh.
public func geluTanh(_ x: UnsafeMutablePointer<Float>, count n: Int) {
    cp_gelu_tanh(x, n)
}

/// SiLU (x · sigmoid(x)), in place over n values.
public func silu(_ x: UnsafeMutablePointer<Float>, count n: Int) {
    cp_silu(x, n)
}

/// Llama's feed-forward gate: out[i] = silu(gate[i]) · up[i], over n values (`out` may be `gate`).
public func swiGLU(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                   count n: Int) {
    cp_swiglu(gate, up, out, n)
}

/// Softmax in place over n values, stable (the maximum is subtracted first).
public func softmax(_ x: UnsafeMutablePointer<Float>, count n: Int) {
    cp_softmax(x, n)
}

/// x · y over n values, in float32.
public func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count n: Int) -> Float {
    cp_dot(x, y, n)
}
