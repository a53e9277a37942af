import Foundation
import XCTest
import FeatureIndex
@testable import Indexer

/// The exact pieces merging relies on, and the explanation files.
final class PartsTests: XCTestCase {
    func testExactSumIsExactAndOrderFree() {
        var rng = SystemRandomNumberGenerator()
        let terms = (0..<5000).map { _ in pow(Double.random(in: 0.001...40, using: &rng), Double(Int.random(in: 1...4, using: &rng))) }
        func total(_ list: [Double]) -> [UInt64] {
            var sum = [UInt64](repeating: 0, count: ExactSum.limbs)
            sum.withUnsafeMutableBufferPointer { s in for t in list { ExactSum.add(t, into: s.baseAddress!) } }
            return sum
        }
        let forward = total(terms), shuffled = total(terms.shuffled())
        XCTAssertEqual(forward, shuffled)
        // Two halves added as sums equal the whole.
        var half = total(Array(terms[..<1234]))
        let rest = total(Array(terms[1234...]))
        half.withUnsafeMutableBufferPointer { a in rest.withUnsafeBufferPointer { b in ExactSum.add(sum: b.baseAddress!, into: a.baseAddress!) } }
        XCTAssertEqual(half, forward)
        let value = forward.withUnsafeBufferPointer { ExactSum.value($0.baseAddress!) }
        let plain = terms.sorted().reduce(0, +)
        XCTAssertEqual(value, plain, accuracy: plain * 1e-13)
        // Carries across limbs: 2^64 · 2^-128 steps.
        let carried = total([0x1p-65, 0x1p-65, 3, 0x1p70, 0x1p70])
        XCTAssertEqual(carried.withUnsafeBufferPointer { ExactSum.value($0.baseAddress!) }, 0x1p71 + 3 + 0x1p-64)
    }

    func testDecoderFactsMatchANaiveSearch() {
        var rng = SystemRandomNumberGenerator()
        let n = 37, d = 8, v = 53
        let decoder = (0..<n * d).map { _ in Float.random(in: -1...1, using: &rng) }
        var unembedding = (0..<v * d).map { _ in Float.random(in: -1...1, using: &rng) }
        for j in 0..<d { unembedding[5 * d + j] = unembedding[9 * d + j] }  // a tie: token 5 before 9
        let facts = unembedding.withUnsafeBufferPointer {
            DecoderFacts.compute(decoder: decoder, latents: n, width: d, unembedding: $0, vocabulary: v, perLatent: 6, neighbors: 4, threads: 2)
        }
        for l in 0..<n {
            let logits = (0..<v).map { t in (0..<d).reduce(Float(0)) { $0 + decoder[l * d + $1] * unembedding[t * d + $1] } }
            let order = (0..<v).sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
            XCTAssertEqual(Array(facts.topTokens[l * 6..<(l + 1) * 6]).map(Int.init), Array(order.prefix(6)), "latent \(l)")
            for i in 0..<6 { XCTAssertEqual(facts.topValues[l * 6 + i], logits[order[i]], accuracy: 1e-4) }
            let low = (0..<v).sorted { logits[$0] != logits[$1] ? logits[$0] < logits[$1] : $0 < $1 }
            XCTAssertEqual(Array(facts.bottomTokens[l * 6..<(l + 1) * 6]).map(Int.init), Array(low.prefix(6)), "latent \(l)")
            func norm(_ r: Int) -> Float { (0..<d).reduce(Float(0)) { $0 + decoder[r * d + $1] * decoder[r * d + $1] }.squareRoot() }
            let cosines = (0..<n).map { m in (0..<d).reduce(Float(0)) { $0 + decoder[l * d + $1] * decoder[m * d + $1] } / (norm(l) * norm(m)) }
            let near = (0..<n).filter { $0 != l }.sorted { cosines[$0] > cosines[$1] }
            XCTAssertEqual(Array(facts.neighborIDs[l * 4..<(l + 1) * 4]).map(Int.init), Array(near.prefix(4)), "latent \(l)")
            XCTAssertEqual(facts.neighborCosines[l * 4], cosines[near[0]], accuracy: 1e-5)
        }
    }

