import Foundation
import Tensors

// SAELens (jbloomAus/SAELens, sae_lens/saes/*.py): a folder with cfg.json and
// sae_weights.safetensors: W_enc [D, N], b_enc [N], W_dec [N, D], b_dec [D], threshold [N]
// (jumprelu). Encoding (SAE.process_sae_in, then each architecture's encode):
//   x = normalise(x); x = x − b_dec · apply_b_dec_to_input; pre = x · W_enc + b_enc
//   standard: relu(pre); topk: relu(topk(pre)) (pre × ‖W_dec row‖ first when
//   rescale_acts_by_decoder_norm); jumprelu: relu(pre) · (pre > threshold).
// Config: SAELens ≥ 6 nests the model facts in `metadata` (hook_name, model_name, …);
// older configs are flat (hook_point or hook_name, activation_fn_str + activation_fn_kwargs.k)
// and SAELens rewrites them with handle_pre_6_0_config, which this follows.

extension SAEFormat {
    /// A folder with cfg.json and sae_weights.safetensors, or that safetensors file itself.
    public static let saelens = SAEFormat(
        name: "saelens",
        claims: { url, isFolder in
            guard isFolder || url.lastPathComponent == SparseAutoencoder.saelensWeights else { return false }
            let dir = isFolder ? url : url.deletingLastPathComponent()
            return folder(dir, holds: [SparseAutoencoder.saelensConfig, SparseAutoencoder.saelensWeights])
        },
        load: { url in try SparseAutoencoder(saelensFolder: isDirectory(url) ? url : url.deletingLastPathComponent()) })
}

extension SparseAutoencoder {
    static let saelensConfig = "cfg.json"
    static let saelensWeights = "sae_weights.safetensors"

