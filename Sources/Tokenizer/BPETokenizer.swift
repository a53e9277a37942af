/// A byte-level BPE tokenizer of the GPT-2 family (GPT-2, SmolLM2, …).
///
/// `encode` runs: added/special tokens matched whole in the raw text (leftmost, longest first) →
/// the pre-tokenizer cuts the rest into words → each word's UTF-8 bytes are merged by rank.
/// Ids are positions in the vocabulary. Build one with a loader (`load(from:)`, `init(tokenizerJSON:)`,
/// `init(vocabularyFile:mergesFile:)`) or from GGUF metadata with
/// `init(tokens:merges:tokenTypes:pre:bosID:eosID:addBOS:)`.
public struct BPETokenizer: Sendable {
    /// How text is cut into words.
    public let preTokenizer: PreTokenizer
    /// The raw bytes of each token, by id (special tokens: the UTF-8 of their text).
    public let tokenBytes: [[UInt8]]
    /// Whether each token is special (control): skipped by `decode(_:skipSpecialTokens: true)`.
    public let isSpecial: [Bool]
    /// Beginning- and end-of-sequence tokens, when the model has them.
    public let bosID: Int?
    public let eosID: Int?
    /// Whether `encode` puts `bosID` first (the model's own setting).
    public let addBOS: Bool

    let merges: BPEMerges
    let added: AddedTokenMatcher

    /// One token of a vocabulary being built, before merges are resolved.
    struct Entry {
        var spelling: String  // as the merges spell it (byte-level alphabet for ordinary tokens)
        var bytes: [UInt8]
        var special: Bool
        var matchedWhole: Bool  // an added token: found whole in the text before pre-tokenising
    }

