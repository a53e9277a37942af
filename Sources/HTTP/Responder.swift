/// Anything that answers requests: handlers, the `Router`, `StaticFiles` and middleware.
///
/// Throw `HTTPError` for client-facing errors; the server turns it into a JSON error response.
/// Any other error becomes a 500 with a generic message (the error itself is only logged).
public protocol Responder: Sendable {
    /// The response to `request`; may block (database queries, model computation).
    func respond(to request: Request) throws -> Response

    /// Whether answering `request` is quick and never blocks (a memory cache hit), so the server
    /// may answer it on its I/O thread instead of handing it to a worker. Defaults to `false`.
    func respondsWithoutBlocking(to request: Request) -> Bool
}

extension Responder {
    public func respondsWithoutBlocking(to request: Request) -> Bool { false }

    /// `respond(to:)` with every error mapped to a JSON error response — the one place this happens.
    /// `log` receives a line for errors that are not `HTTPError` (they become a generic 500).
    public func response(catchingErrorsFor request: Request, log: (@Sendable (String) -> Void)? = nil) -> Response {
        do {
            return try respond(to: request)
        } catch let error as HTTPError {
            var response = Response.error(error.status, error.message)
            for field in error.headers { response.headers[field.name] = field.value }
            return response
        } catch {
            log?("error: \(request.method) \(request.path) failed: \(error)")
            return Response.error(500, "internal server error")
        }
    }
}
