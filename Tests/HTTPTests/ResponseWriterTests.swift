import CZlib
import XCTest
@testable import HTTP

/// Decompresses gzip with zlib itself, to check what the server sends.
func gunzip(_ bytes: [UInt8]) -> [UInt8]? {
    var stream = z_stream()
    guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
    defer { inflateEnd(&stream) }
    var input = bytes
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16384)
    var status: Int32 = Z_OK
    input.withUnsafeMutableBufferPointer { inputBuffer in
        stream.next_in = inputBuffer.baseAddress
        stream.avail_in = uInt(inputBuffer.count)
        while status == Z_OK {
            chunk.withUnsafeMutableBufferPointer { out in
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                status = inflate(&stream, Z_NO_FLUSH)
                output += out[0..<(out.count - Int(stream.avail_out))]
            }
        }
    }
    return status == Z_STREAM_END ? output : nil
}

final class ResponseWriterTests: XCTestCase {
    private let bigJSON: [UInt8] = Array(("[" + (0..<400).map { "{\"id\":\($0),\"name\":\"feature\"}" }.joined(separator: ",") + "]").utf8)

    private func negotiate(_ response: Response, _ headers: HTTPHeaders, method: String = "GET") -> Response {
        ResponseWriter.negotiate(response, for: Request(method: method, target: "/api/x", headers: headers))
    }

    func testGzipWhenAcceptedAndWorthIt() {
        let response = negotiate(.json(bigJSON), ["Accept-Encoding": "gzip, deflate, br"])
        XCTAssertEqual(response.headers["Content-Encoding"], "gzip")
        XCTAssertEqual(response.headers["Vary"], "Accept-Encoding")
        XCTAssertLessThan(response.body.count, bigJSON.count)
        XCTAssertEqual(gunzip(response.body), bigJSON)
    }

    func testNoGzipWhenRefusedSmallOrIncompressible() {
        XCTAssertNil(negotiate(.json(bigJSON), [:]).headers["Content-Encoding"])
        XCTAssertNil(negotiate(.json(bigJSON), ["Accept-Encoding": "gzip;q=0, br"]).headers["Content-Encoding"])
        XCTAssertNil(negotiate(.json(bigJSON), ["Accept-Encoding": "*;q=0"]).headers["Content-Encoding"])
        XCTAssertEqual(negotiate(.json(bigJSON), ["Accept-Encoding": "*"]).headers["Content-Encoding"], "gzip")
        XCTAssertEqual(negotiate(.json(bigJSON), ["Accept-Encoding": "identity;q=1, GZIP;q=0.5"]).headers["Content-Encoding"], "gzip")
        XCTAssertEqual(negotiate(.json(bigJSON), [:]).headers["Vary"], "Accept-Encoding", "caches must know the body varies")
        let small = negotiate(.json(Array("{}".utf8)), ["Accept-Encoding": "gzip"])
        XCTAssertNil(small.headers["Content-Encoding"])
        XCTAssertNil(small.headers["Vary"])
        let png = Response(headers: ["Content-Type": "image/png"], body: [UInt8](repeating: 7, count: 5000))
        XCTAssertNil(negotiate(png, ["Accept-Encoding": "gzip"]).headers["Content-Encoding"])
        for type in ["text/html; charset=utf-8", "text/javascript", "text/css", "image/svg+xml", "application/json",
                     " TEXT/Plain ;charset=x", "application/ld+json", "application/xml", "application/wasm",
                     "application/x-javascript", "application/atom+xml"] {
            XCTAssertTrue(Gzip.isCompressible(contentType: type), type)
        }
        for type in ["image/png", "application/octet-stream", "", ";text/html", "image/svg", "font/woff2", "text"] {
            XCTAssertFalse(Gzip.isCompressible(contentType: type), type)
        }
        XCTAssertFalse(Gzip.isCompressible(contentType: nil))
    }

