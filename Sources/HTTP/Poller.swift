#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which readiness an event loop waits for on a socket.
struct Interest: OptionSet, Sendable {
    let rawValue: UInt8
    static let read = Interest(rawValue: 1)
    static let write = Interest(rawValue: 2)
}

/// One readiness report.
struct PollEvent {
    var fd: Int32
    var readable: Bool
    var writable: Bool
    /// Error or hang-up: the socket is unusable or the peer is gone in both directions.
    var failed: Bool
}

#if os(Linux)
/// Readiness notification with epoll (level-triggered) plus a pipe to wake the waiting thread.
/// Used by one event-loop thread; only `wake()` may be called from other threads.
final class Poller: @unchecked Sendable {
    private let epollFD: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let capacity = 256
    private let events: UnsafeMutableRawPointer

    init() throws(ServerError) {
        guard let api = Epoll.api else { throw ServerError("epoll is not available on this system") }
        epollFD = api.create1(Epoll.cloexec)
        guard epollFD >= 0 else { throw ServerError("cannot create an epoll instance (errno \(errno))") }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            Glibc.close(epollFD)
            throw ServerError("cannot create a wake-up pipe (errno \(errno))")
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        events = UnsafeMutableRawPointer.allocate(byteCount: capacity * Epoll.eventSize, alignment: 8)
        control(Epoll.add, wakeRead, Epoll.readable)
    }

    deinit {
        Glibc.close(epollFD)
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
        events.deallocate()
    }

    /// Registers `fd`; `exclusive` (for a listening socket shared by several loops) wakes only one.
    func add(_ fd: Int32, _ interest: Interest, exclusive: Bool = false) {
        control(Epoll.add, fd, Poller.mask(interest) | (exclusive ? Epoll.exclusive : 0))
    }

    func modify(_ fd: Int32, _ interest: Interest) {
        control(Epoll.modify, fd, Poller.mask(interest))
    }

    func remove(_ fd: Int32) {
        control(Epoll.delete, fd, 0)
    }

    /// Waits up to `timeoutMilliseconds` and returns the ready sockets (wake-ups are consumed).
    func wait(timeoutMilliseconds: Int32, into ready: inout [PollEvent]) {
        ready.removeAll(keepingCapacity: true)
        guard let api = Epoll.api else { return }
        let count = api.wait(epollFD, events, Int32(capacity), timeoutMilliseconds)
        guard count > 0 else { return }
        for index in 0..<Int(count) {
            let (mask, fd) = Epoll.readEvent(events, index)
            if fd == wakeRead {
                var scratch: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
                while read(wakeRead, &scratch, 32) == 32 {}
                continue
            }
            ready.append(PollEvent(fd: fd,
                                   readable: mask & Epoll.readable != 0,
                                   writable: mask & Epoll.writable != 0,
                                   failed: mask & (Epoll.error | Epoll.hangUp) != 0))
        }
    }

    /// Interrupts `wait` from any thread.
    func wake() {
        var one: UInt8 = 1
        _ = write(wakeWrite, &one, 1)
    }

    private func control(_ operation: Int32, _ fd: Int32, _ mask: UInt32) {
        guard let api = Epoll.api else { return }
        var event = [UInt8](repeating: 0, count: Epoll.eventSize)
        event.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            Epoll.writeEvent(base, mask: mask, fd: fd)
            _ = api.control(epollFD, operation, fd, base)
        }
    }

    private static func mask(_ interest: Interest) -> UInt32 {
        (interest.contains(.read) ? Epoll.readable : 0) | (interest.contains(.write) ? Epoll.writable : 0)
    }
}

/// The epoll system calls. Swift's Glibc module does not include <sys/epoll.h> and this target may
/// not add a C shim, so the functions are looked up with dlsym (C calling convention, no ABI
/// guessing) and `struct epoll_event` is laid out by hand.
private enum Epoll {
    struct API: @unchecked Sendable {
        let create1: @convention(c) (Int32) -> Int32
        let control: @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
        let wait: @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    }

