/// Sums of non-negative doubles as 256-bit fixed-point integers (scale 2⁻¹²⁸), so adding is
/// exact and the total does not depend on the order of the terms: a build split into shards and
/// merged gets the very same moments as one pass over the whole corpus.
///
/// Each term is truncated to a multiple of 2⁻¹²⁸ (≈ 3e-39) on the way in, and sums beyond 2¹²⁸
/// saturate: neither happens for SAE activations to the fourth power.
/// Storage: 4 little-endian UInt64 limbs per sum, in caller-owned memory.
enum ExactSum {
    static let limbs = 4

    /// sum += t (t ≥ 0 and finite; anything else is ignored).
    @inline(__always)
    static func add(_ t: Double, into sum: UnsafeMutablePointer<UInt64>) {
        guard t > 0, t.isFinite else { return }
        var mantissa: UInt64
        var shift: Int  // bit position of the mantissa's lowest bit in the integer
        if t.isNormal {
            mantissa = t.significandBitPattern | (1 << 52)
            shift = Int(t.exponent) - 52 + 128
        } else {
            mantissa = t.significandBitPattern
            shift = -1074 + 128
        }
        if shift < 0 {
            guard shift > -64 else { return }
            mantissa >>= UInt64(-shift)
            shift = 0
        }
        guard shift + 53 <= 256 else {
            for i in 0..<limbs { sum[i] = .max }
            return
        }
        let limb = shift / 64, offset = shift % 64
        var carry = addLimb(mantissa << UInt64(offset), sum + limb)
        var i = limb + 1
        if offset > 0 && i < limbs {
            carry = addLimb((mantissa >> UInt64(64 - offset)) &+ carry, sum + i)
            i += 1
        }
        while carry > 0 && i < limbs {
            carry = addLimb(carry, sum + i)
            i += 1
        }
    }

    /// *p += v; returns the carry (0 or 1).
    @inline(__always)
    private static func addLimb(_ v: UInt64, _ p: UnsafeMutablePointer<UInt64>) -> UInt64 {
        let (r, overflow) = p.pointee.addingReportingOverflow(v)
        p.pointee = r
        return overflow ? 1 : 0
    }

    /// a += b, both sums.
    static func add(sum b: UnsafePointer<UInt64>, into a: UnsafeMutablePointer<UInt64>) {
        var carry: UInt64 = 0
        for i in 0..<limbs {
            let (r1, o1) = a[i].addingReportingOverflow(b[i])
            let (r2, o2) = r1.addingReportingOverflow(carry)
            a[i] = r2
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
    }

    /// The sum as a double (a function of the integer alone, so equal sums give equal doubles).
    static func value(_ sum: UnsafePointer<UInt64>) -> Double {
        var total = 0.0
        for i in stride(from: limbs - 1, through: 0, by: -1) {
            total += Double(sum[i]) * Double(sign: .plus, exponent: 64 * i - 128, significand: 1)
        }
        return total
    }
}
