import XCTest
@testable import HTTP

final class RequestParserTests: XCTestCase {
    private func events(_ text: String, limits: RequestParser.Limits = .init()) -> [RequestParser.Event] {
        RequestParser.parse(Array(text.utf8), limits: limits)
    }

    private func requests(_ events: [RequestParser.Event]) -> [Request] {
        events.compactMap { if case .request(let request, _) = $0 { return request } else { return nil } }
    }

    private func failureStatus(_ text: String, limits: RequestParser.Limits = .init(), file: StaticString = #filePath, line: UInt = #line) -> Int? {
        let all = events(text, limits: limits)
        guard case .failure(let error)? = all.last else { return nil }
        return error.status
    }

    func testParsesRequestLineHeadersPathAndQuery() throws {
        let all = events("GET /api/features/a%20b?limit=5&q=hello+world&q=second&flag HTTP/1.1\r\nHost: x\r\nX-Thing:  value \r\nx-thing: two\r\n\r\n")
        let request = try XCTUnwrap(requests(all).first)
        XCTAssertEqual(request.method, "GET")
        XCTAssertEqual(request.target, "/api/features/a%20b?limit=5&q=hello+world&q=second&flag")
        XCTAssertEqual(request.path, "/api/features/a b")
        XCTAssertEqual(request.query, ["limit": "5", "q": "hello world", "flag": ""])
        XCTAssertEqual(request.headers["x-THING"], "value")
        XCTAssertEqual(request.headers.values("X-Thing"), ["value", "two"])
        XCTAssertEqual(request.version, "HTTP/1.1")
        XCTAssertTrue(request.body.isEmpty)
    }

    func testPipelinedRequestsComeOutInOrderWithBodies() {
        let text = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: x\r\n\r\nPUT /c HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok"
        let parsed = requests(events(text))
        XCTAssertEqual(parsed.map(\.path), ["/a", "/b", "/c"])
        XCTAssertEqual(parsed.map { String(decoding: $0.body, as: UTF8.self) }, ["hello", "", "ok"])
    }

    /// Every split of the input into two reads, and byte-at-a-time delivery, give the same requests.
    func testSplitReadsAtEveryByteBoundary() {
        let bytes = Array("\r\nPOST /a?x=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello worldGET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /c HTTP/1.1\nHost: y\n\n".utf8)
        func summary(_ events: [RequestParser.Event]) -> [String] {
            events.map {
                switch $0 {
                case .request(let request, let keepAlive): "\(request.method) \(request.target) \(request.version) \(keepAlive) \(String(decoding: request.body, as: UTF8.self))"
                case .expectContinue: "continue"
                case .failure(let error): "failure \(error.status)"
                }
            }
        }
        let expected = summary(RequestParser.parse(bytes))
        XCTAssertEqual(expected, ["POST /a?x=1 HTTP/1.1 true hello world", "GET /b HTTP/1.0 true ", "GET /c HTTP/1.1 true "])
        for split in 0...bytes.count {
            var parser = RequestParser()
            var got: [RequestParser.Event] = []
            parser.append(contentsOf: bytes[0..<split])
            while let event = parser.next() { got.append(event) }
            parser.append(contentsOf: bytes[split...])
            while let event = parser.next() { got.append(event) }
            XCTAssertEqual(summary(got), expected, "split at \(split)")
        }
        var parser = RequestParser()
        var got: [RequestParser.Event] = []
        for byte in bytes {
            parser.append(contentsOf: [byte])
            while let event = parser.next() { got.append(event) }
        }
        XCTAssertEqual(summary(got), expected)
        XCTAssertTrue(parser.isIdle)
    }

