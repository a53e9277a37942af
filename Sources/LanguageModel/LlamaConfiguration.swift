import Foundation
import Tensors

/// The shape of a Llama-family model (Llama 2/3, SmolLM2, …), as GGUF metadata gives it under
/// `llama.*`. Values are checked when made: an invalid one throws naming its GGUF key.
public struct LlamaConfiguration: Sendable, Equatable {
    /// Decoder blocks (L).
    public let layerCount: Int
    /// Residual stream width (C).
    public let dModel: Int
    /// Feed-forward hidden width (F).
    public let feedForwardLength: Int
    /// Query heads (H).
    public let headCount: Int
    /// Key/value heads (G); H is a multiple of G (grouped-query attention).
    public let kvHeadCount: Int
    /// Rotary embedding base (θ).
    public let ropeBase: Double
    /// RMSNorm's ε.
    public let rmsEpsilon: Float
    /// The longest sequence the model was trained for; longer inputs are refused.
    public let contextLength: Int
    /// Vocabulary size (V).
    public let vocabularySize: Int

    /// The GGUF metadata keys, without the `llama.` prefix: Swift names kept apart from the file's.
    public enum Key: String, CaseIterable, Sendable {
        case layerCount = "block_count"
        case dModel = "embedding_length"
        case feedForwardLength = "feed_forward_length"
        case headCount = "attention.head_count"
        case kvHeadCount = "attention.head_count_kv"
        case ropeBase = "rope.freq_base"
        case rmsEpsilon = "attention.layer_norm_rms_epsilon"
        case contextLength = "context_length"
        case vocabularySize = "vocab_size"
        case ropeDimensionCount = "rope.dimension_count"

        /// The full key in a GGUF file of architecture "llama".
        public var gguf: String { "llama." + rawValue }
    }

    /// Head dimension (D).
    public var headDim: Int { dModel / headCount }
    /// Width of the key and value projections (G · D).
    public var kvDim: Int { kvHeadCount * headDim }
    /// Query heads per key/value head (H / G).
    public var groupSize: Int { headCount / kvHeadCount }
    /// Attention logits are scaled by 1 / √D.
    public var attentionScale: Float { Float(1 / Double(headDim).squareRoot()) }

    /// Makes a configuration and checks it; `source` names the file in errors.
    public init(layerCount: Int, dModel: Int, feedForwardLength: Int, headCount: Int, kvHeadCount: Int,
                ropeBase: Double, rmsEpsilon: Float, contextLength: Int, vocabularySize: Int,
                source: String = "configuration") throws {
        func check(_ ok: Bool, _ key: Key, _ why: String) throws {
            if !ok { throw ModelError.unsupported(file: source, reason: "\(key.gguf) \(why)") }
        }
        try check(layerCount > 0, .layerCount, "is \(layerCount); it must be at least 1")
        try check(dModel > 0, .dModel, "is \(dModel); it must be at least 1")
        try check(feedForwardLength > 0, .feedForwardLength, "is \(feedForwardLength); it must be at least 1")
        try check(headCount > 0, .headCount, "is \(headCount); it must be at least 1")
        try check(dModel % headCount == 0, .headCount, "is \(headCount), which does not divide the embedding length \(dModel)")
        try check((dModel / headCount) % 2 == 0, .headCount,
                  "is \(headCount), giving an odd head dimension \(dModel / headCount); rotary embedding needs an even one")
        try check(kvHeadCount > 0 && headCount % kvHeadCount == 0, .kvHeadCount,
                  "is \(kvHeadCount); it must divide the head count \(headCount)")
        try check(ropeBase.isFinite && ropeBase > 1, .ropeBase, "is \(ropeBase); it must be a finite number above 1")
        try check(rmsEpsilon.isFinite && rmsEpsilon > 0, .rmsEpsilon, "is \(rmsEpsilon); it must be a small positive number")
        try check(contextLength > 0 && contextLength <= 1 << 20, .contextLength, "is \(contextLength); it must be 1 to 1048576")
        try check(vocabularySize > 0, .vocabularySize, "is \(vocabularySize); it must be at least 1")
        self.layerCount = layerCount
        self.dModel = dModel
        self.feedForwardLength = feedForwardLength
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.ropeBase = ropeBase
        self.rmsEpsilon = rmsEpsilon
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
    }

    /// Reads `llama.*` metadata. A missing `vocab_size` falls back to the tokenizer's token
    /// count; head_count_kv defaults to head_count (no grouping), as llama.cpp does.
    public init(gguf: GGUFFile) throws {
        let source = gguf.file.name
        func int(_ key: Key) throws -> Int { try gguf.int(key.gguf) }
        let headCount = try int(.headCount)
        let dModel = try int(.dModel)
        let vocabularySize: Int
        if gguf[Key.vocabularySize.gguf] != nil {
            vocabularySize = try int(.vocabularySize)
        } else {
            vocabularySize = try gguf.strings("tokenizer.ggml.tokens").count
        }
        if gguf[Key.ropeDimensionCount.gguf] != nil, headCount > 0 {
            let rotated = try int(.ropeDimensionCount)
            guard rotated == dModel / headCount else {
                throw ModelError.unsupported(file: source, reason: "\(Key.ropeDimensionCount.gguf) is \(rotated) but heads have "
                                             + "\(dModel / headCount) dimensions; partial rotary embedding is not supported")
            }
        }
        try self.init(layerCount: try int(.layerCount), dModel: dModel, feedForwardLength: try int(.feedForwardLength),
                      headCount: headCount,
                      kvHeadCount: gguf[Key.kvHeadCount.gguf] == nil ? headCount : try int(.kvHeadCount),
                      ropeBase: gguf[Key.ropeBase.gguf] == nil ? 10_000 : try gguf.double(Key.ropeBase.gguf),
                      rmsEpsilon: Float(try gguf.double(Key.rmsEpsilon.gguf)), contextLength: try int(.contextLength),
                      vocabularySize: vocabularySize, source: source)
    }
}
