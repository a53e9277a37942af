// Dequantisation of every dtype to Float, bit-for-bit as the `gguf` Python package
// (gguf.quants.dequantize) and ggml compute it: the same products in the same order, so the
// results match exactly. Each function reads `blocks` blocks from `src` and writes
// `blocks × blockSize` floats to `dst`; the caller has checked both sizes.

/// Converts IEEE half-precision bits to Float (exact: every half is a float).
@inline(__always)
func floatFromHalf(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1F
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0 {
        // zero or subnormal: mantissa × 2^-24, exact in Float.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    }
    if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}

/// Converts bfloat16 bits to Float (the upper half of a float's bits).
@inline(__always)
func floatFromBFloat16(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }

/// Converts Float to half-precision bits, rounding to nearest even (used by tests and writers).
func halfFromFloat(_ f: Float) -> UInt16 {
    let bits = f.bitPattern
    let sign = UInt16((bits >> 16) & 0x8000)
    let magnitude = bits & 0x7FFF_FFFF
    if magnitude >= 0x7F80_0000 { return sign | (magnitude > 0x7F80_0000 ? 0x7E00 : 0x7C00) }
    if magnitude >= 0x4780_0000 { return sign | 0x7C00 }  // ≥ 65536 rounds to infinity
    if magnitude < 0x3880_0000 {
        // subnormal half (or zero): value × 2^24 rounded to an integer.
        return sign | UInt16((Float(bitPattern: magnitude) * 0x1p24).rounded(.toNearestOrEven))
    }
    let rounded = magnitude &+ 0x0FFF &+ ((magnitude >> 13) & 1)
    return sign | UInt16((rounded &- (112 << 23)) >> 13)
}

enum Dequantize {
    @inline(__always)
    private static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        floatFromHalf(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    /// Plain little-endian elements (`count` of them) to Float.
    static func plain(_ dtype: DType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        switch dtype {
        case .f32:
            for i in 0..<count { dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case .f16:
            for i in 0..<count { dst[i] = floatFromHalf(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .bf16:
            for i in 0..<count { dst[i] = floatFromBFloat16(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .f64:
            for i in 0..<count { dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
        case .i64:
            for i in 0..<count { dst[i] = Float(Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
        case .i32:
            for i in 0..<count { dst[i] = Float(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
        case .i16:
            for i in 0..<count { dst[i] = Float(Int16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
        case .i8:
            for i in 0..<count { dst[i] = Float(src.load(fromByteOffset: i, as: Int8.self)) }
        case .u8:
            for i in 0..<count { dst[i] = Float(src.load(fromByteOffset: i, as: UInt8.self)) }
        case .bool:
            for i in 0..<count { dst[i] = src.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0 }
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K:
            break  // block types go through `blocks(_:…)`
        }
    }

    /// Block-quantised data (`blocks` blocks) to Float.
    static func blocks(_ dtype: DType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, blocks: Int) {
        switch dtype {
        case .q4_0: q4_0(src, dst, blocks)
        case .q4_1: q4_1(src, dst, blocks)
        case .q5_0: q5_0(src, dst, blocks)
        case .q5_1: q5_1(src, dst, blocks)
        case .q8_0: q8_0(src, dst, blocks)
        case .q4_K: q4_K(src, dst, blocks)
        case .q5_K: q5_K(src, dst, blocks)
        case .q6_K: q6_K(src, dst, blocks)
        default: plain(dtype, src, dst, count: blocks)
        }
    }

    // Q4_0: y = d × (q − 8); element j < 16 is the low nibble of qs[j], j + 16 the high one.
    static func q4_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + b * 18
            let y = dst + b * 32
            let d = half(block, 0)
            let qs = (block + 2).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                y[j] = d * Float(Int32(qs[j] & 0x0F) - 8)
                y[j + 16] = d * Float(Int32(qs[j] >> 4) - 8)
            }
        }
    }

    // Q4_1: y = d × q + m.
    static func q4_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + b * 20
            let y = dst + b * 32
            let d = half(block, 0), m = half(block, 2)
            let qs = (block + 4).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                y[j] = d * Float(qs[j] & 0x0F) + m
                y[j + 16] = d * Float(qs[j] >> 4) + m
            }
        }
    }

    // Q5_0: y = d × (q − 16), q = nibble | (bit j of qh) << 4.
    static func q5_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + b * 22
            let y = dst + b * 32
            let d = half(block, 0)
            let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            let qs = (block + 6).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                let low = Int32(qs[j] & 0x0F) | Int32((qh >> UInt32(j)) & 1) << 4
                let high = Int32(qs[j] >> 4) | Int32((qh >> UInt32(j + 16)) & 1) << 4
                y[j] = d * Float(low - 16)
                y[j + 16] = d * Float(high - 16)
            }
        }
    }

    // Q5_1: y = d × q + m, q as in Q5_0 without the offset.
    static func q5_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + b * 24
            let y = dst + b * 32
            let d = half(block, 0), m = half(block, 2)
            let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            let qs = (block + 8).assumingMemoryBound(to: UInt8.self)
            for j in 0..<16 {
                let low = UInt32(qs[j] & 0x0F) | ((qh >> UInt32(j)) & 1) << 4
                let high = UInt32(qs[j] >> 4) | ((qh >> UInt32(j + 16)) & 1) << 4
                y[j] = d * Float(low) + m
                y[j + 16] = d * Float(high) + m
            }
        }
    }

    // Q8_0: y = q × d.
    static func q8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + b * 34
            let y = dst + b * 32
            let d = half(block, 0)
            let qs = (block + 2).assumingMemoryBound(to: Int8.self)
            for j in 0..<32 { y[j] = Float(qs[j]) * d }
        }
    }

    /// The 6-bit scale and minimum of sub-block `j` (0..<8) of a Q4_K/Q5_K block.
    @inline(__always)
    private static func scaleMin(_ scales: UnsafePointer<UInt8>, _ j: Int) -> (Float, Float) {
        if j < 4 { return (Float(scales[j] & 63), Float(scales[j + 4] & 63)) }
        let sc = (scales[j + 4] & 0x0F) | ((scales[j - 4] >> 6) << 4)
        let m = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4)
        return (Float(sc), Float(m))
    }

    // Q4_K: 8 sub-blocks of 32; y = (d × sc) × q − (dmin × m).
    static func q4_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + b * 144
            let y = dst + b * 256
            let d = half(block, 0), dmin = half(block, 2)
            let scales = (block + 4).assumingMemoryBound(to: UInt8.self)
            let qs = (block + 16).assumingMemoryBound(to: UInt8.self)
            for pair in 0..<4 {
                let (sc1, m1) = scaleMin(scales, 2 * pair)
                let (sc2, m2) = scaleMin(scales, 2 * pair + 1)
                let d1 = d * sc1, dm1 = dmin * m1, d2 = d * sc2, dm2 = dmin * m2
                let q = qs + 32 * pair
                let out = y + 64 * pair
                for l in 0..<32 {
                    out[l] = d1 * Float(q[l] & 0x0F) - dm1
                    out[l + 32] = d2 * Float(q[l] >> 4) - dm2
                }
            }
        }
    }

    // Q5_K: as Q4_K with a fifth bit per element: bit `sub-block` of qh[l].
    static func q5_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + b * 176
            let y = dst + b * 256
            let d = half(block, 0), dmin = half(block, 2)
            let scales = (block + 4).assumingMemoryBound(to: UInt8.self)
            let qh = (block + 16).assumingMemoryBound(to: UInt8.self)
            let qs = (block + 48).assumingMemoryBound(to: UInt8.self)
            for pair in 0..<4 {
                let (sc1, m1) = scaleMin(scales, 2 * pair)
                let (sc2, m2) = scaleMin(scales, 2 * pair + 1)
                let d1 = d * sc1, dm1 = dmin * m1, d2 = d * sc2, dm2 = dmin * m2
                let q = qs + 32 * pair
                let out = y + 64 * pair
                let shift1 = UInt8(2 * pair), shift2 = UInt8(2 * pair + 1)
                for l in 0..<32 {
                    let low = (q[l] & 0x0F) | ((qh[l] >> shift1) & 1) << 4
                    let high = (q[l] >> 4) | ((qh[l] >> shift2) & 1) << 4
                    out[l] = d1 * Float(low) - dm1
                    out[l + 32] = d2 * Float(high) - dm2
                }
            }
        }
    }

    // Q6_K: 16 sub-blocks of 16 with int8 scales; y = (d × scale) × (q − 32).
    static func q6_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
        for b in 0..<blocks {
            let block = src + b * 210
            let y = dst + b * 256
            let ql0 = block.assumingMemoryBound(to: UInt8.self)
            let qh0 = (block + 128).assumingMemoryBound(to: UInt8.self)
            let scales = (block + 192).assumingMemoryBound(to: Int8.self)
            let d = half(block, 208)
            for half in 0..<2 {
                let ql = ql0 + 64 * half, qh = qh0 + 32 * half
                let out = y + 128 * half
                let sc = scales + 8 * half
                for l in 0..<32 {
                    let s = l / 16
                    let q1 = Int32((ql[l] & 0x0F) | ((qh[l] >> 0) & 3) << 4) - 32
                    let q2 = Int32((ql[l + 32] & 0x0F) | ((qh[l] >> 2) & 3) << 4) - 32
                    let q3 = Int32((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32
                    let q4 = Int32((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32
                    out[l] = (d * Float(sc[s])) * Float(q1)
                    out[l + 32] = (d * Float(sc[s + 2])) * Float(q2)
                    out[l + 64] = (d * Float(sc[s + 4])) * Float(q3)
                    out[l + 96] = (d * Float(sc[s + 6])) * Float(q4)
                }
            }
        }
    }
}
