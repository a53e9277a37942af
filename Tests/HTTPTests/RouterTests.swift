import XCTest
@testable import HTTP

final class RouterTests: XCTestCase {
    private struct Boom: Error {}

    private func makeRouter() -> Router {
        var router = Router()
        router.add("GET", "/api/features/:id") { request in .text("feature \(request.pathParameters["id"] ?? "?")") }
        router.add("GET", "/api/features/search") { _ in .text("search") }
        router.add("POST", "/api/activations") { request in .text("posted \(request.body.count)") }
        router.add("GET", "/api/pairs/:a/:b") { request in
            .text("\(request.pathParameters["a"] ?? "")+\(request.pathParameters["b"] ?? "")")
        }
        router.add("GET", "/api/missing") { _ in throw HTTPError(404, "feature \"7\" does not exist") }
        router.add("GET", "/api/boom") { _ in throw Boom() }
        return router
    }

    private func respond(_ router: Router, _ method: String, _ target: String) -> Response {
        router.response(catchingErrorsFor: Request(method: method, target: target))
    }

    func testOnlyQuickRoutesMayRunOnTheIOThread() {
        var router = Router()
        router.add("GET", "/quick/:id", quick: true) { _ in .text("q") }
        router.add("GET", "/slow") { _ in .text("s") }
        router.add("GET", "/both", quick: true) { _ in .text("b") }
        router.add("POST", "/both") { _ in .text("p") }
        XCTAssertTrue(router.respondsWithoutBlocking(to: Request(method: "GET", target: "/quick/7")))
        XCTAssertFalse(router.respondsWithoutBlocking(to: Request(method: "GET", target: "/slow")))
        XCTAssertFalse(router.respondsWithoutBlocking(to: Request(method: "GET", target: "/both")), "a slow route shares the path")
        XCTAssertTrue(router.respondsWithoutBlocking(to: Request(method: "GET", target: "/nothing")), "404s are quick")
    }

    func testParametersAreCapturedAndDecoded() {
        let router = makeRouter()
        XCTAssertEqual(String(decoding: respond(router, "GET", "/api/features/7?x=1").body, as: UTF8.self), "feature 7")
        XCTAssertEqual(String(decoding: respond(router, "GET", "/api/features/a%2Fb").body, as: UTF8.self), "feature a/b")
        XCTAssertEqual(String(decoding: respond(router, "GET", "/api/pairs/1/2").body, as: UTF8.self), "1+2")
    }

    func testLiteralSegmentsBeatParameters() {
        XCTAssertEqual(String(decoding: respond(makeRouter(), "GET", "/api/features/search").body, as: UTF8.self), "search")
    }

    func testUnknownPathIs404JSON() {
        let response = respond(makeRouter(), "GET", "/api/nothing")
        XCTAssertEqual(response.status, 404)
        XCTAssertEqual(response.headers["Content-Type"], "application/json; charset=utf-8")
        XCTAssertEqual(respond(makeRouter(), "GET", "/api/features/").status, 404, "an empty parameter does not match")
        XCTAssertEqual(respond(makeRouter(), "GET", "/api/features/7/extra").status, 404)
    }

    func testWrongMethodIs405WithAllow() throws {
        let response = respond(makeRouter(), "DELETE", "/api/features/7")
        XCTAssertEqual(response.status, 405)
        XCTAssertEqual(response.headers["Allow"], "GET, HEAD")
        let post = respond(makeRouter(), "GET", "/api/activations")
        XCTAssertEqual(post.status, 405)
        XCTAssertEqual(post.headers["Allow"], "POST")
        let json = try JSONSerialization.jsonObject(with: Data(post.body)) as? [String: [String: Any]]
        XCTAssertEqual(json?["error"]?["status"] as? Int, 405)
    }