    func testExplanationFiles() {
        let csv = ExplanationFile.parseCSV("""
            latent,text,source
            3,"French, and Paris",manual
            4,"a ""quoted""
            line",
            x,bad
            5,plain
            """, defaultSource: "imported")
        XCTAssertEqual(csv.rows, [.init(latent: 3, text: "French, and Paris", source: "manual"),
                                  .init(latent: 4, text: "a \"quoted\"\nline", source: "imported"),
                                  .init(latent: 5, text: "plain", source: "imported")])
        XCTAssertEqual(csv.bad.count, 1)
        let jsonl = ExplanationFile.parseJSONL("""
            {"latent": 1, "text": "one"}
            {"latent_id": "2", "explanation": "two", "source": "model-x"}
            {"latent": 3}
            not json
            """, defaultSource: "imported")
        XCTAssertEqual(jsonl.rows, [.init(latent: 1, text: "one", source: "imported"), .init(latent: 2, text: "two", source: "model-x")])
        XCTAssertEqual(jsonl.bad, ["line 3: no 'text'", "line 4: not a JSON object"])
    }

    func testImportedExplanationsReplacePerSourceAndAreSearchable() throws {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("synthetic.sqlite").path
        var synthetic = SyntheticIndex(latents: 50)
        synthetic.topExamples = 1
        try synthetic.write(to: path)
        var (written, skipped) = try ExplanationImport.replace(in: path, rows: [
            .init(latent: 7, text: "zebra crossings", source: "manual"), .init(latent: 8, text: "zebra stripes", source: "manual"),
            .init(latent: 9, text: "quokka smiles", source: "model-x"), .init(latent: 999, text: "nowhere", source: "manual"),
        ])
        XCTAssertEqual(written, 3)
        XCTAssertEqual(skipped, 1)
        do {  // a reader's open statements hold a read lock: close it before writing again
            let reader = try IndexReader(path: path)
            XCTAssertEqual(Set(try reader.search("zebra", limit: 10).map(\.id)), [7, 8])
            XCTAssertEqual(try reader.feature(id: 7)?.explanations.first, Explanation(text: "zebra crossings", source: "manual", automatic: false))
        }
        // Importing "manual" again replaces all of its rows; "model-x" stays.
        (written, skipped) = try ExplanationImport.replace(in: path, rows: [.init(latent: 8, text: "okapi", source: "manual")])
        XCTAssertEqual(written, 1)
        let reader = try IndexReader(path: path)
        XCTAssertTrue(try reader.search("zebra", limit: 10).isEmpty)
        XCTAssertEqual(try reader.search("okapi", limit: 10).map(\.id), [8])
        XCTAssertEqual(try reader.search("quokka", limit: 10).map(\.id), [9])
        XCTAssertFalse(try reader.feature(id: 7)?.explanations.contains { $0.source == "manual" } ?? true)
    }

    func testGzipAndPlainCorpusFilesReadTheSame() throws {
        let folder = try temporaryFolder()
        let lines = (0..<3000).map { #"{"text": "document \#($0) "# + String(repeating: "é", count: $0 % 50) + #""}"# }
        let plain = folder.appendingPathComponent("a.jsonl")
        try lines.joined(separator: "\n").write(to: plain, atomically: true, encoding: .utf8)
        let copy = folder.appendingPathComponent("b.jsonl")
        try FileManager.default.copyItem(at: plain, to: copy)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", copy.path]
        try gzip.run()
        gzip.waitUntilExit()
        func documents(_ path: String) throws -> [String] {
            var docs: [String] = []
            try Corpus([path]).forEachRecord { record, _ in
                if case .document(let text) = record { docs.append(text) }
                return true
            }
            return docs
        }
        let a = try documents(plain.path), b = try documents(copy.path + ".gz")
        XCTAssertEqual(a.count, 3000)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a[49], "document 49 " + String(repeating: "é", count: 49))
    }

