/// A small, fast JSON writer that appends UTF-8 bytes to a buffer.
///
/// The API's hot responses (a latent with hundreds of tokens and activations) are built with
/// this instead of `JSONEncoder`, which is several times slower for such bodies. Commas are
/// managed by the writer: call `key` then a value inside objects, values alone inside arrays.
struct JSONWriter: ~Copyable {
    /// The output so far, in a buffer grown by doubling: appends are a capacity check and a
    /// copy, without an array's uniqueness checks and retains on every call.
    private var buffer: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    /// Whether the current container already has a member (so the next one needs a comma).
    private var hasMember = false
    /// `hasMember` of the enclosing containers, as bits (containers nest less than 64 deep here).
    private var outer: UInt64 = 0

    init(capacity: Int = 1024) {
        self.capacity = max(capacity, 16)
        buffer = .allocate(capacity: self.capacity)
    }

    deinit { buffer.deallocate() }

    /// The JSON written so far.
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: buffer, count: count)) }

    @inline(__always)
    private mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBuffer.update(from: buffer, count: count)
        buffer.deallocate()
        buffer = newBuffer
        capacity = newCapacity
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8) {
        reserve(1)
        buffer[count] = byte
        count += 1
    }

    @inline(__always)
    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        // Most pieces are a token's literal or a number, a few bytes: a plain loop beats a
        // call to memmove for those. It writes through a local pointer: indexing `buffer` by
        // `count + i` made each byte reload both from `self`.
        if bytes.count <= 16 {
            let out = buffer + count
            for i in 0..<bytes.count { out[i] = base[i] }
        } else {
            (buffer + count).update(from: base, count: bytes.count)
        }
        count += bytes.count
    }

    @inline(__always)
    private mutating func append(_ string: StaticString) {
        append(UnsafeBufferPointer(start: string.utf8Start, count: string.utf8CodeUnitCount))
    }

    @inline(__always)
    private mutating func separate() {
        if hasMember { append(UInt8(ascii: ",")) }
        hasMember = true
    }

    @inline(__always)
    mutating func object(_ body: (inout JSONWriter) -> Void) {
        container(open: "{", close: "}", body)
    }

    @inline(__always)
    mutating func array(_ body: (inout JSONWriter) -> Void) {
        container(open: "[", close: "]", body)
    }

    @inline(__always)
    private mutating func container(open: Unicode.Scalar, close: Unicode.Scalar, _ body: (inout JSONWriter) -> Void) {
        separate()
        append(UInt8(ascii: open))
        outer = outer << 1 | (hasMember ? 1 : 0)
        hasMember = false
        body(&self)
        hasMember = outer & 1 == 1
        outer >>= 1
        append(UInt8(ascii: close))
    }

    /// Writes `"name":`; the value written next belongs to it. Literal keys are plain ASCII
    /// identifiers and are copied without escaping.
    @inline(__always)
    mutating func key(_ name: StaticString) {
        let n = name.utf8CodeUnitCount
        reserve(n + 4)  // one check for the comma, the quotes, the colon and the name
        var p = buffer + count
        if hasMember { p.pointee = UInt8(ascii: ","); p += 1 }
        p.pointee = UInt8(ascii: "\"")
        for i in 0..<n { p[1 + i] = name.utf8Start[i] }
        p[n + 1] = UInt8(ascii: "\"")
        p[n + 2] = UInt8(ascii: ":")
        count = buffer.distance(to: p) + n + 3
        hasMember = false
    }

    /// A key known only at run time (escaped).
    mutating func key(dynamic name: String) {
        separate()
        appendEscaped(name)
        append(UInt8(ascii: ":"))
        hasMember = false
    }

    mutating func string(_ value: String) {
        separate()
        appendEscaped(value)
    }

    mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    /// A string given as valid UTF-8 bytes.
    mutating func string(utf8 value: UnsafeBufferPointer<UInt8>) {
        separate()
        appendEscaped(value)
    }

    /// Inserts a value that is already JSON, `count` bytes at `json`, which stays readable up to
    /// `count` rounded up to 16 (as `TokenJSON` pads its literals): copied 16 bytes at a time, with no loop over
    /// bytes for the short literals of token strings.
    @inline(__always)
    mutating func raw(padded json: UnsafePointer<UInt8>, count n: Int) {
        separate()
        reserve(n + 16)
        var i = 0
        repeat {
            UnsafeMutableRawPointer(buffer + count + i).storeBytes(
                of: UnsafeRawPointer(json + i).loadUnaligned(as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
            i += 16
        } while i < n
        count += n
    }

    /// For hot loops that write many small members themselves (`TokenJSON.writeDisplay`):
    /// `body` gets the write position, with room for `capacity` bytes, and whether the current
    /// container has a member already; it returns how many bytes it wrote, commas included, and
    /// whether it wrote a member.
    @inline(__always)
    mutating func appendMembers(reserving capacity: Int,
                                _ body: (_ out: UnsafeMutablePointer<UInt8>, _ hasMember: Bool) -> (count: Int, wroteMember: Bool)) {
        reserve(capacity)
        let (n, wroteMember) = body(buffer + count, hasMember)
        count += n
        hasMember = hasMember || wroteMember
    }

    /// `value` as a JSON string literal, quotes included, for caching.
    static func encoded(_ value: ArraySlice<UInt8>) -> [UInt8] {
        var w = JSONWriter(capacity: value.count + 2)
        value.withUnsafeBufferPointer { w.string(utf8: $0) }
        return w.bytes
    }

    mutating func int(_ value: Int) {
        separate()
        appendInteger(value)
    }

    private mutating func appendInteger(_ value: Int) {
        // Counted first, the digits go straight to their place (no String on the way).
        reserve(21)
        if value < 0 { buffer[count] = UInt8(ascii: "-"); count += 1 }
        let magnitude = UInt64(value.magnitude)
        var n = 1, rest = magnitude
        while rest >= 10_000 { rest /= 10_000; n += 4 }
        n += rest >= 100 ? (rest >= 1_000 ? 3 : 2) : (rest >= 10 ? 1 : 0)
        count += DecimalDigits.write(magnitude, before: buffer + count + n)
    }

    /// Receives a number's text from its `write(to:)`, straight into the writer's buffer.
    private struct NumberText: TextOutputStream {
        static let capacity = 32  // the longest Double or Float description has 24 bytes
        let out: UnsafeMutablePointer<UInt8>
        var count = 0

        mutating func write(_ string: String) {
            var string = string
            string.withUTF8 { _writeASCII($0) }
        }

        /// What the standard library's floating-point `write(to:)` calls with its digits, so no
        /// String is made on the way (without it, `write(_:)` gets the same text).
        mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
            for byte in buffer where count < NumberText.capacity {
                out[count] = byte
                count += 1
            }
        }
    }

    /// Appends `value.description`.
    private mutating func appendDescription(of value: some BinaryFloatingPoint & TextOutputStreamable) {
        reserve(NumberText.capacity)
        var text = NumberText(out: buffer + count)
        value.write(to: &text)
        count += text.count
    }

    /// Non-finite numbers have no JSON form and are written as null.
    mutating func number(_ value: Double) {
        separate()
        if !value.isFinite { append("null"); return }
        if value == value.rounded(), abs(value) < 1e15 {
            appendInteger(Int(value))
        } else {
            reserve(32)
            if let n = ShortestDouble.write(value, to: buffer + count) {
                count += n
            } else {
                appendDescription(of: value)
            }
        }
    }

    mutating func number(_ value: Double?) {
        if let value { number(value) } else { null() }
    }

    /// `n` zeros as array members: a snippet's activations between those where it fires.
    mutating func zeros(_ n: Int) {
        guard n > 0 else { return }
        separate()
        // "0", then n − 1 × ",0" stored eight at a time (the buffer has room for the overshoot).
        reserve(2 * n + 16)
        buffer[count] = UInt8(ascii: "0")
        let pairs = SIMD8<UInt16>(repeating: (UInt16(UInt8(ascii: ",")) | UInt16(UInt8(ascii: "0")) << 8).littleEndian)
        var i = 0
        while i < 2 * (n - 1) {
            UnsafeMutableRawPointer(buffer + count + 1 + i).storeBytes(of: pairs, as: SIMD8<UInt16>.self)
            i += 16
        }
        count += 2 * n - 1
    }

    /// Zeros, most of a snippet's activations, are written inline; the rest by `nonzero`.
    @inline(__always)
    mutating func number(_ value: Float) {
        separate()
        if value == 0 { append(UInt8(ascii: "0")) } else { nonzero(value) }
    }

    /// `number(value)`, returning where its text is in the output (for `copy`).
    mutating func numberText(_ value: Float) -> Range<Int> {
        separate()
        let start = count
        if value == 0 { append(UInt8(ascii: "0")) } else { nonzero(value) }
        return start..<count
    }

    /// A member whose text is a copy of `range` of the output so far (a value written before).
    mutating func copy(_ range: Range<Int>) {
        separate()
        reserve(range.count)
        (buffer + count).update(from: buffer + range.lowerBound, count: range.count)
        count += range.count
    }

    private mutating func nonzero(_ value: Float) {
        reserve(24)
        if let n = ShortestFloat.write(value, to: buffer + count) {
            count += n
            return
        }
        if !value.isFinite { append("null"); return }
        if value == value.rounded(), abs(value) < 1e7 {
            appendInteger(Int(value))
        } else {
            appendDescription(of: value)
        }
    }

    mutating func bool(_ value: Bool) {
        separate()
        append(value ? "true" : "false")
    }

    mutating func null() {
        separate()
        append("null")
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private mutating func appendEscaped(_ s: String) {
        var s = s
        s.withUTF8 { appendEscaped($0) }
    }

    /// Whether any of the 8 bytes of `word` needs escaping: below 0x20, `"`, `\` or DEL. Exact
    /// (the borrows that can make such tests misfire only follow a byte that does match).
    @inline(__always)
    private static func needsEscaping(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }
        let below = (word &- 0x20 &* ones) & ~word & highs
        return below | hasZero(word ^ (0x22 &* ones)) | hasZero(word ^ (0x5C &* ones)) | hasZero(word ^ (0x7F &* ones)) != 0
    }

    /// Copies runs that need no escaping in one go (found 8 bytes at a time); escapes `"`, `\`
    /// and control characters.
    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        append(UInt8(ascii: "\""))
        var clean = 0
        if let base = utf8.baseAddress {
            while clean + 8 <= utf8.count,
                  !JSONWriter.needsEscaping(UInt64(littleEndian: UnsafeRawPointer(base + clean).loadUnaligned(as: UInt64.self))) {
                clean += 8
            }
        }
        guard clean < utf8.count else {
            append(utf8)
            return append(UInt8(ascii: "\""))
        }
        var runStart = 0
        for i in clean..<utf8.count {
            let b = utf8[i]
            guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b == 0x7F else { continue }
            append(UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
            runStart = i + 1
            append(UInt8(ascii: "\\"))
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): append(b)
            case UInt8(ascii: "\n"): append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): append(UInt8(ascii: "t"))
            default:
                append("u00")
                append(JSONWriter.hex[Int(b >> 4)])
                append(JSONWriter.hex[Int(b & 0xF)])
            }
        }
        append(UnsafeBufferPointer(rebasing: utf8[runStart...]))
        append(UInt8(ascii: "\""))
    }
}
