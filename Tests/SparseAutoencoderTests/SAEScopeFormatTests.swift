import Foundation
import XCTest
import Tensors
@testable import SparseAutoencoder

final class SAEScopeFormatTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("saescope-sae-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func testRoundTripKeepsEverything() throws {
        let sae = try makeSAE(d: 6, n: 40, activation: .jumpReLU, normalization: .layerNorm(epsilon: 1e-5), subtract: true)
        var named = sae
        named.info = .init(format: "test", path: "memory", hookName: "blocks.3.hook_resid_post", modelName: "tiny", metadata: ["trained_tokens": "1000"])
        let path = folder.appendingPathComponent("sae.safetensors").path
        try named.writeSAEScopeFile(to: path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".partial"))
        let loaded = try SparseAutoencoder.load(path)
        XCTAssertEqual(loaded.info, .init(format: "saescope", path: path, hookName: "blocks.3.hook_resid_post", modelName: "tiny", metadata: ["trained_tokens": "1000"]))
        XCTAssertEqual(loaded.activation, .jumpReLU)
        XCTAssertEqual(loaded.normalization, .layerNorm(epsilon: 1e-5))
        XCTAssertTrue(loaded.subtractsDecoderBias)
        XCTAssertEqual(loaded.encoder, sae.encoder)
        XCTAssertEqual(loaded.decoder, sae.decoder)
        XCTAssertEqual(loaded.encoderBias, sae.encoderBias)
        XCTAssertEqual(loaded.decoderBias, sae.decoderBias)
        XCTAssertEqual(loaded.threshold, sae.threshold)
    }

    func testHalfPrecisionRoundTripsWithinHalfRounding() throws {
        let sae = try makeSAE(d: 8, n: 32, activation: .topK(4))
        let path = folder.appendingPathComponent("half.safetensors").path
        try sae.writeSAEScopeFile(to: path, as: .f16)
        let loaded = try SparseAutoencoder.load(path)
        XCTAssertEqual(loaded.k, 4)
        for (a, b) in zip(loaded.encoder, sae.encoder) { XCTAssertEqual(a, b, accuracy: 1e-3) }
        XCTAssertEqual(try SafetensorsFile(path: path).tensor("encoder").dtype, .f16)
    }

    func testErrorsNameTheProblem() throws {
        let path = folder.appendingPathComponent("bad.safetensors").path
        var writer = SafetensorsWriter(metadata: ["format": "saescope-sae", "version": "1", "activation": "topk", "k": "2"])
        try writer.add("encoder", shape: [4, 3], values: [Float](repeating: 0, count: 12))
        try writer.add("encoder_bias", shape: [4], values: [0, 0, 0, 0])
        try writer.add("decoder", shape: [3, 4], values: [Float](repeating: 0, count: 12))
        try writer.write(to: path)
        XCTAssertThrowsError(try SparseAutoencoder.load(path)) { error in
            XCTAssertEqual("\(error)", "\(path): SAE tensor 'decoder' has shape [3, 4], expected [4, 3]")
        }
        writer.metadata["version"] = "2"
        try writer.write(to: path)
        XCTAssertThrowsError(try SparseAutoencoder.load(path)) { error in
            XCTAssertTrue("\(error)".contains("version 2; this saescope reads version 1"), "\(error)")
        }
        let text = folder.appendingPathComponent("notes.txt").path
        try "hello".write(toFile: text, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SparseAutoencoder.load(text)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(text): not an SAE saescope can read"), "\(error)")
        }
        XCTAssertThrowsError(try SparseAutoencoder.load(folder.appendingPathComponent("missing").path)) { error in
            XCTAssertTrue("\(error)".contains("no such file or folder"), "\(error)")
        }
    }
}