    func testCacheableResponsesGetAStrongETagAndA304() throws {
        let response = Response.json(bigJSON).markedCacheable()
        let first = negotiate(response, [:])
        let etag = try XCTUnwrap(first.headers["ETag"])
        XCTAssertTrue(etag.hasPrefix("\"") && etag.hasSuffix("\"") && etag.count == 18, etag)
        XCTAssertEqual(negotiate(response, [:]).headers["ETag"], etag, "the tag is a pure function of the body")
        XCTAssertNotEqual(negotiate(.json(bigJSON + [32]).markedCacheable(), [:]).headers["ETag"], etag)

        for condition in [etag, "W/\(etag)", "\"other\", \(etag)", "*", "\"nope\",W/\(etag)"] {
            let conditional = negotiate(response, ["If-None-Match": condition])
            XCTAssertEqual(conditional.status, 304, condition)
            XCTAssertTrue(conditional.body.isEmpty)
            XCTAssertEqual(conditional.headers["ETag"], etag)
        }
        XCTAssertEqual(negotiate(response, ["If-None-Match": "\"nope\""]).status, 200)
        XCTAssertNil(negotiate(.json(bigJSON), [:]).headers["ETag"], "not cacheable, no tag")
        XCTAssertEqual(negotiate(response, ["If-None-Match": etag], method: "POST").status, 200)

        let gzipped = negotiate(response, ["Accept-Encoding": "gzip"])
        let gzipTag = try XCTUnwrap(gzipped.headers["ETag"])
        XCTAssertNotEqual(gzipTag, etag, "a strong tag differs per encoding")
        XCTAssertEqual(negotiate(response, ["Accept-Encoding": "gzip", "If-None-Match": gzipTag]).status, 304)
    }

    func testSerializedHeadersAreOwnedByTheServerAndSanitised() {
        var response = Response.text("hello")
        response.headers["X-Evil"] = "a\r\nSet-Cookie: injected=1"
        response.headers["Bad\r\nName"] = "v"
        response.headers["Content-Length"] = "999"
        response.headers["Server"] = "other"
        let output = ResponseWriter.serialize(response, headOnly: false, keepAlive: true, isHTTP10: false, date: HTTPDate.now())
        let text = String(decoding: output.chunks.joined(), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 200 OK\r\nServer: saescope\r\nDate: "), text)
        XCTAssertTrue(text.contains("\r\nX-Evil: aSet-Cookie: injected=1\r\n"), text)
        XCTAssertFalse(text.contains("\r\nSet-Cookie"), text)
        XCTAssertTrue(text.contains("\r\nBadName: v\r\n"), text)
        XCTAssertTrue(text.contains("\r\nContent-Length: 5\r\n"), text)
        XCTAssertFalse(text.contains("999") || text.contains("other"), text)
        XCTAssertTrue(text.hasSuffix("\r\n\r\nhello"), text)
        XCTAssertFalse(output.closeConnection)
    }

    func testHeadKeepsContentLengthWithoutBody() {
        let output = ResponseWriter.serialize(.text("hello"), headOnly: true, keepAlive: false, isHTTP10: false, date: "d")
        let text = String(decoding: output.chunks.joined(), as: UTF8.self)
        XCTAssertTrue(text.contains("Content-Length: 5\r\n"))
        XCTAssertTrue(text.contains("Connection: close\r\n"))
        XCTAssertTrue(text.hasSuffix("\r\n\r\n"))
        XCTAssertEqual(output.bodyBytes, 0)
        XCTAssertTrue(output.closeConnection)
    }

    func testNoContentLengthOn204And304() {
        for status in [204, 304] {
            let text = String(decoding: ResponseWriter.serialize(Response(status: status), headOnly: false, keepAlive: true, isHTTP10: false, date: "d").chunks.joined(), as: UTF8.self)
            XCTAssertFalse(text.contains("Content-Length"), text)
        }
    }

    func testHTTPDateFormat() {
        XCTAssertEqual(HTTPDate.format(784111777), "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    /// A strong ETag must change with the body: every prefix, every flipped bit and every swap
    /// of two 64-byte blocks gives a new hash.
    func testETagHashChangesWithEveryBitLengthAndBlockOrder() {
        var generator = SplitMix64(seed: 7)
        let base = (0..<300).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        var seen = Set<UInt64>()
        for length in 0...base.count {
            XCTAssertTrue(seen.insert(ETag.hash64(Array(base[..<length]))).inserted, "prefix \(length)")
            XCTAssertTrue(seen.insert(ETag.hash64([UInt8](repeating: 0, count: length + 1))).inserted, "zeros \(length + 1)")
        }
        for position in base.indices {
            for bit in 0..<8 {
                var changed = base
                changed[position] ^= 1 << bit
                XCTAssertTrue(seen.insert(ETag.hash64(changed)).inserted, "byte \(position) bit \(bit)")
            }
        }
        var swapped = base
        swapped.replaceSubrange(0..<64, with: base[64..<128])
        swapped.replaceSubrange(64..<128, with: base[0..<64])
        XCTAssertTrue(seen.insert(ETag.hash64(swapped)).inserted, "blocks swapped")
    }
}
