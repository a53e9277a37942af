/// The shortest decimal that reads back as the same `Double`, written as `Double.description`
/// writes it, for non-integers of magnitude in [1e-4, 2⁵²), where `description` uses plain
/// notation (checked: 1e-4 prints "0.0001" but its predecessor "9.999999999999999e-05"; 2⁵³
/// prints "9007199254740992.0" but 2⁵³ + 2 "9.007199254740994e+15"; from 2⁵² on every Double is
/// an integer). Exact integer arithmetic, no allocation, and no branch on the digits or on
/// |f| < 1. For everything else (zero, integers, non-finite, tiny and huge values) `write`
/// returns nil.
///
/// The digits: |f| = c · 2^-s exactly (2⁵² ≤ c < 2⁵³, 1 ≤ s ≤ 66 in this range). The decimals
/// that read back as f are those in its rounding interval: half an ulp each side (a quarter below
/// at a power of two). Take the fine grid 10^-m with 10^-m ≤ the interval's width < 10^(1−m)
/// (m = ceil(s · log10 2), one more at some powers of two; m ≤ 20): it has one to ten points in
/// the interval, and the coarse grid 10^(1−m) at most one. That one, if any, is the shortest
/// decimal; otherwise the fine point nearest f is, half to even. (The ends have s + 1 or s + 2
/// decimals, more than m, so they are never grid points and need no rule.) Counted in 2^-64
/// coarse steps, a quarter ulp is q = 10^(m−1) · 2^(62−s), an integer (10^(m−1) has m − 1 ≥ s − 62
/// factors of 2) below 2⁶² (10^(m−1) < 2^s), so f is 4c · q and the ends 4c · q ± 2q (− q below
/// at a power of two): exact integers below 2¹¹⁷, on which coarse points are the multiples of
/// 2⁶⁴, and fine points too once the quantities are times 10 (below 2¹²¹): all of it fits
/// UInt128. The digits found, D = f · 10^m rounded so, are below 10 · c < 10¹⁷.
///
/// The text: every integer in the range is a Double, so none lies in f's interval and D's
/// integer part is f's, I = c >> s: D's digits are I's followed by m after the point. A zero
/// digit goes in where the point goes, E = D + 9 · I · 10^m (E = D below 1), and E is scaled to
/// exactly 18 digits (E has I's digits + 1 + m ≤ 18, or D's 16 or 17); they are stored after
/// as many '0's as "0.000" needs below 1, and the point over the inserted digit (the second
/// '0' below 1). Their count, and so the scale and where the point goes, depend only on the
/// exponent and on whether |f| is past the power of ten in its binade, if any: tables give them.
enum ShortestDouble {
    /// Writes `value.description`'s bytes to `out` and returns their count, or nil. It stores
    /// whole words, so bytes past the count, up to out[24], may be overwritten.
    @inline(__always)
    static func write(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int? {
        let bits = value.bitPattern & 0x7FFF_FFFF_FFFF_FFFF
        // 1e-4 ≤ |value| < 2⁵²
        guard bits &- 0x3F1A_36E2_EB1C_432D < 0x4330_0000_0000_0000 &- 0x3F1A_36E2_EB1C_432D else { return nil }
        let exponent = Int(bits &>> 52)
        let s = 1075 &- exponent
        let fraction = bits & 0xF_FFFF_FFFF_FFFF
        let c = fraction | 1 &<< 52
        guard c.trailingZeroBitCount < s else { return nil }  // an integer
        let sign = Int(value.bitPattern &>> 63)
        let i = 3 &* (exponent &- 1009)  // 3 · (binary exponent + 14)
        if fraction == 0 { return writePowerOfTwo(sign: sign, scale: s, index: i, to: out) }
        // Past the power of ten in the binade (bit patterns order positive Doubles).
        let past = Int((byExponent[i &+ 1] &- 1 &- bits) &>> 63)
        let j = 2 &* i &+ 3 &* past
        return write(sign: sign, significand: c, scale: s, quarter: byExponent[i], gain: byExponent[i &+ 2],
                     scaleUp: byLength[j], point: Int(truncatingIfNeeded: byLength[j &+ 1]),
                     zeros: Int(truncatingIfNeeded: byLength[j &+ 2]),
                     atPowerOfTwo: false, to: out)
    }

    /// The rare powers of two (below 1, as the others are integers), out of line. Where the width,
    /// 3 quarters, is below 10^-m, m grows by one (q by 10, staying below 2⁶⁴ / 3): D gets one
    /// more digit (17, so the scale is the one past the binade's power of ten), the text the
    /// same '0's.
    @inline(never)
    private static func writePowerOfTwo(sign: Int, scale s: Int, index i: Int,
                                        to out: UnsafeMutablePointer<UInt8>) -> Int {
        var q = byExponent[i]
        let finer = q <= UInt64.max / 30
        if finer { q &*= 10 }
        return write(sign: sign, significand: 1 &<< 52, scale: s, quarter: q, gain: 0,
                     scaleUp: byLength[2 &* i &+ (finer ? 3 : 0)], point: 1,
                     zeros: Int(truncatingIfNeeded: byLength[2 &* i &+ 2]),
                     atPowerOfTwo: true, to: out)
    }

    @inline(__always)
    private static func write(sign: Int, significand c: UInt64, scale s: Int, quarter q: UInt64,
                              gain: UInt64, scaleUp: UInt64, point: Int, zeros: Int, atPowerOfTwo: Bool,
                              to out: UnsafeMutablePointer<UInt8>) -> Int {
        let f4 = UInt128(c &<< 2) &* UInt128(q)
        let lowerHalf = atPowerOfTwo ? q : 2 &* q
        // The coarse point at or below the upper end, in the interval if past the lower end:
        // if f's low word either carries adding 2q or borrows taking the lower half.
        let upper = f4 &+ UInt128(2 &* q)
        let low = UInt64(truncatingIfNeeded: f4)
        let coarse = UInt64(truncatingIfNeeded: upper &>> 64) &* 10
        // Else the fine point nearest f, half to even: it lies within half a fine step, less
        // than half the width, so inside the interval, except at a power of two, below whose
        // narrower lower half it may lie, and then the next one up is taken.
        let center = f4 &* 10
        var digits = UInt64(truncatingIfNeeded: (center &+ (1 &<< 63 &- 1) &+ (center &>> 64 & 1)) &>> 64)
        if atPowerOfTwo {
            let lowerEnd = (f4 &- UInt128(q)) &* 10
            digits = max(digits, UInt64(truncatingIfNeeded: (lowerEnd &+ UInt128(UInt64.max)) &>> 64))
        }
        if low &+ 2 &* q < 2 &* q &+ lowerHalf { digits = coarse }

        // E scaled to 18 digits (the shift may wrap below 1, where the gain is 0): two, then
        // eight and eight, one a byte, stored first digit first.
        let scaled = (digits &+ (c &>> s) &* gain) &* scaleUp
        let top = scaled / 10_000_000_000_000_000
        let rest = scaled &- top &* 10_000_000_000_000_000
        let high = rest / 100_000_000
        let first = eightDigits(high), last = eightDigits(rest &- high &* 100_000_000)
        let tens = (top &* 103) &>> 10, ones = top &- tens &* 10
        let text = out + sign
        out[0] = UInt8(ascii: "-")
        store(0x3030_3030_3030_3030 as UInt64, at: text)
        store(UInt16(truncatingIfNeeded: tens | ones &<< 8) | 0x3030, at: text + zeros)
        store(first.byteSwapped | 0x3030_3030_3030_3030, at: text + (zeros &+ 2))
        store(last.byteSwapped | 0x3030_3030_3030_3030, at: text + (zeros &+ 10))
        text[point] = UInt8(ascii: ".")
        // Less the trailing zeros, one more if the last sixteen digits and the second are zeros.
        let trailing = (UInt128(first) &<< 64 | UInt128(last)).trailingZeroBitCount
        return sign &+ zeros &+ 18 &- (trailing &>> 3 &+ trailing &>> 7 & Int((ones &- 1) &>> 63))
    }

    /// x < 10⁸ as 8 decimal digits, one a byte, the last in the lowest: x's halves
    /// x / 10⁴ and x mod 10⁴ in 32-bit lanes, as n + (2³² − 10⁴) · (n / 10⁴); then each split so
    /// into pairs in 16-bit lanes, and those into digits in bytes. In a lane,
    /// n / 10⁴ = (n · 109951163) >> 40 for n < 4.9 · 10⁸, n / 100 = (n · 5243) >> 19 for n < 10⁴,
    /// n / 10 = (n · 103) >> 10 for n < 100, and no product overflows it.
    @inline(__always)
    private static func eightDigits(_ x: UInt64) -> UInt64 {
        let halves = x &+ ((x &* 109_951_163) &>> 40) &* (1 &<< 32 &- 10_000)
        let pairs = halves &+ ((halves &* 5243) &>> 19 & 0x0000_007F_0000_007F) &* (1 &<< 16 &- 100)
        return pairs &+ ((pairs &* 103) &>> 10 & 0x000F_000F_000F_000F) &* (1 &<< 8 &- 10)
    }

    @inline(__always)
    private static func store<T: FixedWidthInteger>(_ word: T, at p: UnsafeMutablePointer<UInt8>) {
        UnsafeMutableRawPointer(p).storeBytes(of: word.littleEndian, as: T.self)
    }

    /// For each binary exponent e = −14 … 51 (s = 66 … 1): q = 10^(m−1) · 2^(62−s); the bit
    /// pattern of the power of ten in (2^e, 2^(e+1)), or ∞'s where there is none; and 9 · 10^m
    /// (0 below 1).
    private static let byExponent: [UInt64] = [
        625000000000000000, 0x3F1A_36E2_EB1C_432D, 0,
        1250000000000000000, 0x7FF0_0000_0000_0000, 0,
        2500000000000000000, 0x7FF0_0000_0000_0000, 0,
        500000000000000000, 0x7FF0_0000_0000_0000, 0,
        1000000000000000000, 0x3F50_624D_D2F1_A9FC, 0,
        2000000000000000000, 0x7FF0_0000_0000_0000, 0,
        4000000000000000000, 0x7FF0_0000_0000_0000, 0,
        800000000000000000, 0x3F84_7AE1_47AE_147B, 0,
        1600000000000000000, 0x7FF0_0000_0000_0000, 0,
        3200000000000000000, 0x7FF0_0000_0000_0000, 0,
        640000000000000000, 0x3FB9_9999_9999_999A, 0,
        1280000000000000000, 0x7FF0_0000_0000_0000, 0,
        2560000000000000000, 0x7FF0_0000_0000_0000, 0,
        512000000000000000, 0x7FF0_0000_0000_0000, 0,
        1024000000000000000, 0x7FF0_0000_0000_0000, 90000000000000000,
        2048000000000000000, 0x7FF0_0000_0000_0000, 90000000000000000,
        4096000000000000000, 0x7FF0_0000_0000_0000, 90000000000000000,
        819200000000000000, 0x4024_0000_0000_0000, 9000000000000000,
        1638400000000000000, 0x7FF0_0000_0000_0000, 9000000000000000,
        3276800000000000000, 0x7FF0_0000_0000_0000, 9000000000000000,
        655360000000000000, 0x4059_0000_0000_0000, 900000000000000,
        1310720000000000000, 0x7FF0_0000_0000_0000, 900000000000000,
        2621440000000000000, 0x7FF0_0000_0000_0000, 900000000000000,
        524288000000000000, 0x408F_4000_0000_0000, 90000000000000,
        1048576000000000000, 0x7FF0_0000_0000_0000, 90000000000000,
        2097152000000000000, 0x7FF0_0000_0000_0000, 90000000000000,
        4194304000000000000, 0x7FF0_0000_0000_0000, 90000000000000,
        838860800000000000, 0x40C3_8800_0000_0000, 9000000000000,
        1677721600000000000, 0x7FF0_0000_0000_0000, 9000000000000,
        3355443200000000000, 0x7FF0_0000_0000_0000, 9000000000000,
        671088640000000000, 0x40F8_6A00_0000_0000, 900000000000,
        1342177280000000000, 0x7FF0_0000_0000_0000, 900000000000,
        2684354560000000000, 0x7FF0_0000_0000_0000, 900000000000,
        536870912000000000, 0x412E_8480_0000_0000, 90000000000,
        1073741824000000000, 0x7FF0_0000_0000_0000, 90000000000,
        2147483648000000000, 0x7FF0_0000_0000_0000, 90000000000,
        4294967296000000000, 0x7FF0_0000_0000_0000, 90000000000,
        858993459200000000, 0x4163_12D0_0000_0000, 9000000000,
        1717986918400000000, 0x7FF0_0000_0000_0000, 9000000000,
        3435973836800000000, 0x7FF0_0000_0000_0000, 9000000000,
        687194767360000000, 0x4197_D784_0000_0000, 900000000,
        1374389534720000000, 0x7FF0_0000_0000_0000, 900000000,
        2748779069440000000, 0x7FF0_0000_0000_0000, 900000000,
        549755813888000000, 0x41CD_CD65_0000_0000, 90000000,
        1099511627776000000, 0x7FF0_0000_0000_0000, 90000000,
        2199023255552000000, 0x7FF0_0000_0000_0000, 90000000,
        4398046511104000000, 0x7FF0_0000_0000_0000, 90000000,
        879609302220800000, 0x4202_A05F_2000_0000, 9000000,
        1759218604441600000, 0x7FF0_0000_0000_0000, 9000000,
        3518437208883200000, 0x7FF0_0000_0000_0000, 9000000,
        703687441776640000, 0x4237_4876_E800_0000, 900000,
        1407374883553280000, 0x7FF0_0000_0000_0000, 900000,
        2814749767106560000, 0x7FF0_0000_0000_0000, 900000,
        562949953421312000, 0x426D_1A94_A200_0000, 90000,
        1125899906842624000, 0x7FF0_0000_0000_0000, 90000,
        2251799813685248000, 0x7FF0_0000_0000_0000, 90000,
        4503599627370496000, 0x7FF0_0000_0000_0000, 90000,
        900719925474099200, 0x42A2_309C_E540_0000, 9000,
        1801439850948198400, 0x7FF0_0000_0000_0000, 9000,
        3602879701896396800, 0x7FF0_0000_0000_0000, 9000,
        720575940379279360, 0x42D6_BCC4_1E90_0000, 900,
        1441151880758558720, 0x7FF0_0000_0000_0000, 900,
        2882303761517117440, 0x7FF0_0000_0000_0000, 900,
        576460752303423488, 0x430C_6BF5_2634_0000, 90,
        1152921504606846976, 0x7FF0_0000_0000_0000, 90,
        2305843009213693952, 0x7FF0_0000_0000_0000, 90,
    ]

    /// For each exponent and then whether past its power of ten: 10^(18 − E's digit count), the
    /// point's offset (the integer part's digit count, at least 1) and the '0's before the digits
    /// (0 above 1; 2 + m − D's digit count below, as "0." and the zeros that follow).
    private static let byLength: [UInt64] = [
        100, 1, 6, 10, 1, 5,
        10, 1, 5, 1, 1, 4,
        10, 1, 5, 1, 1, 4,
        100, 1, 5, 10, 1, 4,
        100, 1, 5, 10, 1, 4,
        10, 1, 4, 1, 1, 3,
        10, 1, 4, 1, 1, 3,
        100, 1, 4, 10, 1, 3,
        10, 1, 3, 1, 1, 2,
        10, 1, 3, 1, 1, 2,
        100, 1, 3, 10, 1, 2,
        10, 1, 2, 1, 1, 1,
        10, 1, 2, 1, 1, 1,
        100, 1, 2, 10, 1, 1,
        1, 1, 0, 0, 2, 0,
        1, 1, 0, 0, 2, 0,
        1, 1, 0, 0, 2, 0,
        10, 1, 0, 1, 2, 0,
        1, 2, 0, 0, 3, 0,
        1, 2, 0, 0, 3, 0,
        10, 2, 0, 1, 3, 0,
        1, 3, 0, 0, 4, 0,
        1, 3, 0, 0, 4, 0,
        10, 3, 0, 1, 4, 0,
        1, 4, 0, 0, 5, 0,
        1, 4, 0, 0, 5, 0,
        1, 4, 0, 0, 5, 0,
        10, 4, 0, 1, 5, 0,
        1, 5, 0, 0, 6, 0,
        1, 5, 0, 0, 6, 0,
        10, 5, 0, 1, 6, 0,
        1, 6, 0, 0, 7, 0,
        1, 6, 0, 0, 7, 0,
        10, 6, 0, 1, 7, 0,
        1, 7, 0, 0, 8, 0,
        1, 7, 0, 0, 8, 0,
        1, 7, 0, 0, 8, 0,
        10, 7, 0, 1, 8, 0,
        1, 8, 0, 0, 9, 0,
        1, 8, 0, 0, 9, 0,
        10, 8, 0, 1, 9, 0,
        1, 9, 0, 0, 10, 0,
        1, 9, 0, 0, 10, 0,
        10, 9, 0, 1, 10, 0,
        1, 10, 0, 0, 11, 0,
        1, 10, 0, 0, 11, 0,
        1, 10, 0, 0, 11, 0,
        10, 10, 0, 1, 11, 0,
        1, 11, 0, 0, 12, 0,
        1, 11, 0, 0, 12, 0,
        10, 11, 0, 1, 12, 0,
        1, 12, 0, 0, 13, 0,
        1, 12, 0, 0, 13, 0,
        10, 12, 0, 1, 13, 0,
        1, 13, 0, 0, 14, 0,
        1, 13, 0, 0, 14, 0,
        1, 13, 0, 0, 14, 0,
        10, 13, 0, 1, 14, 0,
        1, 14, 0, 0, 15, 0,
        1, 14, 0, 0, 15, 0,
        10, 14, 0, 1, 15, 0,
        1, 15, 0, 0, 16, 0,
        1, 15, 0, 0, 16, 0,
        10, 15, 0, 1, 16, 0,
        1, 16, 0, 0, 17, 0,
        1, 16, 0, 0, 17, 0,
    ]
}
