import Foundation
import Tensors

/// Tokenizers from GGUF metadata, from `vocab.json` + `merges.txt`, and from a path.
extension BPETokenizer {
    /// A tokenizer from what a GGUF file's metadata holds (`tokenizer.ggml.*`).
    ///
    /// - Parameters:
    ///   - tokens: `tokens`, by id, spelled in the byte-level alphabet.
    ///   - merges: `merges`, highest priority first, each "left right".
    ///   - tokenTypes: `token_type`, one per token: 1 normal, 2 unknown, 3 control (special,
    ///     matched whole in text), 4 user-defined (matched whole, not special), 5 unused, 6 byte.
    ///   - pre: `pre`, the pre-tokenizer's name ("gpt2", "smollm", …).
    ///   - bosID: `bos_token_id`; eosID: `eos_token_id`; addBOS: `add_bos_token`.
    public init(tokens: [String], merges: [String], tokenTypes: [Int32], pre: String,
                bosID: Int?, eosID: Int?, addBOS: Bool) throws {
        let source = "GGUF metadata"
        guard tokenTypes.count == tokens.count else {
            throw TokenizerError.malformed(file: source, field: "tokenizer.ggml.token_type",
                                           reason: "\(tokenTypes.count) types for \(tokens.count) tokens")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(tokens.count)
        for (id, (token, type)) in zip(tokens, tokenTypes).enumerated() {
            switch type {
            case 1, 2, 5, 6:
                entries.append(Entry(spelling: token, bytes: ByteLevel.bytes(spelledBy: token) ?? Array(token.utf8),
                                     special: false, matchedWhole: false))
            case 3, 4:
                entries.append(Entry(spelling: token, bytes: Array(token.utf8), special: type == 3, matchedWhole: true))
            default:
                throw TokenizerError.malformed(file: source, field: "tokenizer.ggml.token_type[\(id)]",
                                               reason: "\(type) is not a known token type (1…6)")
            }
        }
        let pairs = try merges.enumerated().map { index, merge in
            try BPETokenizer.splitMerge(merge, source: source, field: "tokenizer.ggml.merges[\(index)]")
        }
        try self.init(entries: entries, merges: pairs, preTokenizer: try PreTokenizer(ggufName: pre),
                      bosID: bosID, eosID: eosID, addBOS: addBOS, source: source)
    }

    /// GPT-2's own files: `vocab.json` (token → id) and `merges.txt` ("left right" per line, after
    /// a `#version` line). `<|endoftext|>`, when present, is the special BOS/EOS token, as in GPT-2;
    /// no BOS is added.
    public init(vocabularyFile: String, mergesFile: String) throws {
        let vocabulary = try BPETokenizer.readVocabulary(vocabularyFile, field: "the top-level object")
        let pairs = try BPETokenizer.readMergesText(mergesFile)
        let endOfText = "<|endoftext|>"
        var entries = try BPETokenizer.entries(from: vocabulary, source: vocabularyFile)
        let eos = vocabulary[endOfText]
        if let eos {
            entries[eos].bytes = Array(endOfText.utf8)
            entries[eos].special = true
            entries[eos].matchedWhole = true
        }
        try self.init(entries: entries, merges: pairs, preTokenizer: .gpt2,
                      bosID: eos, eosID: eos, addBOS: false, source: vocabularyFile)
    }

    /// The tokenizer at `path`: a `tokenizer.json` file, or a folder holding `tokenizer.json` or
    /// `vocab.json` + `merges.txt`.
    public static func load(from path: String) throws -> BPETokenizer {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw TokenizerError.noTokenizer(path: path, reason: "no such file or folder")
        }
        if isFolder.boolValue {
            let folder = URL(fileURLWithPath: path)
            let json = folder.appendingPathComponent("tokenizer.json").path
            let vocab = folder.appendingPathComponent("vocab.json").path
            let merges = folder.appendingPathComponent("merges.txt").path
            if FileManager.default.fileExists(atPath: json) { return try BPETokenizer(tokenizerJSON: json) }
            if FileManager.default.fileExists(atPath: vocab) && FileManager.default.fileExists(atPath: merges) {
                return try BPETokenizer(vocabularyFile: vocab, mergesFile: merges)
            }
            throw TokenizerError.noTokenizer(path: path, reason: "the folder holds neither tokenizer.json nor vocab.json + merges.txt")
        }
        if path.lowercased().hasSuffix(".gguf") || FileHandle(forReadingAtPath: path)?.readData(ofLength: 4) == Data("GGUF".utf8) {
            return try BPETokenizer(gguf: GGUFFile(path: path))
        }
        return try BPETokenizer(tokenizerJSON: path)
    }

