import Foundation
import XCTest
@testable import HTTP

final class StaticFilesTests: XCTestCase {
    private var base: URL!
    private var root: URL!

    override func setUpWithError() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("saescope-static-\(UUID().uuidString)")
        root = base.appendingPathComponent("public")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("css"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let files: [String: String] = [
            "index.html": "<!doctype html><title>x</title>" + String(repeating: "<p>feature</p>", count: 200),
            "app.js": "export const x = 1;", "mod.mjs": "export {}", "css/site.css": "body{}", "logo.svg": "<svg/>",
            "data.json": "{}", "a.png": "png", "favicon.ico": "ico", "f.woff2": "w", "notes.txt": "t", "p.webp": "w",
            "p.jpg": "j", "blob.bin": "b", "noext": "n", ".secret": "s",
        ]
        for (name, text) in files { try Data(text.utf8).write(to: root.appendingPathComponent(name)) }
        try Data("outside".utf8).write(to: base.appendingPathComponent("secret.txt"))
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("escape.txt").path, withDestinationPath: "../secret.txt")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("inside.txt").path, withDestinationPath: "notes.txt")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("updir").path, withDestinationPath: "..")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: base)
    }

    private func get(_ files: StaticFiles, _ target: String, _ headers: HTTPHeaders = [:], method: String = "GET") -> Response {
        let request = Request(method: method, target: target, headers: headers)
        return ResponseWriter.negotiate(files.response(catchingErrorsFor: request), for: request)
    }

    func testContentTypes() throws {
        let files = try StaticFiles(root: root)
        let expected = [
            "/index.html": "text/html; charset=utf-8", "/app.js": "text/javascript; charset=utf-8",
            "/mod.mjs": "text/javascript; charset=utf-8", "/css/site.css": "text/css; charset=utf-8",
            "/logo.svg": "image/svg+xml", "/data.json": "application/json; charset=utf-8", "/a.png": "image/png",
            "/favicon.ico": "image/x-icon", "/f.woff2": "font/woff2", "/notes.txt": "text/plain; charset=utf-8",
            "/p.webp": "image/webp", "/p.jpg": "image/jpeg", "/blob.bin": "application/octet-stream", "/noext": "application/octet-stream",
        ]
        for (path, type) in expected {
            let response = get(files, path)
            XCTAssertEqual(response.status, 200, path)
            XCTAssertEqual(response.headers["Content-Type"], type, path)
        }
        XCTAssertEqual(String(decoding: get(files, "/css/site.css").body, as: UTF8.self), "body{}")
    }

    func testETagAnd304AndGzipCopy() throws {
        let files = try StaticFiles(root: root)
        let plain = get(files, "/index.html")
        let etag = try XCTUnwrap(plain.headers["ETag"])
        XCTAssertEqual(get(files, "/index.html", ["If-None-Match": etag]).status, 304)
        XCTAssertEqual(get(files, "/index.html", ["If-None-Match": "W/\(etag)"]).status, 304)
        XCTAssertEqual(get(files, "/index.html", ["If-None-Match": "\"x\""]).status, 200)
        let gzipped = get(files, "/index.html", ["Accept-Encoding": "gzip"])
        XCTAssertEqual(gzipped.headers["Content-Encoding"], "gzip")
        XCTAssertEqual(gunzip(gzipped.body), plain.body)
        XCTAssertEqual(get(files, "/index.html", method: "POST").status, 405)
    }

    func testTraversalAndTricksAre404() throws {
        let files = try StaticFiles(root: root)
        let attempts = [
            "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/css/../../secret.txt", "/css/%2e%2e/%2e%2e/secret.txt",
            "/..%2fsecret.txt", "/css%2f..%2f..%2fsecret.txt", "/..%5csecret.txt", "/..\\secret.txt", "/notes.txt%00.png",
            "/%00", "//etc/passwd", "/" + base.path + "/secret.txt", "/escape.txt", "/updir/secret.txt", "/.secret",
            "/css", "/css/", "/sub", "/", "", "/missing.html", "/./notes.txt", "http://x/../secret.txt",
        ]
        for target in attempts {
            let response = get(files, target)
            XCTAssertEqual(response.status, 404, target)
            XCTAssertFalse(String(decoding: response.body, as: UTF8.self).contains("outside"), target)
        }
        XCTAssertEqual(get(files, "/inside.txt").status, 200, "a symlink that stays inside the root is fine")
    }

    func testCacheNoticesChangedFiles() throws {
        let files = try StaticFiles(root: root)
        XCTAssertEqual(String(decoding: get(files, "/notes.txt").body, as: UTF8.self), "t")
        XCTAssertTrue(files.respondsWithoutBlocking(to: Request(method: "GET", target: "/notes.txt")))
        try Data("changed".utf8).write(to: root.appendingPathComponent("notes.txt"))
        Thread.sleep(forTimeInterval: 1.05)
        XCTAssertFalse(files.respondsWithoutBlocking(to: Request(method: "GET", target: "/notes.txt")))
        XCTAssertEqual(String(decoding: get(files, "/notes.txt").body, as: UTF8.self), "changed")
    }

    func testRootMustBeADirectory() {
        XCTAssertThrowsError(try StaticFiles(root: base.appendingPathComponent("nope")))
        XCTAssertThrowsError(try StaticFiles(root: base.appendingPathComponent("secret.txt")))
    }
}
