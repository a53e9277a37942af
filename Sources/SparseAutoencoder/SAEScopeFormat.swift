import Foundation
import Tensors

// saescope's own SAE file: one safetensors file, documented in docs/SAE_FORMATS.md.
//   encoder [N, D], encoder_bias [N], decoder [N, D], decoder_bias [D], threshold [N] (jumprelu)
//   __metadata__: format = "saescope-sae", version = "1", activation = topk|relu|jumprelu,
//   k, normalization = none|layer_norm|constant_norm_rescale|scale, normalization_epsilon,
//   normalization_scale, subtract_decoder_bias = true|false, hook, model, and any other strings.

extension SAEFormat {
    public static let saescope = SAEFormat(
        name: "saescope",
        claims: { url, isFolder in
            guard !isFolder, let file = try? MappedFile(path: url.path),
                  WeightFormat.detect(file) == .safetensors,
                  let st = try? SafetensorsFile(file: file) else { return false }
            return st.metadata["format"] == SparseAutoencoder.saescopeFormatTag
        },
        load: { url in try SparseAutoencoder(saescopeFile: url.path) })
}

extension SparseAutoencoder {
    static let saescopeFormatTag = "saescope-sae"
    /// Metadata keys the format itself uses; the rest go to `Info.metadata`.
    static let saescopeKeys: Set<String> = [
        "format", "version", "activation", "k", "normalization", "normalization_epsilon",
        "normalization_scale", "subtract_decoder_bias", "hook", "model",
    ]

    /// Reads a saescope SAE file.
    public init(saescopeFile path: String) throws {
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: path) } catch { throw SAEError.from(error, path: path) }
        let meta = file.metadata
        guard meta["format"] == Self.saescopeFormatTag else {
            throw SAEError.unknownFormat(path: path, reason: "its metadata has no format = \(Self.saescopeFormatTag)")
        }
        guard meta["version"] == "1" else {
            throw SAEError.unsupported(path: path, reason: "saescope SAE format version \(meta["version"] ?? "(none)"); this saescope reads version 1 — upgrade saescope")
        }
        func tensor(_ name: String) throws -> Tensor {
            guard let t = file.tensors.first(where: { $0.name == name }) else {
                throw SAEError.missingTensor(path: path, tensor: name)
            }
            return t
        }
        let encoderTensor = try tensor("encoder")
        guard encoderTensor.shape.count == 2 else {
            throw SAEError.badShape(path: path, tensor: "encoder", reason: "has shape \(encoderTensor.shape), expected [latents, d_in]")
        }
        let n = encoderTensor.shape[0], d = encoderTensor.shape[1]

        let activation: Activation
        switch meta["activation"] {
        case "topk":
            guard let k = meta["k"].flatMap({ Int($0) }) else {
                throw SAEError.badConfig(path: path, reason: "a topk SAE needs an integer 'k' in its metadata")
            }
            activation = .topK(k)
        case "relu": activation = .relu
        case "jumprelu": activation = .jumpReLU
        case let other:
            throw SAEError.unsupported(path: path, reason: "activation '\(other ?? "(none)")'; saescope knows topk, relu, jumprelu")
        }
        let normalization: InputNormalization
        switch meta["normalization"] ?? "none" {
        case "none": normalization = .none
        case "layer_norm": normalization = .layerNorm(epsilon: meta["normalization_epsilon"].flatMap { Float($0) } ?? 1e-5)
        case "constant_norm_rescale": normalization = .constantNormRescale
        case "scale":
            guard let s = meta["normalization_scale"].flatMap({ Float($0) }) else {
                throw SAEError.badConfig(path: path, reason: "normalization 'scale' needs a number in 'normalization_scale'")
            }
            normalization = .scale(s)
        case let other:
            throw SAEError.unsupported(path: path, reason: "normalization '\(other)'; saescope knows none, layer_norm, constant_norm_rescale, scale")
        }
        var info = Info(format: "saescope", path: path, hookName: meta["hook"], modelName: meta["model"])
        info.metadata = meta.filter { !Self.saescopeKeys.contains($0.key) }
        do {
            try self.init(
                inputWidth: d, latentCount: n, activation: activation, normalization: normalization,
                subtractsDecoderBias: meta["subtract_decoder_bias"] == "true",
                encoder: floats(encoderTensor, shape: [n, d], path: path),
                encoderBias: floats(tensor("encoder_bias"), shape: [n], path: path),
                decoder: floats(tensor("decoder"), shape: [n, d], path: path),
                decoderBias: floats(tensor("decoder_bias"), shape: [d], path: path),
                threshold: activation == .jumpReLU ? floats(tensor("threshold"), shape: [n], path: path) : nil,
                info: info)
        } catch { throw SAEError.from(error, path: path) }
    }

    /// Writes this SAE as a saescope SAE file (float32, or float16 to halve the size).
    public func writeSAEScopeFile(to path: String, as type: SafetensorsWriter.StoredType = .f32) throws {
        var meta = info.metadata
        meta["format"] = Self.saescopeFormatTag
        meta["version"] = "1"
        switch activation {
        case .topK(let k): meta["activation"] = "topk"; meta["k"] = String(k)
        case .relu: meta["activation"] = "relu"
        case .jumpReLU: meta["activation"] = "jumprelu"
        }
        switch normalization {
        case .none: meta["normalization"] = "none"
        case .layerNorm(let eps): meta["normalization"] = "layer_norm"; meta["normalization_epsilon"] = String(eps)
        case .constantNormRescale: meta["normalization"] = "constant_norm_rescale"
        case .scale(let s): meta["normalization"] = "scale"; meta["normalization_scale"] = String(s)
        }
        meta["subtract_decoder_bias"] = subtractsDecoderBias ? "true" : "false"
        if let hook = info.hookName { meta["hook"] = hook }
        if let model = info.modelName { meta["model"] = model }
        var writer = SafetensorsWriter(metadata: meta)
        try writer.add("encoder", shape: [latentCount, inputWidth], values: encoder, as: type)
        try writer.add("encoder_bias", shape: [latentCount], values: encoderBias, as: type)
        try writer.add("decoder", shape: [latentCount, inputWidth], values: decoder, as: type)
        try writer.add("decoder_bias", shape: [inputWidth], values: decoderBias, as: type)
        if let threshold { try writer.add("threshold", shape: [latentCount], values: threshold, as: type) }
        try writer.write(to: path)
    }
}
