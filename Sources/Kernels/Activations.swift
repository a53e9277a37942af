import Foundation

/// GELU with the tanh approximation (GPT-2's "gelu_new"), in place over n values:
/// 0.5·x·(1 + tanh(u)) with u = √(2/π)·(x + 0.044715·x³), computed as x / (1 + e^(−2u)), the same
/// value with one exp instead of a tanh (tanhf was a fifth of GPT-2's time).
public func geluTanh(_ x: UnsafeMutablePointer<Float>, count n: Int) {
    let k: Float = 0.797_884_56  // sqrt(2 / π)
    for i in 0..<n {
        let v = x[i]
        x[i] = v / (1 + expf(-2 * k * (v + 0.044715 * v * v * v)))
    }
}

/// SiLU (x · sigmoid(x)), in place over n values.
public func silu(_ x: UnsafeMutablePointer<Float>, count n: Int) {
    for i in 0..<n {
        let v = x[i]
        x[i] = v / (1 + expf(-v))
    }
}

/// Llama's feed-forward gate: gate[i] = silu(gate[i]) · up[i], over n values.
public func swiGLU(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count n: Int) {
    for i in 0..<n {
        let g = gate[i]
        gate[i] = g / (1 + expf(-g)) * up[i]
    }
}

/// Softmax in place over n values, stable (the maximum is subtracted first).
public func softmax(_ x: UnsafeMutablePointer<Float>, count n: Int) {
    guard n > 0 else { return }
    var maximum = x[0]
    for i in 1..<max(n, 1) where x[i] > maximum { maximum = x[i] }
    var sum: Float = 0
    for i in 0..<n {
        let e = expf(x[i] - maximum)
        x[i] = e
        sum += e
    }
    let inv = 1 / sum
    for i in 0..<n { x[i] *= inv }
}
