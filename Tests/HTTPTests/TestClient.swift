import Foundation
import XCTest
@testable import HTTP

/// A blocking raw-socket HTTP client for the socket tests: sends exactly the bytes given and
/// parses responses strictly, so the server's framing is what is being tested.
/// Each instance is used by one thread at a time (the trickle thread only sends).
final class TestClient: @unchecked Sendable {
    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, timeout: TimeInterval = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw Failure(description: "connect failed: errno \(errno)")
        }
        setTimeout(timeout)
    }

    deinit { Glibc.close(fd) }

    func setTimeout(_ seconds: TimeInterval) {
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "send failed: errno \(errno)") }
            offset += sent
        }
    }

    /// Reads more bytes; false on EOF, throws on timeout or error.
    @discardableResult
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &chunk, chunk.count, 0)
        if count > 0 {
            buffer += chunk[0..<count]
            return true
        }
        if count == 0 { return false }
        throw Failure(description: errno == EAGAIN ? "timed out waiting for the server" : "recv failed: errno \(errno)")
    }

    /// Reads one response; `headRequest` means no body follows whatever Content-Length says.
    func readReply(headRequest: Bool = false) throws -> Reply {
        var headEnd: Int?
        while headEnd == nil {
            if let range = findHeadEnd() { headEnd = range; break }
            guard try fill() else { throw Failure(description: "connection closed before a response head") }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let statusParts = statusLine.split(separator: " ")
        guard statusParts.count >= 2, statusParts[0] == "HTTP/1.1", let status = Int(statusParts[1]) else {
            throw Failure(description: "bad status line \(statusLine)")
        }
        var headers = HTTPHeaders()
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw Failure(description: "bad header line \(line)") }
            headers.add(String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        buffer.removeFirst(headEnd! + 4)
        var body: [UInt8] = []
        if !headRequest, status != 304, status != 204, status >= 200 {
            guard let lengthText = headers["Content-Length"], let length = Int(lengthText) else {
                throw Failure(description: "response without Content-Length")
            }
            while buffer.count < length {
                guard try fill() else { throw Failure(description: "connection closed inside a body") }
            }
            body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        }
        return Reply(status: status, headers: headers, body: body)
    }

    /// Whether the server closes the connection (EOF or reset) with nothing more to read.
    func readsEOF() -> Bool {
        guard buffer.isEmpty else { return false }
        do { return try !fill() } catch { return (error as? Failure)?.description.contains("recv failed") ?? false }
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4) where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }
}

/// Runs `body` against a started server on an ephemeral port, then shuts it down and waits.
func withServer(_ configure: (inout ServerConfiguration) -> Void = { _ in }, responder: any Responder,
                _ body: (Server) throws -> Void) throws {
    var configuration = ServerConfiguration(port: 0, workerThreads: 4, ioThreads: 2)
    configure(&configuration)
    let server = Server(configuration: configuration, responder: responder)
    try server.start()
    defer {
        server.shutdown()
        server.run()
    }
    try body(server)
}

/// A responder from a closure.
struct ClosureResponder: Responder {
    let handler: @Sendable (Request) throws -> Response
    init(_ handler: @escaping @Sendable (Request) throws -> Response) { self.handler = handler }
    func respond(to request: Request) throws -> Response { try handler(request) }
}

extension Response {
    static func text(_ text: String, status: Int = 200) -> Response {
        Response(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }
}
