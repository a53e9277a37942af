#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One I/O thread: accepts connections, reads and parses requests, hands them to the worker pool
/// (or answers quick ones inline), writes responses in order, and enforces timeouts. Sockets are
/// non-blocking, so one slow client never delays another.
final class EventLoop: @unchecked Sendable {
    private let context: ServerContext
    private let poller: Poller
    private var connections: [Int32: Connection] = [:]
    private let completions = Locked<[(Connection, ResponseWriter.Output)]>([])
    /// Accepted sockets handed over by the loop that accepted them; `exited` once this loop can
    /// no longer take any.
    private let adopted = Locked<(fds: [Int32], exited: Bool)>(([], false))
    private var ready: [PollEvent] = []
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    /// No deadline of any connection is earlier than this.
    private var nextTimerCheck = UInt64.max
    private var now = MonotonicClock.nanoseconds()
    private var stopping = false
    private var stopDeadline = UInt64.max
    private var listening = false
    /// When accept ran out of file descriptors, listening pauses until then.
    private var resumeListeningAt = UInt64.max
    private var rejecting = 0
    /// Connections that used up their turn with pipelined requests still buffered; driven again
    /// on the next pass of the loop, once it has polled for the others' events.
    private var deferred: [Connection] = []

    /// While a request is processed, read ahead at most this much of the next pipelined ones.
    private static let readAheadLimit = 64 * 1024
    private static let drainTime: UInt64 = 2_000_000_000
    private static let maxDrainedBytes = 8 * 1024 * 1024
    private static let maxRejecting = 64
    /// Requests one connection may have answered in one pass of the loop. Answers on the I/O
    /// thread take microseconds each, but a client pipelining thousands of them would otherwise
    /// keep every other connection of this loop waiting until its whole read-ahead is answered.
    /// With 4, a pipelining client gets at most four answers for each one a client waiting for
    /// its answers gets, and the extra pass of the loop costs it little.
    private static let requestsPerTurn = 4
    private static let continueBytes = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    init(context: ServerContext) throws(ServerError) {
        self.context = context
        self.poller = try Poller()
    }

    deinit { readBuffer.deallocate() }

    /// Interrupts the loop so it notices shutdown.
    func wake() { poller.wake() }

    /// The thread body; returns once the server is stopping and every connection is closed.
    func run() {
        poller.add(context.listenFD, .read, exclusive: true)
        listening = true
        while true {
            now = MonotonicClock.nanoseconds()
            var timeout: Int32 = 1000
            let nextEvent = min(nextTimerCheck, resumeListeningAt)
            if nextEvent != .max {
                timeout = nextEvent <= now ? 0 : Int32(min(1000, (nextEvent - now) / 1_000_000 + 1))
            }
            if !deferred.isEmpty { timeout = 0 }
            poller.wait(timeoutMilliseconds: timeout, into: &ready)
            now = MonotonicClock.nanoseconds()
            resumeDeferred()
            for event in ready { handle(event) }
            handleAdopted()
            handleCompletions()
            if !stopping && context.isStopping { beginStopping() }
            if now >= nextTimerCheck { checkDeadlines() }
            if !stopping && !listening && now >= resumeListeningAt {
                poller.add(context.listenFD, .read, exclusive: true)
                listening = true
                resumeListeningAt = .max
            }
            if stopping && connections.isEmpty { break }
        }
        handleAdopted(exiting: true)
        if listening { poller.remove(context.listenFD) }
        context.loopFinished()
    }

    /// Gives this loop an accepted socket that already holds a connection slot (called by the
    /// accepting loop, so connections spread evenly over the loops).
    /// Returns false when this loop has already exited; the caller keeps the socket then.
    func adopt(_ fd: Int32) -> Bool {
        let (accepted, wasEmpty) = adopted.withLock { adopted -> (Bool, Bool) in
            guard !adopted.exited else { return (false, false) }
            adopted.fds.append(fd)
            return (true, adopted.fds.count == 1)
        }
        if wasEmpty { poller.wake() }
        return accepted
    }

    /// Hands a finished response back to this loop (called on worker threads).
    func complete(_ connection: Connection, _ output: ResponseWriter.Output) {
        let wasEmpty = completions.withLock { queue -> Bool in
            queue.append((connection, output))
            return queue.count == 1
        }
        if wasEmpty { poller.wake() }
    }

    // MARK: - Events

