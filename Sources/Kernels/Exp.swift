// e^x for the activation functions and softmax, eight lanes at a time: libm's expf was a call
// per value and about a sixth of a bfloat16 forward pass.
//
// e^x = 2^n · e^r with n = round(x / ln 2) (by the 1.5 · 2^23 trick: no float-to-int conversion) and r = x − n·ln 2 (ln 2 split in two parts so r is
// exact), |r| ≤ ln 2 / 2; e^r from its degree-7 Taylor polynomial (within a few ulp over the
// range: KernelsTests compares it with Foundation's exp); 2^n is built in the exponent bits.
// Inputs below −87.3 give 0 (softmax of very unlikely tokens); inputs are capped at 88, whose
// e^x (1.6e38) is near float32's largest finite value.

/// e^x in each lane.
@inlinable
public func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let low = SIMD8<Float>(repeating: -87.33654), high = SIMD8<Float>(repeating: 88)
    // Masks rather than `clamped`, whose generic min and max were calls, not instructions.
    var v = x
    v.replace(with: low, where: v .< low)
    v.replace(with: high, where: v .> high)
    // Adding 1.5 · 2^23 rounds to an integer (to nearest even) held in the low mantissa bits.
    let magic = SIMD8<Float>(repeating: 12_582_912)
    let shifted = v * .init(repeating: 1.442_695_04) + magic
    let n = shifted - magic
    var r = v - n * .init(repeating: 0.693_359_375)      // ln 2, high part (n · it is exact)
    r = r - n * .init(repeating: -2.121_944_4e-4)         // ln 2, low part
    var p = SIMD8<Float>(repeating: 1.0 / 5040)
    p = p * r + .init(repeating: 1.0 / 720)
    p = p * r + .init(repeating: 1.0 / 120)
    p = p * r + .init(repeating: 1.0 / 24)
    p = p * r + .init(repeating: 1.0 / 6)
    p = p * r + .init(repeating: 0.5)
    p = p * r + .init(repeating: 1)
    p = p * r + .init(repeating: 1)
    // 2^n: n + 127 in the exponent field; −126 ≤ n ≤ 127 after the clamp.
    let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
    let scale = unsafeBitCast((integer &+ 127) &<< 23, to: SIMD8<Float>.self)
    var result = p * scale
    result.replace(with: 0, where: x .< low)
    return result
}

/// e^x, the same function as one lane of `exp8`.
@inlinable
public func exp1(_ x: Float) -> Float { exp8(SIMD8(repeating: x))[0] }