    /// The in-memory entry point reads bytes through the same chunked reader as files, so every
    /// chunk size gives the same records, gzip or not.
    func testCorpusRecordsFromBytesInAnyChunkSize() throws {
        let jsonl = Array(#"{"text": "one"}\#n\#n{"text": 2}\#n{"text": "two"}"#.utf8)
        let gzipped = Self.smallGzip
        let expected: [CorpusRecord] = [.document("one"), .bad("c.jsonl", 3, "the 'text' field is not a string"), .document("two")]
        for chunkSize in [1, 2, 5, 1 << 20] {
            XCTAssertEqual(try Corpus.records(inContents: jsonl, name: "c.jsonl", chunkSize: chunkSize), expected)
            XCTAssertEqual(try Corpus.records(inContents: gzipped, name: "c.jsonl", gzip: true, chunkSize: chunkSize), expected)
        }
        XCTAssertEqual(try Corpus.records(inContents: jsonl, name: "c.txt"), [.document(String(decoding: jsonl, as: UTF8.self))])
        XCTAssertThrowsError(try Corpus.records(inContents: Array(gzipped.dropLast(9)), name: "c.jsonl.gz")) { error in
            XCTAssertTrue("\(error)".contains("c.jsonl.gz"), "\(error)")
        }
    }

    /// Bytes that are not UTF-8 are a bad record naming the file, line and column, in a JSONL
    /// line and in a whole .txt file (left out rather than indexed as U+FFFD); damaged gzip is an
    /// error naming the file and why.
    func testInvalidUTF8AndDamagedGzipAreNamed() throws {
        let jsonl = Array(#"{"text": "ok"}"#.utf8) + [0x0A] + Array(#"{"text": "caf"#.utf8) + [0xE9] + Array(#" au lait"}"#.utf8)
        for chunkSize in [1, 7, 1 << 20] {
            XCTAssertEqual(try Corpus.records(inContents: jsonl, name: "c.jsonl", chunkSize: chunkSize),
                           [.document("ok"), .bad("c.jsonl", 2, "not valid UTF-8 (byte 0xE9 at column 14)")])
            let latin1 = Array("first line\nUn caf".utf8) + [0xE9] + Array(" au lait\n".utf8)
            XCTAssertEqual(try Corpus.records(inContents: latin1, name: "l.txt", chunkSize: chunkSize),
                           [.bad("l.txt", 2, "not valid UTF-8 (byte 0xE9 at column 7); the whole file is left out")])
        }
        // A character cut at the end of the file, an overlong encoding, a UTF-16 surrogate.
        for (bytes, column) in [(Array("ab".utf8) + [0xE6, 0x97], 3), ([0x61, 0xC0, 0x80], 2), ([0xED, 0xA0, 0x80], 1)] {
            XCTAssertEqual(try Corpus.records(inContents: bytes, name: "u.txt"),
                           [.bad("u.txt", 1, "not valid UTF-8 (byte \(String(format: "0x%02X", bytes[column - 1])) at column \(column)); the whole file is left out")])
        }
        XCTAssertEqual(try Corpus.records(inContents: Array("東京 😀\n".utf8), name: "ok.txt"), [.document("東京 😀\n")])

        func gzipError(_ bytes: [UInt8]) -> String {
            do {
                _ = try Corpus.records(inContents: bytes, name: "c.jsonl.gz")
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let cut = gzipError(Array(Self.smallGzip.dropLast(9)))
        XCTAssertTrue(cut.contains("c.jsonl.gz") && cut.contains("cut short"), cut)
        let notGzip = gzipError(Array("plain text\n".utf8))
        XCTAssertTrue(notGzip.contains("c.jsonl.gz") && notGzip.contains("corrupt gzip data near byte") && notGzip.contains("header"), notGzip)
        for position in 10..<Self.smallGzip.count {
            var flipped = Self.smallGzip
            flipped[position] ^= 0xFF
            let message = gzipError(flipped)
            XCTAssertTrue(message.contains("c.jsonl.gz"), "byte \(position): \(message)")
        }
    }

    /// gzip.compress(b'{"text": "one"}\n\n{"text": 2}\n{"text": "two"}', mtime=0) in Python.
    static let smallGzip: [UInt8] = [
        0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xAB, 0x56, 0x2A, 0x49, 0xAD, 0x28, 0x51, 0xB2, 0x52,
        0x50, 0xCA, 0xCF, 0x4B, 0x55, 0xAA, 0xE5, 0xE2, 0xAA, 0x86, 0x09, 0x18, 0xD5, 0x22, 0xD8, 0x4A, 0x25, 0xE5, 0xF9,
        0x4A, 0xB5, 0x00, 0x90, 0xB1, 0x64, 0xDA, 0x2C, 0x00, 0x00, 0x00,
    ]

    func testSHA256() {
        XCTAssertEqual(SHA256.hexDigest([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hexDigest(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hexDigest(Array(repeating: UInt8(ascii: "a"), count: 1000)),
                       "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}
