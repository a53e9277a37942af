import Foundation
import XCTest
import FeatureIndex
import LanguageModel
import Pipeline
import SparseAutoencoder
import Tokenizer
@testable import Indexer

/// The tiny random GPT-2 of Fixtures/tiny-gpt2 (3 layers, d_model 32, 48 positions, 320 tokens;
/// scripts/gpt2/make_tiny.py), a byte-level tokenizer that fits its vocabulary (256 bytes, a few
/// merges, `<|endoftext|>` = 319 as a BOS it adds), and a random TopK SAE at blocks.1.hook_resid_post.
enum TinySetup {
    static let bos = 319

    static func tokenizer(addBOS: Bool = true) throws -> BPETokenizer {
        let merged = ["Ġt", "he", "Ġthe", "in", "Ġa", "er", "on", "Ġin", "at", "Ġs", "en", "is", "Ġc", "an", "or", "es"]
        let merges = ["Ġ t", "h e", "Ġt he", "i n", "Ġ a", "e r", "o n", "Ġ in", "a t", "Ġ s", "e n", "i s", "Ġ c", "a n", "o r", "e s"]
        var tokens = (0..<256).map { String(ByteLevel.scalarForByte[$0]) } + merged
        var types = [Int32](repeating: 1, count: tokens.count)
        while tokens.count < bos { tokens.append("<unused_\(tokens.count)>"); types.append(5) }
        tokens.append("<|endoftext|>")
        types.append(3)
        return try BPETokenizer(tokens: tokens, merges: merges, tokenTypes: types, pre: "gpt2", bosID: bos, eosID: bos, addBOS: addBOS)
    }

    static func modelFolder() throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent("tiny-gpt2")
    }

    static func sae(latents: Int = 40, k: Int = 4, seed: UInt64 = 7) throws -> SparseAutoencoder {
        var state = seed
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
        }
        let d = 32
        return try SparseAutoencoder(
            inputWidth: d, latentCount: latents, activation: .topK(k), normalization: .none, subtractsDecoderBias: false,
            encoder: (0..<latents * d).map { _ in next() }, encoderBias: (0..<latents).map { _ in next() * 0.1 },
            decoder: (0..<latents * d).map { _ in next() }, decoderBias: (0..<d).map { _ in next() * 0.1 },
            info: .init(format: "test", path: "memory", hookName: "blocks.1.hook_resid_post"))
    }

    static func pipeline(latents: Int = 40, addBOS: Bool = true) throws -> FeaturePipeline {
        let folder = try modelFolder()
        return try FeaturePipeline(model: try GPT2Model(folder: folder), tokenizer: try tokenizer(addBOS: addBOS),
                                   sae: try sae(latents: latents), hook: HookPoint("blocks.1.hook_resid_post"), modelPath: folder.path)
    }

    /// Sentences with repeated words (so latents fire on the same tokens more than once),
    /// unicode, and an `<|endoftext|>` inside one document.
    static let documents: [String] = [
        "The cat sat on the mat and the cat was happy.",
        "Paris is the capital of France; the French speak French in Paris.",
        "In the beginning there was an answer, and then a question.",
        "Naïve café owners in 東京 sell coffee at the station.",
        "Start<|endoftext|>after the end there is another start.",
        "Numbers 12345 and 678 are counted in the census at times.",
        "She sells sea shells on the sea shore in the season.",
        "A long document that runs past one window: " + String(repeating: "the rain in Spain stays mainly in the plain, ", count: 3),
        "Short.",
        "",
        "Cats and dogs, dogs and cats; the cats are on the mats.",
        "Entering the station, an ensign saw tens of tents.",
    ]
}

extension XCTestCase {
    /// A fresh temporary folder, removed when the test ends.
    func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("saescope-indexer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    /// A corpus folder: documents as JSONL (with two bad lines) split over a plain and a gzip
    /// file, plus one .txt file. Returns the folder and the documents in the order saescope reads them.
    func writeCorpus(in folder: URL) throws -> (URL, [String]) {
        let corpus = folder.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus.appendingPathComponent("sub"), withIntermediateDirectories: true)
        func jsonl(_ docs: [String]) throws -> String {
            try docs.map { String(decoding: try JSONSerialization.data(withJSONObject: ["text": $0, "id": 1]), as: UTF8.self) }
                .joined(separator: "\n")
        }
        let docs = TinySetup.documents
        // a.jsonl: docs 0…4 with a bad line and a line without "text".
        let a = try jsonl(Array(docs[0..<2])) + "\n{not json\n" + (try jsonl(Array(docs[2..<5]))) + "\n{\"title\": \"no text\"}\n\n"
        try a.write(to: corpus.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
        // b.txt: one document.
        try docs[5].write(to: corpus.appendingPathComponent("b.txt"), atomically: true, encoding: .utf8)
        // sub/c.jsonl.gz: the rest, compressed by gzip.
        let plain = corpus.appendingPathComponent("sub/c.jsonl")
        try (try jsonl(Array(docs[6...]))).write(to: plain, atomically: true, encoding: .utf8)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", plain.path]
        try gzip.run()
        gzip.waitUntilExit()
        XCTAssertEqual(gzip.terminationStatus, 0)
        // A file a folder walk skips.
        try "ignored".write(to: corpus.appendingPathComponent("notes.md"), atomically: true, encoding: .utf8)
        return (corpus, docs)
    }

    func options(_ configure: (inout BuildOptions) -> Void = { _ in }) -> BuildOptions {
        var o = BuildOptions()
        o.parameters.context = 16
        o.parameters.topExamples = 5
        o.parameters.intervals = 4
        o.parameters.examplesPerInterval = 3
        o.batchSize = 3
        o.threads = 2
        configure(&o)
        return o
    }

    /// Every latent of two indexes, compared exactly, with explanations and token lists.
    func assertSameIndex(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let x = try IndexReader(path: a), y = try IndexReader(path: b)
        XCTAssertEqual(x.summary, y.summary, file: file, line: line)
        XCTAssertEqual(x.metadata.corpus, y.metadata.corpus, file: file, line: line)
        XCTAssertEqual(x.metadata.sae, y.metadata.sae, file: file, line: line)
        for id in 0..<x.summary.latents {
            let fx = try XCTUnwrap(try x.feature(id: id)), fy = try XCTUnwrap(try y.feature(id: id))
            XCTAssertEqual(fx.record, fy.record, "latent \(id)", file: file, line: line)
            XCTAssertEqual(fx.explanations, fy.explanations, "latent \(id)", file: file, line: line)
        }
        for token in ["the", " the", "cat", " cat", "in", "."] {
            let tx = try x.latents(forToken: token, limit: 50), ty = try y.latents(forToken: token, limit: 50)
            XCTAssertEqual(tx.map { $0.latents.map(\.0) }, ty.map { $0.latents.map(\.0) }, "token \(token)", file: file, line: line)
        }
    }
}
