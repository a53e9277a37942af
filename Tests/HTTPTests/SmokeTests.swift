import XCTest
@testable import HTTP

final class SmokeTests: XCTestCase {
    func testGetOverSocket() throws {
        try withServer(responder: ClosureResponder { request in .text("hello \(request.path)") }) { server in
            let client = try TestClient(port: server.port)
            try client.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
            let reply = try client.readReply()
            XCTAssertEqual(reply.status, 200)
            XCTAssertEqual(reply.text, "hello /x")
            print(reply.headers)
        }
    }
}
