import CZlib

/// gzip compression (RFC 1952) through zlib, and the rules for when a response is worth it.
enum Gzip {
    /// Bodies smaller than this are sent as they are: the gzip header would eat the saving.
    static let minimumSize = 1024

    /// Level for bodies compressed per request: level 1 is about three times faster than the
    /// default 6 and loses only a few percent of size on JSON. Static files use 9, once.
    static let dynamicLevel: Int32 = 1

    /// The gzip encoding of `bytes`, or nil if zlib fails (the caller then sends the identity body).
    static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8]? {
        var stream = z_stream()
        // windowBits 15 + 16 asks zlib for a gzip wrapper instead of a zlib one.
        let initResult = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                                       zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initResult == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 32)
        let result: Int32 = bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard result == Z_STREAM_END else { return nil }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }

    /// Whether a body of this media type shrinks under gzip (text, JSON, JavaScript, SVG, CSS).
    static func isCompressible(contentType: String?) -> Bool {
        guard let contentType else { return false }
        let type = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingHTTPWhitespace().lowercased() } ?? ""
        return type.hasPrefix("text/") || type.hasSuffix("json") || type.hasSuffix("+json")
            || type.contains("javascript") || type == "image/svg+xml" || type.hasSuffix("+xml")
            || type == "application/xml" || type == "application/wasm"
    }

    /// Whether an `Accept-Encoding` value accepts gzip: listed (or `*`) with a q-value above 0.
    static func isAccepted(by acceptEncoding: String?) -> Bool {
        guard let acceptEncoding else { return false }
        var gzipQuality: Double?
        var wildcardQuality: Double?
        for element in acceptEncoding.split(separator: ",") {
            let parts = element.split(separator: ";")
            guard let coding = parts.first?.trimmingHTTPWhitespace() else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let trimmed = parameter.trimmingHTTPWhitespace()
                if trimmed.lowercased().hasPrefix("q=") { quality = Double(trimmed.dropFirst(2)) ?? 0 }
            }
            if coding.equalsIgnoringASCIICase("gzip") || coding.equalsIgnoringASCIICase("x-gzip") {
                gzipQuality = quality
            } else if coding == "*" {
                wildcardQuality = quality
            }
        }
        return (gzipQuality ?? wildcardQuality ?? 0) > 0
    }
}
