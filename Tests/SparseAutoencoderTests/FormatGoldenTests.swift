import Foundation
import Kernels
import XCTest
import Tensors
@testable import SparseAutoencoder

/// Every published format against latents from an independent numpy implementation of that
/// format's encode (scripts/sae/make_goldens.py), on SAEs saved by each project's own writer.
final class FormatGoldenTests: XCTestCase {
    struct Case: Decodable {
        let path: String
        let format: String
        let hook: String?
        let model: String?
        let k: Int?
        let normalization: String
        let subtract: Bool
        let activation: String?
    }

    func testEveryFormatMatchesItsReference() throws {
        let manifest = try JSONDecoder().decode([String: Case].self, from: Data(contentsOf: URL(fileURLWithPath: fixturePath("goldens.json"))))
        XCTAssertEqual(Set(manifest.values.map(\.format)), ["openai", "saelens", "sparsify", "gemmascope"])
        for (name, expected) in manifest.sorted(by: { $0.key < $1.key }) {
            let sae: SparseAutoencoder
            do { sae = try SparseAutoencoder.load(fixturePath(expected.path)) } catch {
                XCTFail("\(name): \(error)")
                continue
            }
            XCTAssertEqual(sae.info.format, expected.format, name)
            XCTAssertEqual(sae.info.hookName, expected.hook, name)
            if let model = expected.model { XCTAssertEqual(sae.info.modelName, model, name) }
            XCTAssertEqual(sae.k, expected.k, name)
            XCTAssertEqual(sae.subtractsDecoderBias, expected.subtract, name)
            let normalization: SparseAutoencoder.InputNormalization = switch expected.normalization {
            case "layer_norm": .layerNorm(epsilon: 1e-5)
            case "constant_norm_rescale": .constantNormRescale
            default: .none
            }
            XCTAssertEqual(sae.normalization, normalization, name)
            if expected.activation == "jumprelu" { XCTAssertEqual(sae.activation, .jumpReLU, name) }
            if expected.activation == "relu" { XCTAssertEqual(sae.activation, .relu, name) }

            let golden = try SafetensorsFile(path: fixturePath("goldens/\(name).safetensors"))
            let x = try golden.tensor("activations").floats()
            let latents = try golden.tensor("latents")
            XCTAssertEqual(latents.shape[1], sae.latentCount, name)
            assertLatents(try sae.encode(x), try latents.floats(), sae: sae, name)
            if MatmulPrecision.bfloat16IsAvailable {  // bfloat16 products, float32 latents
                assertLatents(try sae.encode(x, packed: try PackedEncoder(sae)), try latents.floats(), sae: sae, name + " (bf16 products)")
            }
        }
    }

    /// Compares sparse codes with dense expected latents (T, N): every value within 1e-4 of the
    /// token's largest latent (relative), and the same latents active, except a latent whose
    /// value ties the selection boundary (the k-th value, or its JumpReLU threshold) to 1e-4.
    func assertLatents(_ codes: SparseCodes, _ expected: [Float], sae: SparseAutoencoder, _ name: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        let n = sae.latentCount
        XCTAssertEqual(codes.tokenCount * n, expected.count, name, file: file, line: line)
        var worst: Float = 0
        for t in 0..<codes.tokenCount {
            let e = Array(expected[(t * n)..<((t + 1) * n)])
            var a = [Float](repeating: 0, count: n)
            let row = codes.row(t)
            for (id, value) in zip(row.ids, row.values) { a[Int(id)] = value }
            let scale = max(e.map(abs).max() ?? 0, 1e-6)
            let kth = sae.k.map { k in e.sorted(by: >)[min(k, n) - 1] }
            for i in 0..<n where a[i] != e[i] {
                let relative = abs(a[i] - e[i]) / scale
                if relative <= 1e-4 { worst = max(worst, relative); continue }
                // A tie at the boundary: one side kept it, the other did not.
                let value = max(a[i], e[i])
                let tied = (a[i] == 0 || e[i] == 0)
                    && ((kth.map { abs(value - $0) / scale <= 1e-4 } ?? false)
                        || (sae.threshold.map { abs(value - $0[i]) / scale <= 1e-4 } ?? false))
                if !tied {
                    XCTFail("\(name): token \(t) latent \(i): got \(a[i]), expected \(e[i]) (relative difference \(relative))", file: file, line: line)
                    return
                }
            }
        }
        print("\(name): \(codes.tokenCount) tokens, \(codes.ids.count) active latents, largest relative difference \(worst)")
    }

