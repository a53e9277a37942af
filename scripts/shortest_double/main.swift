// scripts/check_shortest_double.sh: ShortestDouble against Double.description. A Double's bit
// patterns are too many to try all; these sets aim at where shortest-digit code goes wrong:
// uniform patterns and values, every binade, the neighbours of powers of two and of d · 10^k,
// values of few digits and their neighbours, the dyadic a / 2^j that put ties on the fine grid,
// and values outside the range (which must come back nil). Argument: thousands per random set.
#if canImport(Glibc)
import Glibc
#endif

struct Rng {
    var state: UInt64
    mutating func next() -> UInt64 {  // wyrand
        state &+= 0xA076_1D64_78BD_642F
        let m = state.multipliedFullWidth(by: state ^ 0xE703_7ED1_A0B4_28DB)
        return m.high ^ m.low
    }
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}

let out = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
var checked = 0, accepted = 0, rejected = 0, mismatches = 0, overruns = 0, nilWrong = 0
let lowBits = (1e-4 as Double).bitPattern, highBits = (0x1p52 as Double).bitPattern

/// Expected: nil iff outside the range or an integer; else description's bytes.
@inline(never)
func check(_ v: Double) {
    checked += 1
    let b = v.bitPattern & ~(1 << 63)
    let inRange = b >= lowBits && b < highBits && v.rounded(.towardZero) != v
    out.update(repeating: 0xAA, count: 64)
    let n = ShortestDouble.write(v, to: out)
    if (25..<64).contains(where: { out[$0] != 0xAA }) { overruns += 1 }
    guard let n else {
        rejected += 1
        if inRange { nilWrong += 1; if nilWrong < 10 { print("wrongly nil", v) } }
        return
    }
    accepted += 1
    if !inRange { nilWrong += 1; if nilWrong < 10 { print("wrongly accepted", v) } }
    var d = v.description
    let same = d.withUTF8 { $0.elementsEqual(UnsafeBufferPointer(start: out, count: n)) }
    if !same {
        mismatches += 1
        if mismatches < 20 {
            print("mismatch", String(v.bitPattern, radix: 16), d, String(decoding: UnsafeBufferPointer(start: out, count: n), as: UTF8.self))
        }
    }
}

func report(_ name: String) {
    print(name.padding(28), "checked", checked, "accepted", accepted, "nil", rejected, "mismatches", mismatches, "wrong nil/accept", nilWrong, "overruns", overruns)
    checked = 0; accepted = 0; rejected = 0
}
extension String { func padding(_ n: Int) -> String { self + String(repeating: " ", count: max(0, n - count)) } }

let args = CommandLine.arguments.dropFirst()
do {
    let scale = args.first.flatMap { Int($0) } ?? 1000  // thousands per random set
    var rng = Rng(state: 0x1234_5678_9ABC_DEF0)
    func signed(_ v: Double) -> Double { rng.next() & 1 == 0 ? v : -v }
    // (a) random, several ways
    for _ in 0..<(60 * scale * 1_000) { check(Double(bitPattern: lowBits + rng.next() % (highBits - lowBits) | (rng.next() & 1) << 63)) }
    report("uniform bits in range")
    for _ in 0..<(30 * scale * 1_000) { check(signed(1e-4 + rng.unit() * (1 - 1e-4))) }
    report("uniform [1e-4, 1)")
    for _ in 0..<(30 * scale * 1_000) { check(signed(1 + rng.unit() * (1e6 - 1))) }
    report("uniform [1, 1e6)")
    for _ in 0..<(20 * scale * 1_000) { check(signed(0.01 + rng.unit() * (100 - 0.01))) }
    report("uniform [0.01, 100)")
    for _ in 0..<(20 * scale * 1_000) {
        // uniform in a random binade's top, 2^51 ≤ |v| < 2^52 often: 17 digits
        let e = Int(rng.next() % 66) - 14
        check(signed(Double(sign: .plus, exponent: e, significand: 1 + rng.unit())))
    }
    report("uniform per binade")
    for _ in 0..<(10 * scale * 1_000) {
        let e = Int(rng.next() % 66) - 14, k = Int64(rng.next() % 2001) - 1000
        check(signed(Double(bitPattern: UInt64(Int64((0x1p0 * pow(2.0, Double(e))).bitPattern) + k))))
    }
    report("near powers of two")
    let tens: [Double] = (-4...16).map { Double("1e\($0)")! }
    for _ in 0..<(10 * scale * 1_000) {
        let t = tens[Int(rng.next() % UInt64(tens.count))], k = Int64(rng.next() % 2001) - 1000
        let mult = Double(rng.next() % 9 + 1)  // d · 10^k neighbours too
        check(signed(Double(bitPattern: UInt64(Int64((t * mult).bitPattern) + k))))
    }
    report("near d·10^k")
    let p10: [Double] = (0...22).map { Double("1e\($0)")! }
    for _ in 0..<(20 * scale * 1_000) {
        // few digits: n / 10^j correctly rounded equals Double("…"); and their neighbours
        let digits = Int(rng.next() % 17) + 1
        let n = Double(rng.next() % UInt64(p10[digits]))
        let v = n / p10[Int(rng.next() % 21)]
        check(signed(v))
        check(signed(v.nextUp)); check(signed(v.nextDown))
    }
    report("few digits ± ulp")
    for k in 1..<1_000_000 where k % 1000 != 0 {
        let v = Double(k) / 1000
        for w in [v, v.nextUp, v.nextDown] { check(w); check(-w) }
    }
    report("k/1000 ± ulp, both signs")
    for j in 1...70 {
        // dyadic a / 2^j: exact decimals of j digits, among them the halfway cases of the fine grid
        for a in stride(from: 1, to: 1 << 20, by: 2) { let v = Double(a) * pow(2.0, Double(-j)); check(v); check(-v) }
    }
    report("odd a < 2^20 over 2^j, j≤70")
    // (b) outside the range, and integers
    for _ in 0..<(5 * scale * 1_000) { check(Double(bitPattern: rng.next() % lowBits | (rng.next() & 1) << 63)) }
    report("below 1e-4 (bits)")
    for _ in 0..<(5 * scale * 1_000) { check(Double(bitPattern: highBits + rng.next() % (0x8000_0000_0000_0000 - highBits) | (rng.next() & 1) << 63)) }
    report("2^52 and above, inf, NaN")
    for _ in 0..<(5 * scale * 1_000) { check(signed(Double(rng.next() % (1 << 52) >> (rng.next() % 52)))) }
    report("integers < 2^52")
    for v in [0.0, -0.0, .infinity, -.infinity, .nan, -.nan, .signalingNaN, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude,
              1e-4, (1e-4).nextDown, (1e-4).nextUp, 0x1p52, (0x1p52).nextDown, (0x1p52).nextUp, 0x1p53, 1.0, -1.0, 0.5, -0.5] { check(v) }
    report("special values")
    // (c) powers of two and neighbours
    for e in -20...60 {
        let p = pow(2.0, Double(e))
        var v = p
        for _ in 0..<64 { v = v.nextDown }
        for _ in 0..<129 { check(v); check(-v); v = v.nextUp }
    }
    report("2^e ± 64 ulps, e=-20…60")
    print("TOTAL mismatches", mismatches, "wrong nil/accept", nilWrong, "overruns", overruns)
    exit(mismatches + nilWrong + overruns == 0 ? 0 : 1)
}
