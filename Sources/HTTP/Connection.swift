/// One client connection, owned by the event loop that accepted it and touched only on that
/// loop's thread. Workers hold a reference only to hand the response back to that loop.
final class Connection: @unchecked Sendable {
    enum Phase {
        /// Waiting for (the rest of) a request.
        case reading
        /// A request is with its responder; later pipelined bytes are buffered meanwhile.
        case processing
        /// Sending `output`.
        case writing
        /// The last response is sent and our side shut down; discarding input until the client
        /// closes, so unread input does not turn our close into a reset that destroys that response.
        case draining
        case closed
    }

    /// What the current deadline guards, which decides what happens when it passes.
    enum DeadlineKind {
        case none
        /// New connection, nothing received: close silently.
        case fresh
        /// Keep-alive connection between requests: close silently.
        case idle
        /// Part of a request head received: 408.
        case header
        /// Head received, body still arriving: 408.
        case body
        /// The client is not reading our response: close.
        case write
        /// Lingering close: close.
        case drain
    }

    let fd: Int32
    /// False for connections over the limit that only get a 503: they do not hold a slot.
    let holdsSlot: Bool
    var parser: RequestParser
    var phase: Phase = .reading
    /// Buffers still to send, the first one from `outputOffset`.
    var output: [[UInt8]] = []
    var outputOffset = 0
    /// The output is an interim `100 Continue`: reading resumes once it is sent.
    var outputIsInterim = false
    var closeAfterWrite = false
    /// The server closes on an error while the client may still be sending: linger (see `draining`).
    var lingerOnClose = false
    /// The client sent EOF (or the socket failed): no more requests will arrive.
    var readClosed = false
    /// The socket failed: drop the connection as soon as no worker holds it.
    var broken = false
    var deadline: UInt64 = 0
    var deadlineKind: DeadlineKind = .none
    /// Readiness currently registered with the poller.
    var interest: Interest = .read
    var requestsServed = 0
    /// Waiting in the loop's `deferred` list for its next turn.
    var isDeferred = false
    var bytesDrained = 0

    init(fd: Int32, limits: RequestParser.Limits, holdsSlot: Bool) {
        self.fd = fd
        self.holdsSlot = holdsSlot
        self.parser = RequestParser(limits: limits)
    }
}
