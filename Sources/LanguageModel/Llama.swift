import Foundation
import Kernels
import Tensors

// Llama in float32 on CPU: RMSNorm, rotary embedding, grouped-query attention, SwiGLU.
// Legend: T tokens, C = d_model, F feed-forward width, H query heads, G key/value heads,
// D head dimension, V vocabulary. Matrices are row-major; weights (out, in) as GGUF stores them.
//
// Rotary layout: llama.cpp's converter permutes the rows of attn_q/attn_k so that each head's
// rotated pairs are adjacent, (x[2i], x[2i+1]); Hugging Face rotates halves, (x[i], x[i+D/2]).
// Using the GGUF weights unchanged with `.interleaved` is the same function as HF's weights with
// `.halves` (the golden tests against transformers check it; `.halves` here fails them).

/// A Llama-architecture model loaded from GGUF, weights dequantised to float32 once at load.
/// Immutable after `init`; each `forward` allocates its own workspace, so concurrent passes
/// are safe (BLAS's thread count is process-wide: `BLASRuntime.setThreads`).
public final class LlamaModel: LanguageModel, @unchecked Sendable {
    public let configuration: LlamaConfiguration
    public var architecture: String { "llama" }
    public var dModel: Int { configuration.dModel }
    public var layerCount: Int { configuration.layerCount }
    public var vocabularySize: Int { configuration.vocabularySize }
    public var contextLength: Int { configuration.contextLength }
    /// Whether the unembedding is the token embedding (no `output.weight` in the file).
    public let tiedEmbeddings: Bool

    private let weights: LlamaWeights
    private let rotary: RotaryEmbedding

    /// Reads the configuration and every tensor of a GGUF file of architecture "llama".
    public init(gguf: GGUFFile) throws {
        let architecture = try gguf.string("general.architecture")
        guard architecture == "llama" else {
            throw ModelError.unsupported(file: gguf.file.name, reason: "general.architecture is '\(architecture)', not 'llama'")
        }
        configuration = try LlamaConfiguration(gguf: gguf)
        weights = try LlamaWeights(gguf: gguf, configuration: configuration)
        tiedEmbeddings = weights.tied
        rotary = RotaryEmbedding(headDim: configuration.headDim, base: configuration.ropeBase,
                                 maxPositions: configuration.contextLength, layout: .interleaved)
    }

    /// Opens and loads a `.gguf` file.
    public convenience init(path: String) throws {
        try self.init(gguf: try GGUFFile(path: path))
    }

    public func forward(_ tokens: [Int], hooks: Set<HookPoint>, logits: Bool) throws -> ForwardResult {
        try validate(tokens, hooks: hooks)
        var result = ForwardResult(activations: [:], logits: nil)
        guard logits || !hooks.isEmpty else { return result }
        let c = configuration, t = tokens.count
        let deepest = hooks.max()
        let ws = LlamaWorkspace(c, tokens: t)
        /// Keeps x (T, C) if `point` is hooked; true when the pass can stop here.
        func record(_ x: UnsafePointer<Float>, _ layer: Int, _ site: HookPoint.Site) -> Bool {
            let point = HookPoint(layer: layer, site: site)
            if hooks.contains(point) { result.activations[point] = Array(UnsafeBufferPointer(start: x, count: t * c.dModel)) }
            return !logits && point == deepest
        }

        weights.embed(tokens, into: ws.x)                                      // x (T, C)
        for (l, block) in weights.blocks.enumerated() {
            if record(ws.x, l, .residPre) { return result }
            block.attention(ws.x, into: ws.delta, t: t, c, rotary, ws)         // delta (T, C)
            if record(ws.delta, l, .attnOut) { return result }
            add(ws.delta, into: ws.x, count: t * c.dModel)                     // x (T, C) += attention
            if record(ws.x, l, .residMid) { return result }
            block.mlp(ws.x, into: ws.delta, t: t, c, ws)                       // delta (T, C)
            if record(ws.delta, l, .mlpOut) { return result }
            add(ws.delta, into: ws.x, count: t * c.dModel)                     // x (T, C) += MLP
            if record(ws.x, l, .residPost) { return result }
        }
        rmsNorm(ws.x, ws.xn, t: t, c: c.dModel, weight: weights.finalNorm, eps: c.rmsEpsilon)  // xn (T, C)
        result.logits = [Float](unsafeUninitializedCapacity: t * c.vocabularySize) { buffer, initialized in
            guard let out = buffer.baseAddress else { return }
            linear(ws.xn, weights.unembedding, out, m: t, n: c.vocabularySize, k: c.dModel)  // logits (T, V)
            initialized = t * c.vocabularySize
        }
        return result
    }
}

