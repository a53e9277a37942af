import Foundation

/// Everything configurable about a `Server`: the address, limits, timeouts and threads.
public struct ServerConfiguration: Sendable {
    /// Address to bind: an IPv4 or IPv6 literal or a host name, e.g. "127.0.0.1", "::", "localhost".
    public var host: String
    /// TCP port; 0 picks a free one (read it back from `Server.port`).
    public var port: Int
    /// Longest request line in bytes; longer → 414.
    public var maxRequestLine: Int
    /// Largest header section in bytes; larger → 431.
    public var maxHeaderBytes: Int
    /// Largest request body in bytes, judged from `Content-Length`; larger → 413.
    public var maxBodyBytes: Int
    /// Open connections beyond this are answered 503 and closed.
    public var maxConnections: Int
    /// Time allowed from the first byte of a request to the end of its headers; then 408.
    public var headerTimeout: Duration
    /// Time a keep-alive connection may sit idle between requests; then it is closed silently.
    public var idleTimeout: Duration
    /// Time allowed to receive a request body once its headers are in; then 408.
    public var bodyTimeout: Duration
    /// On shutdown, time in-flight requests get to finish before their connections are closed.
    public var shutdownTimeout: Duration
    /// Threads that run handlers (which may block).
    public var workerThreads: Int
    /// Threads that run the non-blocking socket event loops.
    public var ioThreads: Int
    /// Receives one line per request: `GET /api/features/7 200 5123B 0.41ms`.
    public var accessLog: (@Sendable (String) -> Void)?
    /// Receives errors that are not the client's fault (a handler's unexpected error, accept failures).
    public var errorLog: (@Sendable (String) -> Void)?

    /// A configuration; every parameter has the production default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        maxRequestLine: Int = 8 * 1024,
        maxHeaderBytes: Int = 32 * 1024,
        maxBodyBytes: Int = 1024 * 1024,
        maxConnections: Int = 1024,
        headerTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(30),
        bodyTimeout: Duration = .seconds(30),
        shutdownTimeout: Duration = .seconds(30),
        workerThreads: Int = ServerConfiguration.defaultWorkerThreads,
        ioThreads: Int = ServerConfiguration.defaultIOThreads,
        accessLog: (@Sendable (String) -> Void)? = nil,
        errorLog: (@Sendable (String) -> Void)? = ServerConfiguration.standardError
    ) {
        self.host = host
        self.port = port
        self.maxRequestLine = maxRequestLine
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        self.maxConnections = maxConnections
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.bodyTimeout = bodyTimeout
        self.shutdownTimeout = shutdownTimeout
        self.workerThreads = workerThreads
        self.ioThreads = ioThreads
        self.accessLog = accessLog
        self.errorLog = errorLog
    }

    /// max(4, 2 × cores): handlers block on SQLite and model computation.
    public static var defaultWorkerThreads: Int { max(4, 2 * activeCores) }

    /// One event loop per core, at most 4: each loop handles thousands of connections.
    public static var defaultIOThreads: Int { max(1, min(4, activeCores)) }

    /// Writes a line to standard error.
    public static let standardError: @Sendable (String) -> Void = { line in
        let text = line + "\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
    }

    private static var activeCores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    var parserLimits: RequestParser.Limits {
        RequestParser.Limits(maxRequestLine: maxRequestLine, maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes)
    }
}

extension Duration {
    /// Whole nanoseconds, for comparing with `MonotonicClock`.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}
