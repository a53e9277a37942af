import XCTest
import Foundation
import SparseAutoencoder
import Tensors
@testable import Trainer

/// Corpus reading, the shuffle buffer, .npy sources, checkpoints, and the SAE a run writes.
final class DataTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("trainer-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func gzip(_ text: String, to url: URL) throws {
        let plain = url.deletingPathExtension()
        try text.write(to: plain, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-f", plain.path]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }

    func testCorpusReadsTextJSONLinesGzipAndFolders() throws {
        let sub = folder.appendingPathComponent("b")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        try "first paragraph\n\nsecond paragraph\n\n\(String(repeating: "x", count: 30))".write(
            to: folder.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        try gzip("{\"text\": \"one ünïcode\"}\n{\"text\": \"two\", \"kind\": \"k\"}\n", to: sub.appendingPathComponent("c.jsonl.gz"))
        try "ignored".write(to: sub.appendingPathComponent("notes.md"), atomically: true, encoding: .utf8)
        let corpus = try Corpus(paths: [folder.path], maxCharacters: 40)
        XCTAssertEqual(corpus.files.map { ($0 as NSString).lastPathComponent }, ["a.txt", "c.jsonl.gz"])
        XCTAssertEqual(corpus.documents, ["first paragraph\n\nsecond paragraph", String(repeating: "x", count: 30), "one ünïcode", "two"])

        try "{\"title\": \"no text\"}\n".write(to: folder.appendingPathComponent("bad.jsonl"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Corpus(paths: [folder.appendingPathComponent("bad.jsonl").path])) { error in
            XCTAssertTrue("\(error)".contains("line 1 has no string field \"text\""), "\(error)")
        }
        XCTAssertThrowsError(try Corpus(paths: [folder.appendingPathComponent("missing.txt").path]))
    }

    func testShuffleBufferDrawsEveryRowExactlyItsUses() {
        var pool = ShuffleBuffer(width: 2, capacity: 8, uses: 3, seed: 5)
        let rows = (0..<10).flatMap { [Float($0), Float(-$0)] }
        let rest = pool.add(rows[...])
        XCTAssertTrue(pool.isFull)
        XCTAssertEqual(Array(rest), [8, -8, 9, -9], "rows past the capacity come back")
        var seen = [Int](repeating: 0, count: 8)
        var batch = [Float](repeating: 0, count: 4)
        while pool.count >= 2 {
            pool.draw(2, into: &batch)
            for r in 0..<2 {
                XCTAssertEqual(batch[r * 2 + 1], -batch[r * 2], "rows are copied whole")
                seen[Int(batch[r * 2])] += 1
            }
        }
        if pool.count == 1 {
            var last = [Float](repeating: 0, count: 2)
            pool.draw(1, into: &last)
            seen[Int(last[0])] += 1
        }
        XCTAssertEqual(seen, [Int](repeating: 3, count: 8))
    }

    func testNpyActivationSourceCyclesThroughFilesInOrder() throws {
        let a = folder.appendingPathComponent("a.npy").path, b = folder.appendingPathComponent("b.npy").path
        try NpyWriter.write((0..<6).map(Float.init), shape: [3, 2], to: a)
        try NpyWriter.write((6..<10).map(Float.init), shape: [2, 2], to: b)
        var source = try NpyActivationSource(paths: [a, b], chunkRows: 2)
        XCTAssertEqual(source.width, 2)
        var read: [Float] = []
        while source.position < 10 { read += try source.nextChunk() }
        XCTAssertEqual(read, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        var resumed = try NpyActivationSource(paths: [a, b], chunkRows: 2, startingAt: 4)
        XCTAssertEqual(try resumed.nextChunk(), [8, 9])
    }

    func testCheckpointRoundTripsTheWholeState() throws {
        let configuration = TopKTrainer.Configuration(inputWidth: 8, latentCount: 16, k: 2, auxK: 3, deadAfterTokens: 4)
        var generator = SeededGenerator(seed: 9)
        var trainer = try TopKTrainer(configuration: configuration,
                                      parameters: .initial(inputWidth: 8, latentCount: 16, decoderBias: [Float](repeating: 0.1, count: 8), seed: 2))
        for _ in 0..<3 { _ = try trainer.step((0..<64).map { _ in generator.normal() }, learningRate: 1e-2) }
        let path = folder.appendingPathComponent("c.safetensors").path
        try TrainingCheckpoint(trainer: trainer, progress: ["tokens_trained": "24", "scale": "0.5"]).write(to: path)
        let back = try TrainingCheckpoint(path: path)
        XCTAssertEqual(back.trainer.configuration, configuration)
        XCTAssertEqual(back.trainer.parameters, trainer.parameters)
        XCTAssertEqual(back.trainer.adam, trainer.adam)
        XCTAssertEqual(back.trainer.tokensSinceActive, trainer.tokensSinceActive)
        XCTAssertEqual(back.progress["tokens_trained"], "24")
        XCTAssertEqual(back.progress["scale"], "0.5")
        // The same next step from either.
        let x = (0..<64).map { _ in generator.normal() }
        var a = trainer, b = back.trainer
        XCTAssertEqual(try a.step(x, learningRate: 1e-2).loss, try b.step(x, learningRate: 1e-2).loss)
        XCTAssertEqual(a.parameters, b.parameters)
    }

    /// The SAE file a run writes (scale normalisation, b_dec subtracted) encodes raw activations
    /// into the latents the trainer selected on scaled ones.
    func testWrittenSAEEncodesAsTheTrainerDid() throws {
        let d = 8, n = 32, k = 4, scale: Float = 0.25
        var generator = SeededGenerator(seed: 11)
        var trainer = try TopKTrainer(configuration: .init(inputWidth: d, latentCount: n, k: k, deadAfterTokens: 1000),
                                      parameters: .initial(inputWidth: d, latentCount: n, decoderBias: (0..<d).map { _ in generator.normal() }, seed: 3))
        let raw = (0..<(16 * d)).map { _ in generator.normal() * 4 }
        _ = try trainer.step(raw.map { $0 * scale }, learningRate: 1e-2)
        let p = trainer.parameters
        let sae = try SparseAutoencoder(inputWidth: d, latentCount: n, activation: .topK(k), normalization: .scale(scale),
                                        subtractsDecoderBias: true, encoder: p.encoder, encoderBias: p.encoderBias,
                                        decoder: p.decoder, decoderBias: p.decoderBias, info: .init(format: "saescope", path: "memory"))
        let path = folder.appendingPathComponent("sae.safetensors").path
        try sae.writeSAEScopeFile(to: path)
        let loaded = try SparseAutoencoder(saescopeFile: path)
        let codes = try loaded.encode(raw)
        for t in 0..<16 {
            let x = (0..<d).map { raw[t * d + $0] * scale - p.decoderBias[$0] }
            var pre = (0..<n).map { i in p.encoderBias[i] + (0..<d).map { x[$0] * p.encoder[i * d + $0] }.reduce(0, +) }
            var expected: [Int32] = []
            for _ in 0..<k {
                let best = pre.indices.max { pre[$0] < pre[$1] }!
                if pre[best] > 0 { expected.append(Int32(best)) }
                pre[best] = -.infinity
            }
            XCTAssertEqual(Array(codes.row(t).ids), expected, "token \(t)")
        }
    }
}
