import CPointwise

/// Strong entity tags from a fast 64-bit hash of the body, and `If-None-Match` evaluation.
enum ETag {
    /// `"<16 hex digits>"`: a strong tag for `bytes`.
    static func strong(for bytes: [UInt8]) -> String {
        let hash = hash64(bytes)
        let digits = hexDigits.utf8Start
        return String(unsafeUninitializedCapacity: 18) { out in
            out[0] = UInt8(ascii: "\"")
            for i in 0..<16 { out[16 - i] = digits[Int(hash >> (4 * UInt64(i)) & 15)] }
            out[17] = UInt8(ascii: "\"")
            return 18
        }
    }
    private static let hexDigits: StaticString = "0123456789abcdef"

    /// The tag of the gzip variant: a strong tag must differ between representations.
    static func gzipVariant(of tag: String) -> String {
        guard tag.hasSuffix("\"") else { return tag }
        return String(tag.dropLast()) + "-gz\""
    }

    /// Whether `If-None-Match` (a list of tags, possibly weak `W/"..."`, or `*`) matches any of
    /// `tags`, using the weak comparison RFC 9110 section 13.1.2 prescribes for this header.
    static func ifNoneMatch(_ header: String, matchesAnyOf tags: [String]) -> Bool {
        let wanted = tags.map(opaque)
        for element in header.split(separator: ",") {
            let candidate = element.trimmingHTTPWhitespace()
            if candidate == "*" { return true }
            if wanted.contains(opaque(candidate)) { return true }
        }
        return false
    }

    private static func opaque<S: StringProtocol>(_ tag: S) -> Substring {
        let substring = Substring(tag)
        return substring.hasPrefix("W/") ? substring.dropFirst(2) : substring
    }

    /// A 64-bit hash of `bytes` (`cp_hash64`: vectorised C, per CPU); not cryptographic, only
    /// meant to change whenever the body does.
    static func hash64(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBufferPointer { UInt64(cp_hash64($0.baseAddress, $0.count)) }
    }
}
