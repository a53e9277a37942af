// One sparse autoencoder type for every published format.
// Legend: T tokens, D the input width (the model's d_model), N latents.
// Canonical layouts, whatever the file stored: encoder (N, D) — one row per latent, applied as
// a linear layer; decoder (N, D) — one row per latent (its direction in the residual stream).

/// A sparse autoencoder: weights, activation function and the input processing it was trained
/// with. Loaders (one per format) fill it in; `encode` turns activations into sparse latents.
public struct SparseAutoencoder: Sendable {
    /// What turns pre-activations into latents.
    public enum Activation: Sendable, Equatable, CustomStringConvertible {
        /// Keep the k largest pre-activations, then ReLU (OpenAI, SAELens topk, sparsify).
        case topK(Int)
        /// ReLU of every pre-activation (SAELens standard, OpenAI ReLU files).
        case relu
        /// relu(pre) where pre > threshold[latent], else 0 (Gemma Scope, SAELens jumprelu).
        case jumpReLU

        public var description: String {
            switch self {
            case .topK(let k): return "topk (k=\(k))"
            case .relu: return "relu"
            case .jumpReLU: return "jumprelu"
            }
        }
    }

    /// How each token's input is rescaled before the encoder.
    public enum InputNormalization: Sendable, Equatable, CustomStringConvertible {
        case none
        /// Subtract the token's mean, divide by (its unbiased, N−1 standard deviation + epsilon):
        /// OpenAI's TopK SAEs and SAELens `layer_norm` (torch's `std` default).
        case layerNorm(epsilon: Float)
        /// Scale each token to norm √D (SAELens `constant_norm_rescale`).
        case constantNormRescale
        /// Multiply by a constant (SAELens `expected_average_only_in` with a known factor).
        case scale(Float)

        public var description: String {
            switch self {
            case .none: return "none"
            case .layerNorm(let eps): return "layer_norm (eps \(eps))"
            case .constantNormRescale: return "constant_norm_rescale"
            case .scale(let s): return "scale \(s)"
            }
        }
    }

    /// Where the SAE came from and what it expects; none of it affects the arithmetic.
    public struct Info: Sendable, Equatable {
        /// The format the loader read: "saescope", "saelens", "sparsify", "openai", "gemmascope".
        public var format: String
        /// The file or folder it was loaded from.
        public var path: String
        /// The model hook it reads, as a TransformerLens name (`blocks.8.hook_resid_post`), if known.
        public var hookName: String?
        /// The model it was trained on, as its config names it, if known.
        public var modelName: String?
        /// Anything else the file said that a user may want to see (string values).
        public var metadata: [String: String]

        public init(format: String, path: String, hookName: String? = nil, modelName: String? = nil,
                    metadata: [String: String] = [:]) {
            self.format = format
            self.path = path
            self.hookName = hookName
            self.modelName = modelName
            self.metadata = metadata
        }
    }

    /// D: the width of the activations it reads.
    public let inputWidth: Int
    /// N: the number of latents.
    public let latentCount: Int
    public let activation: Activation
    public let normalization: InputNormalization
    /// Subtract the decoder bias from the (normalised) input before encoding.
    public let subtractsDecoderBias: Bool
    /// encoder: (N, D)
    public let encoder: [Float]
    /// encoderBias: (N)
    public let encoderBias: [Float]
    /// decoder: (N, D), one row per latent
    public let decoder: [Float]
    /// decoderBias: (D)
    public let decoderBias: [Float]
    /// threshold: (N), JumpReLU only
    public let threshold: [Float]?
    public var info: Info

    /// Checks every shape against D and N; a mismatch throws naming the tensor.
    public init(inputWidth: Int, latentCount: Int, activation: Activation, normalization: InputNormalization,
                subtractsDecoderBias: Bool, encoder: [Float], encoderBias: [Float], decoder: [Float],
                decoderBias: [Float], threshold: [Float]? = nil, info: Info) throws {
        func check(_ name: String, _ count: Int, _ expected: Int, _ shape: String) throws {
            guard count == expected else {
                throw SAEError.badShape(path: info.path, tensor: name,
                                        reason: "has \(count) values, expected \(shape) = \(expected)")
            }
        }
        guard inputWidth > 0, latentCount > 0 else {
            throw SAEError.badConfig(path: info.path, reason: "input width \(inputWidth) and latent count \(latentCount) must be positive")
        }
        try check("encoder", encoder.count, latentCount * inputWidth, "[\(latentCount), \(inputWidth)]")
        try check("encoder bias", encoderBias.count, latentCount, "[\(latentCount)]")
        try check("decoder", decoder.count, latentCount * inputWidth, "[\(latentCount), \(inputWidth)]")
        try check("decoder bias", decoderBias.count, inputWidth, "[\(inputWidth)]")
        switch activation {
        case .topK(let k):
            guard k >= 1, k <= latentCount else {
                throw SAEError.badConfig(path: info.path, reason: "k = \(k) must be between 1 and the \(latentCount) latents")
            }
        case .jumpReLU:
            guard let threshold else { throw SAEError.missingTensor(path: info.path, tensor: "threshold") }
            try check("threshold", threshold.count, latentCount, "[\(latentCount)]")
        case .relu: break
        }
        self.inputWidth = inputWidth
        self.latentCount = latentCount
        self.activation = activation
        self.normalization = normalization
        self.subtractsDecoderBias = subtractsDecoderBias
        self.encoder = encoder
        self.encoderBias = encoderBias
        self.decoder = decoder
        self.decoderBias = decoderBias
        self.threshold = activation == .jumpReLU ? threshold : nil
        self.info = info
    }

    /// k for TopK SAEs, nil otherwise.
    public var k: Int? {
        if case .topK(let k) = activation { return k }
        return nil
    }

    /// Throws unless the SAE reads activations of width `dModel` (the model's d_model).
    public func checkFits(modelWidth dModel: Int, modelName: String) throws {
        guard dModel == inputWidth else {
            throw SAEError.modelMismatch(path: info.path,
                                         reason: "the SAE reads \(inputWidth)-wide activations but \(modelName) has d_model \(dModel)")
        }
    }
}

/// An error loading or using an SAE: one sentence naming the file and what is wrong.
public enum SAEError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path is none of the formats saescope reads.
    case unknownFormat(path: String, reason: String)
    case missingTensor(path: String, tensor: String)
    case badShape(path: String, tensor: String, reason: String)
    case badConfig(path: String, reason: String)
    case unsupported(path: String, reason: String)
    case modelMismatch(path: String, reason: String)
    case badInput(String)

    public var description: String {
        switch self {
        case .unknownFormat(let path, let reason): return "\(path): not an SAE saescope can read: \(reason)"
        case .missingTensor(let path, let tensor): return "\(path): the SAE has no tensor '\(tensor)'"
        case .badShape(let path, let tensor, let reason): return "\(path): SAE tensor '\(tensor)' \(reason)"
        case .badConfig(let path, let reason): return "\(path): bad SAE configuration: \(reason)"
        case .unsupported(let path, let reason): return "\(path): unsupported SAE: \(reason)"
        case .modelMismatch(let path, let reason): return "\(path): SAE does not fit the model: \(reason)"
        case .badInput(let why): return "bad SAE input: \(why)"
        }
    }
}
