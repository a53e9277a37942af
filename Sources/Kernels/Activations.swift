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

/// Llama's feed-forward gate: out[i] = silu(gate[i]) · up[i], over n values (`out` may be `gate`).
public func swiGLU(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                   count n: Int) {
    var i = 0
    while i + 8 <= n {
        let g = UnsafeRawPointer(gate + i).loadUnaligned(as: SIMD8<Float>.self)
        let u = UnsafeRawPointer(up + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + i).storeBytes(of: g / (1 + exp8(-g)) * u, as: SIMD8<Float>.self)
        i += 8
    }
    for j in i..<n {
        let g = gate[j]
        out[j] = g / (1 + exp1(-g)) * up[j]
    }
}

/// Softmax in place over n values, stable (the maximum is subtracted first).
public func softmax(_ x: UnsafeMutablePointer<Float>, count n: Int) {
    guard n > 0 else { return }
    var maximum = x[0]
    for i in 1..<max(n, 1) where x[i] > maximum { maximum = x[i] }
    var sum: Float = 0
    var i = 0
    var sums = SIMD8<Float>()
    while i + 8 <= n {
        let e = exp8(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - SIMD8(repeating: maximum))
        UnsafeMutableRawPointer(x + i).storeBytes(of: e, as: SIMD8<Float>.self)
        sums += e
        i += 8
    }
    sum = sums.sum()
    for j in i..<n {
        let e = exp1(x[j] - maximum)
        x[j] = e
        sum += e
    }
    let inv = 1 / sum
    for i in 0..<n { x[i] *= inv }
}
