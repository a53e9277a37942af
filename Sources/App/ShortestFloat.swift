/// The shortest decimal that reads back as the same `Float`, written as `Float.description`
/// writes it, for the values a latent's page is full of: non-integers of magnitude in
/// [1e-4, 2²³). Exact integer arithmetic, no allocation, and no branch on the digits, which
/// would go the wrong way often. Everything else (integers, tiny and huge values, which Swift
/// writes with an exponent) is left to `description`: `write` returns nil for them.
///
/// How: |f| = c · 2^-s exactly (2²³ ≤ c < 2²⁴, 1 ≤ s ≤ 37 in this range). The decimals that
/// read back as f are those in its rounding interval: half an ulp each side (a quarter below at
/// a power of two), the ends included when c is even, as round-half-even reads them back. Take
/// the fine grid 10^-m with 10^-m ≤ the interval's width < 10^(1−m) (m = ceil(s · log10 2), one
/// more at some powers of two): it has one to ten points in the interval, and the coarse grid
/// 10^(1−m) at most one. That one, if any, is the shortest decimal; otherwise the fine point
/// nearest f is. Counted in 2^-32 coarse steps, a quarter ulp is q = 10^(m−1) · 2^(30−s), an
/// integer below 2³¹ (a table by exponent), so f is 4c · q and the interval's ends (4c ± 2) · q
/// (4c − 1 below at a power of two): exact integers below 2⁵⁷, on which coarse points are the
/// multiples of 2³², and fine points too once the quantities are times 10 (below 2⁶⁰). Every
/// integer in the range is a Float, so none lies in f's interval: the digits found,
/// D = f · 10^m rounded so, are the integer part's followed by m after the point.
enum ShortestFloat {
    /// Writes `value`'s digits to `out` and returns their count, or nil. It stores whole 8-byte
    /// words, so bytes past the count, up to out[16], may be overwritten.
    @inline(__always)
    static func write(_ value: Float, to out: UnsafeMutablePointer<UInt8>) -> Int? {
        let bits = value.bitPattern & 0x7FFF_FFFF
        guard bits >= 0x38D1_B717, bits < 0x4B00_0000 else { return nil }  // 1e-4 ≤ |value| < 2²³
        let exponent = Int(bits &>> 23)
        let s = 150 &- exponent
        let c = UInt64(bits & 0x7F_FFFF | 0x80_0000)
        guard c.trailingZeroBitCount < s else { return nil }  // an integer
        let sign = Int(value.bitPattern &>> 31), quarter = UInt64(quarterUlps[exponent &- 113])
        // The integer part's digit count, at least one (bit patterns order positive Floats).
        let wholeCount = Int(wholeDigits[exponent &- 113])
            &+ Int((wholeDigitsMore[exponent &- 113] &- 1 &- bits) &>> 31)
        if c == 0x80_0000 {
            return writePowerOfTwo(sign: sign, scale: s, quarter: quarter, wholeCount: wholeCount, to: out)
        }
        return write(sign: sign, significand: c, scale: s, quarter: quarter, wholeCount: wholeCount,
                     atPowerOfTwo: false, to: out)
    }

    /// The rare powers of two, out of line.
    @inline(never)
    private static func writePowerOfTwo(sign: Int, scale s: Int, quarter: UInt64, wholeCount: Int,
                                        to out: UnsafeMutablePointer<UInt8>) -> Int {
        write(sign: sign, significand: 0x80_0000, scale: s, quarter: quarter, wholeCount: wholeCount,
              atPowerOfTwo: true, to: out)
    }

    @inline(__always)
    private static func write(sign: Int, significand c: UInt64, scale s: Int, quarter: UInt64,
                              wholeCount: Int, atPowerOfTwo: Bool,
                              to out: UnsafeMutablePointer<UInt8>) -> Int {
        // At a power of two the width is 3 quarters; below 10^-m (30 · q < 2³²), m grows by one.
        var m = (s &* 78913) &>> 18 &+ 1  // ceil(s · log10 2), for s < 1650
        var q = quarter
        if atPowerOfTwo && 30 &* q < 1 &<< 32 { m &+= 1; q &*= 10 }
        let exclusive = c & 1  // round-half-even reads an odd c's interval ends elsewhere
        let f4 = (c &* q) &<< 2
        // The coarse point at or below the upper end (below it if excluded) is in the interval
        // if at or above the lower end (above it if excluded).
        let upperEnd = f4 &+ 2 &* q &- exclusive
        let lowerEnd = f4 &- (atPowerOfTwo ? 1 : 2) &* q &+ exclusive
        let coarse = UInt32(truncatingIfNeeded: upperEnd &>> 32) &* 10
        // Else the fine point nearest f, half to even: it lies within half a fine step, less
        // than half the width, so inside the interval, except at a power of two, below whose
        // narrower lower half it may lie, and then the next one up is taken.
        let center = f4 &* 10
        var digits = UInt32(truncatingIfNeeded: (center &+ (1 &<< 31 &- 1) &+ (center &>> 32 & 1)) &>> 32)
        if atPowerOfTwo {
            digits = max(digits, UInt32(truncatingIfNeeded: (lowerEnd &* 10 &+ (1 &<< 32 &- 1)) &>> 32))
        }
        if upperEnd & ~0xFFFF_FFFF >= lowerEnd { digits = coarse }  // D < 1.7 · 10⁸

        // D's digits: the 10⁸ digit (0 or 1), then eight one a byte, last digit lowest (where
        // trailing zeros are counted), then turned to put the first digit first.
        let top: UInt64 = digits >= 100_000_000 ? 1 : 0
        let low = eightDigits(UInt64(digits) &- top &* 100_000_000)
        let rest = low.byteSwapped
        // Above 1: the integer part's digits (D has wholeCount + m), the last m after the point,
        // and the top digit stored where the point goes. Below: zeros, then the top digit and
        // the rest after m − 9 zeros (m ≥ 8; at m = 8 the top digit is 0 and lands where the
        // point goes). Masks, not selects, which the compiler would make a branch on |f|.
        let above = (s &- 24) &>> 63  // all ones when |f| ≥ 1, that is s ≤ 23
        let point = sign &+ wholeCount
        let topAt = point &+ (sign &+ m &- 7 &- point) & ~above
        let whole = (rest &<< 8 | top) &>> ((72 &- 8 &* (wholeCount &+ m)) & above)
        out[0] = UInt8(ascii: "-")
        store(whole & UInt64(bitPattern: Int64(above)) | asciiZeros, at: out + sign)
        out[topAt] = UInt8(truncatingIfNeeded: top) | UInt8(ascii: "0")
        store(rest &>> (8 &* max(8 &- m, 0)) | asciiZeros, at: out + (topAt &+ 1))
        out[point] = UInt8(ascii: ".")
        return point &+ 1 &+ m &- low.trailingZeroBitCount &>> 3
    }

