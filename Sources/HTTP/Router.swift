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
            case literal(String)
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
    private var firstLiterals: [String] = []
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
            segment.hasPrefix(":") ? .parameter(String(segment.dropFirst())) : .literal(String(segment))
        }
        routes.append(Route(method: method.uppercased(), segments: segments, quick: quick, handler: handler))
        segmentCounts.append(segments.count)
        switch segments.first {
        case .literal(let literal)? where !firstLiterals.contains(literal): firstLiterals.append(literal)
        case .parameter?: parameterFirst = true
        default: break
        }
    }

    /// Whether some route could match `path` (judged by its first segment, without allocating).
    private func mayMatch(_ path: Substring) -> Bool {
        if parameterFirst { return true }
        let utf8 = path.utf8
        var start = utf8.startIndex
        if start < utf8.endIndex, utf8[start] == UInt8(ascii: "/") { start = utf8.index(after: start) }
        let end = utf8[start...].firstIndex(of: UInt8(ascii: "/")) ?? utf8.endIndex
        let first = utf8[start..<end]
        if first.contains(UInt8(ascii: "%")) { return true }  // compared decoded, by `match`
        return firstLiterals.contains { first.elementsEqual($0.utf8) }
    }

    /// Sets the responder used when no route pattern matches the path (e.g. `StaticFiles`).
    public mutating func fallback(_ responder: any Responder) {
        fallbackResponder = responder
    }

    public func respond(to request: Request) throws -> Response {
        let rawPath = Request.rawPath(of: request.target)
        if let fallbackResponder, !mayMatch(rawPath) { return try fallbackResponder.respond(to: request) }
        let pathSegments = Router.split(rawPath)
        var best: Route?
        var allowed: [String] = []
        for index in routes.indices where segmentCounts[index] == pathSegments.count {
            let route = routes[index]
            guard Router.matchesLiterals(route.segments, pathSegments) else { continue }
            if !allowed.contains(route.method) { allowed.append(route.method) }
            let methodMatches = route.method == request.method || (request.method == "HEAD" && route.method == "GET")
            guard methodMatches else { continue }
            // An explicit HEAD route beats the GET route answering HEAD.
            if let current = best {
                let moreSpecific = Router.isMoreSpecific(route.segments, than: current.segments)
                let sameShape = route.segments == current.segments
                if moreSpecific || (sameShape && route.method == request.method && current.method != request.method) {
                    best = route
                }
            } else {
                best = route
            }
        }
        if let best {
            var routed = request
            routed.pathParameters = Router.parameters(best.segments, pathSegments)
            return try best.handler(routed)
        }
        if !allowed.isEmpty {
            if allowed.contains("GET") && !allowed.contains("HEAD") { allowed.append("HEAD") }
            let allow = allowed.sorted().joined(separator: ", ")
            throw HTTPError(405, "method \(request.method) is not allowed on \(request.path); allowed: \(allow)",
                            headers: ["Allow": allow])
        }
        if let fallbackResponder { return try fallbackResponder.respond(to: request) }
        throw HTTPError(404, "no resource at \(request.path)")
    }

    /// A request goes inline when every route matching its path is `quick`; requests that no
    /// route matches go to the fallback, which is asked in turn.
    public func respondsWithoutBlocking(to request: Request) -> Bool {
        let rawPath = Request.rawPath(of: request.target)
        guard mayMatch(rawPath) else { return fallbackResponder?.respondsWithoutBlocking(to: request) ?? true }
        let pathSegments = Router.split(rawPath)
        var matched = false
        for index in routes.indices where segmentCounts[index] == pathSegments.count
            && Router.matchesLiterals(routes[index].segments, pathSegments) {
            if !routes[index].quick { return false }
            matched = true
        }
        return matched || (fallbackResponder?.respondsWithoutBlocking(to: request) ?? true)
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
    static func parameters(_ pattern: [Route.Segment], _ path: [Substring]) -> [String: String] {
        var parameters: [String: String] = [:]
        for case (.parameter(let name), let component) in zip(pattern, path) {
            parameters[name] = PercentDecoding.decode(component)
        }
        return parameters
    }

    /// Whether `path` has the pattern's length, its literals and a non-empty segment for each
    /// parameter. Allocates nothing unless a segment is percent-encoded (the routes with as many
    /// segments as the path are tried on every request, twice: to choose the thread, then to
    /// answer).
    static func matchesLiterals(_ pattern: [Route.Segment], _ path: [Substring]) -> Bool {
        guard pattern.count == path.count else { return false }
        for (segment, component) in zip(pattern, path) {
            switch segment {
            case .literal(let literal):
                let equal = component.utf8.contains(UInt8(ascii: "%"))
                    ? PercentDecoding.decode(component) == literal
                    : component.utf8.elementsEqual(literal.utf8)
                guard equal else { return false }
            case .parameter:
                guard !component.isEmpty else { return false }
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
