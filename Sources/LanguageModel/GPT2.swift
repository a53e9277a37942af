import Foundation
import Kernels
import Tensors

// GPT-2 (Radford et al. 2019) as Hugging Face stores it: learned positions, pre-LayerNorm
// blocks, fused q/k/v projection, GELU (tanh) MLP, final LayerNorm, unembedding tied to the
// token embedding. Checked against transformers at every hook by GPT2GoldenTests.
// Legend: T tokens, C channels (n_embd), H heads, D = C / H, I MLP width (4C), V vocabulary,
// P positions. Matrices are row-major; Conv1D weights are stored [in, out], so they go through
// `matmul` as they are, with no transpose.

/// One GPT-2 block's weights, as stored: c_attn stays fused (one GEMM), its output rows split into q, k, v.
struct GPT2Block: Sendable {
    let ln1Weight, ln1Bias: GPT2Parameter            // (C)
    let qkv: GPT2Parameter                           // c_attn (C, 3C) [in, out]: q | k | v columns
    let qkvBias: GPT2Parameter                       // (3C)
    let attnProj: GPT2Parameter                      // (C, C) [in, out]
    let attnProjBias: GPT2Parameter                  // (C)
    let ln2Weight, ln2Bias: GPT2Parameter            // (C)
    let fc: GPT2Parameter                            // (C, I) [in, out]
    let fcBias: GPT2Parameter                        // (I)
    let mlpProj: GPT2Parameter                       // (I, C) [in, out]
    let mlpProjBias: GPT2Parameter                   // (C)

    /// Block `layer`'s tensors (`h.{layer}.…`), shape-checked against the configuration.
    init(layer: Int, from checkpoint: GPT2Checkpoint, _ config: GPT2Configuration) throws {
        let c = config.dModel, i = config.mlpSize, prefix = "h.\(layer)."
        ln1Weight = try checkpoint.parameter(prefix + "ln_1.weight", shape: [c])
        ln1Bias = try checkpoint.parameter(prefix + "ln_1.bias", shape: [c])
        qkv = try checkpoint.parameter(prefix + "attn.c_attn.weight", shape: [c, 3 * c])
        qkvBias = try checkpoint.parameter(prefix + "attn.c_attn.bias", shape: [3 * c])
        attnProj = try checkpoint.parameter(prefix + "attn.c_proj.weight", shape: [c, c])
        attnProjBias = try checkpoint.parameter(prefix + "attn.c_proj.bias", shape: [c])
        ln2Weight = try checkpoint.parameter(prefix + "ln_2.weight", shape: [c])
        ln2Bias = try checkpoint.parameter(prefix + "ln_2.bias", shape: [c])
        fc = try checkpoint.parameter(prefix + "mlp.c_fc.weight", shape: [c, i])
        fcBias = try checkpoint.parameter(prefix + "mlp.c_fc.bias", shape: [i])
        mlpProj = try checkpoint.parameter(prefix + "mlp.c_proj.weight", shape: [i, c])
        mlpProjBias = try checkpoint.parameter(prefix + "mlp.c_proj.bias", shape: [c])
    }

