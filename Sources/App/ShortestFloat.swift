/// The shortest decimal that reads back as the same `Float`, written as `Float.description`
/// writes it, for the values a latent's page is full of: non-integers of magnitude in
/// [1e-4, 2²³). Exact integer arithmetic, no allocation. Everything else (integers, tiny and
/// huge values, which Swift writes with an exponent) is left to `description`: `write`
/// returns nil for them.
///
/// How: f = m / 2^s exactly, and the decimals that read back as f are those in its rounding
/// interval: half an ulp each side (a quarter below at a power of two), the ends included when
/// m is even, as round-half-even reads them back. On a grid of 10^q fine enough to hold ~10
/// digits, the interval's grid points are the integers [vm, vp]; digits are dropped while the
/// next coarser grid still has a point in it, and of the points of the coarsest grid, the one
/// nearest f is written. Values are scaled by 2^(s+2) · 10^t and stay below 2^72.
enum ShortestFloat {
    /// Writes `value`'s digits to `out` (at least 24 bytes) and returns their count, or nil.
    @inline(__always)
    static func write(_ value: Float, to out: UnsafeMutablePointer<UInt8>) -> Int? {
        let magnitude = abs(value)
        guard magnitude >= 1e-4, magnitude < 8_388_608, magnitude != magnitude.rounded(.towardZero) else { return nil }
        return writeFraction(value, to: out)
    }

    private static func writeFraction(_ value: Float, to out: UnsafeMutablePointer<UInt8>) -> Int? {
        let magnitude = abs(value)
        // m · 2^-s with m < 2^24; s ≥ 1 because the value is not an integer.
        let m = UInt64(magnitude.significandBitPattern) | (1 << 23)
        let s = 23 - Int(magnitude.exponent)
        let inclusive = m & 1 == 0
        // At most the leading digit's decimal exponent + 2: a grid of 10^-t then has points 1e-8 · f
        // apart, closer than any float's interval is wide (6e-8 · f).
        let leading = Int(magnitude.exponent + 1) * 30103 / 100_000
        let t = 10 - leading
        var tenT: UInt64 = 1
        for _ in 0..<t { tenT &*= 10 }
        // The interval's ends × 2^(s+2) · 10^t.
        let shift = s + 2
        let upper = UInt128(4 &* m &+ 2) &* UInt128(tenT)
        let lower = UInt128(4 &* m &- (magnitude.significandBitPattern == 0 ? 1 : 2)) &* UInt128(tenT)
        let mask = (UInt128(1) << shift) &- 1
        // Grid points inside: vm … vp (×10^-t).
        var vp = UInt64(truncatingIfNeeded: upper >> shift)
        if upper & mask == 0 && !inclusive { vp -= 1 }
        var vm = UInt64(truncatingIfNeeded: (lower &+ mask) >> shift)
        if lower & mask == 0 && !inclusive { vm += 1 }
        var dropped = 0
        while true {
            let coarserHigh = vp / 10, coarserLow = (vm &+ 9) / 10
            guard coarserLow <= coarserHigh else { break }
            (vp, vm) = (coarserHigh, coarserLow)
            dropped += 1
        }
        // Non-integers keep digits after the point, so the grid stays finer than 1.
        guard dropped < t, vm <= vp else { return nil }
        // The grid point nearest f (half to even), kept inside the interval. On the grid
        // 10^(dropped − t), f is 4m · 10^(t − dropped) / 2^(s+2): exact, no division.
        var tenKept: UInt64 = 1
        for _ in 0..<(t - dropped) { tenKept &*= 10 }
        let onGrid = UInt128(4 &* m) &* UInt128(tenKept)
        var digits = UInt64(truncatingIfNeeded: onGrid >> shift)
        let rest = onGrid & mask, half = UInt128(1) << (shift - 1)
        if rest > half || (rest == half && digits & 1 == 1) { digits += 1 }
        digits = min(max(digits, vm), vp)
        var q = dropped - t
        while digits % 10 == 0 {
            digits /= 10
            q += 1
        }
        // The digits, last first, into a scratch run, then placed around the point.
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &scratch) { raw in
            let tmp = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var count = 0
            var d = digits
            repeat {
                tmp[count] = UInt8(ascii: "0") &+ UInt8(d % 10)
                d /= 10
                count += 1
            } while d > 0
            var n = 0
            if value < 0 {
                out[0] = UInt8(ascii: "-")
                n = 1
            }
            let pointAfter = count + q  // digits before the decimal point (≤ 0: "0.000…")
            if pointAfter <= 0 {
                out[n] = UInt8(ascii: "0")
                out[n + 1] = UInt8(ascii: ".")
                n += 2
                for _ in 0 ..< -pointAfter {
                    out[n] = UInt8(ascii: "0")
                    n += 1
                }
                for i in stride(from: count - 1, through: 0, by: -1) {
                    out[n] = tmp[i]
                    n += 1
                }
            } else {
                for k in 0..<count {
                    if k == pointAfter {
                        out[n] = UInt8(ascii: ".")
                        n += 1
                    }
                    out[n] = tmp[count - 1 - k]
                    n += 1
                }
            }
            return n
        }
    }
}
