import Foundation
import XCTest
import Tensors
@testable import LanguageModel

/// Loading GPT-2 checkpoints: the registry, the names and layouts transformers writes, and clear
/// errors naming the file and the field or tensor at fault.
final class GPT2LoadingTests: XCTestCase {
    func testTheRegistryLoadsTheFolderByModelType() throws {
        let model = try ModelRegistry.load(try GPT2Fixtures.tinyFolder.path)
        XCTAssertTrue(model is GPT2Model)
        XCTAssertEqual(model.architecture, "gpt2")
        XCTAssertEqual([model.dModel, model.layerCount, model.vocabularySize, model.contextLength], [32, 3, 320, 48])
        let configuration = try XCTUnwrap(model as? GPT2Model).configuration
        XCTAssertEqual(configuration.headDim, 8)
        XCTAssertEqual(configuration.mlpSize, 128)
        XCTAssertEqual(configuration.attentionScale(layer: 2), 1 / Float(8).squareRoot())
    }

    /// The pass visits hook points in order and stops right after the deepest one asked for,
    /// unless logits are asked for.
    func testThePassStopsAfterTheDeepestHook() throws {
        let model = try GPT2Model(folder: try GPT2Fixtures.tinyFolder)
        var visited: [String] = []
        _ = try model.forward([1, 2, 3], hooks: [try HookPoint("blocks.1.hook_attn_out"), try HookPoint("blocks.0.hook_mlp_out")],
                              logits: false) { visited.append($0.description) }
        XCTAssertEqual(visited, ["blocks.0.hook_resid_pre", "blocks.0.hook_attn_out", "blocks.0.hook_resid_mid", "blocks.0.hook_mlp_out",
                                 "blocks.0.hook_resid_post", "blocks.1.hook_resid_pre", "blocks.1.hook_attn_out"])
        visited = []
        _ = try model.forward([1, 2, 3], hooks: [try HookPoint("blocks.0.hook_resid_pre")], logits: true) { visited.append($0.description) }
        XCTAssertEqual(visited.count, 15)
        XCTAssertEqual(visited.last, "blocks.2.hook_resid_post")
    }

    func testInputsOutsideTheModelAreRefused() throws {
        let model = try GPT2Model(folder: try GPT2Fixtures.tinyFolder)
        let hook = HookPoint(layer: 0, site: .residPost)
        XCTAssertNoThrow(try model.forward(Array(repeating: 7, count: 48), hooks: [hook], logits: false))
        XCTAssertThrowsError(try model.forward(Array(repeating: 7, count: 49), hooks: [hook], logits: false)) {
            XCTAssertTrue("\($0)".contains("49 tokens, more than the model's context of 48"), "\($0)")
        }
        XCTAssertThrowsError(try model.forward([320], hooks: [hook], logits: false)) { XCTAssertTrue("\($0)".contains("token id 320"), "\($0)") }
        XCTAssertThrowsError(try model.forward([1], hooks: [HookPoint(layer: 3, site: .residPre)], logits: false)) {
            XCTAssertTrue("\($0)".contains("layers 0 to 2"), "\($0)")
        }
        XCTAssertThrowsError(try model.forward([], hooks: [hook], logits: false))
    }

    /// Names without `transformer.` (the original `gpt2` files, `GPT2Model` saves), F16 weights and
    /// an untied `lm_head.weight` all load; an untied head is really used for the logits.
    func testNamesWithoutThePrefixHalfPrecisionAndAnUntiedHead() throws {
        let reference = try GPT2Model(folder: try GPT2Fixtures.tinyFolder)
        let tokens = [5, 300, 17, 42]
        let expected = try XCTUnwrap(try reference.forward(tokens, hooks: [], logits: true).logits)
        var tensors = try GPT2Fixtures.tinyTensors()
        for (name, tensor) in tensors where name.hasPrefix("transformer.") {
            tensors[name] = nil
            tensors[String(name.dropFirst("transformer.".count))] = tensor
        }
        let bare = try GPT2Model(folder: try gpt2Folder(config: try GPT2Fixtures.tinyConfig(), tensors: tensors))
        XCTAssertEqual(try bare.forward(tokens, hooks: [], logits: true).logits, expected)

        let half = try GPT2Model(folder: try gpt2Folder(config: try GPT2Fixtures.tinyConfig(), tensors: tensors, half: true))
        XCTAssertLessThan(relativeError(try XCTUnwrap(try half.forward(tokens, hooks: [], logits: true).logits), expected), 2e-2)

        // A head of zeros except for token 9's row, which copies wte's: only logit 9 survives.
        let wte = try XCTUnwrap(tensors["wte.weight"])
        var head = [Float](repeating: 0, count: wte.values.count)
        head.replaceSubrange(9 * 32..<10 * 32, with: wte.values[9 * 32..<10 * 32])
        tensors["lm_head.weight"] = (wte.shape, head)
        let untied = try GPT2Model(folder: try gpt2Folder(config: try GPT2Fixtures.tinyConfig(), tensors: tensors))
        let logits = try XCTUnwrap(try untied.forward(tokens, hooks: [], logits: true).logits)
        for position in 0..<tokens.count {
            for v in 0..<320 {
                let value = logits[position * 320 + v]
                if v == 9 { XCTAssertEqual(value, expected[position * 320 + v], accuracy: 1e-4) } else { XCTAssertEqual(value, 0) }
            }
        }
    }

