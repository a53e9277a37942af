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
    /// Whether each token's bytes are whole UTF-8 characters (most are).
    private let complete: [Bool]

    public init(_ tokens: [VocabToken]) {
        self.tokens = tokens
        self.complete = tokens.map { Vocabulary.isCompleteUTF8($0.bytes) }
    }

    /// A tokenizer's vocabulary: token i's bytes and whether it is special.
    public init(tokenBytes: [[UInt8]], special: [Bool]) {
        self.init(tokenBytes.indices.map { VocabToken(bytes: tokenBytes[$0], special: $0 < special.count && special[$0]) })
    }

    public var count: Int { tokens.count }

    /// For each token, whether its bytes are whole UTF-8 characters, so that it always displays
    /// as itself (see `forEachDisplay`); hot loops check this and skip the general path.
    public var wholeCharacterTokens: [Bool] { complete }

    /// One token out of context (for logit tables): complete characters only, U+FFFD for partial bytes.
    public func text(_ id: UInt32) -> String {
        guard Int(id) < tokens.count else { return "<\(id)>" }
        return String(decoding: tokens[Int(id)].bytes, as: UTF8.self)
    }

    /// Display strings for a sequence of token ids, one per token (see the type's comment).
    /// Ids outside the vocabulary show as `<id>`.
    public func display(_ ids: [UInt32]) -> [String] {
        var out: [String] = []
        out.reserveCapacity(ids.count)
        forEachDisplay(ids) { piece in
            switch piece {
            case .token(let id): out.append(String(decoding: tokens[Int(id)].bytes, as: UTF8.self))
            case .text(let bytes): out.append(String(decoding: bytes, as: UTF8.self))
            }
        }
        return out
    }

    /// How one token of a sequence displays.
    public enum DisplayPiece {
        /// As the token's own bytes, which are whole UTF-8 characters (the common case; callers
        /// may cache per-token work such as JSON escaping).
        case token(UInt32)
        /// As these bytes (valid UTF-8), readable only during the call: a token holding part of a
        /// character, or an unknown id.
        case text(UnsafeBufferPointer<UInt8>)
    }

    /// Calls `body` once per id, in order, with how that token displays: `display(_:)` without
    /// making strings. A token of whole characters always shows as itself, since it starts and
    /// ends on character boundaries; only runs of tokens holding partial characters (or unknown
    /// ids) are decoded together.
    public func forEachDisplay(_ ids: [UInt32], _ body: (DisplayPiece) -> Void) {
        ids.withUnsafeBufferPointer { forEachDisplay($0, body) }
    }

    /// `forEachDisplay` over ids in memory.
    public func forEachDisplay(_ ids: UnsafeBufferPointer<UInt32>, _ body: (DisplayPiece) -> Void) {
        var i = 0
        while i < ids.count {
            let id = ids[i]
            if Int(id) < tokens.count && complete[Int(id)] {
                body(.token(id))
                i += 1
                continue
            }
            var end = i + 1
            while end < ids.count, !(Int(ids[end]) < tokens.count && complete[Int(ids[end])]) { end += 1 }
            displayPartialRun(UnsafeBufferPointer(rebasing: ids[i..<end]), body)
            i = end
        }
    }

    /// Display of a run of tokens that hold partial characters: decode their bytes together and
    /// give each token the characters that start in it, or the one it is a middle part of. The
    /// run's bytes and character starts are kept on the stack.
    private func displayPartialRun(_ ids: UnsafeBufferPointer<UInt32>, _ body: (DisplayPiece) -> Void) {
        var total = 0
        for id in ids where Int(id) < tokens.count { total += tokens[Int(id)].bytes.count }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: total) { run in
            var filled = 0
            for id in ids where Int(id) < tokens.count {
                tokens[Int(id)].bytes.withUnsafeBufferPointer { token in
                    guard let base = token.baseAddress else { return }
                    (run.baseAddress! + filled).initialize(from: base, count: token.count)
                    filled += token.count
                }
            }
            let bytes = UnsafeBufferPointer(run)
            // Where each character begins, and whether it is valid UTF-8; a last entry marks the end.
            withUnsafeTemporaryAllocation(of: (start: Int, valid: Bool).self, capacity: total + 1) { characters in
                var count = 0
                var i = 0
                while i < total {
                    let n = Vocabulary.sequenceLength(bytes, at: i)
                    characters.initializeElement(at: count, to: (i, n > 0))
                    count += 1
                    i += n > 0 ? n : Vocabulary.invalidLength(bytes, at: i)
                }
                characters.initializeElement(at: count, to: (total, true))

                func emit(_ first: Int, _ last: Int) {  // characters first...last
                    let slice = UnsafeBufferPointer(rebasing: bytes[characters[first].start..<characters[last + 1].start])
                    if characters[first...last].allSatisfy({ $0.valid }) { return body(.text(slice)) }
                    Array(String(decoding: slice, as: UTF8.self).utf8).withUnsafeBufferPointer { body(.text($0)) }
                }
                var c = 0  // the first character starting at or after the current token's start
                var tokenStart = 0
                for id in ids {
                    guard Int(id) < tokens.count else {
                        Array("<\(id)>".utf8).withUnsafeBufferPointer { body(.text($0)) }
                        continue
                    }
                    let tokenEnd = tokenStart + tokens[Int(id)].bytes.count
                    defer { tokenStart = tokenEnd }
                    if tokenEnd == tokenStart { body(.text(UnsafeBufferPointer(start: nil, count: 0))); continue }
                    while c < count && characters[c].start < tokenStart { c += 1 }
                    var last = c
                    while last < count && characters[last].start < tokenEnd { last += 1 }
                    if last > c {
                        emit(c, last - 1)  // the characters that start in this token, whole
                    } else if c > 0 {
                        emit(c - 1, c - 1)  // only continuation bytes: the character they belong to
                    }
                }
            }
        }
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
    private static func prefixLength(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> (matched: Int, needed: Int) {
        guard let (n, second) = lead(b[i]) else { return (1, 0) }
        var k = 1
        while k < n, i + k < b.count, (k == 1 ? second : 0x80...0xBF).contains(b[i + k]) { k += 1 }
        return (k, n)
    }

    /// Length of the valid UTF-8 sequence starting at `i`, or 0 if none does.
    static func sequenceLength(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let (matched, needed) = prefixLength(b, at: i)
        return matched == needed ? matched : 0
    }

    /// Bytes from `i` that start a sequence but stop short (at least 1): one U+FFFD covers them.
    static func invalidLength(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Int { prefixLength(b, at: i).matched }

    static func isCompleteUTF8(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { bytes in
            var i = 0
            while i < bytes.count {
                let n = sequenceLength(bytes, at: i)
                if n == 0 { return false }
                i += n
            }
            return true
        }
    }

    /// The key `/api/search/tokens` matches on: lower-cased, surrounding whitespace trimmed.
    public static func searchKey(_ text: String) -> String {
        text.lowercased().trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
