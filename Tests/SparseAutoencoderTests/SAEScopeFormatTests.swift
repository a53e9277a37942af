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

    /// A weight file cut short or with a damaged header is claimed by no format, and the error
    /// says what is wrong with the file (the reader's own error), not just "none of the formats".
    func testADamagedFileSaysWhatIsWrongWithIt() throws {
        let path = folder.appendingPathComponent("sae.safetensors").path
        try makeSAE(d: 8, n: 16, activation: .topK(4)).writeSAEScopeFile(to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let damaged = folder.appendingPathComponent("damaged.safetensors").path
        for length in [0, 5, 8, 40, 200, bytes.count / 2, bytes.count - 1] {
            try Data(bytes.prefix(length)).write(to: URL(fileURLWithPath: damaged))
            XCTAssertThrowsError(try SparseAutoencoder.load(damaged), "\(length) bytes") { error in
                XCTAssertTrue(error is TensorFileError, "\(length) bytes: \(error)")
                XCTAssertTrue("\(error)".hasPrefix(damaged + ": "), "\(error)")
            }
        }
        var flipped = bytes
        flipped[7] ^= 0xFF  // the header length's top byte: 2^63 and more
        try Data(flipped).write(to: URL(fileURLWithPath: damaged))
        XCTAssertThrowsError(try SparseAutoencoder.load(damaged)) { XCTAssertEqual(($0 as? TensorFileError)?.kind, .truncated, "\($0)") }
        // A readable safetensors file that is no SAE format keeps the general message.
        var writer = SafetensorsWriter(metadata: ["format": "something-else"])
        try writer.add("w", shape: [2], values: [1, 2])
        try writer.write(to: damaged)
        XCTAssertThrowsError(try SparseAutoencoder.load(damaged)) { XCTAssertTrue("\($0)".contains("none of the formats"), "\($0)") }
    }
}
