import Foundation

/// A tokenizer's vocabulary as raw bytes, and the rule that turns token ids into display strings.
///
/// Byte-level BPE tokens may hold part of a UTF-8 character (an emoji split over two tokens).
/// Decoding each token on its own would show mojibake or U+FFFD, so `display(_:)` decodes the
/// sequence as a whole and gives each token the characters that START inside it; a token in
/// which no character starts (only continuation bytes) shows the character it is part of.
/// Bytes that are not valid UTF-8 in any grouping show as U+FFFD.
public struct Vocabulary: Sendable {
    public let tokens: [VocabToken]
    /// Each token decoded on its own, or nil when it isn't valid UTF-8 by itself.
    private let standalone: [String?]

    public init(_ tokens: [VocabToken]) {
        self.tokens = tokens
        self.standalone = tokens.map { token in
            Vocabulary.isCompleteUTF8(token.bytes) ? String(decoding: token.bytes, as: UTF8.self) : nil
        }
    }

    public var count: Int { tokens.count }

    /// One token out of context (for logit tables): complete characters only, U+FFFD for partial bytes.
    public func text(_ id: UInt32) -> String {
        guard Int(id) < tokens.count else { return "<\(id)>" }
        return standalone[Int(id)] ?? String(decoding: tokens[Int(id)].bytes, as: UTF8.self)
    }

    /// Display strings for a sequence of token ids, one per token (see the type's comment).
    /// Ids outside the vocabulary show as `<id>`.
    public func display(_ ids: [UInt32]) -> [String] {
        var fast: [String] = []
        fast.reserveCapacity(ids.count)
        for id in ids {
            guard Int(id) < tokens.count, let s = standalone[Int(id)] else { return slowDisplay(ids) }
            fast.append(s)
        }
        return fast
    }

    private func slowDisplay(_ ids: [UInt32]) -> [String] {
        // Concatenate the bytes, remembering where each token starts; unknown ids stand alone.
        var bytes: [UInt8] = []
        var ranges: [Range<Int>?] = []
        for id in ids {
            if Int(id) < tokens.count {
                let start = bytes.count
                bytes += tokens[Int(id)].bytes
                ranges.append(start..<bytes.count)
            } else {
                ranges.append(nil)
            }
        }
        let chars = Vocabulary.characters(bytes)  // (start, end, text), in order
        var result: [String] = []
        result.reserveCapacity(ids.count)
        var c = 0  // first character not yet fully before the current token
        for (i, range) in ranges.enumerated() {
            guard let range else { result.append("<\(ids[i])>"); continue }
            if range.isEmpty { result.append(""); continue }
            while c < chars.count && chars[c].end <= range.lowerBound { c += 1 }
            var text = ""
            var j = c
            while j < chars.count && chars[j].start < range.upperBound {
                if chars[j].start >= range.lowerBound { text += chars[j].text }
                j += 1
            }
            if text.isEmpty, c < chars.count { text = chars[c].text }  // only continuation bytes
            result.append(text)
        }
        return result
    }

    /// Splits bytes into UTF-8 characters; an invalid byte is a one-byte U+FFFD character.
    static func characters(_ bytes: [UInt8]) -> [(start: Int, end: Int, text: String)] {
        var out: [(Int, Int, String)] = []
        var i = 0
        while i < bytes.count {
            let n = sequenceLength(bytes, at: i)
            if n == 0 {
                // One U+FFFD for the maximal invalid subpart (a cut-short sequence), as WHATWG decoders do.
                let end = i + invalidLength(bytes, at: i)
                out.append((i, end, "\u{FFFD}"))
                i = end
            } else {
                out.append((i, i + n, String(decoding: bytes[i..<(i + n)], as: UTF8.self)))
                i += n
            }
        }
        return out
    }

    /// For a lead byte: the sequence length and the allowed range of the second byte
    /// (narrower than 80…BF where needed to exclude overlong forms, surrogates and > U+10FFFF).
    private static func lead(_ byte: UInt8) -> (length: Int, second: ClosedRange<UInt8>)? {
        switch byte {
        case 0x00...0x7F: return (1, 0x80...0xBF)
        case 0xC2...0xDF: return (2, 0x80...0xBF)
        case 0xE0: return (3, 0xA0...0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: return (3, 0x80...0xBF)
        case 0xED: return (3, 0x80...0x9F)
        case 0xF0: return (4, 0x90...0xBF)
        case 0xF1...0xF3: return (4, 0x80...0xBF)
        case 0xF4: return (4, 0x80...0x8F)
        default: return nil
        }
    }

    /// How many bytes from `i` follow the UTF-8 pattern a sequence starting there needs (≥ 1).
    private static func prefixLength(_ b: [UInt8], at i: Int) -> (matched: Int, needed: Int) {
        guard let (n, second) = lead(b[i]) else { return (1, 0) }
        var k = 1
        while k < n, i + k < b.count, (k == 1 ? second : 0x80...0xBF).contains(b[i + k]) { k += 1 }
        return (k, n)
    }

    /// Length of the valid UTF-8 sequence starting at `i`, or 0 if none does.
    static func sequenceLength(_ b: [UInt8], at i: Int) -> Int {
        let (matched, needed) = prefixLength(b, at: i)
        return matched == needed ? matched : 0
    }

    /// Bytes from `i` that start a sequence but stop short (at least 1): one U+FFFD covers them.
    static func invalidLength(_ b: [UInt8], at i: Int) -> Int { prefixLength(b, at: i).matched }

    static func isCompleteUTF8(_ bytes: [UInt8]) -> Bool {
        var i = 0
        while i < bytes.count {
            let n = sequenceLength(bytes, at: i)
            if n == 0 { return false }
            i += n
        }
        return true
    }

    /// The key `/api/search/tokens` matches on: lower-cased, surrounding whitespace trimmed.
    public static func searchKey(_ text: String) -> String {
        text.lowercased().trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
