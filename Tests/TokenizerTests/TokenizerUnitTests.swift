import Foundation
import XCTest
@testable import Tokenizer

/// Tests that need no downloaded files: the byte alphabet, the split rules, the merge loop,
/// special tokens, BOS, the loaders and their errors, on a tiny hand-made vocabulary.
final class TokenizerUnitTests: XCTestCase {
    // MARK: - Byte-level alphabet

    func testByteAlphabetIsGPT2s() {
        let scalars = ByteLevel.scalarForByte
        XCTAssertEqual(Set(scalars).count, 256)
        XCTAssertEqual(scalars[0x20], "Ġ")
        XCTAssertEqual(scalars[0x0A], "Ċ")
        XCTAssertEqual(scalars[0x00], "\u{100}")
        XCTAssertEqual(scalars[0x41], "A")
        XCTAssertEqual(scalars[0xAD], "\u{143}")  // the soft hyphen is the last one moved
        XCTAssertEqual(scalars[0xFF], "ÿ")
        for byte in 0...255 { XCTAssertEqual(ByteLevel.byte(for: scalars[byte]), UInt8(byte)) }
        XCTAssertEqual(ByteLevel.spell(Array(" héllo\n".utf8)), "ĠhÃ©lloĊ")
        XCTAssertEqual(ByteLevel.bytes(spelledBy: "ĠhÃ©lloĊ"), Array(" héllo\n".utf8))
        XCTAssertNil(ByteLevel.bytes(spelledBy: "a b"))  // a plain space is not in the alphabet
    }

    // MARK: - Split rules

    func testGPT2Split() {
        let cases: [(String, [String])] = [
            ("Hello world", ["Hello", " world"]),
            ("it's I'M we're", ["it", "'s", " I", "'", "M", " we", "'re"]),
            ("a  b", ["a", " ", " b"]),
            ("a   b", ["a", "  ", " b"]),
            ("a\tb", ["a", "\t", "b"]),
            ("a \tb", ["a", " ", "\t", "b"]),
            ("a\n\nb", ["a", "\n", "\n", "b"]),
            ("end  ", ["end", "  "]),
            (" 123 x45", [" 123", " x", "45"]),
            ("hi!!  ?", ["hi", "!!", " ", " ?"]),
            (" 's", [" '", "s"]),
            ("café", ["café"]),
            ("cafe\u{301}", ["cafe", "\u{301}"]),  // a combining mark is neither letter nor number
            ("你好，世界", ["你好", "，", "世界"]),
            ("x²½", ["x", "²½"]),
            ("a\u{A0}b", ["a", "\u{A0}", "b"]),  // no-break space is \s but not the optional " "
        ]
        for (text, words) in cases { XCTAssertEqual(PreTokenizer.gpt2.split(text), words, text.debugDescription) }
    }

    func testSmolLMSplitIsolatesNumbers() {
        XCTAssertEqual(PreTokenizer.smollm.split("  123"), ["  ", "1", "2", "3"])
        XCTAssertEqual(PreTokenizer.smollm.split("abc12 x"), ["abc", "1", "2", " x"])
        XCTAssertEqual(PreTokenizer.smollm.split("v1.2"), ["v", "1", ".", "2"])
        XCTAssertEqual(PreTokenizer.smollm.split("x ²"), ["x", " ", "²"])
        XCTAssertEqual(PreTokenizer.gpt2.split("  123"), [" ", " 123"])
    }

