// Normalisations over the channels of each token. Legend: T tokens, C channels.
// Sums are accumulated in Double: hidden states of real models reach magnitudes where a
// Float sum of squares over 768 channels loses digits the golden tests would notice.

/// out (T, C) = (x − mean) / sqrt(var + eps) · weight + bias, per token; `out` may alias `x`.
/// var is the biased (N) variance, as torch.nn.LayerNorm uses.
public func layerNorm(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, t: Int, c: Int,
                      weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, eps: Float) {
    for row in 0..<t {
        let xr = x + row * c, o = out + row * c
        var sum: Double = 0
        for j in 0..<c { sum += Double(xr[j]) }
        let mean = sum / Double(c)
        var squares: Double = 0
        for j in 0..<c {
            let d = Double(xr[j]) - mean
            squares += d * d
        }
        let inv = Float(1 / (squares / Double(c) + Double(eps)).squareRoot())
        let m = Float(mean)
        for j in 0..<c {
            o[j] = (xr[j] - m) * inv * weight[j] + (bias?[j] ?? 0)
        }
    }
}

/// out (T, C) = x / sqrt(mean(x²) + eps) · weight, per token (Llama's RMSNorm); `out` may alias `x`.
public func rmsNorm(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, t: Int, c: Int,
                    weight: UnsafePointer<Float>, eps: Float) {
    for row in 0..<t {
        let xr = x + row * c, o = out + row * c
        var squares: Double = 0
        for j in 0..<c { squares += Double(xr[j]) * Double(xr[j]) }
        let inv = Float(1 / (squares / Double(c) + Double(eps)).squareRoot())
        for j in 0..<c { o[j] = xr[j] * inv * weight[j] }
    }
}
