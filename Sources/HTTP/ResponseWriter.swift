/// Turns a handler's `Response` into bytes on the wire: conditional GET (304), gzip, the headers the
/// server owns (`Content-Length`, `Date`, `Server`, `Connection`), and header sanitising.
enum ResponseWriter {
    /// One response ready to send.
    struct Output: Sendable {
        /// Buffers to send in order (status line and headers first; a large body stays separate
        /// so it is not copied, and both go out in one `sendmsg`).
        var chunks: [[UInt8]]
        var status: Int
        /// Body bytes on the wire (0 for HEAD and 304), for the access log.
        var bodyBytes: Int
        /// Whether the connection must close after this response.
        var closeConnection: Bool
    }

    /// Headers the server writes itself; a handler's values for them are ignored.
    private static let serverOwned = ["Content-Length", "Connection", "Transfer-Encoding", "Date", "Server", "Keep-Alive"]
    /// `serverOwned` contains `name`, ignoring case; most names are ruled out by length alone.
    private static func isServerOwned(_ name: String) -> Bool {
        switch name.utf8.count {
        case 4, 6, 10, 14, 17: return serverOwned.contains { $0.equalsIgnoringASCIICase(name) }
        default: return false
        }
    }
    private static let okStatusLine = Array("HTTP/1.1 200 OK\r\n".utf8)

    /// Applies content negotiation to `response` for `request`: adds a strong ETag to cacheable
    /// GET responses, answers a matching `If-None-Match` with 304, and gzips compressible bodies
    /// when the client accepts it.
    static func negotiate(_ response: Response, for request: Request) -> Response {
        var response = response
        let isGet = request.method == "GET" || request.method == "HEAD"
        var etag: String?
        if isGet, response.status == 200, response.cacheable || response.headers.contains("ETag") {
            let tag = response.headers["ETag"] ?? ETag.strong(for: response.body)
            etag = tag
            response.headers["ETag"] = tag
        }
        let compressible = response.body.count >= Gzip.minimumSize && response.status >= 200
            && response.status != 204 && response.status != 304 && !response.headers.contains("Content-Encoding")
            && Gzip.isCompressible(contentType: response.headers["Content-Type"])
        if compressible && !response.headers.containsToken("Accept-Encoding", in: "Vary") {
            response.headers.add("Vary", "Accept-Encoding")
        }
        let useGzip = compressible && Gzip.isAccepted(by: request.headers["Accept-Encoding"])

        if let etag {
            let conditions = request.headers.values("If-None-Match")
            if !conditions.isEmpty,
               ETag.ifNoneMatch(conditions.joined(separator: ","), matchesAnyOf: [etag, ETag.gzipVariant(of: etag)]) {
                var notModified = Response(status: 304, headers: response.headers)
                notModified.headers.remove("Content-Type")
                if useGzip { notModified.headers["ETag"] = ETag.gzipVariant(of: etag) }
                return notModified
            }
        }
        if useGzip, let compressed = response.precompressedBody ?? Gzip.compress(response.body, level: Gzip.dynamicLevel),
           compressed.count < response.body.count {
            response.body = compressed
            response.headers["Content-Encoding"] = "gzip"
            if let etag { response.headers["ETag"] = ETag.gzipVariant(of: etag) }
        }
        response.precompressedBody = nil
        return response
    }

    /// The wire bytes of `response`. `headOnly` (HEAD) keeps `Content-Length` but sends no body.
    static func serialize(_ response: Response, headOnly: Bool, keepAlive: Bool, isHTTP10: Bool, date: String) -> Output {
        let closeConnection = !keepAlive || response.headers.containsToken("close", in: "Connection")
        let status = (100...999).contains(response.status) ? response.status : 500
        let statusLine = status == 200 ? okStatusLine : Array("HTTP/1.1 \(status) \(reasonPhrase(status))\r\n".utf8)
        // RFC 9110 section 8.6: no Content-Length on 1xx and 204; on 304 it is optional, and the
        // identity length would be wrong when the client holds the gzip variant.
        let hasBody = status >= 200 && status != 204 && status != 304
        let sendBody = hasBody && !headOnly && !response.body.isEmpty
        // Small bodies are copied behind the head so the response is one contiguous buffer.
        let bodyInline = sendBody && response.body.count <= 2 * 1024

        let contentLength = hasBody ? String(response.body.count) : ""
        let connection = closeConnection ? "close" : isHTTP10 ? "keep-alive" : ""
        // The handler's fields are read in place, twice (to size the buffer, then to write it),
        // rather than copied into a list of the fields to send.
        func size(_ name: String, _ value: String) -> Int { name.utf8.count + value.utf8.count + 4 }
        var capacity = statusLine.count + size("Server", "saescope") + size("Date", date) + size("Content-Length", contentLength)
            + size("Connection", connection) + 2 + (bodyInline ? response.body.count : 0)
        for index in response.headers.fields.indices {
            capacity += size(response.headers.fields[index].name, response.headers.fields[index].value)
        }
        let head = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            var out = buffer.baseAddress!
            statusLine.withUnsafeBufferPointer { out.initialize(from: $0.baseAddress!, count: $0.count) }
            out += statusLine.count
            out = writeField("Server", "saescope", to: out)
            out = writeField("Date", date, to: out)
            for index in response.headers.fields.indices where !isServerOwned(response.headers.fields[index].name) {
                out = writeField(response.headers.fields[index].name, response.headers.fields[index].value, to: out)
            }
            if hasBody { out = writeField("Content-Length", contentLength, to: out) }
            if !connection.isEmpty { out = writeField("Connection", connection, to: out) }
            out[0] = 13
            out[1] = 10
            out += 2
            if bodyInline {
                response.body.withUnsafeBufferPointer { out.initialize(from: $0.baseAddress!, count: $0.count) }
                out += response.body.count
            }
            count = buffer.baseAddress!.distance(to: out)
        }
        var chunks = [head]
        if sendBody && !bodyInline { chunks.append(response.body) }
        return Output(chunks: chunks, status: status, bodyBytes: sendBody ? response.body.count : 0, closeConnection: closeConnection)
    }

    /// Writes `name: value\r\n` at `out` (room for the name, the value and 4 bytes) and returns
    /// where it ends. Characters that could end the line early or forge another header (CR, LF,
    /// NUL and other controls) are dropped, so response splitting is impossible; a name with no
    /// allowed character writes nothing.
    private static func writeField(_ name: String, _ value: String, to out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        name.withContiguousUTF8 { name in
            value.withContiguousUTF8 { value in
                var p = out
                for byte in name where RequestParser.isTokenCharacter(byte) {
                    p.pointee = byte
                    p += 1
                }
                guard p > out else { return out }
                p[0] = UInt8(ascii: ":")
                p[1] = UInt8(ascii: " ")
                p += 2
                for byte in value where (byte >= 0x20 && byte != 0x7F) || byte == UInt8(ascii: "\t") {
                    p.pointee = byte
                    p += 1
                }
                p[0] = 13
                p[1] = 10
                return p + 2
            }
        }
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }
}
