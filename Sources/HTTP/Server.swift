import Foundation

/// An HTTP/1.1 server: `start()` binds and begins serving on background threads, `run()` blocks
/// until `shutdown()` or SIGINT/SIGTERM, then returns once in-flight requests have finished.
///
/// ```swift
/// let server = Server(configuration: .init(port: 8080), responder: router)
/// try server.start()
/// server.run()
/// ```
public final class Server: Sendable {
    /// The configuration the server was created with.
    public let configuration: ServerConfiguration
    private let responder: any Responder

    private struct State {
        var context: ServerContext?
        var port = 0
        var shutdownRequested = false
    }
    private let state = Locked(State())

    /// A server that answers every request with `responder`. Nothing happens until `start()`.
    public init(configuration: ServerConfiguration, responder: any Responder) {
        self.configuration = configuration
        self.responder = responder
    }

    /// Binds and listens on `configuration.host`:`port` (IPv4 or IPv6) and starts the I/O and
    /// worker threads. Throws `ServerError`, e.g. "port 8080 on 127.0.0.1 is already in use".
    public func start() throws(ServerError) {
        let alreadyStarted = state.withLock { $0.context != nil }
        guard !alreadyStarted else { throw ServerError("the server is already started") }
        guard configuration.ioThreads > 0, configuration.workerThreads > 0 else {
            throw ServerError("ioThreads and workerThreads must be at least 1")
        }
        let (fd, port) = try ListeningSocket.open(host: configuration.host, port: configuration.port)
        let context = ServerContext(configuration: configuration, responder: responder, listenFD: fd, loops: configuration.ioThreads)
        var loops: [EventLoop] = []
        do {
            for _ in 0..<configuration.ioThreads { loops.append(try EventLoop(context: context)) }
        } catch {
            closeDescriptor(fd)
            context.pool.stop()
            throw error
        }
        context.setLoops(loops)
        let stopEarly = state.withLock { state -> Bool in
            state.context = context
            state.port = port
            return state.shutdownRequested
        }
        for (index, loop) in loops.enumerated() {
            let thread = Thread { loop.run() }
            thread.name = "http-io-\(index)"
            thread.start()
        }
        if stopEarly { shutdown() }
    }

    /// The port actually bound (useful with port 0); 0 before `start()`.
    public var port: Int { state.withLock { $0.port } }

    /// Blocks until the server has shut down, starting it first if needed. SIGINT and SIGTERM
    /// trigger `shutdown()` while it runs: stop accepting, finish in-flight requests, close idle
    /// connections, return.
    public func run() {
        if state.withLock({ $0.context == nil && !$0.shutdownRequested }) {
            do {
                try start()
            } catch {
                configuration.errorLog?("error: \(error.message)")
                return
            }
        }
        guard let context = state.withLock({ $0.context }) else { return }
        let token = SignalWatcher.register { [self] in shutdown() }
        signalState.withLock { $0 = true }
        context.waitUntilFinished()
        SignalWatcher.unregister(token)
        signalState.withLock { $0 = false }
    }

    /// Starts a graceful shutdown, as SIGINT/SIGTERM do; returns at once (`run()` returns when done).
    public func shutdown() {
        let context = state.withLock { state -> ServerContext? in
            state.shutdownRequested = true
            return state.context
        }
        context?.beginStopping()
    }

    /// Whether `run()` has its signal handlers in place (tests wait for this before raising one).
    var handlesSignals: Bool { signalState.withLock { $0 } }
    private let signalState = Locked(false)
}
