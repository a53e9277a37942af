import Foundation
import HTTP

/// A bounded queue in front of expensive work (a model pass): at most `running` at once, at
/// most `waiting` more waiting; beyond that, or after waiting `maxWait`, a 503 with
/// `Retry-After`, so a burst of live requests cannot tie up every request thread.
final class ComputeGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var running = 0
    private var waiting = 0
    private let maxRunning: Int
    private let maxWaiting: Int
    private let maxWait: TimeInterval
    /// Smoothed seconds per computation, for `Retry-After`.
    private var averageSeconds = 0.2

    init(running: Int, waiting: Int, maxWait: TimeInterval) {
        maxRunning = max(1, running)
        maxWaiting = max(0, waiting)
        self.maxWait = maxWait
    }

    /// Requests waiting now.
    var queued: Int {
        condition.lock()
        defer { condition.unlock() }
        return waiting
    }

    /// Runs `body` when a slot is free; throws 503 when the queue is full or the wait too long.
    func run<T>(_ body: () throws -> T) throws -> T {
        condition.lock()
        if running >= maxRunning {
            guard waiting < maxWaiting else {
                let retry = retryAfter()
                condition.unlock()
                throw busy("\(maxRunning + maxWaiting) live requests are already running or queued", retry)
            }
            waiting += 1
            let deadline = Date(timeIntervalSinceNow: maxWait)
            while running >= maxRunning {
                if !condition.wait(until: deadline) && running >= maxRunning {
                    waiting -= 1
                    let retry = retryAfter()
                    condition.unlock()
                    throw busy("a live request waited \(Int(maxWait)) s for the model", retry)
                }
            }
            waiting -= 1
        }
        running += 1
        condition.unlock()
        let started = Date()
        defer {
            condition.lock()
            running -= 1
            averageSeconds = 0.8 * averageSeconds + 0.2 * Date().timeIntervalSince(started)
            condition.signal()
            condition.unlock()
        }
        return try body()
    }

    /// Whole seconds until the queue has likely drained (called with the lock held).
    private func retryAfter() -> Int {
        max(1, Int((Double(waiting + running) * averageSeconds / Double(maxRunning)).rounded(.up)))
    }

    private func busy(_ why: String, _ retry: Int) -> HTTPError {
        var headers = HTTPHeaders()
        headers.add("Retry-After", String(retry))
        return HTTPError(503, "the server is busy: \(why); try again in \(retry) s", headers: headers)
    }
}
