import Foundation

/// Hugging Face's `tokenizer.json`: a BPE model with byte-level pre-tokenisation.
extension BPETokenizer {
    /// Reads `model.vocab`, `model.merges` (the "a b" string form or the [a, b] pair form),
    /// `added_tokens`, `pre_tokenizer` (which split rule) and `post_processor` (whether a BOS is
    /// added). Anything that would change the ids and is not implemented here throws
    /// `TokenizerError.unsupported` naming the field, rather than being ignored.
    public init(tokenizerJSON path: String) throws {
        try self.init(tokenizerJSONData: try BPETokenizer.readFile(path), source: path)
    }

    /// The same from bytes already read; `source` names them in errors.
    public init(tokenizerJSONData data: Data, source: String) throws {
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TokenizerError.unreadable(file: source, reason: "not a JSON object")
        }
        guard let model = root["model"] as? [String: Any] else {
            throw TokenizerError.malformed(file: source, field: "model", reason: "missing")
        }
        if let type = model["type"] as? String, type != "BPE" {
            throw TokenizerError.unsupported(file: source, field: "model.type", value: "\"\(type)\"")
        }
        for flag in ["byte_fallback", "ignore_merges", "fuse_unk"] where (model[flag] as? Bool) == true {
            throw TokenizerError.unsupported(file: source, field: "model.\(flag)", value: "true")
        }
        for affix in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[affix] as? String, !value.isEmpty {
                throw TokenizerError.unsupported(file: source, field: "model.\(affix)", value: "\"\(value)\"")
            }
        }
        if let dropout = model["dropout"] as? NSNumber, dropout.doubleValue != 0 {
            throw TokenizerError.unsupported(file: source, field: "model.dropout", value: "\(dropout)")
        }
        if let normalizer = root["normalizer"], !(normalizer is NSNull) {
            throw TokenizerError.unsupported(file: source, field: "normalizer", value: BPETokenizer.describe(normalizer))
        }
        guard let vocabObject = model["vocab"] else {
            throw TokenizerError.malformed(file: source, field: "model.vocab", reason: "missing")
        }
        let vocabulary = try BPETokenizer.vocabulary(vocabObject, source: source, field: "model.vocab")
        let pairs = try BPETokenizer.mergePairs(model["merges"], source: source)

        // Added tokens: matched whole in the raw text; the special ones are skipped when decoding.
        var addedTokens: [(id: Int, content: String, special: Bool)] = []
        if let list = root["added_tokens"], !(list is NSNull) {
            guard let list = list as? [[String: Any]] else {
                throw TokenizerError.malformed(file: source, field: "added_tokens", reason: "expected an array of objects")
            }
            for (index, token) in list.enumerated() {
                let field = "added_tokens[\(index)]"
                guard let id = (token["id"] as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }), id >= 0,
                      let content = token["content"] as? String, !content.isEmpty else {
                    throw TokenizerError.malformed(file: source, field: field, reason: "expected a non-negative \"id\" and a non-empty \"content\"")
                }
                for flag in ["lstrip", "rstrip", "single_word"] where (token[flag] as? Bool) == true {
                    throw TokenizerError.unsupported(file: source, field: "\(field).\(flag)", value: "true")
                }
                addedTokens.append((id, content, (token["special"] as? Bool) ?? false))
            }
        }
        var entries = try BPETokenizer.entries(from: vocabulary, extraIDs: Set(addedTokens.map(\.id)), source: source)
        for token in addedTokens {
            if entries[token.id].spelling.isEmpty { entries[token.id].spelling = token.content }
            entries[token.id].bytes = Array(token.content.utf8)
            entries[token.id].special = token.special
            entries[token.id].matchedWhole = true
        }

        let preTokenizer = try BPETokenizer.preTokenizer(root["pre_tokenizer"], source: source)
        var idForContent: [String: Int] = vocabulary
        for token in addedTokens { idForContent[token.content] = token.id }
        let bos = try BPETokenizer.prependedToken(root["post_processor"], idForContent: idForContent, source: source)
        try self.init(entries: entries, merges: pairs, preTokenizer: preTokenizer,
                      bosID: bos, eosID: nil, addBOS: bos != nil, source: source)
    }

    /// `model.merges`: ["a b", …] or [["a", "b"], …].
    static func mergePairs(_ object: Any?, source: String) throws -> [(String, String)] {
        guard let list = object as? [Any] else {
            throw TokenizerError.malformed(file: source, field: "model.merges", reason: "missing or not an array")
        }
        return try list.enumerated().map { index, merge in
            let field = "model.merges[\(index)]"
            if let merge = merge as? String { return try splitMerge(merge, source: source, field: field) }
            if let pair = merge as? [String], pair.count == 2 { return (pair[0], pair[1]) }
            throw TokenizerError.malformed(file: source, field: field, reason: "expected \"a b\" or [\"a\", \"b\"]")
        }
    }

    /// The split rule a `pre_tokenizer` config describes.
    static func preTokenizer(_ object: Any?, source: String) throws -> PreTokenizer {
        let field = "pre_tokenizer"
        guard let config = object as? [String: Any] else {
            throw TokenizerError.unsupported(file: source, field: field, value: object == nil || object is NSNull ? "null" : describe(object))
        }
        let steps: [[String: Any]]
        if config["type"] as? String == "Sequence" {
            guard let list = config["pretokenizers"] as? [[String: Any]] else {
                throw TokenizerError.malformed(file: source, field: "\(field).pretokenizers", reason: "expected an array of objects")
            }
            steps = list
        } else {
            steps = [config]
        }
        // ByteLevel with use_regex, alone or after Digits(individual_digits); or a Split with
        // GPT-2's exact regex followed by ByteLevel without one.
        let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        func isByteLevel(_ step: [String: Any], regex: Bool) -> Bool {
            step["type"] as? String == "ByteLevel" && (step["add_prefix_space"] as? Bool ?? false) == false
                && (step["use_regex"] as? Bool ?? true) == regex
        }
        func isGPT2Split(_ step: [String: Any]) -> Bool {
            step["type"] as? String == "Split" && ((step["pattern"] as? [String: Any])?["Regex"] as? String) == gpt2Pattern
                && (step["behavior"] as? String) == "Isolated" && (step["invert"] as? Bool ?? false) == false
        }
        switch steps.count {
        case 1 where isByteLevel(steps[0], regex: true):
            return .gpt2
        case 2 where isGPT2Split(steps[0]) && isByteLevel(steps[1], regex: false):
            return .gpt2
        case 2 where steps[0]["type"] as? String == "Digits" && steps[0]["individual_digits"] as? Bool == true
                && isByteLevel(steps[1], regex: true):
            return .smollm
        default:
            throw TokenizerError.unsupported(file: source, field: field, value: describe(config))
        }
    }

    /// The token a `post_processor` puts before every sequence, if any (its BOS).
    static func prependedToken(_ object: Any?, idForContent: [String: Int], source: String) throws -> Int? {
        guard let config = object as? [String: Any] else { return nil }  // null: adds nothing
        switch config["type"] as? String {
        case "ByteLevel":
            return nil  // only adjusts offsets
        case "Sequence":
            let steps = config["processors"] as? [Any] ?? []
            let found = try steps.compactMap { try prependedToken($0, idForContent: idForContent, source: source) }
            return found.first
        case "TemplateProcessing":
            let single = config["single"] as? [[String: Any]] ?? []
            let specials = single.indices.compactMap { i in (single[i]["SpecialToken"] as? [String: Any]).map { (i, $0) } }
            var bos: Int?
            for (position, special) in specials {
                guard position == 0, let name = special["id"] as? String else {
                    throw TokenizerError.unsupported(file: source, field: "post_processor.single",
                                                     value: "a template that adds tokens after the text")
                }
                let listed = ((config["special_tokens"] as? [String: Any])?[name] as? [String: Any])?["ids"] as? [NSNumber]
                guard let id = listed?.first.map({ $0.intValue }) ?? idForContent[name] else {
                    throw TokenizerError.malformed(file: source, field: "post_processor.special_tokens", reason: "no id for \"\(name)\"")
                }
                bos = id
            }
            return bos
        default:
            throw TokenizerError.unsupported(file: source, field: "post_processor", value: describe(config))
        }
    }

    static func describe(_ object: Any?) -> String {
        guard let object, !(object is NSNull) else { return "null" }
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
           let text = String(data: data, encoding: .utf8) {
            return text.count > 300 ? String(text.prefix(300)) + "…" : text
        }
        return "\(object)"
    }
}
