import FeatureIndex
import Foundation
import HTTP
import XCTest
@testable import App

/// The API through the router, in-process (no socket), over a synthetic index.
final class APITests: XCTestCase {
    nonisolated(unsafe) static var responder: (any Responder)!
    nonisolated(unsafe) static var directory: URL!
    static let latents = 120

    override class func setUp() {
        super.setUp()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("saescope-api-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("index.sqlite").path
        do {
            var synth = SyntheticIndex(latents: latents)
            synth.topExamples = 4
            synth.intervals = 2
            synth.examplesPerInterval = 2
            synth.context = 24
            try synth.write(to: path)
            let app = Application(reader: try IndexReader(path: path), publicDirectory: try Resources.directory("Public"))
            responder = try app.responder()
        } catch {
            XCTFail("cannot set up: \(error)")
        }
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(at: directory)
        super.tearDown()
    }

    func get(_ target: String, method: String = "GET") throws -> Response {
        let request = Request(method: method, target: target)
        do {
            return try APITests.responder.respond(to: request)
        } catch let error as HTTPError {
            var r = Response.error(error.status, error.message)
            for (name, value) in error.headers { r.headers[name] = value }
            return r
        }
    }

    func json(_ target: String, status: Int = 200, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let response = try get(target)
        XCTAssertEqual(response.status, status, "\(target): \(String(decoding: response.body, as: UTF8.self).prefix(300))", file: file, line: line)
        let object = try JSONSerialization.jsonObject(with: Data(response.body))
        return try XCTUnwrap(object as? [String: Any], file: file, line: line)
    }

    func errorMessage(_ target: String, status: Int, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let body = try json(target, status: status, file: file, line: line)
        let error = try XCTUnwrap(body["error"] as? [String: Any], file: file, line: line)
        XCTAssertEqual(error["status"] as? Int, status, file: file, line: line)
        return try XCTUnwrap(error["message"] as? String, file: file, line: line)
    }

    func testHealthAndSAE() throws {
        let health = try json("/api/health")
        XCTAssertEqual(health["status"] as? String, "ok")
        XCTAssertEqual(health["latents"] as? Int, APITests.latents)
        let sae = try json("/api/sae")
        let info = try XCTUnwrap(sae["sae"] as? [String: Any])
        XCTAssertEqual(info["n_latents"] as? Int, APITests.latents)
        XCTAssertEqual(info["d_model"] as? Int, 576)
        XCTAssertEqual(info["hook"] as? String, "blocks.15.hook_resid_post")
        let summary = try XCTUnwrap(sae["summary"] as? [String: Any])
        let dead = try XCTUnwrap(summary["dead_latents"] as? Int)
        let histogram = try XCTUnwrap((summary["density_histogram"] as? [String: Any])?["counts"] as? [Int])
        XCTAssertEqual(histogram.reduce(0, +) + dead, APITests.latents)
        XCTAssertTrue(try get("/api/sae").cacheable)
        XCTAssertEqual(try get("/api/sae").headers["Access-Control-Allow-Origin"], "*")
        XCTAssertNil(try get("/api/sae").headers["Content-Security-Policy"])
    }

    func testFeaturePages() throws {
        let page = try json("/api/features?limit=5&offset=10")
        XCTAssertEqual(page["total"] as? Int, APITests.latents)
        XCTAssertEqual((page["features"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }, [10, 11, 12, 13, 14])
        let byDensity = try XCTUnwrap(try json("/api/features?sort=density&limit=500")["features"] as? [[String: Any]])
        let densities = byDensity.compactMap { $0["density"] as? Double }
        XCTAssertEqual(densities.count, APITests.latents)
        XCTAssertEqual(densities, densities.sorted(by: >), "sort=density defaults to descending")
        let ascending = try XCTUnwrap(try json("/api/features?sort=max_activation&order=asc&limit=50")["features"] as? [[String: Any]])
        let maxima = ascending.compactMap { $0["max_activation"] as? Double }
        XCTAssertEqual(maxima, maxima.sorted())
        let filtered = try json("/api/features?q=fires&limit=3")
        XCTAssertEqual((filtered["features"] as? [Any])?.count, 3)
        XCTAssertLessThan(try XCTUnwrap(filtered["total"] as? Int), APITests.latents)
    }

    func testBadParametersAreNamed() throws {
        for (target, name) in [("/api/features?limit=0", "limit"), ("/api/features?limit=abc", "limit"),
                               ("/api/features?limit=501", "limit"), ("/api/features?offset=-1", "offset"),
                               ("/api/features?sort=bogus", "sort"), ("/api/features?order=up", "order"),
                               ("/api/search", "q"), ("/api/search?q=x&limit=1000", "limit"),
                               ("/api/search/tokens", "token"), ("/api/features/abc", "id"), ("/api/features/-3", "id")] {
            let message = try errorMessage(target, status: 400)
            XCTAssertTrue(message.contains("'\(name)'"), "\(target): \(message)")
        }
    }

    func testOneFeatureHasEverythingTheIssueLists() throws {
        let f = try json("/api/features/9")
        XCTAssertEqual(f["id"] as? Int, 9)
        XCTAssertEqual(f["prev"] as? Int, 8)
        XCTAssertEqual(f["next"] as? Int, 10)
        XCTAssertNotNil(f["explanation"])
        let stats = try XCTUnwrap(f["stats"] as? [String: Any])
        for key in ["density", "max_activation", "mean", "mean_square", "skew", "kurtosis"] { XCTAssertNotNil(stats[key], key) }
        let histogram = try XCTUnwrap(f["histogram"] as? [String: Any])
        XCTAssertFalse(try XCTUnwrap(histogram["counts"] as? [Int]).isEmpty)
        let logits = try XCTUnwrap(f["logits"] as? [String: Any])
        for side in ["top", "bottom"] {
            let list = try XCTUnwrap(logits[side] as? [[String: Any]])
            XCTAssertNotNil(list.first?["token"] as? String)
            XCTAssertNotNil(list.first?["value"] as? Double)
        }
        let neighbors = try XCTUnwrap(f["neighbors"] as? [[String: Any]])
        XCTAssertEqual(neighbors.count, 10)
        XCTAssertNotNil(neighbors.first?["cosine"] as? Double)
        let examples = try XCTUnwrap(f["examples"] as? [String: Any])
        let top = try XCTUnwrap(examples["top"] as? [[String: Any]])
        XCTAssertEqual(top.count, 4)
        let intervals = try XCTUnwrap(examples["intervals"] as? [[String: Any]])
        XCTAssertEqual(intervals.count, 2)
        for key in ["min", "max", "contains", "examples"] { XCTAssertNotNil(intervals[0][key], key) }
        for example in top + intervals.flatMap({ $0["examples"] as? [[String: Any]] ?? [] }) {
            let tokens = try XCTUnwrap(example["tokens"] as? [String])
            let activations = try XCTUnwrap(example["activations"] as? [Double])
            XCTAssertEqual(tokens.count, activations.count)
            let maxIndex = try XCTUnwrap(example["max_index"] as? Int)
            XCTAssertEqual(activations[maxIndex], try XCTUnwrap(example["max_activation"] as? Double), accuracy: 1e-6)
            XCTAssertNotNil(example["document"] as? Int)
        }
    }

    func testSnippetTextSurvivesJSON() throws {
        var all: [String] = []
        for id in 0..<APITests.latents {
            let f = try json("/api/features/\(id)")
            let examples = f["examples"] as? [String: Any]
            for e in examples?["top"] as? [[String: Any]] ?? [] { all += e["tokens"] as? [String] ?? [] }
        }
        let tokens = Set(all)
        XCTAssertTrue(tokens.contains("<img src=x onerror=alert(1)>"))
        XCTAssertTrue(tokens.contains("😀"))
        XCTAssertTrue(tokens.contains("\n"))
        XCTAssertTrue(tokens.contains("\"quoted\""))
        XCTAssertFalse(tokens.contains { $0.contains("\u{FFFD}") })
    }

    func testUnknownLatentIs404() throws {
        XCTAssertTrue(try errorMessage("/api/features/\(APITests.latents)", status: 404).contains("no latent"))
        XCTAssertEqual(try get("/api/features/\(Int.max)").status, 404, "a huge id is just unknown")
        XCTAssertEqual(try get("/api/features/99999999999999999999999").status, 400, "beyond Int is a bad parameter")
        XCTAssertEqual(try json("/api/features/\(APITests.latents - 1)")["next"] as? NSNull, NSNull())
        XCTAssertEqual(try json("/api/features/0")["prev"] as? NSNull, NSNull())
    }

    func testSearch() throws {
        let results = try XCTUnwrap(try json("/api/search?q=fires&limit=5")["results"] as? [[String: Any]])
        XCTAssertEqual(results.count, 5)
        let message = try errorMessage("/api/search?q=%22unterminated", status: 400)
        XCTAssertTrue(message.contains("'q'"), message)
        _ = try errorMessage("/api/features?q=AND", status: 400)
    }

    /// SQL and FTS5 syntax in a search reaches SQLite only as the bound text of an FTS5 query on
    /// a read-only connection: the answer is a 200 with results or a 400 naming 'q', never a
    /// 500, and the index file is byte-for-byte unchanged afterwards.
    func testSearchInjectionIsA200OrA400AndNeverChangesTheIndex() throws {
        let path = APITests.directory.appendingPathComponent("index.sqlite").path
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let deep = String(repeating: "(", count: 400) + "x" + String(repeating: ")", count: 400)
        let queries = [
            "\"", "\"\"", "'", "*", "a*", "*a", "NEAR", "NEAR(a b)", "NEAR(a b, 99999999999999999999)", "a NEAR/99999999999999999999 b",
            ")", "(", "((((fires))))", deep, "'; DROP TABLE latents; --", "\"; DROP TABLE latents; --", "x'); DELETE FROM explanations; --",
            "' OR 1=1 --", "1 UNION SELECT key, value FROM meta", "text:paris", "text : fires", "{text}: fires", "- text: x", "rank:x",
            "rowid:1", "latent_id:1", "explanations_fts:x", "source:manual", "- x", "^fires", "x + y", "AND", "OR", "NOT x", "x NOT",
            "fires OR", "a:b:c", "%", "%25", "_", "\\", "x; SELECT 1", "/* x", "x\u{0}y", "\u{0}", "\u{FFFD}", "é*", "😀", "\u{202E}fires",
        ]
        for query in queries {
            let encoded = try XCTUnwrap(query.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            for route in ["/api/search?q=", "/api/features?q="] {
                let response = APITests.responder.response(catchingErrorsFor: Request(method: "GET", target: route + encoded))
                let body = String(decoding: response.body, as: UTF8.self)
                XCTAssertTrue([200, 400].contains(response.status), "\(route)\(query.debugDescription): \(response.status) \(body.prefix(200))")
                if response.status == 400 { XCTAssertTrue(body.contains("'q'"), "\(route)\(query.debugDescription): \(body)") }
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "the index changed")
        XCTAssertEqual((try json("/api/features?q=fires&limit=1")["features"] as? [Any])?.count, 1)
    }

    /// Request input (path, parameters, header values) never reaches a response header: no
    /// header of any route's answer holds CR or LF or is named after injected text.
    func testCRLFInInputNeverReachesAResponseHeader() throws {
        let crlf = "%0D%0ASet-Cookie:%20injected=1%0D%0AX-Injected:%201"
        let targets = ["/api/features/1\(crlf)", "/api/features?q=x\(crlf)", "/api/features?sort=\(crlf)", "/api/features?limit=\(crlf)",
                       "/api/search?q=\(crlf)", "/api/search/tokens?token=\(crlf)", "/api/sae?x=\(crlf)", "/features/1\(crlf)",
                       "/live?text=\(crlf)", "/\(crlf)", "/assets/\(crlf).js", "/api/\(crlf)", "/api\(crlf)"]
        var headers = HTTPHeaders()
        headers["Origin"] = "http://evil.example\r\nX-Injected: 1"
        headers["If-None-Match"] = "\"x\"\r\nX-Injected: 1"
        headers["Access-Control-Request-Headers"] = "x\r\nX-Injected: 1"
        for target in targets {
            for method in ["GET", "HEAD", "OPTIONS", "POST"] {
                let response = APITests.responder.response(catchingErrorsFor: Request(method: method, target: target, headers: headers))
                XCTAssertNotEqual(response.status, 500, "\(method) \(target)")
                for field in response.headers {
                    XCTAssertFalse(field.name.contains { $0 == "\r" || $0 == "\n" } || field.value.contains { $0 == "\r" || $0 == "\n" },
                                   "\(method) \(target): \(field.name): \(field.value.debugDescription)")
                    XCTAssertFalse(["set-cookie", "x-injected"].contains(field.name.lowercased()), "\(method) \(target): \(field.name)")
                    XCTAssertFalse(field.value.contains("injected") || field.value.contains("evil"), "\(method) \(target): \(field.name): \(field.value)")
                }
            }
        }
    }

    func testTokenSearch() throws {
        let body = try json("/api/search/tokens?token=paris")
        let matches = try XCTUnwrap(body["matches"] as? [[String: Any]])
        XCTAssertEqual(Set(matches.compactMap { $0["token"] as? String }), [" Paris", "Paris"])
        XCTAssertFalse(try XCTUnwrap(matches.first?["latents"] as? [[String: Any]]).isEmpty)
        let newline = try XCTUnwrap(try json("/api/search/tokens?token=%0A")["matches"] as? [[String: Any]])
        XCTAssertEqual(newline.first?["token"] as? String, "\n")
    }

    func testOpenAPIDescribesEveryRoute() throws {
        let doc = try json("/api/openapi.json")
        XCTAssertEqual(doc["openapi"] as? String, "3.1.0")
        let paths = try XCTUnwrap(doc["paths"] as? [String: Any])
        for route in ["/api/health", "/api/sae", "/api/features", "/api/features/{id}", "/api/search", "/api/search/tokens",
                      "/api/activations", "/api/openapi.json"] {
            XCTAssertNotNil(paths[route], route)
        }
    }

    func testWrongMethodAndLiveWithoutModel() throws {
        let response = try get("/api/features", method: "POST")
        XCTAssertEqual(response.status, 405)
        XCTAssertEqual(response.headers["Allow"]?.contains("GET"), true)
        let live = try get("/api/activations", method: "POST")
        XCTAssertEqual(live.status, 503)
        XCTAssertTrue(String(decoding: live.body, as: UTF8.self).contains("--model"))
    }

    /// Pages carry a CSP that allows no inline script or style and no framing by others; every
    /// response (pages, JSON, static files, errors) carries nosniff and no-referrer.
    func testSecurityHeadersOnPagesJSONFilesAndErrors() throws {
        for target in ["/", "/features/3", "/live", "/index.html", "/feature.html"] {
            let response = try get(target)
            XCTAssertEqual(response.status, 200, target)
            let csp = try XCTUnwrap(response.headers["Content-Security-Policy"], target)
            for directive in ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'self'"] {
                XCTAssertTrue(csp.contains(directive), "\(target): \(directive) missing from \(csp)")
            }
            XCTAssertFalse(csp.contains("unsafe-inline") || csp.contains("unsafe-eval") || csp.contains("*"), "\(target): \(csp)")
            XCTAssertEqual(response.headers["X-Frame-Options"], "SAMEORIGIN", target)
        }
        for (target, method, status) in [("/", "GET", 200), ("/api/health", "GET", 200), ("/api/features/3", "GET", 200),
                                         ("/assets/dom.js", "GET", 200), ("/assets/app.css", "GET", 200), ("/favicon.svg", "GET", 200),
                                         ("/api/features/abc", "GET", 400), ("/api/features/99999", "GET", 404), ("/api/nothing", "GET", 404),
                                         ("/missing.css", "GET", 404), ("/api/features", "POST", 405), ("/api/activations", "POST", 503)] {
            let response = APITests.responder.response(catchingErrorsFor: Request(method: method, target: target))
            XCTAssertEqual(response.status, status, "\(method) \(target)")
            XCTAssertEqual(response.headers["X-Content-Type-Options"], "nosniff", "\(method) \(target)")
            XCTAssertEqual(response.headers["Referrer-Policy"], "no-referrer", "\(method) \(target)")
        }
        XCTAssertEqual(try get("/assets/dom.js").headers["Content-Type"], "text/javascript; charset=utf-8", "nosniff needs a script type")
        XCTAssertEqual(try get("/api/features/3").headers["Content-Type"], "application/json; charset=utf-8")
    }

    /// The pages hold nothing the CSP would have to allow (inline script, event-handler or style
    /// attributes), and no script builds HTML from strings: data reaches the DOM only as text
    /// nodes and attribute values. scripts/browser_test.py checks the rendered pages.
    func testPagesHoldNoInlineScriptStyleOrHTMLSinks() throws {
        let root = try Resources.directory("Public")
        let files = try XCTUnwrap(FileManager.default.enumerator(atPath: root.path)).compactMap { $0 as? String }
        let html = files.filter { $0.hasSuffix(".html") }, scripts = files.filter { $0.hasSuffix(".js") }
        XCTAssertEqual(html.count, 3)
        XCTAssertGreaterThan(scripts.count, 5)
        func matches(_ pattern: String, in text: String) throws -> [String] {
            let regex = try NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
            return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { Range($0.range, in: text).map { String(text[$0]) } }
        }
        for name in html {
            let text = try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)
            for pattern in [#"<script(?![^>]*\bsrc=)[^>]*>"#, #"\son[a-z]+\s*="#, #"\sstyle\s*="#, #"<style"#, #"javascript:"#] {
                XCTAssertEqual(try matches(pattern, in: text), [], "\(name): \(pattern)")
            }
        }
        for name in scripts {
            let text = try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)
            for pattern in [#"\.(inner|outer)HTML\b"#, #"insertAdjacentHTML"#, #"document\.write"#, #"\beval\s*\("#, #"new\s+Function\b"#,
                            #"\.srcdoc\b"#, #"createContextualFragment"#, #"DOMParser"#, #"javascript:"#] {
                XCTAssertEqual(try matches(pattern, in: text), [], "\(name): \(pattern)")
            }
        }
    }

    func testPagesComeFromPublic() throws {
        let index = try get("/")
        XCTAssertEqual(index.status, 200)
        XCTAssertTrue(index.headers["Content-Type"]?.hasPrefix("text/html") == true)
        XCTAssertTrue(index.headers["Content-Security-Policy"]?.contains("script-src 'self'") == true)
        XCTAssertEqual(index.headers["X-Content-Type-Options"], "nosniff")
        let feature = try get("/features/12")
        XCTAssertEqual(feature.status, 200)
        XCTAssertTrue(String(decoding: feature.body, as: UTF8.self).contains("<html"))
        XCTAssertEqual(try get("/no/such/file.css").status, 404)
    }
}

final class JSONWriterTests: XCTestCase {
    func testEscapingAndNumbers() throws {
        var w = JSONWriter()
        w.object { o in
            o.key("s"); o.string("a\"b\\c\nd\u{01}<é😀>")
            o.key("nan"); o.number(Double.nan)
            o.key("inf"); o.number(Float.infinity)
            o.key("n"); o.array { a in a.number(1.5); a.number(Float(2)); a.int(-3); a.number(1e-7); a.null(); a.bool(true) }
            o.key("empty"); o.object { _ in }
        }
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String: Any])
        XCTAssertEqual(parsed["s"] as? String, "a\"b\\c\nd\u{01}<é😀>")
        XCTAssertEqual(parsed["nan"] as? NSNull, NSNull())
        XCTAssertEqual(parsed["inf"] as? NSNull, NSNull())
        let n = try XCTUnwrap(parsed["n"] as? [Any])
        XCTAssertEqual(n[0] as? Double, 1.5)
        XCTAssertEqual(n[1] as? Int, 2)
        XCTAssertEqual(n[2] as? Int, -3)
        XCTAssertEqual(n[3] as? Double, 1e-7)
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self).contains("\"empty\":{}"), true)
    }

    /// Strings are scanned 8 bytes at a time for bytes to escape: each such byte, and the
    /// bytes next to it in value that need no escaping, at every position of a 21-byte string.
    func testEscapingFindsEveryByteAtEveryPosition() throws {
        let special: [Unicode.Scalar] = ["\u{0}", "\u{1}", "\n", "\u{1F}", "\"", "\\", "\u{7F}"]
        let plain: [Unicode.Scalar] = [" ", "!", "#", "[", "]", "~", "é", "😀"]
        for scalar in special + plain {
            for position in 0..<21 {
                var text = String(repeating: "a", count: 21)
                text.replaceSubrange(text.index(text.startIndex, offsetBy: position)...text.index(text.startIndex, offsetBy: position),
                                     with: String(scalar))
                var w = JSONWriter()
                w.array { $0.string(text) }
                let written = String(decoding: w.bytes, as: UTF8.self)
                XCTAssertEqual(try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String], [text], written)
                XCTAssertEqual(written.contains("\\"), special.contains(scalar), "\(written): escaped iff it must be")
            }
        }
    }

    /// Non-integral doubles and floats the fast paths leave alone come from their `write(to:)`.
    func testOtherNumbersAreWrittenAsTheirDescription() {
        let doubles: [Double] = [0.1, 1.0 / 3, 2.2522251247407785e-06, -1.7976931348623157e308, .leastNonzeroMagnitude, 1e300, 0.5, -7.25e-5]
        let floats: [Float] = [1e-7, -3.4028235e38, .leastNonzeroMagnitude, 1e10, 0.1]
        var w = JSONWriter(capacity: 1)
        w.array { a in
            for d in doubles { a.number(d) }
            for f in floats { a.number(f) }
        }
        let expected = doubles.map(\.description) + floats.map { $0 == $0.rounded() && abs($0) < 1e7 ? String(Int($0)) : $0.description }
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self), "[" + expected.joined(separator: ",") + "]")
    }

    func testIntegersAreWrittenDigitByDigit() {
        let values = [0, 9, 10, 99, 100, 101, -1, -10, 1234567890, Int.max, Int.min]
        var w = JSONWriter(capacity: 1)  // grows on the way
        w.array { a in for v in values { a.int(v) } }
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self), "[" + values.map(String.init).joined(separator: ",") + "]")
    }

    /// `ShortestFloat` must write exactly what `Float.description` writes where it answers, and
    /// leave everything else to it. This samples its range; scripts/check_shortest_float.sh
    /// checks all 305 million patterns of it.
    func testShortestFloatMatchesDescription() {
        var out = [UInt8](repeating: 0, count: 32)
        func shortest(_ x: Float) -> String? {
            out.withUnsafeMutableBufferPointer { buffer in
                ShortestFloat.write(x, to: buffer.baseAddress!).map { String(decoding: buffer[0..<$0], as: UTF8.self) }
            }
        }
        let bounds: [Float] = [1e-4, 8_388_608, 1, 0.5, 0.1, 0.3, 2.5, 1e-3, 1e-2, 9.999999, 10, 100, 1e6, 4_194_303.5]
        var edges: [Float] = []
        for b in bounds {
            var x = b
            for _ in 0..<40 { x = x.nextDown }
            for _ in 0..<80 { edges.append(x); x = x.nextUp }
        }
        var rng = SystemRandomNumberGenerator()
        let lo = Float(1e-4).bitPattern, hi = Float(8_388_608).bitPattern
        let random = (0..<200_000).map { _ in Float(bitPattern: UInt32.random(in: lo..<hi, using: &rng)) }
        var answered = 0
        for v in edges + random {
            for x in [v, -v] {
                let mine = shortest(x)
                let inRange = abs(x) >= 1e-4 && abs(x) < 8_388_608 && x != x.rounded(.towardZero)
                XCTAssertEqual(mine != nil, inRange, "\(x)")
                if let mine {
                    answered += 1
                    XCTAssertEqual(mine, x.description, "bit pattern \(x.bitPattern)")
                }
            }
        }
        XCTAssertGreaterThan(answered, 390_000)
        for x: Float in [0, -0.0, 1, -3, 8_388_608, 9.9e-5, 1e-30, 1e30, .infinity, .nan, .leastNonzeroMagnitude] {
            XCTAssertNil(shortest(x), "\(x)")
        }
        // Through the writer: integers stay integers, the rest as description, non-finite as null.
        var w = JSONWriter()
        w.array { a in for x: Float in [0, 3, -2.5, 6.357245, 1e-5, .nan, 0.0001] { a.number(x) } }
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self), "[0,3,-2.5,6.357245,1e-05,null,0.0001]")
    }

    /// `ShortestDouble` likewise, for non-integers in [1e-4, 2⁵²). A Double's patterns are too
    /// many to try all: this samples them (bit patterns, values of few digits, and the
    /// neighbours of powers of two and ten); scripts/check_shortest_double.sh checks 250 million.
    func testShortestDoubleMatchesDescription() {
        var out = [UInt8](repeating: 0, count: 32)
        func shortest(_ x: Double) -> String? {
            out.withUnsafeMutableBufferPointer { buffer in
                ShortestDouble.write(x, to: buffer.baseAddress!).map { String(decoding: buffer[0..<$0], as: UTF8.self) }
            }
        }
        var values: [Double] = []
        for e in -14...52 {
            for base in [Double(sign: .plus, exponent: e, significand: 1), e <= 15 ? Double("1e\(e)")! : 1] {
                var x = base
                for _ in 0..<20 { x = x.nextDown }
                for _ in 0..<40 { values.append(x); x = x.nextUp }
            }
        }
        var rng = SystemRandomNumberGenerator()
        let lo = (1e-4 as Double).bitPattern, hi = (0x1p52 as Double).bitPattern
        values += (0..<100_000).map { _ in Double(bitPattern: UInt64.random(in: lo..<hi, using: &rng)) }
        values += (0..<100_000).map { _ in Double(Int.random(in: 1..<10_000_000, using: &rng)) / [10, 100, 1e3, 1e4, 1e6][Int.random(in: 0..<5, using: &rng)] }
        var answered = 0
        for v in values {
            for x in [v, -v] {
                let mine = shortest(x)
                let inRange = abs(x) >= 1e-4 && abs(x) < 0x1p52 && x != x.rounded(.towardZero)
                XCTAssertEqual(mine != nil, inRange, "\(x)")
                if let mine {
                    answered += 1
                    XCTAssertEqual(mine, x.description, "bit pattern \(x.bitPattern)")
                }
            }
        }
        XCTAssertGreaterThan(answered, 300_000)
        for x: Double in [0, -0.0, 1, -3, 0x1p52 + 1, 9.99e-5, 1e-300, 1e300, .infinity, .nan, .leastNonzeroMagnitude] {
            XCTAssertNil(shortest(x), "\(x)")
        }
        var w = JSONWriter()
        w.array { a in for x: Double in [0, 3, -2.5, 7.274621887035959, 2.2522251247407785e-06, .nan, 0.0001] { a.number(x) } }
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self), "[0,3,-2.5,7.274621887035959,2.2522251247407785e-06,null,0.0001]")
    }
}
