/// The shortest decimal that reads back as the same `Float`, written as `Float.description`
/// writes it, for the values a latent's page is full of: non-integers of magnitude in
/// [1e-4, 2²³). Exact integer arithmetic, no allocation. Everything else (integers, tiny and
/// huge values, which Swift writes with an exponent) is left to `description`: `write`
/// returns nil for them.
///
/// How: f = c · 2^q exactly (c < 2²⁴, −37 ≤ q ≤ −1 in this range), and the decimals that read
/// back as f are those in its rounding interval: half an ulp each side (a quarter below at a
/// power of two), the ends included when c is even, as round-half-even reads them back. Take
/// the decimal grid 10^k with 10^k ≤ the interval's width < 10^(k+1): it has between one and ten
/// points in the interval, all with the same number of digits, and the coarser grid 10^(k+1) has
/// at most one. That one, if there is one, is the shortest decimal (its trailing zeros dropped);
/// otherwise the point of 10^k nearest f is. Scaled by 10^-k ≤ 10^12 and 2^(2−q), every
/// quantity is an exact integer below 2^67.
enum ShortestFloat {
    /// Writes `value`'s digits to `out` (at least 24 bytes) and returns their count, or nil.
    @inline(__always)
    static func write(_ value: Float, to out: UnsafeMutablePointer<UInt8>) -> Int? {
        // From the bits: `exponent` and `rounded` are calls that handle every kind of Float.
        let bits = value.bitPattern & 0x7FFF_FFFF
        guard bits >= 0x38D1_B717, bits < 0x4B00_0000 else { return nil }  // 1e-4 ≤ |value| < 2²³
        let exponent = Int(bits >> 23) - 127
        // Below 1 every value is a fraction; above, the bits under the point must not be zero.
        guard exponent < 0 || bits & (UInt32(0x7F_FFFF) >> exponent) != 0 else { return nil }
        return writeFraction(value, exponent: exponent, to: out)
    }

    /// 10^n for n in 0…12.
    @inline(__always)
    private static func power(_ n: Int) -> UInt64 {
        withUnsafePointer(to: powers) { UnsafeRawPointer($0).assumingMemoryBound(to: UInt64.self)[n] }
    }
    private static let powers: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000,
         10_000_000_000, 100_000_000_000, 1_000_000_000_000)

    private static func writeFraction(_ value: Float, exponent e: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let fraction = value.bitPattern & 0x7F_FFFF
        let c = UInt64(fraction | 1 << 23)
        let q = e - 23
        let s = 2 - q  // quantities below are in units of 2^(q−2) · 10^k
        let inclusive = c & 1 == 0
        // k = floor(log10(width)): the width is 2^q, or 3 · 2^(q−2) at a power of two.
        var k = (q &* 78913) >> 18  // floor(q · log10 2) for |q| < 1650
        if fraction == 0 && 3 &* power(-k) < UInt64(1) << s { k -= 1 }
        let scale = power(-k)
        let center = UInt128(4 &* c) &* UInt128(scale)
        let upperEnd = center &+ UInt128(2 &* scale)
        let lowerEnd = center &- UInt128(fraction == 0 ? scale : 2 &* scale)
        let mask = (UInt128(1) << s) &- 1
        // The interval's points on the grid 10^k: lower … upper.
        var upper = UInt64(truncatingIfNeeded: upperEnd >> s)
        if upperEnd & mask == 0 && !inclusive { upper &-= 1 }
        var lower = UInt64(truncatingIfNeeded: (lowerEnd &+ mask) >> s)
        if lowerEnd & mask == 0 && !inclusive { lower &+= 1 }

        var digits: UInt64
        var exponent: Int  // the value written is digits · 10^exponent
        let coarse = upper / 10
        if coarse &* 10 >= lower {
            digits = coarse
            exponent = k + 1
            while digits % 10 == 0 {
                digits /= 10
                exponent += 1
            }
        } else {
            // The grid point nearest f, half to even; at a power of two the nearest may lie
            // below the (narrower) lower half of the interval, and the next one up is taken.
            digits = UInt64(truncatingIfNeeded: center >> s)
            let rest = center & mask, half = UInt128(1) << (s - 1)
            if rest > half || (rest == half && digits & 1 == 1) { digits &+= 1 }
            digits = min(max(digits, lower), upper)
            exponent = k
        }
        // No integer lies in the interval of a non-integer with an ulp ≤ ½, so exponent < 0.

        // The digits (at most 9) right-aligned in a scratch run.
        var scratch: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &scratch) { raw in
            let tmp = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let end = 16 - DecimalDigits.write(digits, before: tmp + 16)
            let count = 16 - end
            var n = 0
            if value < 0 {
                out[0] = UInt8(ascii: "-")
                n = 1
            }
            let whole = count + exponent  // digits before the point (≤ 0: "0.000…")
            if whole <= 0 {
                out[n] = UInt8(ascii: "0")
                out[n + 1] = UInt8(ascii: ".")
                n += 2
                for _ in 0 ..< -whole {
                    out[n] = UInt8(ascii: "0")
                    n += 1
                }
                for i in end..<16 {
                    out[n] = tmp[i]
                    n += 1
                }
            } else {
                for i in end ..< end + whole {
                    out[n] = tmp[i]
                    n += 1
                }
                out[n] = UInt8(ascii: ".")
                n += 1
                for i in end + whole ..< 16 {
                    out[n] = tmp[i]
                    n += 1
                }
            }
            return n
        }
    }

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
