/// Routes requests by method and path pattern ("/api/features/:id") to handlers.
///
/// - GET routes also answer HEAD (the server drops the body, keeping `Content-Length`).
/// - A path that matches a pattern under another method → 405 with `Allow`.
/// - A path that matches no pattern → the fallback responder, or 404.
/// - When several patterns match, literal segments win over parameters, left to right.
public struct Router: Responder {
    /// A request handler; it may block and may throw `HTTPError`.
    public typealias Handler = @Sendable (Request) throws -> Response

    struct Route: Sendable {
        enum Segment: Sendable, Equatable {
            /// A segment matched exactly: its UTF-8 bytes.
            case literal([UInt8])
            /// A segment captured under this name.
            case parameter(String)
        }
        var method: String
        var segments: [Segment]
        var quick: Bool
        var handler: Handler
    }

    private var routes: [Route] = []
    /// Each route's number of segments (beside `routes`): most routes are ruled out by it alone,
    /// without copying (and retaining) the rest of them.
    private var segmentCounts: [Int] = []
    private var fallbackResponder: (any Responder)?
    /// The distinct literal first segments of all routes, and whether a route starts with a
    /// parameter: a path whose first segment is none of these (a static file) skips the routes.
    private var firstLiterals: [[UInt8]] = []
    private var parameterFirst = false

    /// An empty router: every request gets the fallback or 404.
    public init() {}

    /// Adds a route. `pattern` is a path whose segments starting with `:` capture the
    /// percent-decoded segment into `request.pathParameters`, e.g. "/api/features/:id".
    /// `quick`: the handler always finishes in well under a millisecond and never waits on
    /// anything slow, so the server may run it on its I/O thread and skip the hand-over to a
    /// worker (two thread switches). Leave it false for anything that can take long.
    public mutating func add(_ method: String, _ pattern: String, quick: Bool = false, _ handler: @escaping Handler) {
        let segments = Router.split(Substring(pattern)).map { segment -> Route.Segment in
            segment.hasPrefix(":") ? .parameter(String(segment.dropFirst())) : .literal(Array(segment.utf8))
        }
        routes.append(Route(method: method.uppercased(), segments: segments, quick: quick, handler: handler))
        segmentCounts.append(segments.count)
        switch segments.first {
        case .literal(let literal)? where !firstLiterals.contains(literal): firstLiterals.append(literal)
        case .parameter?: parameterFirst = true
        default: break
        }
    }

    /// Whether some route could match a path with these segments, judged by the first one.
    private func mayMatch(_ bytes: UnsafeBufferPointer<UInt8>, _ segments: UnsafeBufferPointer<Range<Int>>) -> Bool {
        if parameterFirst { return true }
        let first = UnsafeBufferPointer(rebasing: bytes[segments[0]])
        if first.contains(UInt8(ascii: "%")) { return true }  // compared decoded, by `matches`
        return firstLiterals.contains { first.elementsEqual($0) }
    }

    /// Sets the responder used when no route pattern matches the path (e.g. `StaticFiles`).
    public mutating func fallback(_ responder: any Responder) {
        fallbackResponder = responder
    }

    /// What the routes make of a request's path.
    private enum Found {
        /// The route that answers, and its captured parameters.
        case route(Int, [String: String])
        /// No route pattern matches the path.
        case none
        /// Only routes for other methods match the path: these (405).
        case otherMethods([String])
    }

    public func respond(to request: Request) throws -> Response {
        let found = Router.withSegments(of: request.target) { bytes, segments -> Found in
            if fallbackResponder != nil, !mayMatch(bytes, segments) { return .none }
            var best: Int?
            var pathMatches = false
            for index in routes.indices where segmentCounts[index] == segments.count {
                guard Router.matches(routes[index].segments, bytes, segments) else { continue }
                pathMatches = true
                let method = routes[index].method
                guard method == request.method || (request.method == "HEAD" && method == "GET") else { continue }
                // An explicit HEAD route beats the GET route answering HEAD.
                if let current = best {
                    let moreSpecific = Router.isMoreSpecific(routes[index].segments, than: routes[current].segments)
                    let sameShape = routes[index].segments == routes[current].segments
                    if moreSpecific || (sameShape && method == request.method && routes[current].method != request.method) {
                        best = index
                    }
                } else {
                    best = index
                }
            }
            if let best { return .route(best, Router.parameters(routes[best].segments, bytes, segments)) }
            guard pathMatches else { return .none }
            var allowed: [String] = []
            for index in routes.indices where segmentCounts[index] == segments.count
                && !allowed.contains(routes[index].method) && Router.matches(routes[index].segments, bytes, segments) {
                allowed.append(routes[index].method)
            }
            return .otherMethods(allowed)
        }
        switch found {
        case .route(let index, let parameters):
            var routed = request
            routed.pathParameters = parameters
            return try routes[index].handler(routed)
        case .otherMethods(var allowed):
            if allowed.contains("GET") && !allowed.contains("HEAD") { allowed.append("HEAD") }
            let allow = allowed.sorted().joined(separator: ", ")
            throw HTTPError(405, "method \(request.method) is not allowed on \(request.path); allowed: \(allow)",
                            headers: ["Allow": allow])
        case .none:
            if let fallbackResponder { return try fallbackResponder.respond(to: request) }
            throw HTTPError(404, "no resource at \(request.path)")
        }
    }

