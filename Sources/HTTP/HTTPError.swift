/// An error that becomes an HTTP error response: `{"error":{"status":N,"message":"..."}}`.
///
/// Throw it from any handler; the server turns it into a JSON response in one place
/// (`Responder.response(catchingErrorsFor:)`). `headers` are added to that response (e.g. `Allow`).
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status code, e.g. 404.
    public var status: Int
    /// One sentence for the client, e.g. "feature 7 does not exist".
    public var message: String
    /// Extra headers for the error response.
    public var headers: HTTPHeaders

    /// An error with the status, the client-facing message and optional extra response headers.
    public init(_ status: Int, _ message: String, headers: HTTPHeaders = .init()) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public var description: String { "HTTP \(status): \(message)" }
}

/// A server that could not start: the message names the host, port or resource at fault.
public struct ServerError: Error, Sendable, CustomStringConvertible {
    /// One sentence, e.g. "port 8080 on 127.0.0.1 is already in use".
    public var message: String

    /// An error with its message.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