    /// x < 10⁸ as 8 decimal digits, one a byte, the last in the lowest. First its pairs in
    /// 16-bit lanes, from three divisions that wait on none other: pair k is
    /// x / 100^k − 100 · x / 100^(k+1), so the lanes add up to
    /// x + (2¹⁶ − 100) · Σ (x / 100^(k+1)) · 2^(16k); then each pair n as n + (2⁸ − 10) · (n / 10).
    @inline(__always)
    private static func eightDigits(_ x: UInt64) -> UInt64 {
        let x32 = UInt32(truncatingIfNeeded: x)
        let quotients = UInt64(x32 / 100) &+ UInt64(x32 / 10_000) &<< 16 &+ UInt64(x32 / 1_000_000) &<< 32
        let pairs = x &+ quotients &* (1 &<< 16 &- 100)
        let tens = (pairs &* 103) &>> 10 & 0x000F_000F_000F_000F  // n / 10 for n < 100
        return pairs &+ tens &* (1 &<< 8 &- 10)
    }

    private static let asciiZeros: UInt64 = 0x3030_3030_3030_3030

    @inline(__always)
    private static func store(_ word: UInt64, at p: UnsafeMutablePointer<UInt8>) {
        UnsafeMutableRawPointer(p).storeBytes(of: word.littleEndian, as: UInt64.self)
    }

    /// For each exponent, |f| in [2^e, 2^(e+1)), e = −14 … 22: the integer part's fewest digits
    /// (1 below 1), and the bit pattern of the power of ten in the range, from which it has one
    /// more (∞'s where there is none).
    private static let wholeDigits: [UInt8] = [
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5,
        6, 6, 6, 7, 7, 7,
    ]
    private static let wholeDigitsMore: [UInt32] = [
        0x7F80_0000, 0x7F80_0000, 0x7F80_0000, 0x7F80_0000, 0x7F80_0000, 0x7F80_0000, 0x7F80_0000,
        0x7F80_0000, 0x7F80_0000, 0x7F80_0000, 0x7F80_0000, 0x7F80_0000, 0x7F80_0000, 0x7F80_0000,
        0x7F80_0000, 0x7F80_0000, 0x7F80_0000, 0x4120_0000, 0x7F80_0000, 0x7F80_0000, 0x42C8_0000,
        0x7F80_0000, 0x7F80_0000, 0x447A_0000, 0x7F80_0000, 0x7F80_0000, 0x7F80_0000, 0x461C_4000,
        0x7F80_0000, 0x7F80_0000, 0x47C3_5000, 0x7F80_0000, 0x7F80_0000, 0x4974_2400, 0x7F80_0000,
        0x7F80_0000, 0x7F80_0000,
    ]

    /// q for each exponent, s = 37 down to 1: 10^(m−1) · 2^(30−s), m = ceil(s · log10 2).
    private static let quarterUlps: [UInt32] = [
        781250000, 156250000, 312500000, 625000000, 125000000, 250000000, 500000000, 1000000000,
        200000000, 400000000, 800000000, 160000000, 320000000, 640000000, 128000000, 256000000,
        512000000, 1024000000, 204800000, 409600000, 819200000, 163840000, 327680000, 655360000,
        131072000, 262144000, 524288000, 1048576000, 209715200, 419430400, 838860800, 167772160,
        335544320, 671088640, 134217728, 268435456, 536870912,
    ]
}

/// Decimal digits of unsigned integers, two per division.
enum DecimalDigits {
    /// Writes `value`'s digits so that they end just before `end`; returns their count (≤ 20).
    @inline(__always)
    static func write(_ value: UInt64, before end: UnsafeMutablePointer<UInt8>) -> Int {
        let pairs = digitPairs.utf8Start
        var p = end
        var d = value
        while d >= 100 {
            let pair = Int(d % 100) &* 2
            d /= 100
            p -= 2
            p[0] = pairs[pair]
            p[1] = pairs[pair + 1]
        }
        if d >= 10 {
            p -= 2
            p[0] = pairs[Int(d) &* 2]
            p[1] = pairs[Int(d) &* 2 + 1]
        } else {
            p -= 1
            p[0] = UInt8(ascii: "0") &+ UInt8(d)
        }
        return end - p
    }

    private static let digitPairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
}