    static let api: API? = {
        guard let handle = dlopen(nil, RTLD_NOW),
              let create1 = dlsym(handle, "epoll_create1"),
              let control = dlsym(handle, "epoll_ctl"),
              let wait = dlsym(handle, "epoll_wait") else { return nil }
        return API(create1: unsafeBitCast(create1, to: (@convention(c) (Int32) -> Int32).self),
                   control: unsafeBitCast(control, to: (@convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32).self),
                   wait: unsafeBitCast(wait, to: (@convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32).self))
    }()

    // Values from <sys/epoll.h>; the same on every Linux architecture.
    static let readable: UInt32 = 0x001
    static let writable: UInt32 = 0x004
    static let error: UInt32 = 0x008
    static let hangUp: UInt32 = 0x010
    static let exclusive: UInt32 = 1 << 28
    static let add: Int32 = 1
    static let delete: Int32 = 2
    static let modify: Int32 = 3
    static let cloexec: Int32 = 0o2000000

    // struct epoll_event { uint32_t events; epoll_data_t data; } is packed on x86_64 only.
    #if arch(x86_64)
    static let eventSize = 12
    static let dataOffset = 4
    #else
    static let eventSize = 16
    static let dataOffset = 8
    #endif

    static func writeEvent(_ base: UnsafeMutableRawPointer, mask: UInt32, fd: Int32) {
        base.storeBytes(of: mask, as: UInt32.self)
        base.storeBytes(of: UInt64(UInt32(bitPattern: fd)), toByteOffset: dataOffset, as: UInt64.self)
    }

    static func readEvent(_ base: UnsafeMutableRawPointer, _ index: Int) -> (mask: UInt32, fd: Int32) {
        let event = base + index * eventSize
        let mask = event.loadUnaligned(as: UInt32.self)
        let data = event.loadUnaligned(fromByteOffset: dataOffset, as: UInt64.self)
        return (mask, Int32(truncatingIfNeeded: data))
    }
}
#else
/// Readiness notification with poll() (the non-Linux fallback) plus a pipe to wake the waiting thread.
/// Used by one event-loop thread; only `wake()` may be called from other threads.
final class Poller: @unchecked Sendable {
    private var interests: [Int32: Interest] = [:]
    private let wakeRead: Int32
    private let wakeWrite: Int32

    init() throws(ServerError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ServerError("cannot create a wake-up pipe (errno \(errno))") }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        _ = fcntl(wakeRead, F_SETFL, fcntl(wakeRead, F_GETFL) | O_NONBLOCK)
        _ = fcntl(wakeWrite, F_SETFL, fcntl(wakeWrite, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    func add(_ fd: Int32, _ interest: Interest, exclusive: Bool = false) { interests[fd] = interest }
    func modify(_ fd: Int32, _ interest: Interest) { interests[fd] = interest }
    func remove(_ fd: Int32) { interests[fd] = nil }

    func wait(timeoutMilliseconds: Int32, into ready: inout [PollEvent]) {
        ready.removeAll(keepingCapacity: true)
        var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        for (fd, interest) in interests {
            var events: Int16 = 0
            if interest.contains(.read) { events |= Int16(POLLIN) }
            if interest.contains(.write) { events |= Int16(POLLOUT) }
            fds.append(pollfd(fd: fd, events: events, revents: 0))
        }
        let count = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
        guard count > 0 else { return }
        if fds[0].revents != 0 {
            var scratch = [UInt8](repeating: 0, count: 64)
            while read(wakeRead, &scratch, scratch.count) > 0 {}
        }
        for entry in fds.dropFirst() where entry.revents != 0 {
            ready.append(PollEvent(fd: entry.fd,
                                   readable: entry.revents & Int16(POLLIN) != 0,
                                   writable: entry.revents & Int16(POLLOUT) != 0,
                                   failed: entry.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0))
        }
    }

    func wake() {
        var one: UInt8 = 1
        _ = write(wakeWrite, &one, 1)
    }
}
#endif
