/// Adds `Access-Control-Allow-Origin: *` to every response under a path prefix (errors included)
/// and answers CORS preflight requests (`OPTIONS` there) with 204.
public struct CORS: Responder {
    /// The path prefix, e.g. "/api"; "/api" and "/api/..." match, "/apix" does not.
    public var prefix: String
    /// The wrapped responder.
    public var wrapped: any Responder
    /// Methods announced to preflight requests.
    public var allowedMethods: String = "GET, HEAD, POST, OPTIONS"
    /// Request headers announced to preflight requests.
    public var allowedHeaders: String = "Content-Type, Accept, Accept-Encoding, If-None-Match"

    /// CORS for paths under `prefix`, passing every request on to `wrapped`.
    public init(prefix: String = "/api", wrapping wrapped: any Responder) {
        self.prefix = prefix
        self.wrapped = wrapped
    }

    public func respond(to request: Request) throws -> Response {
        guard applies(to: request.path) else { return try wrapped.respond(to: request) }
        if request.method == "OPTIONS" {
            var response = Response(status: 204)
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Access-Control-Allow-Methods"] = allowedMethods
            response.headers["Access-Control-Allow-Headers"] = allowedHeaders
            response.headers["Access-Control-Max-Age"] = "86400"
            return response
        }
        do {
            var response = try wrapped.respond(to: request)
            response.headers["Access-Control-Allow-Origin"] = "*"
            return response
        } catch var error as HTTPError {
            error.headers["Access-Control-Allow-Origin"] = "*"
            throw error
        }
    }

    public func respondsWithoutBlocking(to request: Request) -> Bool {
        if request.method == "OPTIONS" && applies(to: request.path) { return true }
        return wrapped.respondsWithoutBlocking(to: request)
    }

    private func applies(to path: String) -> Bool {
        path == prefix || path.hasPrefix(prefix.hasSuffix("/") ? prefix : prefix + "/")
    }
}
