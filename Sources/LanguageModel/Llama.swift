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

/// A Llama-architecture model loaded from GGUF, weights dequantised once at load (to float32;
/// in bfloat16 the linear layers and the unembedding are also packed for AMX, `LlamaWeights`).
/// Immutable after `init`; each `forward` allocates its own workspace, so concurrent passes
/// are safe (BLAS's thread count is process-wide: `BLASRuntime.setThreads`).
public final class LlamaModel: LanguageModel, @unchecked Sendable {
    public let configuration: LlamaConfiguration
    public var architecture: String { "llama" }
    public var dModel: Int { configuration.dModel }
    public var layerCount: Int { configuration.layerCount }
    public var vocabularySize: Int { configuration.vocabularySize }
    public var contextLength: Int { configuration.contextLength }
    public var precision: MatmulPrecision { weights.linears.precision }
    /// Whether the unembedding is the token embedding (no `output.weight` in the file).
    public let tiedEmbeddings: Bool

    private let weights: LlamaWeights
    private let rotary: RotaryEmbedding

    /// Reads the configuration and every tensor of a GGUF file of architecture "llama"; the
    /// linear layers multiply in `precision`.
    public init(gguf: GGUFFile, precision: MatmulPrecision = .float32) throws {
        let architecture = try gguf.string("general.architecture")
        guard architecture == "llama" else {
            throw ModelError.unsupported(file: gguf.file.name, reason: "general.architecture is '\(architecture)', not 'llama'")
        }
        configuration = try LlamaConfiguration(gguf: gguf)
        weights = try LlamaWeights(gguf: gguf, configuration: configuration, precision: precision)
        tiedEmbeddings = weights.tied
        rotary = RotaryEmbedding(headDim: configuration.headDim, base: configuration.ropeBase,
                                 maxPositions: configuration.contextLength, layout: .interleaved)
    }

    /// Opens and loads a `.gguf` file.
    public convenience init(path: String, precision: MatmulPrecision = .float32) throws {
        try self.init(gguf: try GGUFFile(path: path), precision: precision)
    }

    public func withUnembedding<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: weights.unembedding, count: configuration.vocabularySize * configuration.dModel))
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
            linear(ws.xn, weights.unembeddingLinear, out, m: t)                         // logits (T, V)
            initialized = t * c.vocabularySize
        }
        return result
    }
}


/// Self-attention of one block, pre-norm: out = Wo · attention(rotary(Wq·n), rotary(Wk·n), Wv·n),
/// n = RMSNorm(x). Wq, Wk and Wv are stacked into one matrix so one product reads n once.
struct LlamaAttention {
    let norm: UnsafePointer<Float>  // (C)
    let wqkv: LinearWeight          // (H·D + 2·G·D, C): Wq (H·D, C), then Wk (G·D, C), then Wv (G·D, C)
    let wo: LinearWeight            // (C, H·D)

    /// x (T, C) → out (T, C); uses ws.xn, qkv, q, k, v, heads.
    func callAsFunction(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, t: Int,
                        _ c: LlamaConfiguration, _ rotary: RotaryEmbedding, _ ws: LlamaWorkspace) {
        let (d, kv) = (c.dModel, c.kvDim)
        rmsNorm(x, ws.xn, t: t, c: d, weight: norm, eps: c.rmsEpsilon)              // xn (T, C)
        linear(ws.xn, wqkv, ws.qkv, m: t)                                           // qkv (T, H·D + 2·G·D)
        split(ws.qkv, rows: t, q: ws.q, d, k: ws.k, v: ws.v, kv)                     // q (T, H, D), k, v (T, G, D)
        rotary.apply(ws.q, t: t, heads: c.headCount)                                // q rotated
        rotary.apply(ws.k, t: t, heads: c.kvHeadCount)                              // k rotated
        causalAttention(q: ws.q, k: ws.k, v: ws.v, out: ws.heads, t: t,
                        heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDim,
                        scale: c.attentionScale)                                    // heads (T, H, D)
        linear(ws.heads, wo, out, m: t)                                             // out (T, C)
    }
}

/// The feed-forward part of one block, pre-norm: out = Wdown · (silu(Wgate·n) ⊙ Wup·n), n = RMSNorm(x).
/// Wgate and Wup are stacked into one matrix so one product reads n once.
struct LlamaMLP {
    let norm: UnsafePointer<Float>    // (C)
    let gateUp: LinearWeight          // (2F, C): Wgate (F, C), then Wup (F, C)
    let down: LinearWeight            // (C, F)

    /// x (T, C) → out (T, C); uses ws.xn, gateUp, hidden.
    func callAsFunction(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, t: Int,
                        _ c: LlamaConfiguration, _ ws: LlamaWorkspace) {
        let (d, f) = (c.dModel, c.feedForwardLength)
        rmsNorm(x, ws.xn, t: t, c: d, weight: norm, eps: c.rmsEpsilon)              // xn (T, C)
        linear(ws.xn, gateUp, ws.gateUp, m: t)                                      // gateUp (T, 2F)
        let parts = partsFor(work: t * f * 16, limit: t)                           // hidden (T, F) = silu(gate) · up
        let (gateUp, hidden) = (SharedPointer(ws.gateUp), SharedPointer(ws.hidden))
        parallel(parts) { p in
            for row in (t * p / parts)..<(t * (p + 1) / parts) {
                let gate = gateUp.base + row * 2 * f
                swiGLU(gate: gate, up: gate + f, into: hidden.base + row * f, count: f)
            }
        }
        linear(ws.hidden, down, out, m: t)                                          // out (T, C)
    }
}

/// Splits qkv (T, A + B + B) into q (T, A), k (T, B) and v (T, B).
func split(_ qkv: UnsafePointer<Float>, rows: Int, q: UnsafeMutablePointer<Float>, _ a: Int,
           k: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, _ b: Int) {
    let width = a + 2 * b
    for row in 0..<rows {
        let packed = qkv + row * width
        (q + row * a).update(from: packed, count: a)
        (k + row * b).update(from: packed + a, count: b)
        (v + row * b).update(from: packed + a + b, count: b)
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
    let x, xn, delta, qkv, q, k, v, heads, gateUp, hidden: UnsafeMutablePointer<Float>
    private let storage: UnsafeMutablePointer<Float>

    init(_ c: LlamaConfiguration, tokens t: Int) {
        let (d, kv, f) = (c.dModel, c.kvDim, c.feedForwardLength)
        let sizes = [t * d, t * d, t * d, t * (d + 2 * kv), t * d, t * kv, t * kv, t * d, t * 2 * f, t * f]
        storage = .allocate(capacity: sizes.reduce(0, +))
        var parts: [UnsafeMutablePointer<Float>] = [], next = storage
        for size in sizes {
            parts.append(next)
            next += size
        }
        (x, xn, delta, qkv, q, k) = (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
        (v, heads, gateUp, hidden) = (parts[6], parts[7], parts[8], parts[9])
    }

    deinit { storage.deallocate() }
}
