import Foundation
import Kernels
import Tensors

// Legend as in Llama.swift: C = d_model, F feed-forward width, H·D = C, G·D key/value width, V vocabulary.

/// Every Llama weight as float32 in one allocation, made once at load: the one place that maps
/// GGUF tensor names to Swift fields, checks shapes, dequantises and ties the unembedding to the
/// token embedding when the file has no `output.weight`.
final class LlamaWeights: @unchecked Sendable {  // written in init only, read-only after
    let embedding: UnsafePointer<Float>    // (V, C)
    let blocks: [LlamaBlock]
    let finalNorm: UnsafePointer<Float>    // (C)
    let unembedding: UnsafePointer<Float>  // (V, C): `embedding` itself when tied
    let tied: Bool
    let dModel: Int
    /// The blocks' linear layers, packed for AMX when they run in bfloat16.
    let linears: LinearWeights
    private let storage: UnsafeMutablePointer<Float>

    /// GGUF names and the shapes a configuration expects of them, outermost first, in the order
    /// they lie in memory (the forward pass relies on q, k, v and on gate, up being adjacent).
    static func expectedTensors(_ c: LlamaConfiguration, tied: Bool) -> [(name: String, shape: [Int])] {
        let (d, f, kv, v) = (c.dModel, c.feedForwardLength, c.kvDim, c.vocabularySize)
        var list: [(String, [Int])] = [("token_embd.weight", [v, d]), ("output_norm.weight", [d])]
        if !tied { list.append(("output.weight", [v, d])) }
        for l in 0..<c.layerCount {
            list += [("blk.\(l).attn_norm.weight", [d]), ("blk.\(l).attn_q.weight", [d, d]),
                     ("blk.\(l).attn_k.weight", [kv, d]), ("blk.\(l).attn_v.weight", [kv, d]),
                     ("blk.\(l).attn_output.weight", [d, d]), ("blk.\(l).ffn_norm.weight", [d]),
                     ("blk.\(l).ffn_gate.weight", [f, d]), ("blk.\(l).ffn_up.weight", [f, d]),
                     ("blk.\(l).ffn_down.weight", [d, f])]
        }
        return list
    }

    init(gguf: GGUFFile, configuration c: LlamaConfiguration, precision: MatmulPrecision) throws {
        let file = gguf.file.name
        tied = gguf.tensors.first(where: { $0.name == "output.weight" }) == nil
        let expected = Self.expectedTensors(c, tied: tied)
        var tensors: [Tensor] = []
        for (name, shape) in expected {
            let tensor = try gguf.tensor(name)
            guard tensor.shape == shape else {
                throw ModelError.badWeights(file: file, tensor: name,
                                            reason: "has shape \(tensor.shape) but this model's configuration needs \(shape)")
            }
            tensors.append(tensor)
        }
        let total = tensors.reduce(0) { $0 + $1.count }
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: total)
        var slots: [String: UnsafePointer<Float>] = [:]
        var next = 0
        do {
            for tensor in tensors {
                try tensor.dequantize(into: UnsafeMutableBufferPointer(start: storage + next, count: tensor.count))
                for i in next..<(next + tensor.count) where !storage[i].isFinite {
                    throw ModelError.badWeights(file: file, tensor: tensor.name, reason: "holds a NaN or infinite value")
                }
                slots[tensor.name] = UnsafePointer(storage + next)
                next += tensor.count
            }
        } catch {
            storage.deallocate()
            throw error
        }
        // Every name was looked up above, so each slot exists.
        func slot(_ name: String) -> UnsafePointer<Float> { slots[name] ?? UnsafePointer(storage) }
        self.storage = storage
        dModel = c.dModel
        embedding = slot("token_embd.weight")
        finalNorm = slot("output_norm.weight")
        unembedding = tied ? embedding : slot("output.weight")
        // The arena holds tensors in `expectedTensors` order, so attn_q, attn_k, attn_v are one
        // stacked (H·D + 2·G·D, C) matrix and ffn_gate, ffn_up one (2F, C) matrix.
        let linears = try LinearWeights(precision: precision)
        let (d, f, kv) = (c.dModel, c.feedForwardLength, c.kvDim)
        blocks = (0..<c.layerCount).map { l in
            LlamaBlock(
                attention: LlamaAttention(norm: slot("blk.\(l).attn_norm.weight"),
                                          wqkv: linears.linear(slot("blk.\(l).attn_q.weight"), n: d + 2 * kv, k: d),
                                          wo: linears.linear(slot("blk.\(l).attn_output.weight"), n: d, k: d)),
                mlp: LlamaMLP(norm: slot("blk.\(l).ffn_norm.weight"),
                              gateUp: linears.linear(slot("blk.\(l).ffn_gate.weight"), n: 2 * f, k: d),
                              down: linears.linear(slot("blk.\(l).ffn_down.weight"), n: d, k: f)))
        }
        self.linears = linears
    }

    deinit { storage.deallocate() }

    /// x (T, C) = the embedding rows of `tokens` (already checked to be in the vocabulary).
    func embed(_ tokens: [Int], into x: UnsafeMutablePointer<Float>) {
        for (t, id) in tokens.enumerated() {
            (x + t * dModel).update(from: embedding + id * dModel, count: dModel)
        }
    }
}
