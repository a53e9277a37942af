import XCTest
@testable import LanguageModel

final class LlamaConfigurationTests: XCTestCase {
    func make(layers: Int = 30, d: Int = 576, f: Int = 1536, heads: Int = 9, kvHeads: Int = 3, base: Double = 100_000,
              eps: Float = 1e-5, context: Int = 8192, vocab: Int = 49152) throws -> LlamaConfiguration {
        try LlamaConfiguration(layerCount: layers, dModel: d, feedForwardLength: f, headCount: heads, kvHeadCount: kvHeads,
                               ropeBase: base, rmsEpsilon: eps, contextLength: context, vocabularySize: vocab, source: "test.gguf")
    }

    func testDerivedValues() throws {
        let c = try make()
        XCTAssertEqual(c.headDim, 64)
        XCTAssertEqual(c.kvDim, 192)
        XCTAssertEqual(c.groupSize, 3)
        XCTAssertEqual(c.attentionScale, 0.125)
        XCTAssertEqual(LlamaConfiguration.Key.kvHeadCount.gguf, "llama.attention.head_count_kv")
    }

    func testInvalidValuesThrowNamingTheKey() throws {
        let cases: [(String, () throws -> LlamaConfiguration)] = [
            ("llama.block_count", { try self.make(layers: 0) }),
            ("llama.embedding_length", { try self.make(d: -1) }),
            ("llama.feed_forward_length", { try self.make(f: 0) }),
            ("llama.attention.head_count", { try self.make(heads: 7) }),          // 576 / 7 is not whole
            ("llama.attention.head_count", { try self.make(d: 27, heads: 9) }),   // head dimension 3 is odd
            ("llama.attention.head_count_kv", { try self.make(kvHeads: 2) }),     // 9 heads in groups of 2
            ("llama.rope.freq_base", { try self.make(base: .nan) }),
            ("llama.attention.layer_norm_rms_epsilon", { try self.make(eps: 0) }),
            ("llama.context_length", { try self.make(context: 0) }),
            ("llama.vocab_size", { try self.make(vocab: 0) }),
        ]
        for (key, build) in cases {
            XCTAssertThrowsError(try build(), key) { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix("test.gguf: \(key) "), message)
            }
        }
    }
}
