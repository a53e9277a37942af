import Foundation
import XCTest
@testable import HTTP

/// Real-socket tests on an ephemeral port.
final class ServerTests: XCTestCase {
    /// /slow?ms=N sleeps N ms; /echo returns the body; anything else returns its path.
    private let app: any Responder = {
        var router = Router()
        router.add("GET", "/slow") { request in
            Thread.sleep(forTimeInterval: Double(request.query["ms"] ?? "0").map { $0 / 1000 } ?? 0)
            return .text("slow \(request.query["id"] ?? "")")
        }
        router.add("POST", "/echo") { request in Response(body: request.body) }
        router.add("GET", "/huge") { _ in Response(body: (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }) }
        router.add("GET", "/big") { _ in .json(Array(("[" + String(repeating: "1,", count: 2000) + "1]").utf8)).markedCacheable() }
        router.fallback(ClosureResponder { request in .text("path \(request.path)") })
        return CORS(prefix: "/api", wrapping: router)
    }()

    func testKeepAliveServesManyRequestsOnOneConnection() throws {
        try withServer(responder: app) { server in
            let client = try TestClient(port: server.port)
            for index in 0..<5 {
                try client.send("GET /n\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
                let reply = try client.readReply()
                XCTAssertEqual(reply.status, 200)
                XCTAssertEqual(reply.text, "path /n\(index)")
                XCTAssertEqual(reply.headers["Server"], "saescope")
                XCTAssertNotNil(reply.headers["Date"])
                XCTAssertNil(reply.headers["Connection"])
            }
        }
    }

    func testPipelinedResponsesComeBackInOrder() throws {
        try withServer(responder: app) { server in
            let client = try TestClient(port: server.port)
            // The first request is the slowest: a server answering out of order would show it.
            try client.send("GET /slow?ms=150&id=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /slow?ms=0&id=2 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcHEAD /slow?id=4 HTTP/1.1\r\nHost: x\r\n\r\nGET /slow?id=5 HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(try client.readReply().text, "slow 1")
            XCTAssertEqual(try client.readReply().text, "slow 2")
            XCTAssertEqual(try client.readReply().text, "abc")
            let head = try client.readReply(headRequest: true)
            XCTAssertEqual(head.headers["Content-Length"], "6", "HEAD keeps the GET's Content-Length")
            XCTAssertEqual(try client.readReply().text, "slow 5", "HEAD sent no body, so the next response parses")
        }
    }

    func testHTTP10ClosesUnlessKeepAliveAsked() throws {
        try withServer(responder: app) { server in
            let closing = try TestClient(port: server.port)
            try closing.send("GET /a HTTP/1.0\r\n\r\n")
            let reply = try closing.readReply()
            XCTAssertEqual(reply.headers["Connection"], "close")
            XCTAssertTrue(closing.readsEOF())

            let keeping = try TestClient(port: server.port)
            try keeping.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            XCTAssertEqual(try keeping.readReply().headers["Connection"], "keep-alive")
            try keeping.send("GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            XCTAssertEqual(try keeping.readReply().headers["Connection"], "close")
            XCTAssertTrue(keeping.readsEOF())
        }
    }

    func testLimitsOverTheWireAnswerThenClose() throws {
        try withServer({ $0.maxRequestLine = 100; $0.maxHeaderBytes = 200; $0.maxBodyBytes = 1000 }, responder: app) { server in
            let cases: [(String, Int)] = [
                ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + String(repeating: "x", count: 3000), 413),
                ("GET /" + String(repeating: "a", count: 300) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
                ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 300) + "\r\n\r\n", 431),
                ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", 400),
                ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 411),
                ("garbage\r\n\r\n", 400),
            ]
            for (text, status) in cases {
                let client = try TestClient(port: server.port)
                try client.send(text)
                let reply = try client.readReply()
                XCTAssertEqual(reply.status, status, text.prefix(40).debugDescription)
                XCTAssertEqual(reply.headers["Content-Type"], "application/json; charset=utf-8")
                XCTAssertTrue(reply.text.hasPrefix("{\"error\":{\"status\":\(status),"), reply.text)
                XCTAssertEqual(reply.headers["Connection"], "close")
                XCTAssertTrue(client.readsEOF(), "closed after \(status)")
            }
        }
    }

