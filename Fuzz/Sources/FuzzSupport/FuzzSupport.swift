import CFuzzer
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A broken invariant: prints `message` and aborts, which libFuzzer reports as a crash and saves
/// the input. (A thrown error is an expected outcome for malformed input; this is not.)
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                    file: StaticString = #fileID, line: UInt = #line) {
    if !condition() {
        var text = "invariant broken at \(file):\(line): \(message())\n"
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        abort()
    }
}

/// Deterministic choices drawn from the fuzz input itself (so a saved input replays exactly):
/// SplitMix64 seeded with a few bytes.
public struct InputRandom {
    private var state: UInt64

    public init<C: Collection<UInt8>>(seed bytes: C) {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for byte in bytes { state = (state ^ UInt64(byte)) &* 0x100_0000_01B3 }
        self.state = state
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `range` (which must not be empty).
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
}

/// The largest tensor (in elements) a fuzzer converts to floats: inputs are a few KiB, but a
/// quantised or deflated tensor can legitimately expand, and the point is to read every byte,
/// not to allocate gigabytes.
public let maxElementsToRead = 1 << 22

/// A zip archive of stored (uncompressed) members, as `torch.save` writes them: local headers,
/// data, central directory, end record. Enough to wrap fuzzed bytes into a `.pt` archive.
public func storedZip(_ members: [(name: String, data: [UInt8])]) -> [UInt8] {
    var out: [UInt8] = []
    var central: [UInt8] = []
    func u16(_ v: Int, _ to: inout [UInt8]) { to += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    func u32(_ v: Int, _ to: inout [UInt8]) { for shift in stride(from: 0, to: 32, by: 8) { to.append(UInt8((v >> shift) & 0xFF)) } }
    for member in members {
        let offset = out.count
        let name = Array(member.name.utf8)
        u32(0x0403_4B50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u32(0, &out)
        u32(0, &out)  // CRC: readers of stored .pt members do not check it
        u32(member.data.count, &out); u32(member.data.count, &out); u16(name.count, &out); u16(0, &out)
        out += name + member.data
        u32(0x0201_4B50, &central); u16(20, &central); u16(20, &central); u16(0, &central); u16(0, &central); u32(0, &central)
        u32(0, &central); u32(member.data.count, &central); u32(member.data.count, &central)
        u16(name.count, &central); u16(0, &central); u16(0, &central); u16(0, &central); u16(0, &central); u32(0, &central)
        u32(offset, &central)
        central += name
    }
    let centralOffset = out.count
    out += central
    u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(members.count, &out); u16(members.count, &out)
    u32(central.count, &out); u32(centralOffset, &out); u16(0, &out)
    return out
}

/// Runs libFuzzer with `testOneInput`: call it from the target's entry point, `<Module>_main`
/// (see CFuzzer.h for why the targets have one).
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                      _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, testOneInput)
}
