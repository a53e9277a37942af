import Foundation
import Tensors

// OpenAI's GPT-2 SAEs (openai/sparse_autoencoder, model.py): a torch.save'd state dict.
//   encoder.weight [N, D], decoder.weight [D, N], pre_bias [D], latent_bias [N],
//   activation "TopK" | "ReLU", activation_state_dict {"k": 32, "postact_fn": "ReLU"}.
// Autoencoder.from_state_dict turns on input normalisation exactly when activation == "TopK":
// LN(x) = (x − mean) / (std + 1e-5), std unbiased (torch default). Then, always,
// latents = activation((x − pre_bias) · encoderᵀ + latent_bias).

extension SAEFormat {
    /// Any PyTorch `.pt` file; the loader then asks for OpenAI's tensor names.
    public static let openai = SAEFormat(
        name: "openai",
        claims: { url, isFolder in
            guard !isFolder, let file = try? MappedFile(path: url.path) else { return false }
            return WeightFormat.detect(file) == .torch
        },
        load: { url in try SparseAutoencoder(openAIFile: url.path) })
}

extension SparseAutoencoder {
    /// Reads one of OpenAI's `.pt` SAE state dicts.
    public init(openAIFile path: String) throws {
        let torch: TorchFile
        do { torch = try TorchFile(path: path) } catch { throw SAEError.from(error, path: path) }
        let tensors = torch.tensors
        let encoderTensor = try tensor("encoder.weight", in: tensors, path: path)
        guard encoderTensor.shape.count == 2 else {
            throw SAEError.badShape(path: path, tensor: "encoder.weight", reason: "has shape \(encoderTensor.shape), expected [latents, d_in]")
        }
        let n = encoderTensor.shape[0], d = encoderTensor.shape[1]

        // from_state_dict: state_dict.pop("activation", "ReLU").
        let activationName = torch.root["activation"]?.string ?? "ReLU"
        let activation: Activation
        let normalization: InputNormalization
        var metadata = ["activation": activationName]
        switch activationName {
        case "TopK":
            let state = torch.root["activation_state_dict"]
            guard let k = state?["k"]?.int else {
                throw SAEError.badConfig(path: path, reason: "a TopK SAE needs an integer activation_state_dict['k']")
            }
            let post = state?["postact_fn"]?.string ?? "ReLU"
            guard post == "ReLU" else {
                throw SAEError.unsupported(path: path, reason: "TopK with postact_fn '\(post)'; saescope supports TopK followed by ReLU")
            }
            activation = .topK(k)
            normalization = .layerNorm(epsilon: 1e-5)
            metadata["postact_fn"] = post
        case "ReLU":
            activation = .relu
            normalization = .none
        default:
            throw SAEError.unsupported(path: path, reason: "activation '\(activationName)'; saescope reads OpenAI SAEs with TopK or ReLU")
        }
        let location = Self.openAILocation(path)
        if let location { metadata["openai_location"] = location.name; metadata["layer"] = String(location.layer) }
        let info = Info(format: "openai", path: path, hookName: location?.hook, modelName: location == nil ? nil : "gpt2", metadata: metadata)
        do {
            let decoderDN = try floats(tensor("decoder.weight", in: tensors, path: path), shape: [d, n], path: path)
            try self.init(
                inputWidth: d, latentCount: n, activation: activation, normalization: normalization,
                subtractsDecoderBias: true,
                encoder: floats(encoderTensor, shape: [n, d], path: path),
                encoderBias: floats(tensor("latent_bias", in: tensors, path: path), shape: [n], path: path),
                decoder: transposed(decoderDN, rows: d, cols: n),
                decoderBias: floats(tensor("pre_bias", in: tensors, path: path), shape: [d], path: path),
                info: info)
        } catch { throw SAEError.from(error, path: path) }
    }

    /// OpenAI's locations (sparse_autoencoder README) and the TransformerLens hooks they read.
    static let openAIHooks: [(location: String, hook: String)] = [
        ("resid_post_mlp", "hook_resid_post"), ("resid_post_attn", "hook_resid_mid"),
        ("resid_delta_mlp", "hook_mlp_out"), ("resid_delta_attn", "hook_attn_out"), ("mlp_post_act", "mlp.hook_post"),
    ]

    /// The location and layer of a file laid out as OpenAI publishes them,
    /// `…/<location>[_v4|_v5_32k|_v5_128k]/autoencoders/<layer>.pt`; nil for any other path.
    static func openAILocation(_ path: String) -> (name: String, layer: Int, hook: String)? {
        let parts = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
        guard parts.count >= 3, parts[parts.count - 2] == "autoencoders",
              let file = parts.last, file.hasSuffix(".pt"), let layer = Int(file.dropLast(3)), layer >= 0 else { return nil }
        let folder = parts[parts.count - 3]
        for (location, hook) in openAIHooks where folder == location || folder.hasPrefix(location + "_v") {
            return (location, layer, "blocks.\(layer).\(hook)")
        }
        return nil
    }
}
