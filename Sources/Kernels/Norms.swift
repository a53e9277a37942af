import CPointwise

// Normalisations over the channels of each token (C loops, Sources/CPointwise). Legend: T tokens,
// C channels. Sums are accumulated in Double: hidden states of real models reach magnitudes
// where a Float sum of squares over 768 channels loses digits the golden tests would notice.

/// out (T, C) = (x − mean) / sqrt(var + eps) · weight + bias, per token; `out` may alias `x`.
/// var is the biased (N) variance, as torch.nn.LayerNorm uses.
public func layerNorm(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, t: Int, c: Int,
                      weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, eps: Float) {
    cp_layer_norm(x, out, t, c, weight, bias, eps)
}

/// out (T, C) = x / sqrt(mean(x²) + eps) · weight, per token (Llama's RMSNorm); `out` may alias `x`.
public func rmsNorm(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, t: Int, c: Int,
                    weight: UnsafePointer<Float>, eps: Float) {
    cp_rms_norm(x, out, t, c, weight, eps)
}
