import Foundation
import XCTest
import Tensors
@testable import SparseAutoencoder

/// Damaged or unsupported SAEs give one clear error naming the file and the tensor or key.
final class FormatErrorTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sae-formats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// A copy of a fixture folder or file in the temporary folder.
    func copy(_ fixture: String, to name: String) throws -> URL {
        let destination = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixturePath(fixture), toPath: destination.path)
        return destination
    }

    func assertLoadFails(_ url: URL, _ expected: SAEError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SparseAutoencoder.load(url.path), file: file, line: line) { error in
            XCTAssertEqual(error as? SAEError, expected, "\(error)", file: file, line: line)
        }
    }

    func assertLoadFails(_ url: URL, saying words: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SparseAutoencoder.load(url.path), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(words), "\(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains(url.lastPathComponent), "does not name the file: \(error)", file: file, line: line)
        }
    }

    /// Rewrites a safetensors file without `drop` and with `reshape` tensors given new shapes.
    func rewrite(_ url: URL, drop: String? = nil, reshape: [String: [Int]] = [:]) throws {
        let original = try SafetensorsFile(path: url.path)
        var writer = SafetensorsWriter(metadata: original.metadata)
        for t in original.tensors where t.name != drop {
            try writer.add(t.name, shape: reshape[t.name] ?? t.shape, values: try t.floats())
        }
        try writer.write(to: url.path)
    }

    func testSAELensMissingTensorWrongShapeAndGated() throws {
        let sae = try copy("saelens/standard_v6", to: "standard")
        let weights = sae.appendingPathComponent("sae_weights.safetensors")
        try rewrite(weights, drop: "b_enc")
        assertLoadFails(sae, .missingTensor(path: weights.path, tensor: "b_enc"))

        let shaped = try copy("saelens/standard_v6", to: "shaped")
        let shapedWeights = shaped.appendingPathComponent("sae_weights.safetensors")
        try rewrite(shapedWeights, reshape: ["W_dec": [32, 128]])
        assertLoadFails(shaped, .badShape(path: shapedWeights.path, tensor: "W_dec", reason: "has shape [32, 128], expected [128, 32]"))

        let gated = try copy("saelens/standard_v6", to: "gated")
        let cfgURL = gated.appendingPathComponent("cfg.json")
        var cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: cfgURL)) as! [String: Any]
        cfg["architecture"] = "gated"
        try JSONSerialization.data(withJSONObject: cfg).write(to: cfgURL)
        assertLoadFails(gated, saying: "architecture 'gated'")

        cfg["architecture"] = "topk"
        try JSONSerialization.data(withJSONObject: cfg).write(to: cfgURL)
        assertLoadFails(gated, .badConfig(path: cfgURL.path, reason: "a topk SAE needs an integer 'k'"))

        cfg["architecture"] = "standard"
        cfg["d_in"] = 64
        try JSONSerialization.data(withJSONObject: cfg).write(to: cfgURL)
        assertLoadFails(gated, saying: "cfg.json says d_in = 64")

        try "{not json".write(to: cfgURL, atomically: true, encoding: .utf8)
        assertLoadFails(gated, .badConfig(path: cfgURL.path, reason: "it is not a JSON object"))
    }

    func testJumpReLUNeedsItsThreshold() throws {
        let sae = try copy("saelens/jumprelu_v6", to: "jump")
        let weights = sae.appendingPathComponent("sae_weights.safetensors")
        try rewrite(weights, drop: "threshold")
        assertLoadFails(sae, .missingTensor(path: weights.path, tensor: "threshold"))

        let gemma = try copy("gemmascope-deflated/params.npz", to: "g/params.npz")
        let npz = try NpzFile(path: gemma.path)
        var writer = NpzTestWriter()
        for t in npz.tensors where t.name != "b_dec" { writer.add(t.name, shape: t.shape, values: try t.floats()) }
        try writer.write(to: gemma)
        assertLoadFails(gemma, .missingTensor(path: gemma.path, tensor: "b_dec"))
    }

    func testTruncatedAndHostilePtFiles() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: fixturePath("openai/topk_f16.pt")))
        let cut = folder.appendingPathComponent("cut.pt")
        try original.prefix(original.count / 2).write(to: cut)
        assertLoadFails(cut, saying: "zip")

        // Same length, so every offset stays valid: only the pickle's class name changes.
        let evil = folder.appendingPathComponent("evil.pt")
        var bytes = [UInt8](original)
        let needle = Array("collections\nOrderedDict".utf8), replacement = Array("collections\ndefaultdict".utf8)
        let at = try XCTUnwrap((0...(bytes.count - needle.count)).first { bytes[$0..<($0 + needle.count)].elementsEqual(needle) })
        bytes.replaceSubrange(at..<(at + needle.count), with: replacement)
        try Data(bytes).write(to: evil)
        assertLoadFails(evil, saying: "'collections.defaultdict'")

        // A .pt that is not an OpenAI state dict: the tensor it lacks is named.
        let other = try copy("openai/topk_f16.pt", to: "other.pt")
        var renamed = [UInt8](try Data(contentsOf: other))
        let name = Array("encoder.weight".utf8), newName = Array("encoder.wEIGHT".utf8)
        let nameAt = try XCTUnwrap((0...(renamed.count - name.count)).first { renamed[$0..<($0 + name.count)].elementsEqual(name) })
        renamed.replaceSubrange(nameAt..<(nameAt + name.count), with: newName)
        try Data(renamed).write(to: other)
        assertLoadFails(other, .missingTensor(path: other.path, tensor: "encoder.weight"))
    }

    func testSparsifyFolderOfSeveralHookpointsListsThem() throws {
        _ = try copy("sparsify/layers.3", to: "many/layers.3")
        _ = try copy("sparsify_bf16/layers.10", to: "many/layers.10")
        let many = folder.appendingPathComponent("many")
        assertLoadFails(many, .badConfig(path: many.path, reason: "it holds 2 sparsify hookpoints (layers.10, layers.3); pass the folder of the one to load"))

        let single = try copy("sparsify/layers.3", to: "one/layers.3")
        let weights = single.appendingPathComponent("sae.safetensors")
        try rewrite(weights, reshape: ["encoder.weight": [32, 128]])
        assertLoadFails(single.deletingLastPathComponent(), .badShape(path: weights.path, tensor: "encoder.weight", reason: "has shape [32, 128], expected [128, 32]"))

        let cfgURL = single.appendingPathComponent("cfg.json")
        try #"{"d_in": 32, "k": 8, "num_latents": 128, "activation": "groupmax"}"#.write(to: cfgURL, atomically: true, encoding: .utf8)
        assertLoadFails(single, saying: "activation 'groupmax'")
        try #"{"d_in": 32, "num_latents": 128}"#.write(to: cfgURL, atomically: true, encoding: .utf8)
        assertLoadFails(single, .badConfig(path: cfgURL.path, reason: "it needs an integer 'k'"))
    }
}

