import Foundation

/// What the event loops and workers of one running server share.
final class ServerContext: @unchecked Sendable {
    let configuration: ServerConfiguration
    let responder: any Responder
    let pool: WorkerPool
    let listenFD: Int32

    private struct State {
        var openConnections = 0
        var stopping = false
        var runningLoops = 0
        var finished = false
        var loops: [EventLoop] = []
        var nextLoop = 0
    }
    private let state = Locked(State())
    private let finishedCondition = NSCondition()

    init(configuration: ServerConfiguration, responder: any Responder, listenFD: Int32, loops: Int) {
        self.configuration = configuration
        self.responder = responder
        self.listenFD = listenFD
        self.pool = WorkerPool(threads: configuration.workerThreads, name: "http-worker")
        state.withLock { $0.runningLoops = loops }
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    /// The event loops, set once they exist; accepted connections are spread over them in turn.
    func setLoops(_ loops: [EventLoop]) {
        state.withLock { $0.loops = loops }
    }

    /// The loop that should own the next accepted connection (round robin).
    func nextLoop() -> EventLoop? {
        state.withLock { state in
            guard !state.loops.isEmpty else { return nil }
            state.nextLoop = (state.nextLoop + 1) % state.loops.count
            return state.loops[state.nextLoop]
        }
    }

    /// Marks the server as stopping and wakes the loops so they notice.
    func beginStopping() {
        let loops = state.withLock { state -> [EventLoop] in
            state.stopping = true
            return state.loops
        }
        for loop in loops { loop.wake() }
    }

    /// Takes a connection slot, or returns false at `maxConnections`.
    func admitConnection() -> Bool {
        state.withLock { state in
            guard state.openConnections < configuration.maxConnections else { return false }
            state.openConnections += 1
            return true
        }
    }

    func releaseConnection() {
        state.withLock { $0.openConnections -= 1 }
    }

    /// Called by each event loop as it exits; the last one releases the shared resources.
    func loopFinished() {
        let last = state.withLock { state -> Bool in
            state.runningLoops -= 1
            if state.runningLoops == 0 { state.loops = [] }  // the loops reference this context
            return state.runningLoops == 0
        }
        guard last else { return }
        close(listenFD)
        pool.stop()
        finishedCondition.lock()
        state.withLock { $0.finished = true }
        finishedCondition.broadcast()
        finishedCondition.unlock()
    }

    /// Blocks until every event loop has exited.
    func waitUntilFinished() {
        finishedCondition.lock()
        while !state.withLock({ $0.finished }) { finishedCondition.wait() }
        finishedCondition.unlock()
    }

    // MARK: - Responding (worker threads, or the I/O thread for non-blocking responders)

    /// Runs the responder for `request` and returns the bytes to send, logging the request.
    func respond(to request: Request, keepAlive: Bool) -> ResponseWriter.Output {
        let started = MonotonicClock.nanoseconds()
        let response = responder.response(catchingErrorsFor: request, log: configuration.errorLog)
        let negotiated = ResponseWriter.negotiate(response, for: request)
        let output = ResponseWriter.serialize(negotiated, headOnly: request.method == "HEAD",
                                              keepAlive: keepAlive && !isStopping,
                                              isHTTP10: request.version == "HTTP/1.0", date: HTTPDate.now())
        logAccess(method: request.method, path: Request.rawPath(of: request.target), output: output, started: started)
        return output
    }

    /// The bytes of an error answered by the server itself (parse failures, timeouts, 503); the
    /// connection closes after it.
    func errorOutput(_ error: HTTPError) -> ResponseWriter.Output {
        var response = Response.error(error.status, error.message)
        for field in error.headers { response.headers[field.name] = field.value }
        let output = ResponseWriter.serialize(response, headOnly: false, keepAlive: false, isHTTP10: false, date: HTTPDate.now())
        logAccess(method: "-", path: "-", output: output, started: MonotonicClock.nanoseconds())
        return output
    }

    /// `GET /api/features/7 200 5123B 0.41ms`; the path is logged still percent-encoded so a
    /// client cannot forge log lines.
    private func logAccess(method: String, path: some StringProtocol, output: ResponseWriter.Output, started: UInt64) {
        guard let accessLog = configuration.accessLog else { return }
        let micros = (MonotonicClock.nanoseconds() &- started) / 1000
        let hundredths = (micros % 1000) / 10
        let milliseconds = "\(micros / 1000).\(hundredths < 10 ? "0" : "")\(hundredths)ms"
        accessLog("\(method) \(path) \(output.status) \(output.bodyBytes)B \(milliseconds)")
    }
}
