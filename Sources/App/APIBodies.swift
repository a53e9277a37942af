import FeatureIndex

/// Every vocabulary token's text as a JSON string literal, escaped once at start-up: a latent's
/// page holds hundreds of tokens, and copying cached bytes (without even a retain per token) is
/// the cheapest way to write them.
struct TokenJSON: Sendable {
    let vocabulary: Vocabulary
    /// 16 bytes per token. A literal of up to 15 bytes (most are) is held in its entry itself,
    /// so a token costs one random read; byte 15 then holds `inline | whole | length`. A longer
    /// one is in `long`: its offset (u64 at byte 0) and length (u32 at byte 8).
    private let entries: [UInt8]
    /// The longer literals back to back, followed by 16 zero bytes: every literal, inline or
    /// not, can be copied in whole 16-byte pieces (`JSONWriter.raw(padded:)`).
    private let long: [UInt8]
    private static let inline: UInt8 = 0x80, whole: UInt8 = 0x40

    init(_ vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        let whole = vocabulary.wholeCharacterTokens
        var entries = [UInt8](repeating: 0, count: 16 * vocabulary.count), long: [UInt8] = []
        for id in 0..<vocabulary.count {
            // The token alone; partial characters show as U+FFFD, as `Vocabulary.text` does.
            let literal = JSONWriter.encoded(Array(vocabulary.text(UInt32(id)).utf8)[...])
            let flags = whole[id] ? TokenJSON.whole : 0
            if literal.count < 16 {
                entries.replaceSubrange(16 * id..<16 * id + literal.count, with: literal)
                entries[16 * id + 15] = TokenJSON.inline | flags | UInt8(literal.count)
            } else {
                withUnsafeBytes(of: UInt64(long.count).littleEndian) { entries.replaceSubrange(16 * id..<16 * id + 8, with: $0) }
                withUnsafeBytes(of: UInt32(literal.count).littleEndian) { entries.replaceSubrange(16 * id + 8..<16 * id + 12, with: $0) }
                entries[16 * id + 15] = flags
                long += literal
            }
        }
        self.entries = entries
        self.long = long + [UInt8](repeating: 0, count: 16)
    }

    /// Token `id`'s literal: where it starts (readable in 16-byte pieces), its length, and
    /// whether the token is whole characters (`Vocabulary.wholeCharacterTokens`).
    @inline(__always)
    private static func literal(_ id: Int, entries: UnsafePointer<UInt8>, long: UnsafePointer<UInt8>) -> (UnsafePointer<UInt8>, Int, whole: Bool) {
        let entry = entries + 16 &* id
        let flags = entry[15]
        if flags & inline != 0 { return (entry, Int(flags & 0x0F), flags & whole != 0) }
        let raw = UnsafeRawPointer(entry)
        return (long + Int(UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))),
                Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self))), flags & whole != 0)
    }

    private func withTables<T>(_ body: (UnsafePointer<UInt8>, UnsafePointer<UInt8>) -> T) -> T {
        entries.withUnsafeBufferPointer { e in long.withUnsafeBufferPointer { l in body(e.baseAddress!, l.baseAddress!) } }
    }

    /// Appends token `id`'s literal (its text on its own) to `writer`.
    func write(_ id: UInt32, to writer: inout JSONWriter) {
        guard Int(id) < vocabulary.count else { return writer.string("<\(id)>") }
        withTables { entries, long in
            let (start, length, _) = TokenJSON.literal(Int(id), entries: entries, long: long)
            writer.raw(padded: start, count: length)
        }
    }

    /// Appends the display strings of a token sequence (`Vocabulary.forEachDisplay`): cached
    /// literals for whole-character tokens, the general path only for runs of partial ones.
    func writeDisplay<IDs: RandomAccessCollection<UInt32>>(_ ids: IDs, to writer: inout JSONWriter) where IDs.Index == Int {
        let count = vocabulary.count
        withTables { entries, long in
            func wholeLiteral(_ id: UInt32) -> (UnsafePointer<UInt8>, Int)? {
                guard Int(id) < count else { return nil }
                let (start, length, whole) = TokenJSON.literal(Int(id), entries: entries, long: long)
                return whole ? (start, length) : nil
            }
            var i = 0
            while i < ids.count {
                // Most tokens: whole characters, literal inline. Each is a comma and one 16-byte
                // copy straight from its entry, in chunks with room reserved for all.
                var chunkEnd = min(ids.count, i + 256)
                // The chunk's entries are looked at first, all together: these loads are
                // independent and overlap, where in the copying loop each next write position
                // waits on the last entry read. The chunk ends before the first token that is
                // not a whole-character inline literal.
                var fast = i
                while fast < chunkEnd {
                    let id = Int(ids[fast])
                    guard id < count, entries[16 &* id + 15] & (TokenJSON.inline | TokenJSON.whole) == TokenJSON.inline | TokenJSON.whole else { break }
                    fast += 1
                }
                chunkEnd = fast
                writer.appendMembers(reserving: 17 * (chunkEnd - i) + 16) { out, hasMember in
                    var p = out, member = hasMember
                    while i < chunkEnd {
                        let entry = entries + 16 &* Int(ids[i])
                        let flags = entry[15]
                        p.pointee = UInt8(ascii: ",")
                        if member { p += 1 }
                        UnsafeMutableRawPointer(p).storeBytes(of: UnsafeRawPointer(entry).loadUnaligned(as: SIMD16<UInt8>.self),
                                                              as: SIMD16<UInt8>.self)
                        p += Int(flags & 0x0F)
                        member = true
                        i += 1
                    }
                    return (p - out, member)
                }
                guard i < ids.count else { continue }
                if let (start, length) = wholeLiteral(ids[i]) {  // a long literal
                    writer.raw(padded: start, count: length)
                    i += 1
                    continue
                }
                var end = i + 1
                while end < ids.count, wholeLiteral(ids[end]) == nil { end += 1 }
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: end - i) { run in
                    for k in i..<end { run.initializeElement(at: k - i, to: ids[k]) }
                    vocabulary.forEachDisplay(UnsafeBufferPointer(run)) { piece in
                        switch piece {
                        case .token(let id):
                            let (start, length, _) = TokenJSON.literal(Int(id), entries: entries, long: long)
                            writer.raw(padded: start, count: length)
                        case .text(let bytes): writer.string(utf8: bytes)
                        }
                    }
                }
                i = end
            }
        }
    }
}