    func testTooManyConnectionsGet503ThenClose() throws {
        try withServer({ $0.maxConnections = 2 }, responder: app) { server in
            var held: [TestClient] = []
            for _ in 0..<2 {
                let client = try TestClient(port: server.port)
                try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                XCTAssertEqual(try client.readReply().status, 200)
                held.append(client)
            }
            let extra = try TestClient(port: server.port)
            let reply = try extra.readReply()
            XCTAssertEqual(reply.status, 503)
            XCTAssertEqual(reply.headers["Retry-After"], "1")
            XCTAssertTrue(extra.readsEOF())
            held.removeAll()
            // Slots come back once connections close.
            var served = false
            for _ in 0..<50 where !served {
                Thread.sleep(forTimeInterval: 0.02)
                let again = try TestClient(port: server.port)
                try? again.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                served = (try? again.readReply().status) == 200
            }
            XCTAssertTrue(served)
        }
    }

    func testHeaderTimeoutAnswers408AndIdleTimeoutClosesSilently() throws {
        try withServer({ $0.headerTimeout = .milliseconds(300); $0.idleTimeout = .milliseconds(300) }, responder: app) { server in
            let slow = try TestClient(port: server.port)
            try slow.send("GET / HTTP/1.1\r\nHo")
            let started = Date()
            let reply = try slow.readReply()
            XCTAssertEqual(reply.status, 408)
            XCTAssertLessThan(Date().timeIntervalSince(started), 3)
            XCTAssertTrue(slow.readsEOF())

            let idle = try TestClient(port: server.port)
            try idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(try idle.readReply().status, 200)
            XCTAssertTrue(idle.readsEOF(), "an idle keep-alive connection is closed without a response")
        }
    }

    func testSlowHandlerDoesNotBlockOtherClients() throws {
        try withServer(responder: app) { server in
            let blocked = try TestClient(port: server.port)
            try blocked.send("GET /slow?ms=1500 HTTP/1.1\r\nHost: x\r\n\r\n")
            Thread.sleep(forTimeInterval: 0.05)
            let started = Date()
            let fast = try TestClient(port: server.port)
            for _ in 0..<20 {
                try fast.send("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n")
                XCTAssertEqual(try fast.readReply().status, 200)
            }
            XCTAssertLessThan(Date().timeIntervalSince(started), 1.0)
            XCTAssertEqual(try blocked.readReply().text, "slow ")
        }
    }

