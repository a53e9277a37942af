import Foundation

/// GPT-2's hyperparameters, read from a Hugging Face `config.json` under the checkpoint's own
/// names. Unknown keys (dropout rates, summary heads, token ids) are ignored; the sizes must be
/// there and make sense, or loading throws naming the field.
public struct GPT2Configuration: Codable, Sendable, Equatable {
    /// Channels of the residual stream (C).
    public var dModel: Int
    /// Transformer blocks (L).
    public var layerCount: Int
    /// Attention heads per block (H); C must be a multiple of H.
    public var headCount: Int
    /// Learned positions, so the longest sequence the model takes.
    public var contextLength: Int
    /// Vocabulary size (V).
    public var vocabularySize: Int
    /// LayerNorm's epsilon.
    public var layerNormEpsilon: Float
    /// "gelu_new" or "gelu_pytorch_tanh" (the same function: GELU with the tanh approximation).
    public var activation: String
    /// The MLP's hidden width; null in config.json means 4 · C.
    public var innerSize: Int?
    /// Divide attention scores by sqrt(D) (true unless a config says otherwise).
    public var scaleAttentionWeights: Bool?
    /// Divide attention scores further by layer index + 1 (Mistral's stabilised GPT-2s).
    public var scaleAttentionByInverseLayerIndex: Bool?

    enum CodingKeys: String, CodingKey {
        case dModel = "n_embd"
        case layerCount = "n_layer"
        case headCount = "n_head"
        case contextLength = "n_positions"
        case vocabularySize = "vocab_size"
        case layerNormEpsilon = "layer_norm_epsilon"
        case activation = "activation_function"
        case innerSize = "n_inner"
        case scaleAttentionWeights = "scale_attn_weights"
        case scaleAttentionByInverseLayerIndex = "scale_attn_by_inverse_layer_idx"
    }

    /// The activation names that mean GELU with the tanh approximation in transformers.
    public static let supportedActivations: Set<String> = ["gelu_new", "gelu_pytorch_tanh"]

    public init(dModel: Int, layerCount: Int, headCount: Int, contextLength: Int, vocabularySize: Int,
                layerNormEpsilon: Float = 1e-5, activation: String = "gelu_new", innerSize: Int? = nil) {
        self.dModel = dModel
        self.layerCount = layerCount
        self.headCount = headCount
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
        self.layerNormEpsilon = layerNormEpsilon
        self.activation = activation
        self.innerSize = innerSize
    }

    /// Channels per head (D = C / H).
    public var headDim: Int { dModel / max(headCount, 1) }
    /// The MLP's hidden width (I).
    public var mlpSize: Int { innerSize ?? 4 * dModel }

    /// The factor attention scores are multiplied by in block `layer`.
    public func attentionScale(layer: Int) -> Float {
        var scale: Float = scaleAttentionWeights ?? true ? 1 / Float(headDim).squareRoot() : 1
        if scaleAttentionByInverseLayerIndex ?? false { scale /= Float(layer + 1) }
        return scale
    }

    /// Reads and checks `config.json`; errors name the file and the field.
    public static func load(from url: URL) throws -> GPT2Configuration {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelError.unsupported(file: url.path, reason: "cannot be read (\(error.localizedDescription))")
        }
        let configuration: GPT2Configuration
        do {
            configuration = try JSONDecoder().decode(GPT2Configuration.self, from: data)
        } catch let error as DecodingError {
            throw ModelError.unsupported(file: url.path, reason: Self.sentence(for: error))
        }
        try configuration.validate(file: url.path)
        return configuration
    }

    /// Throws, naming the field, when a value is out of range or not supported.
    public func validate(file: String) throws {
        func bad(_ field: CodingKeys, _ why: String) -> ModelError {
            .unsupported(file: file, reason: "field '\(field.rawValue)' \(why)")
        }
        for (field, value) in [(CodingKeys.dModel, dModel), (.layerCount, layerCount), (.headCount, headCount),
                               (.contextLength, contextLength), (.vocabularySize, vocabularySize)] where value <= 0 {
            throw bad(field, "is \(value); it must be positive")
        }
        if let innerSize, innerSize <= 0 { throw bad(.innerSize, "is \(innerSize); it must be positive or null") }
        guard dModel % headCount == 0 else {
            throw bad(.dModel, "is \(dModel), not a multiple of n_head (\(headCount))")
        }
        guard layerNormEpsilon.isFinite, layerNormEpsilon > 0 else {
            throw bad(.layerNormEpsilon, "is \(layerNormEpsilon); it must be a small positive number")
        }
        guard Self.supportedActivations.contains(activation) else {
            throw bad(.activation, "is '\(activation)'; saescope runs GPT-2 with \(Self.supportedActivations.sorted().joined(separator: " or ")) (GELU, tanh approximation)")
        }
    }

    /// One sentence for a decoding failure, naming the field.
    static func sentence(for error: DecodingError) -> String {
        func field(_ context: DecodingError.Context) -> String {
            context.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, _):
            return "has no field '\(key.stringValue)', which a GPT-2 config.json needs"
        case .valueNotFound(_, let context):
            return "field '\(field(context))' is null; it needs a value"
        case .typeMismatch(let type, let context):
            return "field '\(field(context))' is not a \(type == String.self ? "string" : type == Bool.self ? "boolean" : "number of the right kind")"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "is not valid JSON" : "field '\(field(context))' is malformed"
        @unknown default:
            return "cannot be decoded (\(error))"
        }
    }
}