/// x (N) += delta (N).
@inline(__always)
func add(_ delta: UnsafePointer<Float>, into x: UnsafeMutablePointer<Float>, count n: Int) {
    for i in 0..<n { x[i] += delta[i] }
}

/// Self-attention of one block, pre-norm: out = Wo · attention(rotary(Wq·n), rotary(Wk·n), Wv·n),
/// n = RMSNorm(x).
struct LlamaAttention {
    let norm: UnsafePointer<Float>  // (C)
    let wq: UnsafePointer<Float>    // (H·D, C)
    let wk: UnsafePointer<Float>    // (G·D, C)
    let wv: UnsafePointer<Float>    // (G·D, C)
    let wo: UnsafePointer<Float>    // (C, H·D)

    /// x (T, C) → out (T, C); uses ws.xn, q, k, v, heads, scores.
    func callAsFunction(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, t: Int,
                        _ c: LlamaConfiguration, _ rotary: RotaryEmbedding, _ ws: LlamaWorkspace) {
        rmsNorm(x, ws.xn, t: t, c: c.dModel, weight: norm, eps: c.rmsEpsilon)       // xn (T, C)
        linear(ws.xn, wq, ws.q, m: t, n: c.dModel, k: c.dModel)                     // q (T, H, D)
        linear(ws.xn, wk, ws.k, m: t, n: c.kvDim, k: c.dModel)                      // k (T, G, D)
        linear(ws.xn, wv, ws.v, m: t, n: c.kvDim, k: c.dModel)                      // v (T, G, D)
        rotary.apply(ws.q, t: t, heads: c.headCount)                                // q (T, H, D) rotated
        rotary.apply(ws.k, t: t, heads: c.kvHeadCount)                              // k (T, G, D) rotated
        causalAttention(q: ws.q, k: ws.k, v: ws.v, out: ws.heads, scratch: ws.scores, t: t,
                        heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDim,
                        scale: c.attentionScale)                                    // heads (T, H, D)
        linear(ws.heads, wo, out, m: t, n: c.dModel, k: c.dModel)                   // out (T, C)
    }
}

/// The feed-forward part of one block, pre-norm: out = Wdown · (silu(Wgate·n) ⊙ Wup·n), n = RMSNorm(x).
struct LlamaMLP {
    let norm: UnsafePointer<Float>  // (C)
    let gate: UnsafePointer<Float>  // (F, C)
    let up: UnsafePointer<Float>    // (F, C)
    let down: UnsafePointer<Float>  // (C, F)

    /// x (T, C) → out (T, C); uses ws.xn, gate, up.
    func callAsFunction(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, t: Int,
                        _ c: LlamaConfiguration, _ ws: LlamaWorkspace) {
        let f = c.feedForwardLength
        rmsNorm(x, ws.xn, t: t, c: c.dModel, weight: norm, eps: c.rmsEpsilon)       // xn (T, C)
        linear(ws.xn, gate, ws.gate, m: t, n: f, k: c.dModel)                       // gate (T, F)
        linear(ws.xn, up, ws.up, m: t, n: f, k: c.dModel)                           // up (T, F)
        swiGLU(gate: ws.gate, up: ws.up, count: t * f)                              // gate (T, F) = silu(gate) · up
        linear(ws.gate, down, out, m: t, n: c.dModel, k: f)                         // out (T, C)
    }
}

/// One decoder block: x += attention(x); x += mlp(x).
struct LlamaBlock {
    let attention: LlamaAttention
    let mlp: LlamaMLP
}

/// Buffers for one forward pass over T tokens, allocated once (one allocation) before the
/// layer loop and reused by every layer.
final class LlamaWorkspace {
    let x, xn, delta, q, k, v, heads, gate, up, scores: UnsafeMutablePointer<Float>
    private let storage: UnsafeMutablePointer<Float>

    init(_ c: LlamaConfiguration, tokens t: Int) {
        let sizes = [t * c.dModel, t * c.dModel, t * c.dModel, t * c.dModel, t * c.kvDim, t * c.kvDim, t * c.dModel,
                     t * c.feedForwardLength, t * c.feedForwardLength, t * t]
        storage = .allocate(capacity: sizes.reduce(0, +))
        var offsets: [Int] = [], next = 0
        for size in sizes {
            offsets.append(next)
            next += size
        }
        (x, xn, delta, q, k, v) = (storage + offsets[0], storage + offsets[1], storage + offsets[2], storage + offsets[3],
                                   storage + offsets[4], storage + offsets[5])
        (heads, gate, up, scores) = (storage + offsets[6], storage + offsets[7], storage + offsets[8], storage + offsets[9])
    }

    deinit { storage.deallocate() }
}