    private func handle(_ event: PollEvent) {
        if event.fd == context.listenFD {
            acceptConnections()
            return
        }
        guard let connection = connections[event.fd] else { return }
        if event.readable || event.failed { readAvailable(connection) }
        if connection.phase == .closed { return }
        if event.failed {
            // Level-triggered errors repeat until the socket is closed: stop listening to it; a
            // worker still holding the connection finds it broken when it hands it back.
            connection.broken = true
            connection.readClosed = true
            if connection.phase == .processing {
                poller.remove(connection.fd)
                connection.interest = []
            } else {
                close(connection)
            }
            return
        }
        if event.writable && connection.phase == .writing { drive(connection) }
        updateInterest(connection)
    }

    private func acceptConnections() {
        // A few per wake-up, so other loops sharing the listening socket get their share.
        for _ in 0..<8 {
            guard let fd = ListeningSocket.accept(context.listenFD) else {
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM {
                    context.configuration.errorLog?("error: cannot accept connections: \(ListeningSocket.errorText()); pausing for 100 ms")
                    poller.remove(context.listenFD)
                    listening = false
                    resumeListeningAt = now + 100_000_000
                }
                return
            }
            if context.admitConnection() {
                let owner = context.nextLoop() ?? self
                if owner === self || !owner.adopt(fd) { register(fd) }
            } else if rejecting < EventLoop.maxRejecting {
                rejecting += 1
                let connection = Connection(fd: fd, limits: context.configuration.parserLimits, holdsSlot: false)
                connections[fd] = connection
                poller.add(fd, .read)
                sendError(HTTPError(503, "the server is at its limit of \(context.configuration.maxConnections) connections; retry later",
                                                   headers: ["Retry-After": "1"]), on: connection)
                drive(connection)
                updateInterest(connection)
            } else {
                closeDescriptor(fd)
            }
        }
    }

    private func register(_ fd: Int32) {
        let connection = Connection(fd: fd, limits: context.configuration.parserLimits, holdsSlot: true)
        connections[fd] = connection
        poller.add(fd, .read)
        setDeadline(connection, .fresh)
    }

    private func handleAdopted(exiting: Bool = false) {
        let fds = adopted.withLock { adopted -> [Int32] in
            defer { adopted.fds.removeAll(keepingCapacity: true) }
            adopted.exited = exiting
            return adopted.fds
        }
        for fd in fds {
            if stopping {
                closeDescriptor(fd)
                context.releaseConnection()
            } else {
                register(fd)
            }
        }
    }

