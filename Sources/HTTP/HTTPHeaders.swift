/// An ordered list of HTTP header fields with case-insensitive name lookup.
///
/// Order and duplicates are preserved (e.g. several `Set-Cookie` fields); the subscript reads the
/// first value and its setter replaces every field of that name.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    /// One header field as it appears on the wire.
    public typealias Element = (name: String, value: String)

    @usableFromInline var fields: [Element]

    /// An empty header list.
    public init() { fields = [] }

    /// Headers from `(name, value)` pairs, in order. Room is made for the few fields that
    /// middleware and the server add to a response, so they do not reallocate.
    public init(_ pairs: [(String, String)]) {
        fields = []
        fields.reserveCapacity(pairs.count + 6)
        for (name, value) in pairs { fields.append((name: name, value: value)) }
    }

    /// Headers from a literal such as `["Content-Type": "text/plain"]`.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// The first value of the field `name` (case-insensitive); setting replaces every field of that
    /// name with one field (or removes them all when set to `nil`).
    public subscript(name: String) -> String? {
        get {
            for field in fields where field.name.equalsIgnoringASCIICase(name) { return field.value }
            return nil
        }
        set {
            if let newValue {
                if let first = fields.firstIndex(where: { $0.name.equalsIgnoringASCIICase(name) }) {
                    fields[first].value = newValue
                    var index = first + 1
                    while index < fields.count {
                        if fields[index].name.equalsIgnoringASCIICase(name) { fields.remove(at: index) } else { index += 1 }
                    }
                } else {
                    fields.append((name: name, value: newValue))
                }
            } else {
                remove(name)
            }
        }
    }

    /// Makes room for `count` fields, so adding them allocates once.
    public mutating func reserveCapacity(_ count: Int) {
        fields.reserveCapacity(count)
    }

    /// Appends a field, keeping any existing fields of the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name: name, value: value))
    }

    /// Removes every field named `name` (case-insensitive).
    public mutating func remove(_ name: String) {
        fields.removeAll { $0.name.equalsIgnoringASCIICase(name) }
    }

    /// Every value of the field `name`, in order.
    public func values(_ name: String) -> [String] {
        var values: [String] = []
        for field in fields where field.name.equalsIgnoringASCIICase(name) { values.append(field.value) }
        return values
    }

    /// Whether a field named `name` is present.
    public func contains(_ name: String) -> Bool {
        fields.contains { $0.name.equalsIgnoringASCIICase(name) }
    }

    /// The number of fields.
    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[Element]> { fields.makeIterator() }

    public var description: String {
        fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    }

    /// Whether any comma-separated element of the `name` fields equals `token` (case-insensitive),
    /// e.g. `Connection: keep-alive, Upgrade` contains the token `keep-alive`.
    func containsToken(_ token: String, in name: String) -> Bool {
        for field in fields where field.name.equalsIgnoringASCIICase(name) {
            for element in field.value.split(separator: ",") {
                if element.trimmingHTTPWhitespace().equalsIgnoringASCIICase(token) { return true }
            }
        }
        return false
    }
}

extension String {
    /// ASCII case-insensitive equality over contiguous UTF-8: header lookups run this many
    /// times per request, so it avoids the generic iterator path below.
    func equalsIgnoringASCIICase(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        return withContiguousUTF8 { a in
            other.withContiguousUTF8 { b in
                for index in 0..<a.count where a[index] != b[index] {
                    let lower = a[index] | 0x20
                    guard lower == b[index] | 0x20, lower >= UInt8(ascii: "a"), lower <= UInt8(ascii: "z") else { return false }
                }
                return true
            }
        }
    }

    /// `body` with the string's UTF-8, read in place without copying (and retaining) the string,
    /// except for a bridged one without contiguous storage.
    @inline(__always)
    func withContiguousUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        return copy.withUTF8(body)
    }
}

extension StringProtocol {
    /// ASCII case-insensitive equality, without allocating lowercased copies.
    func equalsIgnoringASCIICase<Other: StringProtocol>(_ other: Other) -> Bool {
        var left = utf8.makeIterator()
        var right = other.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return true
            case let (a?, b?):
                if a == b { continue }
                if a | 0x20 == b | 0x20, (a | 0x20) >= UInt8(ascii: "a"), (a | 0x20) <= UInt8(ascii: "z") { continue }
                return false
            default: return false
            }
        }
    }

    /// The substring without leading and trailing spaces and tabs (HTTP's optional whitespace).
    func trimmingHTTPWhitespace() -> Substring {
        let string = Substring(self)
        var start = string.startIndex
        var end = string.endIndex
        while start < end, string[start] == " " || string[start] == "\t" { start = string.index(after: start) }
        while end > start {
            let before = string.index(before: end)
            guard string[before] == " " || string[before] == "\t" else { break }
            end = before
        }
        return string[start..<end]
    }
}