    /// Runs the block on the residual stream `s.x` (T, C) in place. `hook` sees each site's
    /// values as they are made and returns false to stop the pass there; so does this.
    func forward(_ s: GPT2Buffers, _ config: GPT2Configuration, scale: Float,
                 hook: (HookPoint.Site, UnsafePointer<Float>) -> Bool) -> Bool {
        let t = s.tokens, c = config.dModel, i = config.mlpSize, h = config.headCount, eps = config.layerNormEpsilon
        guard hook(.residPre, s.x) else { return false }                                        // resid_pre (T, C)
        layerNorm(s.x, s.normed, t: t, c: c, weight: ln1Weight.pointer, bias: ln1Bias.pointer, eps: eps) // (T, C)
        matmul(s.normed, qkv.pointer, s.qkv, m: t, n: 3 * c, k: c)                               // (T, 3C)
        addBias(s.qkv, qkvBias.pointer, m: t, n: 3 * c)
        split(s.qkv, into: s.q, s.k, s.v, t: t, c: c)                                           // q, k, v (T, H, D)
        causalAttention(q: s.q, k: s.k, v: s.v, out: s.heads,
                        t: t, heads: h, kvHeads: h, headDim: config.headDim, scale: scale)      // (T, H, D)
        matmul(s.heads, attnProj.pointer, s.delta, m: t, n: c, k: c)                            // attn_out (T, C)
        addBias(s.delta, attnProjBias.pointer, m: t, n: c)
        guard hook(.attnOut, s.delta) else { return false }
        add(s.delta, into: s.x, count: t * c)                                                   // resid_mid (T, C)
        guard hook(.residMid, s.x) else { return false }
        layerNorm(s.x, s.normed, t: t, c: c, weight: ln2Weight.pointer, bias: ln2Bias.pointer, eps: eps) // (T, C)
        matmul(s.normed, fc.pointer, s.hidden, m: t, n: i, k: c)                                // (T, I)
        addBias(s.hidden, fcBias.pointer, m: t, n: i)
        geluTanh(s.hidden, count: t * i)                                                        // (T, I)
        matmul(s.hidden, mlpProj.pointer, s.delta, m: t, n: c, k: i)                            // mlp_out (T, C)
        addBias(s.delta, mlpProjBias.pointer, m: t, n: c)
        guard hook(.mlpOut, s.delta) else { return false }
        add(s.delta, into: s.x, count: t * c)                                                   // resid_post (T, C)
        return hook(.residPost, s.x)
    }
}

/// The working memory of one pass over T tokens, freed when the pass ends.
final class GPT2Buffers {
    let tokens: Int
    let x, normed, q, k, v, heads, delta: UnsafeMutablePointer<Float> // (T, C) each
    let qkv: UnsafeMutablePointer<Float>                              // (T, 3C)
    let hidden: UnsafeMutablePointer<Float>                           // (T, I)

    init(tokens t: Int, _ config: GPT2Configuration) {
        tokens = t
        func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
            p.initialize(repeating: 0, count: count)
            return p
        }
        let c = config.dModel
        (x, normed, q, k, v, heads, delta) = (buffer(t * c), buffer(t * c), buffer(t * c), buffer(t * c),
                                              buffer(t * c), buffer(t * c), buffer(t * c))
        qkv = buffer(t * 3 * c)
        hidden = buffer(t * config.mlpSize)
    }

    deinit {
        for p in [x, normed, q, k, v, heads, delta, qkv, hidden] { p.deallocate() }
    }
}

/// Splits each row of qkv (T, 3C) into q, k and v (T, C) each. One GEMM for all three and a copy
/// is faster than three GEMMs (2.9 ms against 4.6 ms for T = 128, C = 768 on 2 cores).
private func split(_ qkv: UnsafePointer<Float>, into q: UnsafeMutablePointer<Float>, _ k: UnsafeMutablePointer<Float>,
                   _ v: UnsafeMutablePointer<Float>, t: Int, c: Int) {
    for row in 0..<t {
        let source = qkv + row * 3 * c
        (q + row * c).update(from: source, count: c)
        (k + row * c).update(from: source + c, count: c)
        (v + row * c).update(from: source + 2 * c, count: c)
    }
}


/// GPT-2 loaded from a Hugging Face folder (`config.json` + `model.safetensors`; F32, F16 or
/// BF16 weights, converted to Float once).
public struct GPT2Model: LanguageModel {
    public let configuration: GPT2Configuration
    let tokenEmbedding: GPT2Parameter               // wte (V, C)
    let positionEmbedding: GPT2Parameter            // wpe (P, C)
    let blocks: [GPT2Block]
    let finalNormWeight, finalNormBias: GPT2Parameter // ln_f (C)
    let unembedding: GPT2Parameter                  // lm_head (V, C) [out, in]; wte itself when tied

    public var architecture: String { "gpt2" }
    public var dModel: Int { configuration.dModel }
    public var layerCount: Int { configuration.layerCount }
    public var vocabularySize: Int { configuration.vocabularySize }
    public var contextLength: Int { configuration.contextLength }

