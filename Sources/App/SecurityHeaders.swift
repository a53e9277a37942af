import HTTP

/// Adds the security headers every response should carry, and a Content-Security-Policy that
/// forbids inline script on pages (the pages in `Public/` use none: no inline scripts, event
/// handlers or style attributes).
struct SecurityHeaders: Responder {
    let wrapped: any Responder

    static let contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'; form-action 'self'"

    func respond(to request: Request) throws -> Response {
        do {
            var response = try wrapped.respond(to: request)
            SecurityHeaders.add(to: &response.headers, html: response.headers["Content-Type"]?.hasPrefix("text/html") == true)
            return response
        } catch var error as HTTPError {
            SecurityHeaders.add(to: &error.headers, html: false)
            throw error
        }
    }

    func respondsWithoutBlocking(to request: Request) -> Bool { wrapped.respondsWithoutBlocking(to: request) }

    static func add(to headers: inout HTTPHeaders, html: Bool) {
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        if html {
            headers["Content-Security-Policy"] = contentSecurityPolicy
            headers["X-Frame-Options"] = "SAMEORIGIN"
        }
    }
}
