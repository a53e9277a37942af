import Foundation
import Tensors

// Gemma Scope (google/gemma-scope-*): `params.npz` per SAE, published as
// `layer_L/width_W/average_l0_A/params.npz` in repositories named gemma-scope-<size>-<pt|it>-<res|mlp|att>.
//   W_enc [D, N], W_dec [N, D], b_enc [N], b_dec [D], threshold [N]
// JumpReLU with no b_dec subtraction and no normalisation (as SAELens's
// gemma_2_sae_huggingface_loader configures it): a = relu(pre) · (pre > threshold),
// pre = x · W_enc + b_enc.

extension SAEFormat {
    /// An npz archive with W_enc and threshold arrays (read from its directory only).
    public static let gemmascope = SAEFormat(
        name: "gemmascope",
        claims: { url, isFolder in
            guard !isFolder, let file = try? MappedFile(path: url.path), WeightFormat.detect(file) == .npz,
                  let names = try? NpzFile.arrayNames(in: file) else { return false }
            return names.contains("threshold") && (names.contains("W_enc") || names.contains("w_enc"))
        },
        load: { url in try SparseAutoencoder(gemmaScopeFile: url.path) })
}

extension SparseAutoencoder {
    /// Reads a Gemma Scope `params.npz` (stored or deflated).
    public init(gemmaScopeFile path: String) throws {
        let npz: NpzFile
        do { npz = try NpzFile(path: path) } catch { throw SAEError.from(error, path: path) }
        // SAELens renames a lower-case `w_` prefix to `W_`; accept both spellings.
        func array(_ name: String) throws -> Tensor {
            let lower = name.hasPrefix("W_") ? "w_" + name.dropFirst(2) : name
            guard let t = npz.tensors.first(where: { $0.name == name || $0.name == lower }) else {
                throw SAEError.missingTensor(path: path, tensor: name)
            }
            return t
        }
        let encoderTensor = try array("W_enc")
        guard encoderTensor.shape.count == 2 else {
            throw SAEError.badShape(path: path, tensor: "W_enc", reason: "has shape \(encoderTensor.shape), expected [d_in, width]")
        }
        let d = encoderTensor.shape[0], n = encoderTensor.shape[1]
        if let scale = npz.tensors.first(where: { $0.name == "scaling_factor" }) {
            let values = try scale.floats()
            guard values.allSatisfy({ $0 == 1 }) else {
                throw SAEError.unsupported(path: path, reason: "a scaling_factor other than 1; saescope reads Gemma Scope SAEs without one")
            }
        }
        let location = Self.gemmaScopeLocation(path)
        do {
            try self.init(
                inputWidth: d, latentCount: n, activation: .jumpReLU, normalization: .none, subtractsDecoderBias: false,
                encoder: transposed(floats(encoderTensor, shape: [d, n], path: path), rows: d, cols: n),
                encoderBias: floats(array("b_enc"), shape: [n], path: path),
                decoder: floats(array("W_dec"), shape: [n, d], path: path),
                decoderBias: floats(array("b_dec"), shape: [d], path: path),
                threshold: floats(array("threshold"), shape: [n], path: path),
                info: Info(format: "gemmascope", path: path, hookName: location.hook, modelName: location.model,
                           metadata: location.metadata))
        } catch { throw SAEError.from(error, path: path) }
    }

    /// Hook and model from Gemma Scope's published layout: a `gemma-scope-2b-pt-res`-like
    /// folder (also inside a Hugging Face cache name) and a `layer_L` folder; nil when absent.
    static func gemmaScopeLocation(_ path: String) -> (hook: String?, model: String?, metadata: [String: String]) {
        let parts = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
        var metadata: [String: String] = [:]
        var layer: Int?
        for part in parts {
            if part.hasPrefix("layer_"), let l = Int(part.dropFirst(6)) { layer = l }
            if part.hasPrefix("width_") { metadata["width"] = String(part.dropFirst(6)) }
            if part.hasPrefix("average_l0_") { metadata["average_l0"] = String(part.dropFirst(11)) }
        }
        guard let repo = parts.last(where: { $0.contains("gemma-scope-") }) else { return (nil, nil, metadata) }
        let name = String(repo[repo.range(of: "gemma-scope-")!.upperBound...])  // e.g. "2b-pt-res"
        metadata["release"] = "gemma-scope-" + name
        let fields = name.split(separator: "-").map(String.init)
        var model: String?
        if let size = fields.first { model = "gemma-2-\(size)" + (fields.contains("it") ? "-it" : "") }
        var hook: String?
        if let layer {
            if fields.contains("res") { hook = "blocks.\(layer).hook_resid_post" }
            else if fields.contains("mlp") { hook = "blocks.\(layer).hook_mlp_out" }
            else if fields.contains("att") { hook = "blocks.\(layer).attn.hook_z" }
        }
        return (hook, model, metadata)
    }
}
