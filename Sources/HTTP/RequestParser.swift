import Foundation

/// Incremental HTTP/1.x request parser over a byte buffer: feed it bytes as they arrive, take
/// requests out in order (pipelining). Pure (no I/O), so it can be unit-tested at every split
/// point and fuzzed.
///
/// Strict where leniency enables request smuggling: a request with both `Content-Length` and
/// `Transfer-Encoding`, differing or non-numeric `Content-Length`, obsolete line folding, bare CR,
/// or whitespace before a header colon fails with 400. Chunked request bodies are answered with
/// 411. After a `.failure` the parser yields nothing more: the connection must be closed.
public struct RequestParser: Sendable {
    /// Size limits; exceeding one fails with 414, 431 or 413.
    public struct Limits: Sendable, Equatable {
        /// Longest request line (method, target, version) in bytes → 414.
        public var maxRequestLine: Int
        /// Largest header section after the request line in bytes → 431.
        public var maxHeaderBytes: Int
        /// Largest `Content-Length` accepted → 413 (decided before the body is read).
        public var maxBodyBytes: Int

        /// Limits with the server's defaults: 8 KiB, 32 KiB, 1 MiB.
        public init(maxRequestLine: Int = 8 * 1024, maxHeaderBytes: Int = 32 * 1024, maxBodyBytes: Int = 1024 * 1024) {
            self.maxRequestLine = maxRequestLine
            self.maxHeaderBytes = maxHeaderBytes
            self.maxBodyBytes = maxBodyBytes
        }
    }

    /// What the parser found next in the buffer.
    public enum Event: Sendable {
        /// A complete request; `keepAlive` says whether the connection may carry another one.
        case request(Request, keepAlive: Bool)
        /// The head asked for `Expect: 100-continue` and its body has not arrived yet: the server
        /// should send `HTTP/1.1 100 Continue` now.
        case expectContinue
        /// Malformed or over a limit: answer with this error, then close the connection.
        case failure(HTTPError)
    }

    private struct PendingBody: Sendable {
        var request: Request
        var keepAlive: Bool
        var length: Int
        var expectsContinue: Bool
    }

    /// At most this many empty lines are skipped before a request line (RFC 9112 section 2.2).
    private static let maxLeadingEmptyLines = 8

    public let limits: Limits
    private var buffer: [UInt8] = []
    /// First byte not yet consumed by a finished request.
    private var start = 0
    /// Bytes before this index have been scanned for line ends.
    private var scanned = 0
    /// Where the line being scanned starts.
    private var lineStart = 0
    /// Index of the `\n` that ends the request line, once seen.
    private var requestLineEnd: Int?
    private var skippedEmptyLines = 0
    private var pendingBody: PendingBody?
    private var failed = false

    /// A parser with the given limits.
    public init(limits: Limits = .init()) {
        self.limits = limits
    }

    /// Parses every request in `bytes`, stopping after the first failure — the entry point for
    /// fuzzing and tests.
    public static func parse(_ bytes: [UInt8], limits: Limits = .init()) -> [Event] {
        var parser = RequestParser(limits: limits)
        parser.append(contentsOf: bytes)
        var events: [Event] = []
        while let event = parser.next() {
            events.append(event)
            if case .failure = event { break }
        }
        return events
    }

    /// Bytes received but not yet returned as part of a request.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Whether no partial request is buffered (between requests on a keep-alive connection).
    public var isIdle: Bool { bufferedByteCount == 0 && pendingBody == nil }

    /// Whether the head of a request is complete and its body is still arriving.
    public var isReadingBody: Bool { pendingBody != nil }

