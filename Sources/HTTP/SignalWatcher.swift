import Foundation

/// The write end of the signal pipe, read by the signal handler. Set before any handler is
/// installed, so the handler only ever reads an initialised global.
nonisolated(unsafe) private var signalPipeWriteFD: Int32 = -1

/// Delivers SIGINT and SIGTERM to ordinary Swift code safely: the C handler only writes the signal
/// number to a pipe (write(2) is async-signal-safe), and a watcher thread reads the pipe and runs
/// the registered actions. (libdispatch signal sources miss signals on Linux once they are
/// set to SIG_IGN, which is how they are meant to be used, so they are not relied on.)
enum SignalWatcher {
    private struct State {
        var actions: [Int: @Sendable () -> Void] = [:]
        var nextToken = 0
        var started = false
    }
    private static let state = Locked(State())

    /// Runs `action` on the watcher thread for each SIGINT or SIGTERM until `unregister(_:)`;
    /// while any action is registered the signals no longer terminate the process.
    static func register(_ action: @escaping @Sendable () -> Void) -> Int {
        state.withLock { state in
            if !state.started {
                state.started = startWatcher()
            }
            let token = state.nextToken
            state.nextToken += 1
            if state.actions.isEmpty && state.started {
                signal(SIGINT, handleSignal)
                signal(SIGTERM, handleSignal)
            }
            state.actions[token] = action
            return token
        }
    }

    /// Removes an action; the default signal behaviour returns with the last one.
    static func unregister(_ token: Int) {
        state.withLock { state in
            state.actions[token] = nil
            if state.actions.isEmpty {
                signal(SIGINT, SIG_DFL)
                signal(SIGTERM, SIG_DFL)
            }
        }
    }

    private static func startWatcher() -> Bool {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        signalPipeWriteFD = fds[1]
        let readFD = fds[0]
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(readFD, &byte, 1)
                if count < 0 && errno == EINTR { continue }
                guard count == 1 else { return }
                let actions = state.withLock { Array($0.actions.values) }
                for action in actions { action() }
            }
        }
        thread.name = "http-signals"
        thread.start()
        return true
    }
}

/// The C signal handler: async-signal-safe work only.
private func handleSignal(_ number: Int32) {
    let savedErrno = errno
    var byte = UInt8(truncatingIfNeeded: number)
    _ = write(signalPipeWriteFD, &byte, 1)
    errno = savedErrno
}