    /// 50 connections trickle header bytes while another client completes many requests.
    func testTricklingClientsDoNotSlowOthersDown() throws {
        try withServer(responder: app) { server in
            let tricklers = try (0..<50).map { _ in try TestClient(port: server.port) }
            let stop = Locked(false)
            let trickle = Thread {
                let text = Array("GET /trickle HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8)
                var index = 0
                while !stop.withLock({ $0 }) {
                    for client in tricklers { try? client.send([text[min(index, text.count - 1)]]) }
                    index += 1
                    Thread.sleep(forTimeInterval: 0.05)
                }
            }
            trickle.start()
            defer { stop.withLock { $0 = true } }
            let started = Date()
            let client = try TestClient(port: server.port)
            for index in 0..<300 {
                try client.send("GET /fast/\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
                XCTAssertEqual(try client.readReply().text, "path /fast/\(index)")
            }
            XCTAssertLessThan(Date().timeIntervalSince(started), 5, "generous bound: this takes milliseconds")
        }
    }

    func testGracefulShutdownFinishesInFlightRequest() throws {
        let configuration = ServerConfiguration(port: 0, workerThreads: 2, ioThreads: 1)
        let server = Server(configuration: configuration, responder: app)
        try server.start()
        let port = server.port
        let inFlight = try TestClient(port: port)
        try inFlight.send("GET /slow?ms=400&id=last HTTP/1.1\r\nHost: x\r\n\r\n")
        let idle = try TestClient(port: port)
        try idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try idle.readReply().status, 200)
        Thread.sleep(forTimeInterval: 0.1)

        let returned = expectation(description: "run returned")
        Thread {
            server.run()
            returned.fulfill()
        }.start()
        server.shutdown()
        XCTAssertTrue(idle.readsEOF(), "idle connections are closed at once")
        let reply = try inFlight.readReply()
        XCTAssertEqual(reply.text, "slow last")
        XCTAssertEqual(reply.headers["Connection"], "close")
        wait(for: [returned], timeout: 5)
        XCTAssertThrowsError(try TestClient(port: port), "no longer accepting")
    }

    func testSIGTERMShutsDownGracefully() throws {
        let server = Server(configuration: ServerConfiguration(port: 0, workerThreads: 1, ioThreads: 1), responder: app)
        try server.start()
        let returned = expectation(description: "run returned")
        Thread {
            server.run()
            returned.fulfill()
        }.start()
        for _ in 0..<200 where !server.handlesSignals { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertTrue(server.handlesSignals)
        kill(getpid(), SIGTERM)
        wait(for: [returned], timeout: 5)
    }

    func testExpectContinueOverTheWire() throws {
        try withServer(responder: app) { server in
            let client = try TestClient(port: server.port)
            try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
            XCTAssertEqual(try client.readReply().status, 100)
            try client.send("data")
            XCTAssertEqual(try client.readReply().text, "data")
        }
    }

    func testGzipETagCORSAndAccessLogOverTheWire() throws {
        let lines = Locked<[String]>([])
        try withServer({ configuration in configuration.accessLog = { line in lines.withLock { $0.append(line) } } }, responder: app) { server in
            let client = try TestClient(port: server.port)
            try client.send("GET /big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
            let gzipped = try client.readReply()
            XCTAssertEqual(gzipped.headers["Content-Encoding"], "gzip")
            XCTAssertEqual(gzipped.headers["Vary"], "Accept-Encoding")
            let etag = try XCTUnwrap(gzipped.headers["ETag"])
            XCTAssertEqual(gunzip(gzipped.body).map { String(decoding: $0, as: UTF8.self) }, "[" + String(repeating: "1,", count: 2000) + "1]")

            try client.send("GET /big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nIf-None-Match: \(etag)\r\n\r\n")
            let notModified = try client.readReply()
            XCTAssertEqual(notModified.status, 304)
            XCTAssertTrue(notModified.body.isEmpty)

            try client.send("OPTIONS /api/anything HTTP/1.1\r\nHost: x\r\nOrigin: http://elsewhere\r\nAccess-Control-Request-Method: POST\r\n\r\n")
            let preflight = try client.readReply()
            XCTAssertEqual(preflight.status, 204)
            XCTAssertEqual(preflight.headers["Access-Control-Allow-Origin"], "*")
            try client.send("GET /api/x HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(try client.readReply().headers["Access-Control-Allow-Origin"], "*")
        }
        let logged = lines.withLock { $0 }
        XCTAssertEqual(logged.count, 4)
        let pattern = try NSRegularExpression(pattern: #"^GET /big 200 \d+B \d+\.\d\dms$"#)
        XCTAssertEqual(pattern.numberOfMatches(in: logged[0], range: NSRange(logged[0].startIndex..., in: logged[0])), 1, logged[0])
        XCTAssertTrue(logged[1].hasPrefix("GET /big 304 0B "), logged[1])
    }

    /// Percent-encoded CR LF in a target decodes into the path and query, but never reaches the
    /// wire as a header line: the writer drops CR and LF from header names and values, even for
    /// a responder that copies request input into headers, and the access log keeps the path
    /// percent-encoded. Raw CR or LF in a header value is a 400.
    func testCRLFInATargetNeverBecomesAHeaderOrALogLine() throws {
        let lines = Locked<[String]>([])
        let reflecting = ClosureResponder { request in
            var response = Response.text("ok")
            response.headers["X-Path"] = request.path
            response.headers["X-Query"] = request.query["q"] ?? ""
            return response
        }
        try withServer({ configuration in configuration.accessLog = { line in lines.withLock { $0.append(line) } } }, responder: reflecting) { server in
            let client = try TestClient(port: server.port)
            try client.send("GET /a%0d%0aSet-Cookie:%20injected=1?q=x%0D%0AX-Injected:%201%0A%0D HTTP/1.1\r\nHost: x\r\n\r\n")
            let reply = try client.readReply()
            XCTAssertEqual(reply.status, 200)
            XCTAssertNil(reply.headers["Set-Cookie"])
            XCTAssertNil(reply.headers["X-Injected"])
            XCTAssertEqual(reply.headers["X-Path"], "/aSet-Cookie: injected=1")
            XCTAssertEqual(reply.headers["X-Query"], "xX-Injected: 1")
            XCTAssertEqual(reply.text, "ok")
            try client.send("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rSet-Cookie: b\r\n\r\n")
            let refused = try client.readReply()
            XCTAssertEqual(refused.status, 400)
            XCTAssertNil(refused.headers["Set-Cookie"])
        }
        let logged = lines.withLock { $0 }
        XCTAssertTrue(logged.first?.hasPrefix("GET /a%0d%0aSet-Cookie:%20injected=1 200 ") == true, "\(logged)")
        XCTAssertFalse(logged.contains { $0.contains("\r") || $0.contains("\n") }, "\(logged)")
    }

    func testStaticFilesOverTheWireFromCacheAndWith304() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("saescope-wire-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let page = "<!doctype html>" + String(repeating: "<p>latent</p>", count: 300)
        try Data(page.utf8).write(to: root.appendingPathComponent("index.html"))
        var router = Router()
        router.fallback(try StaticFiles(root: root))
        try withServer(responder: router) { server in
            let client = try TestClient(port: server.port)
            var tags: [String] = []
            // The first request reads the disk on a worker; the next ones are cache hits answered inline.
            for _ in 0..<3 {
                try client.send("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
                let reply = try client.readReply()
                XCTAssertEqual(reply.text, page)
                XCTAssertEqual(reply.headers["Content-Type"], "text/html; charset=utf-8")
                tags.append(try XCTUnwrap(reply.headers["ETag"]))
            }
            XCTAssertEqual(Set(tags).count, 1)
            try client.send("GET /index.html HTTP/1.1\r\nHost: x\r\nIf-None-Match: W/\(tags[0])\r\n\r\n")
            XCTAssertEqual(try client.readReply().status, 304)
            try client.send("HEAD /index.html HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
            let head = try client.readReply(headRequest: true)
            XCTAssertEqual(head.headers["Content-Encoding"], "gzip")
            try client.send("GET /index.html HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
            let gzipped = try client.readReply()
            XCTAssertEqual(head.headers["Content-Length"], String(gzipped.body.count), "HEAD has the GET's length")
            XCTAssertEqual(gunzip(gzipped.body).map { String(decoding: $0, as: UTF8.self) }, page)
            try client.send("GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(try client.readReply().status, 404)
        }
    }

    /// A body far larger than the socket buffer is written in pieces as the client reads.
    func testLargeResponseSurvivesPartialWrites() throws {
        try withServer(responder: app) { server in
            let client = try TestClient(port: server.port)
            try client.send("GET /huge HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
            Thread.sleep(forTimeInterval: 0.2)  // let the server fill the socket buffer and wait
            let reply = try client.readReply()
            XCTAssertEqual(reply.body.count, 3 << 20)
            XCTAssertTrue(reply.body.enumerated().allSatisfy { $0.element == UInt8(truncatingIfNeeded: $0.offset &* 7) })
            XCTAssertEqual(try client.readReply().text, "path /after")
        }
    }

    func testBodyTimeoutAnswers408() throws {
        try withServer({ $0.bodyTimeout = .milliseconds(300) }, responder: app) { server in
            let client = try TestClient(port: server.port)
            try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
            XCTAssertEqual(try client.readReply().status, 408)
            XCTAssertTrue(client.readsEOF())
        }
    }

    /// A client pipelining hundreds of requests answered on the I/O thread takes turns with the
    /// loop's other connections. Before, the loop answered its whole read-ahead first: two such
    /// clients reading their answers kept others waiting 1–2 s (docs/RELIABILITY.md).
    func testPipelinedFloodTakesTurnsWithOtherClients() throws {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let order = Locked<[String]>([])
        var router = Router()
        router.add("GET", "/flood/:n", quick: true) { request in
            let n = request.pathParameters["n"] ?? ""
            if n == "0" {
                // Hold the loop until the other client's request is waiting on its socket.
                entered.signal()
                _ = release.wait(timeout: .now() + 5)
            }
            order.withLock { $0.append(n) }
            return .text("flood \(n)")
        }
        router.add("GET", "/other", quick: true) { _ in
            order.withLock { $0.append("other") }
            return .text("other")
        }
        try withServer({ $0.ioThreads = 1 }, responder: router) { server in
            let flooder = try TestClient(port: server.port)
            let other = try TestClient(port: server.port)
            let count = 500
            try flooder.send((0..<count).map { "GET /flood/\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
            shutdown(flooder.fd, Int32(SHUT_WR))
            XCTAssertEqual(entered.wait(timeout: .now() + 5), .success)
            try other.send("GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
            Thread.sleep(forTimeInterval: 0.1)  // let the request reach the server's socket
            release.signal()
            XCTAssertEqual(try other.readReply().text, "other")
            // Every pipelined request is still answered, in order, before the close.
            for n in 0..<count { XCTAssertEqual(try flooder.readReply().text, "flood \(n)") }
            XCTAssertTrue(flooder.readsEOF())
            let position = try XCTUnwrap(order.withLock { $0.firstIndex(of: "other") })
            XCTAssertLessThan(position, 100, "the other client's request waited behind \(position) pipelined ones")
        }
    }

    func testClientVanishingMidRequestDoesNotHurtTheServer() throws {
        try withServer(responder: app) { server in
            for _ in 0..<5 {
                let client = try TestClient(port: server.port)
                try client.send("GET /slow?ms=50 HTTP/1.1\r\nHost: x\r\n\r\nGET /slow HTTP/1.1\r\n")
            }
            Thread.sleep(forTimeInterval: 0.1)
            let client = try TestClient(port: server.port)
            try client.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(try client.readReply().text, "path /ok")
        }
    }

    func testStartReportsPortInUseAndServesIPv6() throws {
        try withServer(responder: app) { server in
            let second = Server(configuration: ServerConfiguration(host: "127.0.0.1", port: server.port), responder: app)
            XCTAssertThrowsError(try second.start()) { error in
                XCTAssertEqual((error as? ServerError)?.message, "port \(server.port) on 127.0.0.1 is already in use")
            }
        }
        let ipv6 = Server(configuration: ServerConfiguration(host: "::1", port: 0, workerThreads: 1, ioThreads: 1), responder: app)
        do {
            try ipv6.start()
        } catch {
            throw XCTSkip("IPv6 loopback unavailable: \(error)")
        }
        defer {
            ipv6.shutdown()
            ipv6.run()
        }
        XCTAssertGreaterThan(ipv6.port, 0)
    }
}