    private func readAvailable(_ connection: Connection) {
        guard connection.phase != .closed else { return }
        while true {
            let count = read(connection.fd, readBuffer.baseAddress, readBuffer.count)
            if count > 0 {
                if connection.phase == .draining {
                    connection.bytesDrained += count
                    if connection.bytesDrained > EventLoop.maxDrainedBytes {
                        close(connection)
                        return
                    }
                } else {
                    connection.parser.append(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
                }
                // A full buffer may mean more is waiting; otherwise save the EAGAIN round trip.
                if count < readBuffer.count || connection.parser.bufferedByteCount > EventLoop.readAheadLimit { break }
            } else if count == 0 {
                connection.readClosed = true
                break
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                break
            } else {
                connection.readClosed = true
                connection.broken = true
                break
            }
        }
        switch connection.phase {
        case .draining:
            if connection.readClosed { close(connection) }
        case .reading:
            if connection.broken { close(connection) } else { drive(connection) }
        case .writing where connection.broken:
            close(connection)
        default:
            break
        }
    }

    private func handleCompletions() {
        let finished = completions.withLock { queue -> [(Connection, ResponseWriter.Output)] in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        for (connection, output) in finished {
            guard connection.phase == .processing else { continue }
            if connection.broken {
                close(connection)
                continue
            }
            send(output, on: connection)
            drive(connection)
            updateInterest(connection)
        }
    }

    private func resumeDeferred() {
        guard !deferred.isEmpty else { return }
        let waiting = deferred
        deferred.removeAll(keepingCapacity: true)
        for connection in waiting {
            connection.isDeferred = false
            guard connection.phase == .reading else { continue }
            drive(connection)
            updateInterest(connection)
        }
    }

    // MARK: - The connection state machine

    /// Advances `connection` as far as it can go without waiting: parses and dispatches requests,
    /// writes responses, and moves on to the next pipelined request, up to `requestsPerTurn`.
    private func drive(_ connection: Connection) {
        var dispatched = 0
        while true {
            switch connection.phase {
            case .reading:
                if dispatched == EventLoop.requestsPerTurn {
                    deferTurn(connection)
                    return
                }
                guard let event = connection.parser.next() else {
                    if connection.readClosed {
                        close(connection)
                    } else {
                        refreshReadDeadline(connection)
                    }
                    return
                }
                switch event {
                case .request(let request, let keepAlive):
                    dispatched += 1
                    dispatch(request, keepAlive: keepAlive, on: connection)
                case .expectContinue:
                    connection.output = [EventLoop.continueBytes]
                    connection.outputOffset = 0
                    connection.outputIsInterim = true
                    connection.phase = .writing
                case .failure(let error):
                    sendError(error, on: connection)
                }
            case .writing:
                switch flush(connection) {
                case .blocked:
                    if connection.deadlineKind != .write { setDeadline(connection, .write) }
                    return
                case .failed:
                    close(connection)
                    return
                case .done:
                    break
                }
                if connection.outputIsInterim {
                    connection.outputIsInterim = false
                    connection.phase = .reading
                    connection.deadlineKind = .none
                    continue
                }
                if connection.closeAfterWrite || stopping {
                    lingerAndClose(connection)
                    return
                }
                connection.phase = .reading
                connection.requestsServed += 1
                connection.deadlineKind = .none
            case .processing, .draining, .closed:
                return
            }
        }
    }

    /// Leaves the rest of `connection`'s pipelined requests for the next pass of the loop. It
    /// reads nothing meanwhile (its read-ahead stays bounded) and no read deadline runs.
    private func deferTurn(_ connection: Connection) {
        connection.deadline = 0
        connection.deadlineKind = .none
        guard !connection.isDeferred else { return }
        connection.isDeferred = true
        deferred.append(connection)
    }

    private func dispatch(_ request: Request, keepAlive: Bool, on connection: Connection) {
        connection.phase = .processing
        connection.deadline = 0
        connection.deadlineKind = .none
        let keepAlive = keepAlive && !stopping
        if context.responder.respondsWithoutBlocking(to: request) {
            send(context.respond(to: request, keepAlive: keepAlive), on: connection)
        } else {
            context.pool.submit { [context, self] in
                self.complete(connection, context.respond(to: request, keepAlive: keepAlive))
            }
        }
    }

    private func send(_ output: ResponseWriter.Output, on connection: Connection) {
        connection.output = output.chunks
        connection.outputOffset = 0
        connection.closeAfterWrite = connection.closeAfterWrite || output.closeConnection
        connection.phase = .writing
    }

    /// Sends an error the server itself answers (bad request, limit, timeout, 503), then closes.
    private func sendError(_ error: HTTPError, on connection: Connection) {
        connection.lingerOnClose = true
        send(context.errorOutput(error), on: connection)
    }

    private enum FlushResult { case done, blocked, failed }

    /// Writes as much pending output as the socket takes, two buffers per system call.
    private func flush(_ connection: Connection) -> FlushResult {
        while !connection.output.isEmpty {
            let offset = connection.outputOffset
            let sent: Int = connection.output[0].withUnsafeBytes { first in
                if connection.output.count > 1 {
                    return connection.output[1].withUnsafeBytes { second in
                        EventLoop.send(connection.fd, UnsafeRawBufferPointer(rebasing: first[offset...]), second)
                    }
                }
                return EventLoop.send(connection.fd, UnsafeRawBufferPointer(rebasing: first[offset...]), nil)
            }
            if sent < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK ? .blocked : .failed
            }
            var remaining = sent
            while remaining > 0, let first = connection.output.first {
                let available = first.count - connection.outputOffset
                if remaining >= available {
                    remaining -= available
                    connection.output.removeFirst()
                    connection.outputOffset = 0
                } else {
                    connection.outputOffset += remaining
                    remaining = 0
                }
            }
            if connection.deadlineKind == .write { setDeadline(connection, .write) }
        }
        return .done
    }

    /// One `sendmsg` of up to two buffers; never raises SIGPIPE.
    private static func send(_ fd: Int32, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer?) -> Int {
        withUnsafeTemporaryAllocation(of: iovec.self, capacity: 2) { vectors in
            vectors[0] = iovec(iov_base: UnsafeMutableRawPointer(mutating: first.baseAddress), iov_len: first.count)
            var count = 1
            if let second, second.count > 0 {
                vectors[1] = iovec(iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress), iov_len: second.count)
                count = 2
            }
            var message = msghdr()
            message.msg_iov = vectors.baseAddress
            message.msg_iovlen = numericCast(count)
            return sendmsg(fd, &message, noSignalFlag)
        }
    }

    #if os(Linux)
    private static let noSignalFlag = Int32(MSG_NOSIGNAL)
    #else
    private static let noSignalFlag: Int32 = 0  // SO_NOSIGPIPE is set on accepted sockets instead
    #endif

