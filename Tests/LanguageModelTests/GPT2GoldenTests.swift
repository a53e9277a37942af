import Foundation
import XCTest
import Tensors
@testable import LanguageModel

/// The tiny GPT-2 against transformers (scripts/gpt2/make_tiny.py): every hook of every layer and
/// the logits, for sequences of 1, 5, 19 and 48 (= n_positions) random tokens.
final class GPT2GoldenTests: XCTestCase {
    static let tolerance = 1e-4

    struct Sequence {
        let tokens: [Int]
        let expected: [String: [Float]]  // "blocks.L.hook_…" and "logits"
    }

    func sequences() throws -> [Sequence] {
        let goldens = try NpzFile(path: try GPT2Fixtures.url("goldens.npz").path)
        var result: [Sequence] = []
        for s in 0... {
            guard let tokens = try? goldens.tensor("s\(s).tokens") else { break }
            var expected: [String: [Float]] = [:]
            for tensor in goldens.tensors where tensor.name.hasPrefix("s\(s).") && tensor.name != tokens.name {
                expected[String(tensor.name.dropFirst("s\(s).".count))] = try tensor.floats()
            }
            result.append(Sequence(tokens: try tokens.integers().map { Int($0) }, expected: expected))
        }
        XCTAssertEqual(result.map(\.tokens.count), [1, 5, 19, 48])
        return result
    }

    func testEveryHookOfEveryLayerAndTheLogitsMatchTransformers() throws {
        let model = try GPT2Model(folder: try GPT2Fixtures.tinyFolder)
        let hooks = Set((0..<model.layerCount).flatMap { layer in HookPoint.Site.allCases.map { HookPoint(layer: layer, site: $0) } })
        var worst: [String: Double] = [:]  // per hook site, and "logits"
        for sequence in try sequences() {
            let result = try model.forward(sequence.tokens, hooks: hooks, logits: true)
            XCTAssertEqual(result.activations.count, 5 * model.layerCount)
            for hook in hooks.sorted() {
                let expected = try XCTUnwrap(sequence.expected[hook.description], "\(hook)")
                let actual = try XCTUnwrap(result.activations[hook], "\(hook)")
                let error = relativeError(actual, expected)
                worst[hook.site.rawValue] = max(worst[hook.site.rawValue] ?? 0, error)
                XCTAssertLessThan(error, Self.tolerance, "\(hook), \(sequence.tokens.count) tokens: max |Δ| / RMS = \(error)")
            }
            let error = relativeError(try XCTUnwrap(result.logits), try XCTUnwrap(sequence.expected["logits"]))
            worst["logits"] = max(worst["logits"] ?? 0, error)
            XCTAssertLessThan(error, Self.tolerance, "logits, \(sequence.tokens.count) tokens: max |Δ| / RMS = \(error)")
        }
        print("GPT-2 tiny vs transformers, largest max |Δ| / RMS:",
              worst.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2e", $0.value))" }.joined(separator: ", "))
    }

    /// A pass asked for one hook stops there and gives the same values as a full pass.
    func testASingleHookMatchesWithoutTheRestOfThePass() throws {
        let model = try GPT2Model(folder: try GPT2Fixtures.tinyFolder)
        let sequence = try XCTUnwrap(try sequences().last)
        for name in ["blocks.0.hook_resid_pre", "blocks.0.hook_attn_out", "blocks.1.hook_resid_mid", "blocks.1.hook_mlp_out",
                     "blocks.2.hook_resid_post"] {
            let hook = try HookPoint(name)
            let result = try model.forward(sequence.tokens, hooks: [hook], logits: false)
            XCTAssertNil(result.logits)
            XCTAssertEqual(Array(result.activations.keys), [hook])
            let error = relativeError(try XCTUnwrap(result.activations[hook]), try XCTUnwrap(sequence.expected[name]))
            XCTAssertLessThan(error, Self.tolerance, "\(name): max |Δ| / RMS = \(error)")
        }
        let nothing = try model.forward(sequence.tokens, hooks: [], logits: false)
        XCTAssertTrue(nothing.activations.isEmpty)
        XCTAssertNil(nothing.logits)
    }

    /// Logits need the whole pass, however shallow the hooks asked for with them.
    func testLogitsMatchWithOrWithoutShallowHooks() throws {
        let model = try GPT2Model(folder: try GPT2Fixtures.tinyFolder)
        let shallow = HookPoint(layer: 0, site: .residPre)
        for sequence in try sequences() {
            for hooks in [[], [shallow]] as [Set<HookPoint>] {
                let result = try model.forward(sequence.tokens, hooks: hooks, logits: true)
                XCTAssertEqual(Set(result.activations.keys), hooks)
                let error = relativeError(try XCTUnwrap(result.logits), try XCTUnwrap(sequence.expected["logits"]))
                XCTAssertLessThan(error, Self.tolerance, "logits with hooks \(hooks), \(sequence.tokens.count) tokens: max |Δ| / RMS = \(error)")
            }
        }
    }
}