    func testPreTokenizerNames() throws {
        XCTAssertEqual(try PreTokenizer(ggufName: "gpt2"), .gpt2)
        XCTAssertEqual(try PreTokenizer(ggufName: "smollm"), .smollm)
        XCTAssertThrowsError(try PreTokenizer(ggufName: "llama-bpe")) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownPreTokenizer(name: "llama-bpe", field: "tokenizer.ggml.pre"))
            XCTAssertTrue("\(error)".contains("llama-bpe"))
        }
    }

    // MARK: - A tiny vocabulary

    /// The 256 byte tokens, then merges "h e", "l l", "he ll", "hell o", "Ġ h", then specials.
    static func tiny(addBOS: Bool = false) throws -> BPETokenizer {
        var tokens = ByteLevel.scalarForByte.map { String($0) }
        tokens += ["he", "ll", "hell", "hello", "Ġh", "<|endoftext|>", "<|end|>", "<tool>"]
        let types = [Int32](repeating: 1, count: 261) + [3, 3, 4]
        return try BPETokenizer(tokens: tokens, merges: ["h e", "l l", "he ll", "hell o", "Ġ h"], tokenTypes: types,
                                pre: "gpt2", bosID: 261, eosID: 261, addBOS: addBOS)
    }

    func testMergesApplyByRank() throws {
        let t = try Self.tiny()
        XCTAssertEqual(t.encode("hello"), [259])
        XCTAssertEqual(t.encode("hell"), [258])
        // "h e" (rank 0) goes before "Ġ h" (rank 4), which then no longer applies.
        XCTAssertEqual(t.encode(" hello"), [32, 259])
        XCTAssertEqual(t.encode(" h"), [260])
        XCTAssertEqual(t.encode("lll"), [257, 108])  // leftmost first on a tie
        XCTAssertEqual(t.encode(""), [])
    }

    func testSpecialTokensAreMatchedWholeAndNeverSplit() throws {
        let t = try Self.tiny()
        XCTAssertEqual(t.encode("hello<|endoftext|>hello"), [259, 261, 259])
        XCTAssertEqual(t.encode("<|end|><|endoftext|>"), [262, 261])  // longest match at a position
        XCTAssertEqual(t.encode("<tool>"), [263])  // user-defined: matched whole, not special
        XCTAssertEqual(t.encode("<|endoftext|").count, 12)
        XCTAssertTrue(t.isSpecial[261])
        XCTAssertFalse(t.isSpecial[263])
        XCTAssertEqual(try t.decode([259, 261, 263]), "hello<|endoftext|><tool>")
        XCTAssertEqual(try t.decode([259, 261, 263], skipSpecialTokens: true), "hello<tool>")
    }

    func testBOSOnlyWhenTheSettingsSaySo() throws {
        XCTAssertEqual(try Self.tiny(addBOS: false).encode("hello"), [259])
        XCTAssertEqual(try Self.tiny(addBOS: true).encode("hello"), [261, 259])
    }

    func testBytesAndDecoding() throws {
        let t = try Self.tiny()
        let ids = t.encode("é😀")
        XCTAssertEqual(ids.count, 6)  // one token per byte in this vocabulary
        XCTAssertEqual(t.bytes(of: ids[0]), [0xC3])
        XCTAssertNil(t.bytes(of: 9999))
        XCTAssertEqual(try t.decode(ids), "é😀")
        XCTAssertEqual(try t.decode(Array(ids.prefix(3))), "é\u{FFFD}")  // a cut-off character
        XCTAssertThrowsError(try t.decode([5, 9999])) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownTokenID(9999, vocabularySize: 264))
        }
    }

    func testLongWordsMergeLikeTheNaiveLoop() throws {
        let t = try Self.tiny()
        let letters = Array("hello")
        var state: UInt64 = 12345  // a fixed linear congruential sequence: the same words every run
        for length in [2, 3, 10, 100, 5000] {
            let word = String((0..<length).map { _ -> Character in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return letters[Int(state >> 33) % letters.count]
            })
            var fast: [Int32] = []
            t.merges.encodeWord(Array(word.utf8)[...], into: &fast)
            XCTAssertEqual(fast, naiveMerge(Array(word.utf8), t.merges), word)
        }
    }

    // MARK: - Loaders and their errors

    func temporaryFile(_ name: String, _ contents: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent(name)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// A tokenizer.json for the tiny vocabulary, with the merges in either form.
    func tinyJSON(pairs: Bool, preTokenizer: String = #"{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}"#,
                  postProcessor: String = "null") throws -> String {
        var vocab: [String: Int] = [:]
        for (i, s) in ByteLevel.scalarForByte.enumerated() { vocab[String(s)] = i }
        for (i, s) in ["he", "ll", "hell", "hello", "Ġh", "<|endoftext|>"].enumerated() { vocab[s] = 256 + i }
        let merges: [Any] = pairs ? [["h", "e"], ["l", "l"], ["he", "ll"], ["hell", "o"], ["Ġ", "h"]]
                                  : ["h e", "l l", "he ll", "hell o", "Ġ h"]
        let model: [String: Any] = ["type": "BPE", "vocab": vocab, "merges": merges, "dropout": NSNull()]
        let modelJSON = String(decoding: try JSONSerialization.data(withJSONObject: model), as: UTF8.self)
        return """
            {"version": "1.0", "normalizer": null, "pre_tokenizer": \(preTokenizer), "post_processor": \(postProcessor),
             "added_tokens": [{"id": 261, "content": "<|endoftext|>", "special": true, "lstrip": false, "rstrip": false,
                               "single_word": false, "normalized": false}],
             "model": \(modelJSON)}
            """
    }

    func testTokenizerJSONMergesInBothForms() throws {
        for pairs in [false, true] {
            let t = try BPETokenizer(tokenizerJSON: try temporaryFile("tokenizer.json", try tinyJSON(pairs: pairs)))
            XCTAssertEqual(t.encode("hello<|endoftext|> hello h"), [259, 261, 32, 259, 260])
            XCTAssertEqual(t.preTokenizer, .gpt2)
            XCTAssertFalse(t.addBOS)
        }
    }

    func testTokenizerJSONPreTokenizersAndTemplate() throws {
        let smollm = #"{"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}]}"#
        let template = #"{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {"<|endoftext|>": {"id": "<|endoftext|>", "ids": [261], "tokens": ["<|endoftext|>"]}}}"#
        let t = try BPETokenizer(tokenizerJSON: try temporaryFile("tokenizer.json", try tinyJSON(pairs: false, preTokenizer: smollm, postProcessor: template)))
        XCTAssertEqual(t.preTokenizer, .smollm)
        XCTAssertTrue(t.addBOS)
        XCTAssertEqual(t.encode("hello"), [261, 259])
    }

    func testLoaderErrorsNameTheFileAndField() throws {
        let bad = try temporaryFile("tokenizer.json", "{\"model\": {\"vocab\": {}, \"merges\": 3}}")
        XCTAssertThrowsError(try BPETokenizer(tokenizerJSON: bad)) { error in
            XCTAssertEqual(error as? TokenizerError, .malformed(file: bad, field: "model.merges", reason: "missing or not an array"))
        }
        let notJSON = try temporaryFile("tokenizer.json", "{nope")
        XCTAssertThrowsError(try BPETokenizer(tokenizerJSON: notJSON)) { error in
            XCTAssertTrue("\(error)".hasPrefix(notJSON))
        }
        let unsupported = try temporaryFile("tokenizer.json", try tinyJSON(pairs: false, preTokenizer: #"{"type": "Metaspace"}"#))
        XCTAssertThrowsError(try BPETokenizer(tokenizerJSON: unsupported)) { error in
            guard case .unsupported(_, let field, _)? = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "pre_tokenizer")
        }
        XCTAssertThrowsError(try BPETokenizer(tokens: ["a"], merges: [], tokenTypes: [1, 1], pre: "gpt2", bosID: nil, eosID: nil, addBOS: false)) { error in
            XCTAssertTrue("\(error)".contains("tokenizer.ggml.token_type"))
        }
        var tokens = ByteLevel.scalarForByte.map { String($0) }
        tokens.append("ab")
        XCTAssertThrowsError(try BPETokenizer(tokens: tokens, merges: ["a b", "x"], tokenTypes: .init(repeating: 1, count: 257),
                                              pre: "gpt2", bosID: nil, eosID: nil, addBOS: false)) { error in
            XCTAssertTrue("\(error)".contains("tokenizer.ggml.merges[1]"), "\(error)")
        }
    }

    /// Found by the tokenizerjson fuzzer: an id of 10^11 made the loader allocate a table that
    /// large (out of memory) instead of reporting the gap in the ids.
    func testAHugeTokenIDIsAGapNotAnAllocation() throws {
        for json in [#"{"model": {"vocab": {"a": 0, "b": 100000000000}, "merges": []}}"#,
                     #"{"model": {"vocab": {"a": 0}, "merges": []}, "added_tokens": [{"id": 99999999999, "content": "<x>"}]}"#] {
            XCTAssertThrowsError(try BPETokenizer(tokenizerJSONData: Data(json.utf8), source: "huge.json")) { error in
                guard case .malformed(let file, let field, let reason)? = error as? TokenizerError else { return XCTFail("\(error)") }
                XCTAssertEqual(file, "huge.json")
                XCTAssertEqual(field, "vocabulary")
                XCTAssertTrue(reason.contains("only 2 tokens"), reason)
            }
        }
    }

    func testLoadFromPath() throws {
        let json = try temporaryFile("tokenizer.json", try tinyJSON(pairs: false))
        let folder = (json as NSString).deletingLastPathComponent
        XCTAssertEqual(try BPETokenizer.load(from: folder).encode("hello"), [259])
        XCTAssertEqual(try BPETokenizer.load(from: json).encode("hello"), [259])

        let gguf = try temporaryFile("model.gguf", "GGUF....")
        XCTAssertThrowsError(try BPETokenizer.load(from: gguf)) { error in
            XCTAssertTrue("\(error)".contains("GGUF"), "\(error)")
        }
        XCTAssertThrowsError(try BPETokenizer.load(from: folder + "/missing")) { error in
            XCTAssertTrue("\(error)".contains("no such file"), "\(error)")
        }

        // vocab.json + merges.txt, GPT-2's layout: <|endoftext|> is special, BOS and EOS.
        var vocab: [String: Int] = [:]
        for (i, s) in ByteLevel.scalarForByte.enumerated() { vocab[String(s)] = i }
        vocab["he"] = 256
        vocab["<|endoftext|>"] = 257
        let vocabPath = try temporaryFile("vocab.json", String(decoding: try JSONSerialization.data(withJSONObject: vocab), as: UTF8.self))
        let gpt2Folder = (vocabPath as NSString).deletingLastPathComponent
        try "#version: 0.2\nh e\n".write(toFile: gpt2Folder + "/merges.txt", atomically: true, encoding: .utf8)
        let t = try BPETokenizer.load(from: gpt2Folder)
        XCTAssertEqual(t.encode("he<|endoftext|>"), [256, 257])
        XCTAssertEqual(t.eosID, 257)
        XCTAssertFalse(t.addBOS)
    }
}