    /// Shuts our side down and waits briefly for the client's EOF before closing, so the last
    /// response is not destroyed by a reset caused by unread input.
    private func lingerAndClose(_ connection: Connection) {
        // An orderly close with nothing unread (Connection: close, HTTP/1.0, shutdown) needs no
        // lingering; after an error the client is likely still sending.
        if connection.readClosed || connection.broken || (!connection.lingerOnClose && connection.parser.bufferedByteCount == 0) {
            close(connection)
            return
        }
        shutdown(connection.fd, Int32(SHUT_WR))
        connection.phase = .draining
        connection.deadline = now + EventLoop.drainTime
        connection.deadlineKind = .drain
        nextTimerCheck = min(nextTimerCheck, connection.deadline)
    }

    private func close(_ connection: Connection) {
        guard connection.phase != .closed else { return }
        connection.phase = .closed
        connection.output = []
        connections[connection.fd] = nil
        closeDescriptor(connection.fd)
        if connection.holdsSlot { context.releaseConnection() } else { rejecting -= 1 }
    }

    private func updateInterest(_ connection: Connection) {
        let desired: Interest
        switch connection.phase {
        case .reading:
            desired = connection.readClosed || connection.isDeferred ? [] : .read
        case .draining:
            desired = connection.readClosed ? [] : .read
        case .processing:
            desired = !connection.readClosed && connection.parser.bufferedByteCount < EventLoop.readAheadLimit ? .read : []
        case .writing:
            desired = connection.output.isEmpty ? [] : .write
        case .closed:
            return
        }
        guard desired != connection.interest, !connection.broken else { return }
        poller.modify(connection.fd, desired)
        connection.interest = desired
    }

    // MARK: - Timeouts

    private func refreshReadDeadline(_ connection: Connection) {
        let kind: Connection.DeadlineKind
        if connection.parser.isIdle {
            kind = connection.requestsServed > 0 ? .idle : .fresh
        } else {
            kind = connection.parser.isReadingBody ? .body : .header
        }
        if kind != connection.deadlineKind { setDeadline(connection, kind) }
    }

    private func setDeadline(_ connection: Connection, _ kind: Connection.DeadlineKind) {
        let configuration = context.configuration
        let duration: UInt64
        switch kind {
        case .none: duration = 0
        case .fresh, .header: duration = configuration.headerTimeout.nanoseconds
        case .idle, .write: duration = configuration.idleTimeout.nanoseconds
        case .body: duration = configuration.bodyTimeout.nanoseconds
        case .drain: duration = EventLoop.drainTime
        }
        connection.deadlineKind = kind
        connection.deadline = kind == .none ? 0 : now + duration
        if kind != .none { nextTimerCheck = min(nextTimerCheck, connection.deadline) }
    }

    private func checkDeadlines() {
        var next = stopping ? stopDeadline : UInt64.max
        let forceClose = stopping && now >= stopDeadline
        for connection in Array(connections.values) {
            if forceClose {
                close(connection)
                continue
            }
            if connection.deadline != 0 && connection.deadline <= now { expire(connection) }
            if connection.phase != .closed && connection.deadline != 0 { next = min(next, connection.deadline) }
        }
        nextTimerCheck = next
    }

    private func expire(_ connection: Connection) {
        switch (connection.phase, connection.deadlineKind) {
        case (.reading, .header):
            sendError(HTTPError(408, "request headers were not received within \(context.configuration.headerTimeout)"), on: connection)
            drive(connection)
            updateInterest(connection)
        case (.reading, .body):
            sendError(HTTPError(408, "request body was not received within \(context.configuration.bodyTimeout)"), on: connection)
            drive(connection)
            updateInterest(connection)
        case (.reading, _), (.writing, _), (.draining, _):
            close(connection)
        case (.processing, _), (.closed, _):
            connection.deadline = 0
        }
    }

    private func beginStopping() {
        stopping = true
        stopDeadline = now + context.configuration.shutdownTimeout.nanoseconds
        nextTimerCheck = min(nextTimerCheck, stopDeadline)
        if listening {
            poller.remove(context.listenFD)
            listening = false
        }
        for connection in Array(connections.values) {
            switch connection.phase {
            case .reading where connection.parser.isIdle:
                close(connection)
            case .reading, .processing, .writing:
                connection.closeAfterWrite = true
            case .draining, .closed:
                break
            }
        }
    }
}

/// `close(2)`, named apart from `EventLoop.close(_:)`, which closes a connection.
func closeDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}