    func testGetRoutesAnswerHead() {
        let response = respond(makeRouter(), "HEAD", "/api/features/3")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self), "feature 3", "the server drops the body, keeping its length")
    }

    func testFallbackAnswersUnmatchedPaths() {
        var router = makeRouter()
        router.fallback(ClosureResponder { request in .text("fallback \(request.path)") })
        XCTAssertEqual(String(decoding: respond(router, "GET", "/index.html").body, as: UTF8.self), "fallback /index.html")
        XCTAssertEqual(respond(router, "PUT", "/api/features/1").status, 405, "a matching pattern still decides 405")
        // Paths whose first segment starts no route skip the routes; an encoded one is decoded first.
        XCTAssertEqual(String(decoding: respond(router, "GET", "/assets/app.css").body, as: UTF8.self), "fallback /assets/app.css")
        XCTAssertEqual(String(decoding: respond(router, "GET", "/%61pi/features/5").body, as: UTF8.self), "feature 5")
        XCTAssertEqual(String(decoding: respond(router, "GET", "/ap/features/5").body, as: UTF8.self), "fallback /ap/features/5")
        XCTAssertEqual(String(decoding: respond(router, "GET", "/apix/features/5").body, as: UTF8.self), "fallback /apix/features/5")
        router.add("GET", "/:page/about") { request in .text("about \(request.pathParameters["page"] ?? "")") }
        XCTAssertEqual(String(decoding: respond(router, "GET", "/assets/about").body, as: UTF8.self), "about assets",
                       "a route starting with a parameter is tried for every path")
    }

    func testErrorsBecomeJSONInOnePlace() throws {
        let missing = respond(makeRouter(), "GET", "/api/missing")
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(String(decoding: missing.body, as: UTF8.self), #"{"error":{"status":404,"message":"feature \"7\" does not exist"}}"#)
        let logged = Locked<[String]>([])
        let boom = makeRouter().response(catchingErrorsFor: Request(method: "GET", target: "/api/boom")) { line in logged.withLock { $0.append(line) } }
        XCTAssertEqual(boom.status, 500)
        XCTAssertEqual(String(decoding: boom.body, as: UTF8.self), #"{"error":{"status":500,"message":"internal server error"}}"#)
        XCTAssertEqual(logged.withLock { $0.count }, 1)
    }

    func testErrorMessagesAreJSONEscaped() throws {
        let response = Response.error(400, "bad \"quote\" \\ and\nnewline \u{1} ünïcode")
        let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: [String: Any]]
        XCTAssertEqual(json?["error"]?["message"] as? String, "bad \"quote\" \\ and\nnewline \u{1} ünïcode")
    }

    func testCORSAddsOriginAndAnswersPreflight() {
        let cors = CORS(prefix: "/api", wrapping: makeRouter())
        let ok = cors.response(catchingErrorsFor: Request(method: "GET", target: "/api/features/1"))
        XCTAssertEqual(ok.headers["Access-Control-Allow-Origin"], "*")
        let error = cors.response(catchingErrorsFor: Request(method: "GET", target: "/api/nothing"))
        XCTAssertEqual(error.status, 404)
        XCTAssertEqual(error.headers["Access-Control-Allow-Origin"], "*")
        let preflight = cors.response(catchingErrorsFor: Request(method: "OPTIONS", target: "/api/activations",
                                                                 headers: ["Access-Control-Request-Method": "POST"]))
        XCTAssertEqual(preflight.status, 204)
        XCTAssertNotNil(preflight.headers["Access-Control-Allow-Methods"])
        XCTAssertNotNil(preflight.headers["Access-Control-Allow-Headers"])
        let page = cors.response(catchingErrorsFor: Request(method: "GET", target: "/apiary"))
        XCTAssertNil(page.headers["Access-Control-Allow-Origin"])
    }

    func testHeadersAreOrderedAndCaseInsensitive() {
        var headers: HTTPHeaders = ["Set-Cookie": "a=1"]
        headers.add("set-cookie", "b=2")
        headers.add("X-Other", "x")
        XCTAssertEqual(headers.values("SET-COOKIE"), ["a=1", "b=2"])
        headers["Set-Cookie"] = "c=3"
        XCTAssertEqual(headers.values("set-cookie"), ["c=3"])
        XCTAssertEqual(headers.map(\.name), ["Set-Cookie", "X-Other"])
        headers["x-other"] = nil
        XCTAssertEqual(headers.count, 1)
    }

    func testRequestInitParsesPathAndQuery() {
        let request = Request(method: "GET", target: "/a%20b/c?x=1&x=2&y=a+b%26c&=empty&z")
        XCTAssertEqual(request.path, "/a b/c")
        XCTAssertEqual(request.query["x"], "1")
        XCTAssertEqual(request.query["y"], "a b&c")
        XCTAssertEqual(request.query["z"], "")
        XCTAssertEqual(Request(method: "GET", target: "/bad%zz%4").path, "/bad%zz%4", "malformed escapes stay literal")
    }
}