/// The JSON bodies of the API (docs/API.md), written with `JSONWriter`.
extension JSONWriter {
    mutating func explanation(_ e: Explanation?) {
        guard let e else { return null() }
        object { o in
            o.key("text"); o.string(e.text)
            o.key("source"); o.string(e.source)
            o.key("automatic"); o.bool(e.automatic)
        }
    }

    mutating func featureSummary(_ f: FeatureSummary) {
        object { o in
            o.key("id"); o.int(f.id)
            o.key("density"); o.number(f.density)
            o.key("max_activation"); o.number(f.maxActivation)
            o.key("mean"); o.number(f.mean)
            o.key("explanation"); o.explanation(f.explanation)
        }
    }

    mutating func example(_ e: PackedExample, tokens: TokenJSON) {
        object { o in
            o.key("tokens")
            o.array { a in tokens.writeDisplay(e.tokenIDs, to: &a) }
            o.key("activations")
            let activations = e.activations
            // The peak's activation was written among them; its text is copied, not formatted again.
            let peak = activations.peak
            var peakText = 0..<0
            o.array { a in
                var next = 0
                for k in 0..<activations.nonzeroCount {
                    let (index, value) = activations.nonzero(k)
                    a.zeros(index - next)
                    let text = a.numberText(value)
                    if index == peak.index { peakText = text }
                    next = index + 1
                }
                a.zeros(activations.count - next)
            }
            o.key("max_index"); o.int(peak.index)
            o.key("max_activation")
            if peakText.isEmpty { o.number(peak.activation) } else { o.copy(peakText) }
            o.key("document"); o.int(e.document)
            o.key("offset"); o.int(e.position)
        }
    }

    mutating func tokenValues(_ values: PackedPairs, tokens: TokenJSON) {
        array { a in
            for (id, value) in values {
                a.object { o in
                    o.key("token"); tokens.write(id, to: &o)
                    o.key("token_id"); o.int(Int(id))
                    o.key("value"); o.number(value)
                }
            }
        }
    }

    mutating func feature(_ r: LatentPage, tokens: TokenJSON, latentCount: Int) {
        object { o in
            o.key("id"); o.int(r.id)
            o.key("explanation"); o.explanation(r.explanations.first)
            o.key("explanations")
            o.array { a in for e in r.explanations { a.explanation(e) } }
            o.key("stats")
            o.object { s in
                s.key("density"); s.number(r.stats.density)
                s.key("max_activation"); s.number(r.stats.maxActivation)
                s.key("mean"); s.number(r.stats.mean)
                s.key("mean_square"); s.number(r.stats.meanSquare)
                s.key("skew"); s.number(r.stats.skew)
                s.key("kurtosis"); s.number(r.stats.kurtosis)
            }
            o.key("histogram")
            o.object { h in
                h.key("min"); h.number(r.histogramMin)
                h.key("max"); h.number(r.histogramMax)
                h.key("counts")
                h.array { a in for c in r.histogramCounts { a.int(Int(c)) } }
            }
            o.key("logits")
            o.object { l in
                l.key("top"); l.tokenValues(r.topLogits, tokens: tokens)
                l.key("bottom"); l.tokenValues(r.bottomLogits, tokens: tokens)
            }
            o.key("neighbors")
            o.array { a in
                for ((id, cosine), explanation) in zip(r.neighbors, r.neighborExplanations) {
                    a.object { x in
                        x.key("id"); x.int(Int(id))
                        x.key("cosine"); x.number(cosine)
                        x.key("explanation"); x.explanation(explanation)
                    }
                }
            }
            o.key("examples")
            o.object { x in
                x.key("top")
                x.array { a in for e in r.topExamples { a.example(e, tokens: tokens) } }
                x.key("intervals")
                x.array { a in
                    for g in r.intervals {
                        a.object { gi in
                            gi.key("min"); gi.number(g.min)
                            gi.key("max"); gi.number(g.max)
                            gi.key("contains"); gi.number(g.contains)
                            gi.key("examples")
                            gi.array { ea in for e in g.examples { ea.example(e, tokens: tokens) } }
                        }
                    }
                }
            }
            o.key("prev")
            if r.id > 0 { o.int(r.id - 1) } else { o.null() }
            o.key("next")
            if r.id + 1 < latentCount { o.int(r.id + 1) } else { o.null() }
        }
    }

    /// Writes any metadata value.
    mutating func value(_ v: JSONValue) {
        switch v {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let n): number(n)
        case .string(let s): string(s)
        case .array(let items): array { a in for item in items { a.value(item) } }
        case .object(let members):
            object { o in
                for (k, item) in members.sorted(by: { $0.key < $1.key }) { o.key(dynamic: k); o.value(item) }
            }
        }
    }
}