    /// A request goes inline when every route matching its path is `quick`; requests that no
    /// route matches go to the fallback, which is asked in turn.
    public func respondsWithoutBlocking(to request: Request) -> Bool {
        let routed = Router.withSegments(of: request.target) { bytes, segments -> Bool? in
            guard mayMatch(bytes, segments) else { return nil }
            var matched = false
            for index in routes.indices where segmentCounts[index] == segments.count
                && Router.matches(routes[index].segments, bytes, segments) {
                if !routes[index].quick { return false }
                matched = true
            }
            return matched ? true : nil
        }
        return routed ?? (fallbackResponder?.respondsWithoutBlocking(to: request) ?? true)
    }

    /// Runs `body` with the bytes of `target` and the ranges of its raw path's segments
    /// ("/a/b/" → a, b, "": a trailing slash is an empty last segment, so "/a" ≠ "/a/"). The
    /// ranges live on the stack: routing, done twice per request (to choose the thread, then to
    /// answer), allocates nothing unless a segment is percent-encoded.
    static func withSegments<T>(of target: String,
                                _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<Range<Int>>) -> T) -> T {
        target.withContiguousUTF8 { bytes in
            let path = Request.rawPathRange(bytes)
            var start = path.lowerBound
            if start < path.upperBound, bytes[start] == UInt8(ascii: "/") { start += 1 }
            var count = 1
            for i in start..<path.upperBound where bytes[i] == UInt8(ascii: "/") { count += 1 }
            return withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: count) { segments in
                var n = 0
                var segmentStart = start
                for i in start..<path.upperBound where bytes[i] == UInt8(ascii: "/") {
                    segments.initializeElement(at: n, to: segmentStart..<i)
                    n += 1
                    segmentStart = i + 1
                }
                segments.initializeElement(at: n, to: segmentStart..<path.upperBound)
                return body(bytes, UnsafeBufferPointer(segments))
            }
        }
    }

    /// "/a/b/" → ["a", "b", ""]: a trailing slash is an empty last segment, so "/a" ≠ "/a/".
    static func split(_ path: Substring) -> [Substring] {
        let utf8 = path.utf8
        var start = utf8.startIndex
        if start < utf8.endIndex, utf8[start] == UInt8(ascii: "/") { start = utf8.index(after: start) }
        var segments: [Substring] = []
        var index = start
        while index < utf8.endIndex {
            if utf8[index] == UInt8(ascii: "/") {
                segments.append(path[start..<index])
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        segments.append(path[start..<utf8.endIndex])
        return segments
    }

    /// The percent-decoded path segments captured by `pattern`'s parameters (the path matches).
    static func parameters(_ pattern: [Route.Segment], _ bytes: UnsafeBufferPointer<UInt8>,
                           _ path: UnsafeBufferPointer<Range<Int>>) -> [String: String] {
        var parameters: [String: String] = [:]
        for (segment, range) in zip(pattern, path) {
            guard case .parameter(let name) = segment else { continue }
            parameters[name] = PercentDecoding.decode(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self))
        }
        return parameters
    }

    /// Whether the path has the pattern's length, its literals and a non-empty segment for each
    /// parameter. A percent-encoded segment is compared decoded.
    static func matches(_ pattern: [Route.Segment], _ bytes: UnsafeBufferPointer<UInt8>,
                        _ path: UnsafeBufferPointer<Range<Int>>) -> Bool {
        guard pattern.count == path.count else { return false }
        for (segment, range) in zip(pattern, path) {
            switch segment {
            case .literal(let literal):
                let component = UnsafeBufferPointer(rebasing: bytes[range])
                let equal = component.contains(UInt8(ascii: "%"))
                    ? PercentDecoding.decode(String(decoding: component, as: UTF8.self)).utf8.elementsEqual(literal)
                    : component.elementsEqual(literal)
                guard equal else { return false }
            case .parameter:
                guard !range.isEmpty else { return false }
            }
        }
        return true
    }

    /// Whether `a` has a literal where `b` has a parameter at the first position they differ in kind.
    static func isMoreSpecific(_ a: [Route.Segment], than b: [Route.Segment]) -> Bool {
        for (x, y) in zip(a, b) {
            switch (x, y) {
            case (.literal, .parameter): return true
            case (.parameter, .literal): return false
            default: continue
            }
        }
        return false
    }
}
