import Foundation
import Tensors

// EleutherAI sparsify (EleutherAI/sparsify, sparsify/sparse_coder.py): one folder per
// hookpoint, named after the module (`layers.6`), holding cfg.json (d_in, k, num_latents or
// expansion_factor, activation, transcode, …) and sae.safetensors:
//   encoder.weight [N, D], encoder.bias [N], W_dec [N, D], b_dec [D].
// SparseCoder.encode: x − b_dec (unless transcode), then fused_encoder:
// relu(x · encoder.weightᵀ + encoder.bias), then the top k.

extension SAEFormat {
    /// A hookpoint folder (cfg.json + sae.safetensors), its sae.safetensors, or a folder of
    /// hookpoint folders (loaded when it holds exactly one).
    public static let sparsify = SAEFormat(
        name: "sparsify",
        claims: { url, isFolder in
            if !isFolder {
                return url.lastPathComponent == SparseAutoencoder.sparsifyWeights
                    && folder(url.deletingLastPathComponent(), holds: SparseAutoencoder.sparsifyFiles)
            }
            return folder(url, holds: SparseAutoencoder.sparsifyFiles) || !SparseAutoencoder.sparsifyHookpoints(in: url).isEmpty
        },
        load: { url in try SparseAutoencoder(sparsifyFolder: isDirectory(url) ? url : url.deletingLastPathComponent()) })
}

extension SparseAutoencoder {
    static let sparsifyWeights = "sae.safetensors"
    static let sparsifyFiles = ["cfg.json", sparsifyWeights]

    /// The subfolders of `url` that are sparsify hookpoint folders, sorted by name.
    static func sparsifyHookpoints(in url: URL) -> [URL] {
        let children = (try? FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)) ?? []
        return children.filter { folder($0, holds: sparsifyFiles) }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Reads a sparsify hookpoint folder, or the only hookpoint folder inside `url`.
    public init(sparsifyFolder url: URL) throws {
        var folderURL = url
        if !folder(url, holds: Self.sparsifyFiles) {
            let hookpoints = Self.sparsifyHookpoints(in: url)
            guard hookpoints.count == 1 else {
                let names = hookpoints.map(\.lastPathComponent).joined(separator: ", ")
                throw SAEError.badConfig(path: url.path, reason: hookpoints.isEmpty
                    ? "it holds no sparsify hookpoint folder (cfg.json + sae.safetensors)"
                    : "it holds \(hookpoints.count) sparsify hookpoints (\(names)); pass the folder of the one to load")
            }
            folderURL = hookpoints[0]
        }
        let configPath = folderURL.appendingPathComponent("cfg.json").path
        let path = folderURL.appendingPathComponent(Self.sparsifyWeights).path
        let cfg = try readJSONConfig(folderURL.appendingPathComponent("cfg.json"))
        guard let dIn = jsonInt(cfg["d_in"]), dIn > 0 else {
            throw SAEError.badConfig(path: configPath, reason: "it needs a positive integer 'd_in'")
        }
        guard let k = jsonInt(cfg["k"]) else { throw SAEError.badConfig(path: configPath, reason: "it needs an integer 'k'") }
        // SparseCoder: num_latents or d_in × expansion_factor (num_latents 0 means unset).
        let numLatents = jsonInt(cfg["num_latents"]).flatMap { $0 > 0 ? $0 : nil }
            ?? jsonInt(cfg["expansion_factor"]).map { $0 * dIn }
        guard let n = numLatents, n > 0 else {
            throw SAEError.badConfig(path: configPath, reason: "it needs 'num_latents' or 'expansion_factor'")
        }
        let activationName = cfg["activation"] as? String ?? "topk"
        guard activationName == "topk" else {
            throw SAEError.unsupported(path: configPath, reason: "activation '\(activationName)'; saescope reads sparsify's topk")
        }
        if jsonBool(cfg["signed"]) == true {
            throw SAEError.unsupported(path: configPath, reason: "signed = true (top-k by magnitude with signs); saescope reads unsigned top-k")
        }
        let transcode = jsonBool(cfg["transcode"]) ?? false
        var metadata = metadataStrings(cfg, keys: ["expansion_factor", "normalize_decoder", "multi_topk", "skip_connection", "transcode"])
        let hookpoint = folderURL.lastPathComponent
        metadata["hookpoint"] = hookpoint
        // The parent may hold sparsify's training config.json, naming the model.
        let parentConfig = folderURL.deletingLastPathComponent().appendingPathComponent("config.json")
        let model = (try? readJSONConfig(parentConfig))?["model"] as? String

        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: path) } catch { throw SAEError.from(error, path: path) }
        let tensors = file.tensors
        do {
            try self.init(
                inputWidth: dIn, latentCount: n, activation: .topK(k), normalization: .none,
                subtractsDecoderBias: !transcode,
                encoder: floats(tensor("encoder.weight", in: tensors, path: path), shape: [n, dIn], path: path),
                encoderBias: floats(tensor("encoder.bias", in: tensors, path: path), shape: [n], path: path),
                decoder: floats(tensor("W_dec", in: tensors, path: path), shape: [n, dIn], path: path),
                decoderBias: floats(tensor("b_dec", in: tensors, path: path), shape: [dIn], path: path),
                info: Info(format: "sparsify", path: folderURL.path, hookName: Self.sparsifyHook(hookpoint),
                           modelName: model, metadata: metadata))
        } catch { throw SAEError.from(error, path: path) }
    }

    /// The TransformerLens hook of a sparsify hookpoint (a Hugging Face module name): a decoder
    /// layer's output (`layers.N`, `h.N`, with or without `model.`/`transformer.`/`gpt_neox.`)
    /// is the residual after block N; `….mlp` is the MLP's output. Others: nil.
    static func sparsifyHook(_ hookpoint: String) -> String? {
        var parts = hookpoint.split(separator: ".").map(String.init)
        if let first = parts.first, ["model", "transformer", "gpt_neox"].contains(first) { parts.removeFirst() }
        guard parts.count >= 2, ["layers", "h"].contains(parts[0]), let layer = Int(parts[1]), layer >= 0 else { return nil }
        switch parts.dropFirst(2).joined(separator: ".") {
        case "": return "blocks.\(layer).hook_resid_post"
        case "mlp": return "blocks.\(layer).hook_mlp_out"
        default: return nil
        }
    }
}
