/// A small, fast JSON writer that appends UTF-8 bytes to a buffer.
///
/// The API's hot responses (a latent with hundreds of tokens and activations) are built with
/// this instead of `JSONEncoder`, which is several times slower for such bodies. Commas are
/// managed by the writer: call `key` then a value inside objects, values alone inside arrays.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Whether the current container already has a member (so the next one needs a comma).
    private var hasMember = false
    /// `hasMember` of the enclosing containers.
    private var outer: [Bool] = []

    init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    @inline(__always)
    private mutating func separate() {
        if hasMember { bytes.append(UInt8(ascii: ",")) }
        hasMember = true
    }

    mutating func object(_ body: (inout JSONWriter) -> Void) {
        container(open: "{", close: "}", body)
    }

    mutating func array(_ body: (inout JSONWriter) -> Void) {
        container(open: "[", close: "]", body)
    }

    private mutating func container(open: Unicode.Scalar, close: Unicode.Scalar, _ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: open))
        outer.append(hasMember)
        hasMember = false
        body(&self)
        hasMember = outer.removeLast()
        bytes.append(UInt8(ascii: close))
    }

    /// Writes `"name":`; the value written next belongs to it. Literal keys are plain ASCII
    /// identifiers and are copied without escaping.
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        hasMember = false
    }

    /// A key known only at run time (escaped).
    mutating func key(dynamic name: String) {
        separate()
        appendEscaped(name)
        bytes.append(UInt8(ascii: ":"))
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
    mutating func string(utf8 value: ArraySlice<UInt8>) {
        separate()
        value.withUnsafeBufferPointer { appendEscaped($0) }
    }

    /// Inserts a value that is already JSON (e.g. a cached, escaped string).
    mutating func raw(_ json: UnsafeBufferPointer<UInt8>) {
        separate()
        bytes.append(contentsOf: json)
    }

    /// `value` as a JSON string literal, quotes included, for caching.
    static func encoded(_ value: ArraySlice<UInt8>) -> [UInt8] {
        var w = JSONWriter(capacity: value.count + 2)
        w.string(utf8: value)
        return w.bytes
    }

    mutating func int(_ value: Int) {
        separate()
        if value >= 0 && value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
        } else {
            bytes.append(contentsOf: String(value).utf8)
        }
    }

    /// Non-finite numbers have no JSON form and are written as null.
    mutating func number(_ value: Double) {
        separate()
        if !value.isFinite { bytes.append(contentsOf: "null".utf8); return }
        if value == value.rounded(), abs(value) < 1e15 {
            bytes.append(contentsOf: String(Int64(value)).utf8)
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    mutating func number(_ value: Double?) {
        if let value { number(value) } else { null() }
    }

    mutating func number(_ value: Float) {
        separate()
        if value == 0 { bytes.append(UInt8(ascii: "0")); return }
        if !value.isFinite { bytes.append(contentsOf: "null".utf8); return }
        if value == value.rounded(), abs(value) < 1e7 {
            bytes.append(contentsOf: String(Int32(value)).utf8)
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private mutating func appendEscaped(_ s: String) {
        var s = s
        s.withUTF8 { appendEscaped($0) }
    }

    /// Copies runs that need no escaping in one go; escapes `"`, `\` and control characters.
    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        var runStart = 0
        for (i, b) in utf8.enumerated() where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b == 0x7F {
            if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
            runStart = i + 1
            bytes.append(UInt8(ascii: "\\"))
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(b)
            case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "t"))
            default:
                bytes.append(contentsOf: "u00".utf8)
                bytes.append(JSONWriter.hex[Int(b >> 4)])
                bytes.append(JSONWriter.hex[Int(b & 0xF)])
            }
        }
        if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        bytes.append(UInt8(ascii: "\""))
    }
}
