import App
import ArgumentParser
import FeatureIndex
import Foundation
import HTTP

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a feature index: the JSON API under /api and the pages from Public/.",
        discussion: "Stops cleanly on Ctrl-C or SIGTERM: new connections are refused, requests in flight finish.")

    @Option(help: "The index to serve (a .sqlite file written by saescope). Opened read-only.")
    var index: String

    @Option(help: "Address to listen on; 0.0.0.0 for every interface.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "Folder of the web pages (default: the Public/ folder shipped with saescope).")
    var `public`: String?

    @Option(help: "Most connections open at once; more are answered 503 and closed.")
    var maxConnections = 1024

    @Option(help: "Largest request body in bytes (413 beyond).")
    var maxBody = 1 << 20

    @Option(help: "Seconds a client has to send a request's headers (408 after).")
    var headerTimeout = 10.0

    @Option(help: "Seconds an idle keep-alive connection stays open.")
    var idleTimeout = 30.0

    @Option(help: "Threads that run request handlers (default: twice the number of cores, at least 4).")
    var threads: Int?

    @Flag(help: "Don't print a line per request.")
    var quiet = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535, got \(port)") }
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be positive") }
        guard maxBody >= 0 else { throw ValidationError("--max-body must not be negative") }
        guard headerTimeout > 0, idleTimeout > 0 else { throw ValidationError("timeouts must be positive") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            let started = Date()
            let reader = try IndexReader(path: index)
            let publicDirectory = try self.public.map { URL(fileURLWithPath: $0) } ?? Resources.directory("Public")
            let app = Application(reader: reader, publicDirectory: publicDirectory)
            var configuration = ServerConfiguration()
            configuration.host = host
            configuration.port = port
            configuration.maxConnections = maxConnections
            configuration.maxBodyBytes = maxBody
            configuration.headerTimeout = .milliseconds(Int(headerTimeout * 1000))
            configuration.idleTimeout = .milliseconds(Int(idleTimeout * 1000))
            if let threads { configuration.workerThreads = threads }
            if !quiet { configuration.accessLog = { line in say(line) } }
            let server = Server(configuration: configuration, responder: try app.responder())
            try server.start()
            let shownHost = host.contains(":") ? "[\(host)]" : host
            let m = reader.metadata
            say("saescope \(Application.version): \(reader.summary.latents) latents of \(m.sae.name) (\(m.model.name), \(m.sae.hook))"
                  + " from \(index), ready in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
            say("serving on http://\(shownHost):\(server.port)/  (Ctrl-C to stop)")
            server.run()
            say("saescope stopped")
        }
    }
}