    // MARK: - What the loaders read from paths and configs

    func testHookNamesFromPublishedLayouts() {
        XCTAssertEqual(SparseAutoencoder.openAILocation("/x/resid_post_mlp_v5_32k/autoencoders/7.pt")?.hook, "blocks.7.hook_resid_post")
        XCTAssertEqual(SparseAutoencoder.openAILocation("/x/resid_post_attn_v5_128k/autoencoders/0.pt")?.hook, "blocks.0.hook_resid_mid")
        XCTAssertEqual(SparseAutoencoder.openAILocation("/x/resid_delta_mlp/autoencoders/11.pt")?.hook, "blocks.11.hook_mlp_out")
        XCTAssertEqual(SparseAutoencoder.openAILocation("/x/mlp_post_act_v4/autoencoders/2.pt")?.hook, "blocks.2.mlp.hook_post")
        XCTAssertNil(SparseAutoencoder.openAILocation("/x/my_sae/autoencoders/2.pt"))
        XCTAssertNil(SparseAutoencoder.openAILocation("/x/resid_post_mlp_v5_32k/7.pt"))

        XCTAssertEqual(SparseAutoencoder.sparsifyHook("layers.6"), "blocks.6.hook_resid_post")
        XCTAssertEqual(SparseAutoencoder.sparsifyHook("model.layers.12"), "blocks.12.hook_resid_post")
        XCTAssertEqual(SparseAutoencoder.sparsifyHook("h.3"), "blocks.3.hook_resid_post")
        XCTAssertEqual(SparseAutoencoder.sparsifyHook("layers.6.mlp"), "blocks.6.hook_mlp_out")
        XCTAssertNil(SparseAutoencoder.sparsifyHook("layers.6.self_attn"))
        XCTAssertNil(SparseAutoencoder.sparsifyHook("embed_tokens"))

        let gemma = SparseAutoencoder.gemmaScopeLocation("/cache/models--google--gemma-scope-9b-it-res/snapshots/abc/layer_20/width_131k/average_l0_81/params.npz")
        XCTAssertEqual(gemma.hook, "blocks.20.hook_resid_post")
        XCTAssertEqual(gemma.model, "gemma-2-9b-it")
        XCTAssertEqual(gemma.metadata["width"], "131k")
        XCTAssertEqual(SparseAutoencoder.gemmaScopeLocation("/g/gemma-scope-2b-pt-att/layer_3/params.npz").hook, "blocks.3.attn.hook_z")
        XCTAssertNil(SparseAutoencoder.gemmaScopeLocation("/tmp/params.npz").hook)
    }

    func testMetadataReachesInfo() throws {
        let saelens = try SparseAutoencoder.load(fixturePath("saelens/topk_pre6"))
        XCTAssertEqual(saelens.info.metadata["normalize_activations"], "expected_average_only_in")
        XCTAssertEqual(saelens.info.metadata["sae_lens_training_version"], "3.13.0")
        XCTAssertEqual(saelens.info.metadata["context_size"], "128")
        let sparsify = try SparseAutoencoder.load(fixturePath("sparsify_bf16"))
        XCTAssertEqual(sparsify.info.metadata["hookpoint"], "layers.10")
        XCTAssertEqual(sparsify.info.metadata["normalize_decoder"], "true")
        XCTAssertEqual(sparsify.latentCount, 4 * 32)  // expansion_factor × d_in
        let openai = try SparseAutoencoder.load(fixturePath("openai/resid_post_mlp_v5_32k/autoencoders/5.pt"))
        XCTAssertEqual(openai.info.metadata["openai_location"], "resid_post_mlp")
        XCTAssertEqual(openai.info.modelName, "gpt2")
        // The safetensors file inside a SAELens or sparsify folder loads the folder.
        XCTAssertEqual(try SparseAutoencoder.load(fixturePath("saelens/standard_v6/sae_weights.safetensors")).info.format, "saelens")
        XCTAssertEqual(try SparseAutoencoder.load(fixturePath("sparsify/layers.3/sae.safetensors")).info.format, "sparsify")
    }
}
