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

    /// A 64-bit multiply-xorshift hash over 8-byte words (wyhash-like mixing); not cryptographic,
    /// only meant to change whenever the body does. Four independent lanes of 32-byte blocks,
    /// so the multiplications overlap instead of waiting on each other.
    static func hash64(_ bytes: [UInt8]) -> UInt64 {
        let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
        let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
        @inline(__always) func mix(_ hash: UInt64, _ word: UInt64) -> UInt64 {
            (hash ^ (word &* prime2)).rotatedLeft(31) &* prime1
        }
        var hash: UInt64 = 0x27D4_EB2F_1656_67C5 ^ UInt64(bytes.count) &* prime1
        bytes.withUnsafeBytes { raw in
            let count = raw.count
            var offset = 0
            if count >= 32 {
                var lanes = (hash, hash ^ prime1, hash ^ prime2, hash &+ prime1)
                while offset + 32 <= count {
                    lanes.0 = mix(lanes.0, UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                    lanes.1 = mix(lanes.1, UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
                    lanes.2 = mix(lanes.2, UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)))
                    lanes.3 = mix(lanes.3, UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)))
                    offset += 32
                }
                hash = mix(mix(mix(mix(hash, lanes.0), lanes.1), lanes.2), lanes.3)
            }
            while offset + 8 <= count {
                hash = mix(hash, UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                offset += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < count {
                tail |= UInt64(raw[offset]) << shift
                shift += 8
                offset += 1
            }
            hash = (hash ^ (tail &* prime2)).rotatedLeft(27) &* prime1
        }
        hash ^= hash >> 33
        hash = hash &* prime2
        hash ^= hash >> 29
        return hash
    }
}

extension UInt64 {
    fileprivate func rotatedLeft(_ count: UInt64) -> UInt64 { (self << count) | (self >> (64 - count)) }
}
