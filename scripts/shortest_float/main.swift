// scripts/check_shortest_float.sh: ShortestFloat against Float.description for the bit patterns [lo, hi), both signs.
let args = CommandLine.arguments
let lo = UInt32(args[1])!, hi = UInt32(args[2])!
var out = [UInt8](repeating: 0, count: 32)
var bad = 0, fast = 0
var bits = lo
while bits < hi {
    let v = Float(bitPattern: bits)
    for x in [v, -v] {
        let n = out.withUnsafeMutableBufferPointer { ShortestFloat.write(x, to: $0.baseAddress!) }
        if let n {
            fast += 1
            let mine = String(decoding: out[0..<n], as: UTF8.self)
            if mine != x.description { bad += 1; if bad < 20 { print("MISMATCH", bits, mine, x.description) } }
        }
    }
    bits &+= 1
}
print("checked", hi - lo, "patterns,", fast, "fast,", bad, "mismatches")
