/// An HTTP response produced by a handler.
///
/// The server adds `Content-Length`, `Date`, `Server` and `Connection` itself, compresses the body
/// when the client accepts gzip, and answers conditional GETs when the response is `cacheable`.
public struct Response: Sendable {
    /// The status code, e.g. 200.
    public var status: Int
    /// Response headers; values containing CR or LF are sanitised when written.
    public var headers: HTTPHeaders
    /// The full body (sent without it for HEAD requests, with the same `Content-Length`).
    public var body: [UInt8]
    /// Set to `true` for a 200 response to a GET whose body is a pure function of the URL: the
    /// server then adds a strong `ETag` (a 64-bit hash of the body, unless the handler set one)
    /// and answers a matching `If-None-Match` with 304.
    public var cacheable: Bool = false

    /// A gzip copy of `body` computed ahead of time (static files), so it is not compressed per request.
    var precompressedBody: [UInt8]?

    /// A response with the given status, headers and body.
    public init(status: Int = 200, headers: HTTPHeaders = .init(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response; sets `Content-Type: application/json; charset=utf-8`.
    public static func json(_ bytes: [UInt8], status: Int = 200) -> Response {
        Response(status: status, headers: ["Content-Type": "application/json; charset=utf-8"], body: bytes)
    }

    /// A JSON error response: `{"error":{"status":N,"message":"..."}}`, the message JSON-escaped.
    public static func error(_ status: Int, _ message: String) -> Response {
        var body = Array(#"{"error":{"status":"#.utf8)
        body += Array(String(status).utf8)
        body += Array(#","message":"#.utf8)
        appendJSONString(message, to: &body)
        body += Array("}}".utf8)
        return .json(body, status: status)
    }

    /// The same response, marked cacheable (see `cacheable`).
    public func markedCacheable() -> Response {
        var copy = self
        copy.cacheable = true
        return copy
    }
}

/// Appends `string` as a JSON string literal (quotes included), escaping what RFC 8259 requires.
func appendJSONString(_ string: String, to out: inout [UInt8]) {
    let hex = Array("0123456789abcdef".utf8)
    out.append(UInt8(ascii: "\""))
    for byte in string.utf8 {
        switch byte {
        case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
        case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
        case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
        case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
        case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
        case 0..<0x20:
            out += Array("\\u00".utf8)
            out += [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
        default: out.append(byte)
        }
    }
    out.append(UInt8(ascii: "\""))
}