    /// Loads `folder/config.json` and `folder/model.safetensors`.
    public init(folder: URL) throws {
        let configuration = try GPT2Configuration.load(from: folder.appendingPathComponent("config.json"))
        let weights = folder.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: weights.path) else {
            throw ModelError.unsupported(file: weights.path, reason: "not found; saescope reads GPT-2 weights from a single model.safetensors (save with safe_serialization=True)")
        }
        try self.init(configuration: configuration, weights: SafetensorsFile(path: weights.path))
    }

    /// The sanitize step: takes the checkpoint's tensors by their names, checks every shape
    /// against `configuration`, splits c_attn, and ties the unembedding to wte when the file
    /// has no `lm_head.weight`.
    public init(configuration: GPT2Configuration, weights: SafetensorsFile) throws {
        try configuration.validate(file: "config.json")
        let checkpoint = GPT2Checkpoint(file: weights)
        let c = configuration.dModel, v = configuration.vocabularySize
        self.configuration = configuration
        tokenEmbedding = try checkpoint.parameter("wte.weight", shape: [v, c])
        positionEmbedding = try checkpoint.parameter("wpe.weight", shape: [configuration.contextLength, c])
        blocks = try (0..<configuration.layerCount).map { try GPT2Block(layer: $0, from: checkpoint, configuration) }
        finalNormWeight = try checkpoint.parameter("ln_f.weight", shape: [c])
        finalNormBias = try checkpoint.parameter("ln_f.bias", shape: [c])
        // lm_head is never prefixed with `transformer.`: it sits beside the transformer.
        if let head = try? weights.tensor("lm_head.weight") {
            guard head.shape == [v, c] else {
                throw ModelError.badWeights(file: checkpoint.path, tensor: head.name,
                                            reason: "has shape \(head.shape) but config.json implies \([v, c])")
            }
            unembedding = try GPT2Parameter(shape: [v, c]) { try head.dequantize(into: $0) }
        } else {
            unembedding = tokenEmbedding
        }
    }

    public func forward(_ tokens: [Int], hooks: Set<HookPoint>, logits wantLogits: Bool) throws -> ForwardResult {
        try forward(tokens, hooks: hooks, logits: wantLogits, visit: { _ in })
    }

    public func withUnembedding<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: unembedding.pointer, count: vocabularySize * dModel))
    }

    /// `forward`, telling `visit` each hook point the pass reaches (tests check where it stops).
    func forward(_ tokens: [Int], hooks: Set<HookPoint>, logits wantLogits: Bool,
                 visit: (HookPoint) -> Void) throws -> ForwardResult {
        try validate(tokens, hooks: hooks)
        // Logits need every layer; otherwise the pass ends at the deepest hook asked for.
        let last = HookPoint(layer: layerCount - 1, site: .residPost)
        guard let deepest = wantLogits ? last : hooks.max() else { return ForwardResult(activations: [:], logits: nil) }
        let t = tokens.count, c = dModel
        let s = GPT2Buffers(tokens: t, configuration)
        var activations: [HookPoint: [Float]] = [:]

        for (position, token) in tokens.enumerated() {                                 // x (T, C) = wte[token] + wpe[position]
            let row = s.x + position * c
            let word = tokenEmbedding.pointer + token * c, place = positionEmbedding.pointer + position * c
            for j in 0..<c { row[j] = word[j] + place[j] }
        }
        for (layer, block) in blocks.enumerated() where layer <= deepest.layer {
            let more = block.forward(s, configuration, scale: configuration.attentionScale(layer: layer)) { site, values in
                let point = HookPoint(layer: layer, site: site)
                visit(point)
                if hooks.contains(point) { activations[point] = Array(UnsafeBufferPointer(start: values, count: t * c)) }
                return point < deepest
            }
            if !more { break }
        }
        guard wantLogits else { return ForwardResult(activations: activations, logits: nil) }

        layerNorm(s.x, s.normed, t: t, c: c, weight: finalNormWeight.pointer, bias: finalNormBias.pointer,
                  eps: configuration.layerNormEpsilon)                                  // ln_f (T, C)
        var logits = [Float](repeating: 0, count: t * vocabularySize)                  // (T, V) = x · wteᵀ
        logits.withUnsafeMutableBufferPointer { out in
            if let base = out.baseAddress {
                linear(s.normed, unembedding.pointer, base, m: t, n: vocabularySize, k: c)
            }
        }
        return ForwardResult(activations: activations, logits: logits)
    }
}
