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
    /// Byte-level and without allocations: it runs on every response.
    static func isCompressible(contentType: String?) -> Bool {
        guard var contentType else { return false }
        return contentType.withUTF8 { bytes in
            // The media type: up to ";", without surrounding blanks, compared ignoring ASCII case
            // (the patterns below are lower case).
            var end = bytes.firstIndex(of: UInt8(ascii: ";")) ?? bytes.count
            var start = 0
            func blank(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
            while start < end, blank(bytes[start]) { start += 1 }
            while end > start, blank(bytes[end - 1]) { end -= 1 }
            let type = UnsafeBufferPointer(rebasing: bytes[start..<end])
            func matches(_ pattern: StaticString, at offset: Int) -> Bool {
                let n = pattern.utf8CodeUnitCount
                guard offset >= 0, offset + n <= type.count else { return false }
                for i in 0..<n {
                    let b = type[offset + i]
                    if (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b | 0x20 : b) != pattern.utf8Start[i] { return false }
                }
                return true
            }
            func prefix(_ p: StaticString) -> Bool { matches(p, at: 0) }
            func suffix(_ p: StaticString) -> Bool { matches(p, at: type.count - p.utf8CodeUnitCount) }
            func equal(_ p: StaticString) -> Bool { type.count == p.utf8CodeUnitCount && prefix(p) }
            func contains(_ p: StaticString) -> Bool {
                (0...max(0, type.count - p.utf8CodeUnitCount)).contains { matches(p, at: $0) }
            }
            return prefix("text/") || suffix("json") || contains("javascript") || equal("image/svg+xml")
                || suffix("+xml") || equal("application/xml") || equal("application/wasm")
        }
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