/// A minimal np.savez writer (stored members, npy v1 float32) for damaged-file tests.
struct NpzTestWriter {
    private var members: [(name: String, data: [UInt8])] = []

    mutating func add(_ name: String, shape: [Int], values: [Float]) {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        data += Array(header.utf8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
        members.append((name + ".npy", data))
    }

    func write(to url: URL) throws {
        var out: [UInt8] = []
        var central: [UInt8] = []
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func u32(_ v: Int) -> [UInt8] { u16(v & 0xFFFF) + u16(v >> 16) }
        for (name, data) in members {
            let offset = out.count
            let crc = data.withUnsafeBufferPointer { crc32(of: $0) }
            let fields = u16(20) + u16(0) + u16(0) + u16(0) + u16(0) + u32(Int(crc)) + u32(data.count) + u32(data.count)
                + u16(name.utf8.count) + u16(0)
            out += u32(0x0403_4B50) + fields + Array(name.utf8) + data
            central += u32(0x0201_4B50) + u16(20) + fields + u16(0) + u16(0) + u16(0) + u32(0) + u32(offset) + Array(name.utf8)
        }
        let centralOffset = out.count
        out += central
        out += u32(0x0605_4B50) + u16(0) + u16(0) + u16(members.count) + u16(members.count) + u32(central.count) + u32(centralOffset) + u16(0)
        try Data(out).write(to: url)
    }

    /// CRC-32 (IEEE), bit by bit: test data is small.
    private func crc32(of bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