    // MARK: - Helpers shared by the loaders

    static func readFile(_ path: String) throws -> Data {
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TokenizerError.unreadable(file: path, reason: "\((error as NSError).localizedDescription)")
        }
    }

    static func readVocabulary(_ path: String, field: String) throws -> [String: Int] {
        let data = try readFile(path)
        guard let object = try? JSONSerialization.jsonObject(with: data) else {
            throw TokenizerError.unreadable(file: path, reason: "not valid JSON")
        }
        return try vocabulary(object, source: path, field: field)
    }

    /// A `{token: id}` object.
    static func vocabulary(_ object: Any, source: String, field: String) throws -> [String: Int] {
        guard let dictionary = object as? [String: Any] else {
            throw TokenizerError.malformed(file: source, field: field, reason: "expected an object of token → id")
        }
        var out: [String: Int] = [:]
        out.reserveCapacity(dictionary.count)
        for (token, value) in dictionary {
            guard let number = value as? NSNumber, let id = Int(exactly: number.doubleValue), id >= 0 else {
                throw TokenizerError.malformed(file: source, field: "\(field)[\"\(token)\"]", reason: "expected a non-negative integer id")
            }
            out[token] = id
        }
        return out
    }

    /// Entries for ids 0..<n from a vocabulary whose ids must be exactly 0..<n.
    static func entries(from vocabulary: [String: Int], extraIDs: Set<Int> = [], source: String) throws -> [Entry] {
        let largest = max(vocabulary.values.max() ?? -1, extraIDs.max() ?? -1)
        // Ids 0…largest must all be taken, so a larger id than there are tokens is a gap; say so
        // before allocating a table that large (a fuzzed id of 10^11 asked for terabytes).
        guard largest < vocabulary.count + extraIDs.count else {
            throw TokenizerError.malformed(file: source, field: "vocabulary",
                                           reason: "ids go up to \(largest) but there are only \(vocabulary.count + extraIDs.count) tokens")
        }
        let count = largest + 1
        var entries = [Entry?](repeating: nil, count: count)
        for (token, id) in vocabulary {
            if let existing = entries[id] {
                throw TokenizerError.malformed(file: source, field: "vocabulary", reason: "id \(id) is given to both \"\(existing.spelling)\" and \"\(token)\"")
            }
            entries[id] = Entry(spelling: token, bytes: ByteLevel.bytes(spelledBy: token) ?? Array(token.utf8),
                                special: false, matchedWhole: false)
        }
        var out: [Entry] = []
        out.reserveCapacity(count)
        for (id, entry) in entries.enumerated() {
            if let entry { out.append(entry); continue }
            guard extraIDs.contains(id) else {
                throw TokenizerError.malformed(file: source, field: "vocabulary", reason: "no token has id \(id), though ids go up to \(count - 1)")
            }
            out.append(Entry(spelling: "", bytes: [], special: false, matchedWhole: false))  // filled by the caller
        }
        return out
    }

    static func splitMerge(_ merge: String, source: String, field: String) throws -> (String, String) {
        let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw TokenizerError.malformed(file: source, field: field, reason: "expected \"left right\", got \"\(merge)\"")
        }
        return (String(parts[0]), String(parts[1]))
    }

    static func readMergesText(_ path: String) throws -> [(String, String)] {
        guard let text = String(data: try readFile(path), encoding: .utf8) else {
            throw TokenizerError.unreadable(file: path, reason: "not UTF-8 text")
        }
        var pairs: [(String, String)] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            if line.isEmpty || (number == 0 && line.hasPrefix("#version")) { continue }
            pairs.append(try splitMerge(String(line), source: path, field: "line \(number + 1)"))
        }
        return pairs
    }
}