    func testAnUnsupportedActivationNamesTheField() throws {
        var config = try GPT2Fixtures.tinyConfig()
        config["activation_function"] = "relu"
        let folder = try gpt2Folder(config: config, tensors: try GPT2Fixtures.tinyTensors())
        XCTAssertThrowsError(try ModelRegistry.load(folder.path)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(folder.appendingPathComponent("config.json").path), message)
            XCTAssertTrue(message.contains("'activation_function' is 'relu'"), message)
            XCTAssertTrue(message.contains("gelu_new"), message)
        }
        config["activation_function"] = "gelu_pytorch_tanh"
        XCTAssertNoThrow(try GPT2Model(folder: try gpt2Folder(config: config, tensors: try GPT2Fixtures.tinyTensors())))
    }

    func testInvalidConfigurationsNameTheField() throws {
        let cases: [(String, Any?, String)] = [
            ("n_embd", nil, "has no field 'n_embd'"),
            ("n_head", 5, "'n_embd' is 32, not a multiple of n_head (5)"),
            ("n_layer", 0, "'n_layer' is 0"),
            ("n_positions", "many", "'n_positions' is not a number"),
            ("layer_norm_epsilon", -1, "'layer_norm_epsilon' is -1.0"),
            ("vocab_size", NSNull(), "'vocab_size' is null"),
        ]
        for (field, value, expected) in cases {
            var config = try GPT2Fixtures.tinyConfig()
            config[field] = value
            let folder = try gpt2Folder(config: config, tensors: [:])
            XCTAssertThrowsError(try GPT2Model(folder: folder), field) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
                XCTAssertTrue("\(error)".hasPrefix(folder.appendingPathComponent("config.json").path), "\(error)")
            }
        }
    }

    func testAMissingTensorNamesTheFileAndTheTensor() throws {
        var tensors = try GPT2Fixtures.tinyTensors()
        tensors["transformer.h.1.mlp.c_fc.bias"] = nil
        let folder = try gpt2Folder(config: try GPT2Fixtures.tinyConfig(), tensors: tensors)
        XCTAssertThrowsError(try GPT2Model(folder: folder)) { error in
            XCTAssertEqual(error as? ModelError, .badWeights(
                file: folder.appendingPathComponent("model.safetensors").path, tensor: "h.1.mlp.c_fc.bias",
                reason: "missing (looked for 'h.1.mlp.c_fc.bias' and 'transformer.h.1.mlp.c_fc.bias'); is this a GPT-2 checkpoint?"))
        }
        let empty = try gpt2Folder(config: try GPT2Fixtures.tinyConfig(), tensors: [:])
        try FileManager.default.removeItem(at: empty.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try GPT2Model(folder: empty)) { XCTAssertTrue("\($0)".contains("model.safetensors: not found"), "\($0)") }
    }

    func testAWrongShapedTensorNamesTheFileTheTensorAndBothShapes() throws {
        var tensors = try GPT2Fixtures.tinyTensors()
        // c_attn stored as a Linear would be, (3C, C), instead of Conv1D's (C, 3C).
        let fused = try XCTUnwrap(tensors["transformer.h.2.attn.c_attn.weight"])
        tensors["transformer.h.2.attn.c_attn.weight"] = ([96, 32], fused.values)
        let folder = try gpt2Folder(config: try GPT2Fixtures.tinyConfig(), tensors: tensors)
        XCTAssertThrowsError(try GPT2Model(folder: folder)) { error in
            XCTAssertEqual("\(error)", "\(folder.appendingPathComponent("model.safetensors").path): tensor 'transformer.h.2.attn.c_attn.weight': has shape [96, 32] but config.json implies [32, 96]")
        }
        tensors = try GPT2Fixtures.tinyTensors()
        tensors["lm_head.weight"] = ([320, 16], [Float](repeating: 0, count: 320 * 16))
        XCTAssertThrowsError(try GPT2Model(folder: try gpt2Folder(config: try GPT2Fixtures.tinyConfig(), tensors: tensors))) {
            XCTAssertTrue("\($0)".contains("tensor 'lm_head.weight': has shape [320, 16] but config.json implies [320, 32]"), "\($0)")
        }
    }
}