    func testKeepAliveRules() {
        func keepAlive(_ text: String) -> Bool? {
            if case .request(_, let keepAlive)? = events(text).first { return keepAlive }
            return nil
        }
        XCTAssertEqual(keepAlive("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), true)
        XCTAssertEqual(keepAlive("GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n"), false)
        XCTAssertEqual(keepAlive("GET / HTTP/1.0\r\n\r\n"), false)
        XCTAssertEqual(keepAlive("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), true)
    }

    func testLimitsAnswer414And431And413() {
        let limits = RequestParser.Limits(maxRequestLine: 64, maxHeaderBytes: 128, maxBodyBytes: 10)
        let longTarget = "/" + String(repeating: "a", count: 100)
        XCTAssertEqual(failureStatus("GET \(longTarget) HTTP/1.1\r\nHost: x\r\n\r\n", limits: limits), 414)
        // Decided before the line ends: a client cannot make the server buffer an endless line.
        XCTAssertEqual(failureStatus("GET \(longTarget)", limits: limits), 414)
        let bigHeader = "X: " + String(repeating: "b", count: 200)
        XCTAssertEqual(failureStatus("GET / HTTP/1.1\r\nHost: x\r\n\(bigHeader)\r\n\r\n", limits: limits), 431)
        XCTAssertEqual(failureStatus("GET / HTTP/1.1\r\nHost: x\r\n\(bigHeader)", limits: limits), 431)
        // 413 comes from Content-Length alone, before any body byte.
        XCTAssertEqual(failureStatus("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", limits: limits), 413)
        XCTAssertEqual(failureStatus("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", limits: limits), 413)
        XCTAssertEqual(requests(events("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789", limits: limits)).count, 1)
    }

    func testSmugglingAttemptsAreRejected() {
        XCTAssertEqual(failureStatus("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"), 400)
        XCTAssertEqual(failureStatus("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"), 400)
        XCTAssertEqual(failureStatus("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!"), 400)
        XCTAssertEqual(failureStatus("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"), 400)
        XCTAssertEqual(failureStatus("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello"), 400)
        XCTAssertEqual(failureStatus("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"), 400)
        XCTAssertEqual(failureStatus("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n"), 400)
        XCTAssertEqual(failureStatus("POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello"), 400)
        XCTAssertEqual(failureStatus("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), 411)
        XCTAssertEqual(failureStatus("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"), 501)
        XCTAssertEqual(failureStatus("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400)
        // Identical duplicates are allowed by RFC 9112 section 6.3.
        XCTAssertEqual(requests(events("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello")).count, 1)
    }

    func testMalformedInputIs400AndStopsTheParser() {
        let bad = [
            "GET /\r\n\r\n",
            "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET / http/1.1\r\nHost: x\r\n\r\n",
            "GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n",
            "G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET nopath HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /a\u{7}b HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n folded\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{0}b\r\n\r\n",
            "GET / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: x\r\nExpect: something\r\n\r\n",
        ]
        for text in bad {
            let status = failureStatus(text)
            XCTAssertNotNil(status, "accepted: \(text.debugDescription)")
            XCTAssertTrue(status == 400 || status == 417, "\(text.debugDescription) → \(String(describing: status))")
        }
        XCTAssertEqual(failureStatus("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505)
        var parser = RequestParser()
        parser.append(contentsOf: Array("BAD\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        guard case .failure? = parser.next() else { return XCTFail("expected a failure") }
        XCTAssertNil(parser.next(), "nothing may be parsed after a failure")
    }

    func testExpectContinueIsAnnouncedOnceBeforeTheBody() {
        var parser = RequestParser()
        parser.append(contentsOf: Array("PUT /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n".utf8))
        guard case .expectContinue? = parser.next() else { return XCTFail("expected 100-continue") }
        XCTAssertNil(parser.next())
        XCTAssertTrue(parser.isReadingBody)
        parser.append(contentsOf: Array("abc".utf8))
        guard case .request(let request, _)? = parser.next() else { return XCTFail("expected the request") }
        XCTAssertEqual(request.body, Array("abc".utf8))
    }

    func testAbsoluteFormTargetAndAsterisk() {
        let parsed = requests(events("GET http://example.com/a/b?c=d HTTP/1.1\r\nHost: example.com\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"))
        XCTAssertEqual(parsed.map(\.path), ["/a/b", "*"])
        XCTAssertEqual(parsed.first?.query, ["c": "d"])
    }

    func testRawPathOfEveryTargetForm() {
        let cases: [(String, String)] = [
            ("/a/b?c=d", "/a/b"), ("/", "/"), ("?x", ""), ("", ""), ("*", "*"),
            ("http://example.com/a/b?c", "/a/b"), ("HTTPS://h:8080/x/", "/x/"), ("http://example.com", "/"),
            ("http://example.com?q", "/"), ("foo//bar:1/x", "/x"), ("a/b:c//d/e", "/e"), ("no-colon//h/p", "no-colon//h/p"),
        ]
        for (target, path) in cases {
            XCTAssertEqual(String(Request.rawPath(of: target)), path, target)
            XCTAssertEqual(Request(method: "GET", target: target).path, path, target)
        }
    }

    /// Random mutations of valid requests must never crash or hang the parser.
    func testRandomInputNeverCrashes() {
        var generator = SplitMix64(seed: 42)
        let seeds = [
            "GET /a?b=c HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
            "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nbody",
            "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        ].map { Array($0.utf8) }
        let alphabet = Array(" :\r\n\t%/?&=0123456789GETPOSHTP.,-\u{0}\u{7f}".utf8) + [0xFF, 0xC3]
        for _ in 0..<3000 {
            var bytes = seeds[Int(generator.next() % UInt64(seeds.count))]
            for _ in 0..<Int(generator.next() % 6) {
                let position = Int(generator.next() % UInt64(bytes.count + 1))
                switch generator.next() % 3 {
                case 0: bytes.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: position)
                case 1: if position < bytes.count { bytes.remove(at: position) }
                default: if position < bytes.count { bytes[position] = UInt8(truncatingIfNeeded: generator.next()) }
                }
            }
            let limits = RequestParser.Limits(maxRequestLine: 40, maxHeaderBytes: 80, maxBodyBytes: 8)
            _ = RequestParser.parse(bytes + bytes, limits: limits)
        }
    }
}

/// A tiny deterministic generator so failures reproduce.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
