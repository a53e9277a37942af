#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opening the listening socket and configuring accepted ones.
enum ListeningSocket {
    /// A non-blocking socket bound to `host`:`port` (IPv4 or IPv6) and listening; returns it with
    /// the port actually bound.
    static func open(host: String, port: Int) throws(ServerError) -> (fd: Int32, port: Int) {
        guard (0...65535).contains(port) else { throw ServerError("port \(port) is out of range 0–65535") }
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamType
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw ServerError("cannot resolve host \"\(host)\": \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }

        let fd = socket(first.pointee.ai_family, streamType, 0)
        guard fd >= 0 else { throw ServerError("cannot create a socket for \(host) (\(errorText()))") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setNonBlocking(fd)
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let code = errno
            close(fd)
            switch code {
            case EADDRINUSE: throw ServerError("port \(port) on \(host) is already in use")
            case EACCES: throw ServerError("permission denied binding port \(port) on \(host) (ports below 1024 need privileges)")
            case EADDRNOTAVAIL: throw ServerError("address \(host) is not available on this machine")
            default: throw ServerError("cannot bind port \(port) on \(host) (\(errorText(code)))")
            }
        }
        guard listen(fd, SOMAXCONN) == 0 else {
            let code = errno
            close(fd)
            throw ServerError("cannot listen on port \(port) on \(host) (\(errorText(code)))")
        }
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let boundPort = withUnsafeMutablePointer(to: &address) { pointer -> Int in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
            if Int32(pointer.pointee.ss_family) == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
        return (fd, boundPort)
    }

    /// Accepts one pending connection as a non-blocking socket with TCP_NODELAY; nil with `errno`
    /// set when there is none or accept failed.
    static func accept(_ listenFD: Int32) -> Int32? {
        // accept4 is not exported by Swift's Glibc module; two fcntl calls per connection are cheap.
        let fd = systemAccept(listenFD, nil, nil)
        guard fd >= 0 else { return nil }
        setNonBlocking(fd)
        var one: Int32 = 1
        #if canImport(Darwin)
        _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        // Responses go out in one write; Nagle would only delay them.
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    static func setNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    static func errorText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    #if canImport(Glibc)
    private static let systemAccept = Glibc.accept
    #else
    private static let systemAccept = Darwin.accept
    #endif

    #if os(Linux)
    static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
    static let streamType = SOCK_STREAM
    #endif
}