    /// Reads a SAELens SAE folder.
    public init(saelensFolder folder: URL) throws {
        let configURL = folder.appendingPathComponent(Self.saelensConfig)
        let configPath = configURL.path
        let path = folder.appendingPathComponent(Self.saelensWeights).path
        let cfg = try readJSONConfig(configURL)
        let nested = cfg["metadata"] as? [String: Any] ?? [:]
        let version = (cfg["sae_lens_version"] as? String) ?? (nested["sae_lens_version"] as? String)
        // SAELens treats a config without a version, or one before 6.0, as pre-6 (flat).
        let isV6 = version.flatMap { Int($0.split(separator: ".").first ?? "") }.map { $0 >= 6 } ?? false
        func value(_ key: String) -> Any? { cfg[key] ?? nested[key] }

        // Architecture and k.
        var architecture = cfg["architecture"] as? String ?? (isV6 ? nil : "standard")
        var k = jsonInt(cfg["k"])
        if !isV6 {
            let activationFn = (cfg["activation_fn_str"] ?? cfg["activation_fn"]) as? String ?? "relu"
            let kwargs = cfg["activation_fn_kwargs"] as? [String: Any]
            if activationFn == "topk", let topK = jsonInt(kwargs?["k"]) {
                architecture = "topk"
                k = topK
            } else if architecture == "standard" && activationFn != "relu" {
                throw SAEError.unsupported(path: configPath, reason: "activation_fn '\(activationFn)'; saescope reads relu and topk (with activation_fn_kwargs.k)")
            }
        }
        let activation: Activation
        switch architecture {
        case "standard": activation = .relu
        case "jumprelu": activation = .jumpReLU
        case "topk":
            guard let k else { throw SAEError.badConfig(path: configPath, reason: "a topk SAE needs an integer 'k'") }
            activation = .topK(k)
        case "gated":
            throw SAEError.unsupported(path: configPath, reason: "architecture 'gated' (a gating path with its own b_gate and r_mag); saescope reads standard, topk and jumprelu SAELens SAEs")
        case let other?:
            throw SAEError.unsupported(path: configPath, reason: "architecture '\(other)'; saescope reads standard, topk and jumprelu SAELens SAEs")
        case nil:
            throw SAEError.badConfig(path: configPath, reason: "it has no 'architecture'")
        }
        if jsonBool(cfg["finetuning_scaling_factor"]) == true {
            throw SAEError.unsupported(path: configPath, reason: "finetuning_scaling_factor = true (a learned per-latent scale); saescope does not read it")
        }

        // Input normalisation. Old configs give a bool: true meant expected_average_only_in.
        var normalizeName = "none"
        switch cfg["normalize_activations"] {
        case let name as String: normalizeName = name
        case let flag as NSNumber where jsonBool(flag) != nil: normalizeName = flag.boolValue ? "expected_average_only_in" : "none"
        default: break
        }
        let normalization: InputNormalization
        switch normalizeName {
        // expected_average_only_in: SAE.load_from_disk applies nothing at run time; only
        // from_pretrained folds a release's norm_scaling_factor (from SAELens's own registry,
        // not the folder) into the weights. Reading the folder as SAELens does means none.
        case "none", "expected_average_only_in": normalization = .none
        case "layer_norm": normalization = .layerNorm(epsilon: 1e-5)
        case "constant_norm_rescale": normalization = .constantNormRescale
        default:
            throw SAEError.unsupported(path: configPath, reason: "normalize_activations '\(normalizeName)'; SAELens defines none, expected_average_only_in, constant_norm_rescale, layer_norm")
        }
        let subtract = jsonBool(cfg["apply_b_dec_to_input"]) ?? true

        let hook = (nested["hook_name"] ?? cfg["hook_name"] ?? cfg["hook_point"]) as? String
        let model = value("model_name") as? String
        var metadata = metadataStrings(cfg.merging(nested) { top, _ in top }, keys: [
            "sae_lens_version", "sae_lens_training_version", "dataset_path", "context_size", "prepend_bos",
            "hook_head_index", "neuronpedia_id", "reshape_activations", "dtype",
        ])
        metadata["architecture"] = architecture
        metadata["normalize_activations"] = normalizeName
        metadata["apply_b_dec_to_input"] = subtract ? "true" : "false"

        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: path) } catch { throw SAEError.from(error, path: path) }
        let tensors = file.tensors
        let encoderTensor = try tensor("W_enc", in: tensors, path: path)
        guard encoderTensor.shape.count == 2 else {
            throw SAEError.badShape(path: path, tensor: "W_enc", reason: "has shape \(encoderTensor.shape), expected [d_in, d_sae]")
        }
        let d = encoderTensor.shape[0], n = encoderTensor.shape[1]
        if let dIn = jsonInt(cfg["d_in"]), dIn != d {
            throw SAEError.badShape(path: path, tensor: "W_enc", reason: "has shape \(encoderTensor.shape) but cfg.json says d_in = \(dIn)")
        }
        if let dSAE = jsonInt(cfg["d_sae"]), dSAE != n {
            throw SAEError.badShape(path: path, tensor: "W_enc", reason: "has shape \(encoderTensor.shape) but cfg.json says d_sae = \(dSAE)")
        }
        do {
            var encoder = transposed(try floats(encoderTensor, shape: [d, n], path: path), rows: d, cols: n)
            var encoderBias = try floats(tensor("b_enc", in: tensors, path: path), shape: [n], path: path)
            let decoder = try floats(tensor("W_dec", in: tensors, path: path), shape: [n, d], path: path)
            var threshold: [Float]?
            if activation == .jumpReLU {
                if let t = tensors.first(where: { $0.name == "threshold" }) {
                    threshold = try floats(t, shape: [n], path: path)
                } else if let t = tensors.first(where: { $0.name == "log_threshold" }) {
                    threshold = try floats(t, shape: [n], path: path).map { Float(exp(Double($0))) }
                } else {
                    throw SAEError.missingTensor(path: path, tensor: "threshold")
                }
            }
            if case .topK = activation, jsonBool(cfg["rescale_acts_by_decoder_norm"]) == true {
                // TopKSAE.encode multiplies pre by ‖W_dec row‖ before selecting: the same as
                // scaling that latent's encoder row and bias.
                Self.scaleRowsByDecoderNorms(encoder: &encoder, bias: &encoderBias, decoder: decoder, d: d)
                metadata["rescale_acts_by_decoder_norm"] = "true (folded into the encoder)"
            }
            try self.init(
                inputWidth: d, latentCount: n, activation: activation, normalization: normalization,
                subtractsDecoderBias: subtract, encoder: encoder, encoderBias: encoderBias, decoder: decoder,
                decoderBias: floats(tensor("b_dec", in: tensors, path: path), shape: [d], path: path),
                threshold: threshold,
                info: Info(format: "saelens", path: folder.path, hookName: hook, modelName: model, metadata: metadata))
        } catch { throw SAEError.from(error, path: path) }
    }

    /// encoder (N, D) rows and bias (N) times the norms of the decoder (N, D) rows.
    static func scaleRowsByDecoderNorms(encoder: inout [Float], bias: inout [Float], decoder: [Float], d: Int) {
        for i in 0..<bias.count {
            var squares: Double = 0
            for j in 0..<d { squares += Double(decoder[i * d + j]) * Double(decoder[i * d + j]) }
            let norm = Float(squares.squareRoot())
            for j in 0..<d { encoder[i * d + j] *= norm }
            bias[i] *= norm
        }
    }
}