    /// Adds received bytes.
    public mutating func append(contentsOf bytes: some Collection<UInt8>) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes from raw memory (the server's read buffer).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// The next request, `.expectContinue`, or `.failure`; nil when more bytes are needed.
    public mutating func next() -> Event? {
        if failed { return nil }
        if pendingBody != nil { return takeBody() }
        while true {
            guard let newline = findNewline(from: scanned) else {
                scanned = buffer.count
                // Fail as soon as a limit is certainly exceeded, without waiting for the line end.
                if let requestLineEnd {
                    if buffer.count - (requestLineEnd + 1) > limits.maxHeaderBytes { return fail(431, "request header fields are larger than \(limits.maxHeaderBytes) bytes") }
                } else if buffer.count - lineStart > limits.maxRequestLine + 1 {
                    return fail(414, "request line is longer than \(limits.maxRequestLine) bytes")
                }
                return nil
            }
            let lineEnd = newline > lineStart && buffer[newline - 1] == UInt8(ascii: "\r") ? newline - 1 : newline
            let lineIsEmpty = lineEnd == lineStart
            scanned = newline + 1
            if let requestLineEnd {
                if newline + 1 - (requestLineEnd + 1) > limits.maxHeaderBytes {
                    return fail(431, "request header fields are larger than \(limits.maxHeaderBytes) bytes")
                }
                if lineIsEmpty { return finishHead(requestLineEnd: requestLineEnd, headEnd: newline + 1) }
                lineStart = newline + 1
            } else if lineIsEmpty {
                skippedEmptyLines += 1
                if skippedEmptyLines > RequestParser.maxLeadingEmptyLines { return fail(400, "too many empty lines before the request line") }
                start = newline + 1
                lineStart = newline + 1
            } else {
                if lineEnd - lineStart > limits.maxRequestLine { return fail(414, "request line is longer than \(limits.maxRequestLine) bytes") }
                requestLineEnd = newline
                lineStart = newline + 1
            }
        }
    }

    // MARK: - Head

    private mutating func finishHead(requestLineEnd: Int, headEnd: Int) -> Event? {
        let head = start..<headEnd
        start = headEnd
        scanned = headEnd
        lineStart = headEnd
        self.requestLineEnd = nil
        skippedEmptyLines = 0
        do {
            pendingBody = try buffer.withUnsafeBufferPointer { bytes throws(HTTPError) in
                try RequestParser.parseHead(bytes, requestLine: head.lowerBound..<requestLineEnd,
                                            fields: (requestLineEnd + 1)..<head.upperBound, limits: limits)
            }
        } catch {
            failed = true
            return .failure(error)
        }
        return takeBody()
    }

    /// The pending request once its body is buffered; `.expectContinue` the first time the body is
    /// missing if the client asked for it, nil otherwise.
    private mutating func takeBody() -> Event? {
        guard var pending = pendingBody else { return nil }
        guard bufferedByteCount >= pending.length else {
            if pending.expectsContinue {
                pending.expectsContinue = false
                pendingBody = pending
                return .expectContinue
            }
            return nil
        }
        if pending.length > 0 {
            pending.request.body = Array(buffer[start..<(start + pending.length)])
            start += pending.length
            scanned = start
            lineStart = start
        }
        pendingBody = nil
        return .request(pending.request, keepAlive: pending.keepAlive)
    }

    private mutating func fail(_ status: Int, _ message: String) -> Event {
        failed = true
        return .failure(HTTPError(status, message))
    }

    private func findNewline(from index: Int) -> Int? {
        guard index < buffer.count else { return nil }
        return buffer.withUnsafeBufferPointer { bytes in
            guard let found = memchr(bytes.baseAddress! + index, Int32(UInt8(ascii: "\n")), bytes.count - index) else { return nil }
            return bytes.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Drops consumed bytes so the buffer does not grow across a long keep-alive connection.
    private mutating func compact() {
        guard start > 0, start == buffer.count || start >= 16 * 1024 else { return }
        let shift = start
        buffer.removeSubrange(0..<shift)
        start = 0
        scanned -= shift
        lineStart -= shift
        if let end = requestLineEnd { requestLineEnd = end - shift }
    }

    // MARK: - Pure head parsing

    private static func parseHead(_ bytes: UnsafeBufferPointer<UInt8>, requestLine: Range<Int>, fields: Range<Int>,
                                  limits: Limits) throws(HTTPError) -> PendingBody {
        // Request line: method SP request-target SP HTTP-version, exactly two spaces.
        var lineEnd = requestLine.upperBound
        if lineEnd > requestLine.lowerBound, bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
        var spaces = (requestLine.lowerBound, requestLine.lowerBound)
        var spaceCount = 0
        for i in requestLine.lowerBound..<lineEnd where bytes[i] == UInt8(ascii: " ") {
            spaceCount += 1
            if spaceCount == 1 { spaces.0 = i } else { spaces.1 = i }
        }
        guard spaceCount == 2 else { throw HTTPError(400, "malformed request line") }
        let methodRange = requestLine.lowerBound..<spaces.0
        let targetRange = (spaces.0 + 1)..<spaces.1
        guard !methodRange.isEmpty, !targetRange.isEmpty, methodRange.allSatisfy({ isTokenCharacter(bytes[$0]) }) else {
            throw HTTPError(400, "malformed request line")
        }
        guard targetRange.allSatisfy({ bytes[$0] > 0x20 && bytes[$0] < 0x7F }) else {
            throw HTTPError(400, "the request target contains a space, a control character or a non-ASCII byte")
        }
        let method = string(bytes, methodRange)
        let target = string(bytes, targetRange)
        let version = string(bytes, (spaces.1 + 1)..<lineEnd)
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            if version.count == 8, version.hasPrefix("HTTP/"), version.utf8.enumerated().allSatisfy({ $0.offset < 5 || ($0.offset == 6 ? $0.element == UInt8(ascii: ".") : isDigit($0.element)) }) {
                throw HTTPError(505, "HTTP version \(version) is not supported; use HTTP/1.1")
            }
            throw HTTPError(400, "malformed request line")
        }
        guard target.hasPrefix("/") || (target == "*" && method == "OPTIONS")
                || target.lowercased().hasPrefix("http://") || target.lowercased().hasPrefix("https://") else {
            throw HTTPError(400, "malformed request target \(target)")
        }

        // Header fields: name ":" OWS value OWS, one per line. The fields that matter for framing
        // are noted on the way, so the usual request (Host only) needs no second look.
        var headers = HTTPHeaders()
        headers.reserveCapacity(8)
        var hosts = 0
        var framing = false, expect = false, connection = false
        var fieldStart = fields.lowerBound
        var i = fields.lowerBound
        while i < fields.upperBound {
            guard bytes[i] == UInt8(ascii: "\n") else { i += 1; continue }
            var fieldEnd = i
            if fieldEnd > fieldStart, bytes[fieldEnd - 1] == UInt8(ascii: "\r") { fieldEnd -= 1 }
            if fieldEnd > fieldStart {
                let field = try parseField(bytes, fieldStart..<fieldEnd)
                switch field.name.utf8.count {
                case 4: if field.name.equalsIgnoringASCIICase("Host") { hosts += 1 }
                case 6: expect = expect || field.name.equalsIgnoringASCIICase("Expect")
                case 10: connection = connection || field.name.equalsIgnoringASCIICase("Connection")
                case 14, 17: framing = framing || field.name.equalsIgnoringASCIICase("Content-Length")
                    || field.name.equalsIgnoringASCIICase("Transfer-Encoding")
                default: break
                }
                headers.add(field.name, field.value)
            }
            i += 1
            fieldStart = i
        }

        let isHTTP10 = version == "HTTP/1.0"
        if hosts > 1 || (!isHTTP10 && hosts == 0) {
            throw HTTPError(400, hosts == 0 ? "HTTP/1.1 requests need a Host header" : "more than one Host header")
        }
        let length = framing ? try bodyLength(headers, isHTTP10: isHTTP10, limits: limits) : 0
        var expectsContinue = false
        if expect, let value = headers["Expect"] {
            guard value.trimmingHTTPWhitespace().equalsIgnoringASCIICase("100-continue") else {
                throw HTTPError(417, "only Expect: 100-continue is supported")
            }
            expectsContinue = !isHTTP10 && length > 0
        }
        let keepAlive = isHTTP10 ? connection && headers.containsToken("keep-alive", in: "Connection")
                                 : !(connection && headers.containsToken("close", in: "Connection"))
        var request = Request(method: method, target: target, headers: headers)
        request.version = version
        return PendingBody(request: request, keepAlive: keepAlive, length: length, expectsContinue: expectsContinue)
    }

    private static func parseField(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) throws(HTTPError) -> (name: String, value: String) {
        if bytes[line.lowerBound] == UInt8(ascii: " ") || bytes[line.lowerBound] == UInt8(ascii: "\t") {
            throw HTTPError(400, "obsolete line folding in request headers is not accepted")
        }
        guard let colon = line.first(where: { bytes[$0] == UInt8(ascii: ":") }), colon > line.lowerBound,
              (line.lowerBound..<colon).allSatisfy({ isTokenCharacter(bytes[$0]) }) else {
            throw HTTPError(400, "malformed request header line")
        }
        var valueStart = colon + 1
        var valueEnd = line.upperBound
        while valueStart < valueEnd, bytes[valueStart] == UInt8(ascii: " ") || bytes[valueStart] == UInt8(ascii: "\t") { valueStart += 1 }
        while valueEnd > valueStart, bytes[valueEnd - 1] == UInt8(ascii: " ") || bytes[valueEnd - 1] == UInt8(ascii: "\t") { valueEnd -= 1 }
        for index in valueStart..<valueEnd {
            let byte = bytes[index]
            if (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F {
                throw HTTPError(400, "a request header value contains a control character")
            }
        }
        return (string(bytes, line.lowerBound..<colon), string(bytes, valueStart..<valueEnd))
    }

    /// The body length from the framing headers, rejecting every ambiguous combination.
    private static func bodyLength(_ headers: HTTPHeaders, isHTTP10: Bool, limits: Limits) throws(HTTPError) -> Int {
        let transferEncodings = headers.values("Transfer-Encoding")
        let contentLengths = headers.values("Content-Length")
        if !transferEncodings.isEmpty {
            if !contentLengths.isEmpty {
                throw HTTPError(400, "a request may not have both Content-Length and Transfer-Encoding")
            }
            if isHTTP10 { throw HTTPError(400, "Transfer-Encoding is not allowed in HTTP/1.0 requests") }
            let codings = transferEncodings.flatMap { $0.split(separator: ",") }.map { $0.trimmingHTTPWhitespace().lowercased() }
            if codings.last == "chunked" {
                throw HTTPError(411, "chunked request bodies are not supported; send the body with Content-Length")
            }
            throw HTTPError(501, "Transfer-Encoding \(transferEncodings.joined(separator: ", ")) is not supported")
        }
        var length: Int?
        for element in contentLengths.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
            let digits = element.trimmingHTTPWhitespace()
            guard !digits.isEmpty, digits.utf8.allSatisfy(isDigit) else {
                throw HTTPError(400, "Content-Length \"\(contentLengths.joined(separator: ", "))\" is not a number")
            }
            // More digits than fit any sane limit: too large, and parsing could overflow.
            guard digits.utf8.count <= 15, let value = Int(digits) else {
                throw HTTPError(413, "request body is larger than \(limits.maxBodyBytes) bytes")
            }
            if let length, length != value {
                throw HTTPError(400, "the request has differing Content-Length values")
            }
            length = value
        }
        let bodyLength = length ?? 0
        if bodyLength > limits.maxBodyBytes {
            throw HTTPError(413, "request body is larger than \(limits.maxBodyBytes) bytes")
        }
        return bodyLength
    }

    private static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// RFC 9110 tchar: the characters allowed in methods and header names.
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
