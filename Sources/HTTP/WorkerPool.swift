import Foundation

/// A fixed set of threads running submitted jobs in FIFO order; handlers may block here without
/// stalling socket I/O.
final class WorkerPool: @unchecked Sendable {
    typealias Job = @Sendable () -> Void

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var head = 0
    private var stopping = false
    private var idle = 0

    init(threads: Int, name: String) {
        for index in 0..<max(1, threads) {
            let thread = Thread { [self] in work() }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    func submit(_ job: @escaping Job) {
        condition.lock()
        jobs.append(job)
        if idle > 0 { condition.signal() }
        condition.unlock()
    }

    /// Lets queued jobs finish, then the threads exit.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while head == jobs.count && !stopping {
                idle += 1
                condition.wait()
                idle -= 1
            }
            if head == jobs.count {
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            // Reclaim the consumed prefix once it dominates, keeping submit O(1) amortised.
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            } else if head > 1024 && head * 2 > jobs.count {
                jobs.removeSubrange(0..<head)
                head = 0
            }
            condition.unlock()
            job()
        }
    }
}
