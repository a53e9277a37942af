/// An HTTP request as handlers see it: the raw target plus its decoded path and query.
public struct Request: Sendable {
    /// The method, e.g. "GET".
    public var method: String
    /// The raw request-target, e.g. "/api/features?limit=5".
    public var target: String
    /// The percent-decoded path without the query, e.g. "/api/features".
    public var path: String
    /// Query parameters, percent-decoded with `+` as space; the first value of a repeated name wins.
    public var query: [String: String]
    /// The request headers, in the order received.
    public var headers: HTTPHeaders
    /// The request body (framed by `Content-Length`).
    public var body: [UInt8]
    /// Parameters captured by the `Router` from patterns such as "/api/features/:id".
    public var pathParameters: [String: String] = [:]
    /// The protocol version from the request line: "HTTP/1.1" or "HTTP/1.0".
    public var version: String = "HTTP/1.1"

    /// A request for `target`; `path` and `query` are parsed from it.
    public init(method: String, target: String, headers: HTTPHeaders = .init(), body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        let raw = Request.rawPath(of: target)
        self.path = PercentDecoding.decode(raw)
        if let questionMark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            let queryString = target[target.utf8.index(after: questionMark)...]
            self.query = Request.parseQuery(queryString)
        } else {
            self.query = [:]
        }
    }

    /// The still-encoded path of a request-target: the part before `?`, with the scheme and
    /// authority of an absolute-form target ("http://host/x") removed.
    static func rawPath(of target: String) -> Substring {
        let range = target.withContiguousUTF8 { rawPathRange($0) }
        if range.isEmpty && range.lowerBound > 0 { return "/" }
        // The range ends at ASCII bytes ('?', '/') or the ends, so these are character boundaries.
        let utf8 = target.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
        return Substring(utf8[start..<utf8.index(start, offsetBy: range.count)])
    }

    /// `rawPath(of:)` as a range of the target's UTF-8 bytes. An absolute-form target without a
    /// path ("http://host") gives an empty range after its authority, standing for "/".
    static func rawPathRange(_ target: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        var end = 0
        while end < target.count, target[end] != UInt8(ascii: "?") { end += 1 }
        guard end > 0, target[0] != UInt8(ascii: "/") else { return 0..<end }
        // "scheme://authority/path": skip to the first "/" after "://".
        var index = 0
        var slashes = 0
        var colon = false
        while index < end {
            if target[index] == UInt8(ascii: "/") {
                slashes += 1
                if slashes == 3 { break }
            } else {
                if target[index] == UInt8(ascii: ":") { colon = true }
                if slashes == 1 { slashes = 0 }
            }
            index += 1
        }
        guard slashes >= 2 && colon else { return 0..<end }
        return index < end ? index..<end : end..<end
    }

    /// `a=1&b=x+y&c` → ["a": "1", "b": "x y", "c": ""]; the first value of a repeated name wins.
    static func parseQuery(_ query: Substring) -> [String: String] {
        var result: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let equals = pair.firstIndex(of: "=") {
                name = pair[..<equals]
                value = pair[pair.index(after: equals)...]
            } else {
                name = pair
                value = ""
            }
            let key = PercentDecoding.decode(name, plusAsSpace: true)
            if result[key] == nil { result[key] = PercentDecoding.decode(value, plusAsSpace: true) }
        }
        return result
    }
}

/// Percent-decoding of URL components (RFC 3986 section 2.1).
enum PercentDecoding {
    /// Decodes `%XX` escapes (and `+` when `plusAsSpace`); malformed escapes are kept literally and
    /// invalid UTF-8 becomes U+FFFD, so decoding never fails.
    static func decode<S: StringProtocol>(_ string: S, plusAsSpace: Bool = false) -> String {
        let utf8 = string.utf8
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) else {
            return String(string)
        }
        let bytes = Array(utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