    /// The common constructor: `source` names the file (or "GGUF metadata") in errors.
    init(entries: [Entry], merges pairs: [(String, String)], preTokenizer: PreTokenizer,
         bosID: Int?, eosID: Int?, addBOS: Bool, source: String) throws {
        var idForSpelling: [String: Int32] = [:]
        idForSpelling.reserveCapacity(entries.count)
        for (id, entry) in entries.enumerated() where idForSpelling[entry.spelling] == nil {
            idForSpelling[entry.spelling] = Int32(id)
        }
        var byteIDs = [Int32](repeating: -1, count: 256)
        for byte in 0...255 {
            if let id = idForSpelling[String(ByteLevel.scalarForByte[byte])] { byteIDs[byte] = id }
        }
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(pairs.count)
        for (rank, (left, right)) in pairs.enumerated() {
            guard let l = idForSpelling[left], let r = idForSpelling[right], let m = idForSpelling[left + right] else {
                throw TokenizerError.malformed(file: source, field: "merges[\(rank)]",
                                               reason: "\"\(left) \(right)\" names a token that is not in the vocabulary")
            }
            let key = BPEMerges.key(l, r)
            if table[key] == nil { table[key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: m)) }
        }
        for (name, id) in [("BOS", bosID), ("EOS", eosID)] {
            if let id, !(0..<entries.count).contains(id) {
                throw TokenizerError.malformed(file: source, field: "\(name) token id", reason: "\(id) is outside the vocabulary of \(entries.count) tokens")
            }
        }
        if addBOS && bosID == nil {
            throw TokenizerError.malformed(file: source, field: "BOS token id", reason: "the settings add a BOS token but name none")
        }
        self.preTokenizer = preTokenizer
        self.tokenBytes = entries.map(\.bytes)
        self.isSpecial = entries.map(\.special)
        self.bosID = bosID
        self.eosID = eosID
        self.addBOS = addBOS
        self.merges = BPEMerges(table: table, byteIDs: byteIDs)
        self.added = AddedTokenMatcher(entries.enumerated().compactMap { id, entry in
            entry.matchedWhole && !entry.bytes.isEmpty ? (entry.bytes, Int32(id)) : nil
        })
    }

    /// The number of tokens.
    public var vocabularySize: Int { tokenBytes.count }

    /// Whether `id` is a special token (BOS, EOS, padding); false for ids outside the vocabulary.
    public func isSpecialToken(_ id: Int) -> Bool {
        id >= 0 && id < isSpecial.count && isSpecial[id]
    }

    /// The token SAE work starts every sequence with: BOS, else EOS (GPT-2's <|endoftext|>).
    /// Whatever comes first becomes an attention sink, so it must be a token that statistics
    /// leave out, never a word of the text.
    public var sequenceStartID: Int? { bosID ?? eosID }

    /// The number of merges.
    public var mergeCount: Int { merges.count }

    /// Token ids for `text`; BOS first only when the model's settings say so (`addBOS`).
    public func encode(_ text: String) -> [Int] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count / 3 + 1)
        if addBOS, let bosID { ids.append(Int32(bosID)) }
        let bytes = Array(text.utf8)
        var cache: [ArraySlice<UInt8>: [Int32]] = [:]
        var start = 0
        added.forEachMatch(in: bytes) { range, id in
            encodeOrdinary(bytes[start..<range.lowerBound], into: &ids, cache: &cache)
            ids.append(id)
            start = range.upperBound
        }
        encodeOrdinary(bytes[start...], into: &ids, cache: &cache)
        return ids.map(Int.init)
    }

    /// Text with no added tokens in it: pre-tokenise, then merge each word (cached per word).
    private func encodeOrdinary(_ bytes: ArraySlice<UInt8>, into ids: inout [Int32],
                                cache: inout [ArraySlice<UInt8>: [Int32]]) {
        if bytes.isEmpty { return }
        // Scalars of valid UTF-8 (it came from a String), with the byte offset each starts at.
        var values: [UInt32] = [], starts: [Int] = []
        values.reserveCapacity(bytes.count)
        starts.reserveCapacity(bytes.count + 1)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            let length = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
            var v = length == 1 ? UInt32(b) : UInt32(b) & (0xFF >> (length + 1))
            for k in 1..<max(length, 1) where i + k < bytes.endIndex { v = v << 6 | UInt32(bytes[i + k] & 0x3F) }
            values.append(v)
            starts.append(i)
            i += length
        }
        starts.append(bytes.endIndex)
        let text = ScalarText(values)
        preTokenizer.forEachWord(text, in: 0..<values.count) { range in
            let word = bytes[starts[range.lowerBound]..<starts[range.upperBound]]
            if let cached = cache[word] { ids.append(contentsOf: cached); return }
            let first = ids.count
            merges.encodeWord(word, into: &ids)
            if word.count <= 64 { cache[word] = Array(ids[first...]) }
        }
    }

    /// The raw bytes of one token, or nil for an id outside the vocabulary.
    public func bytes(of id: Int) -> [UInt8]? {
        tokenBytes.indices.contains(id) ? tokenBytes[id] : nil
    }

    /// The bytes of a sequence of tokens, concatenated.
    public func bytes(of ids: [Int], skipSpecialTokens: Bool = false) throws -> [UInt8] {
        var out: [UInt8] = []
        for id in ids {
            guard tokenBytes.indices.contains(id) else { throw TokenizerError.unknownTokenID(id, vocabularySize: vocabularySize) }
            if skipSpecialTokens && isSpecial[id] { continue }
            out += tokenBytes[id]
        }
        return out
    }

    /// The text of a sequence of tokens. Bytes that are not valid UTF-8 (a character cut off at
    /// either end) become U+FFFD, as in Hugging Face's `decode`.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) throws -> String {
        String(decoding: try bytes(of: ids, skipSpecialTokens: skipSpecialTokens), as: UTF8.self)
    }
}

/// Finds added tokens in raw UTF-8: at each position the longest token that starts there; the
/// leftmost match wins and matches never overlap (Hugging Face's leftmost-longest rule).
struct AddedTokenMatcher: Sendable {
    /// Candidates by first byte, longest first.
    private let byFirstByte: [[(bytes: [UInt8], id: Int32)]]
    private let isEmpty: Bool

    init(_ tokens: [([UInt8], Int32)]) {
        var table = [[(bytes: [UInt8], id: Int32)]](repeating: [], count: 256)
        for (bytes, id) in tokens { if let first = bytes.first { table[Int(first)].append((bytes, id)) } }
        byFirstByte = table.map { $0.sorted { $0.bytes.count > $1.bytes.count } }
        isEmpty = tokens.isEmpty
    }

    func forEachMatch(in bytes: [UInt8], _ body: (Range<Int>, Int32) -> Void) {
        if isEmpty { return }
        var i = 0
        scan: while i < bytes.count {
            for candidate in byFirstByte[Int(bytes[i])] where i + candidate.bytes.count <= bytes.count {
                if bytes[i..<(i + candidate.bytes.count)].elementsEqual(candidate.bytes) {
                    body(i..<(i + candidate.bytes.count), candidate.id)
                    i += candidate.bytes.count
                    continue scan
                }
            }
            i += 1
        }
    }
}
