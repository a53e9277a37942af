import Foundation
import Kernels
import Tensors

// Legend as in Llama.swift: C = d_model, F feed-forward width, H·D = C, G·D key/value width, V vocabulary.

/// Every Llama weight, made once at load: the one place that maps GGUF tensor names to Swift
/// fields, checks shapes, dequantises, packs the linear layers for bfloat16, and ties the
/// unembedding to the token embedding when the file has no `output.weight`.
final class LlamaWeights: @unchecked Sendable {  // written in init only, read-only after
    let embedding: UnsafePointer<Float>    // (V, C)
    let blocks: [LlamaBlock]
    let finalNorm: UnsafePointer<Float>    // (C)
    let unembedding: UnsafePointer<Float>  // (V, C): `embedding` itself when tied
    let unembeddingLinear: LinearWeight    // the same, packed for AMX when the model runs in bfloat16
    let tied: Bool
    let dModel: Int
    /// The blocks' linear layers and the unembedding, packed for AMX when they run in bfloat16.
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

    /// The names of one block's linear layers, stacked as the forward pass multiplies them.
    static func linearLayers(_ l: Int) -> (qkv: [String], o: String, gateUp: [String], down: String) {
        (["blk.\(l).attn_q.weight", "blk.\(l).attn_k.weight", "blk.\(l).attn_v.weight"], "blk.\(l).attn_output.weight",
         ["blk.\(l).ffn_gate.weight", "blk.\(l).ffn_up.weight"], "blk.\(l).ffn_down.weight")
    }

    /// In float32 every tensor lies in one arena; in bfloat16 the linear layers are dequantised
    /// one at a time into a scratch buffer and kept only packed (the float32 copies were 425 MB
    /// of SmolLM2's resident memory), and the unembedding is packed beside its float32 rows,
    /// which the embedding lookup and `withUnembedding` read.
    init(gguf: GGUFFile, configuration c: LlamaConfiguration, precision: MatmulPrecision) throws {
        let file = gguf.file.name
        tied = gguf.tensors.first(where: { $0.name == "output.weight" }) == nil
        let linears = try LinearWeights(precision: precision)
        let packing = precision == .bfloat16
        let linearNames = Set((0..<c.layerCount).flatMap { l -> [String] in
            let names = Self.linearLayers(l)
            return names.qkv + [names.o] + names.gateUp + [names.down]
        })
        var tensors: [String: Tensor] = [:]
        var arenaTensors: [Tensor] = []
        for (name, shape) in Self.expectedTensors(c, tied: tied) {
            let tensor = try gguf.tensor(name)
            guard tensor.shape == shape else {
                throw ModelError.badWeights(file: file, tensor: name,
                                            reason: "has shape \(tensor.shape) but this model's configuration needs \(shape)")
            }
            tensors[name] = tensor
            if !(packing && linearNames.contains(name)) { arenaTensors.append(tensor) }
        }
        /// Dequantises `tensor` to `destination`, refusing NaN and infinities.
        func load(_ tensor: Tensor, into destination: UnsafeMutablePointer<Float>) throws {
            try tensor.dequantize(into: UnsafeMutableBufferPointer(start: destination, count: tensor.count))
            for i in 0..<tensor.count where !destination[i].isFinite {
                throw ModelError.badWeights(file: file, tensor: tensor.name, reason: "holds a NaN or infinite value")
            }
        }
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: arenaTensors.reduce(0) { $0 + $1.count })
        var slots: [String: UnsafePointer<Float>] = [:]
        let (d, f, kv) = (c.dModel, c.feedForwardLength, c.kvDim)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: packing ? 2 * f * d : 0)
        defer { scratch.deallocate() }
        do {
            var next = 0
            for tensor in arenaTensors {
                try load(tensor, into: storage + next)
                slots[tensor.name] = UnsafePointer(storage + next)
                next += tensor.count
            }
            // Every name was looked up above, so each tensor and slot exists.
            func slot(_ name: String) -> UnsafePointer<Float> { slots[name] ?? UnsafePointer(storage) }
            /// The named tensors as one stacked (N, K) linear layer: in the arena they are
            /// adjacent (`expectedTensors` order), for packing they are stacked in `scratch`.
            func linear(_ names: [String], n: Int, k: Int) throws -> LinearWeight {
                guard packing else { return linears.linear(slot(names[0]), n: n, k: k) }
                var offset = 0
                for name in names {
                    guard let tensor = tensors[name] else { continue }
                    try load(tensor, into: scratch + offset)
                    offset += tensor.count
                }
                return linears.linear(scratch, n: n, k: k)
            }
            blocks = try (0..<c.layerCount).map { l in
                let names = Self.linearLayers(l)
                return LlamaBlock(
                    attention: LlamaAttention(norm: slot("blk.\(l).attn_norm.weight"),
                                              wqkv: try linear(names.qkv, n: d + 2 * kv, k: d),
                                              wo: try linear([names.o], n: d, k: d)),
                    mlp: LlamaMLP(norm: slot("blk.\(l).ffn_norm.weight"),
                                  gateUp: try linear(names.gateUp, n: 2 * f, k: d),
                                  down: try linear([names.down], n: d, k: f)))
            }
            embedding = slot("token_embd.weight")
            finalNorm = slot("output_norm.weight")
            unembedding = tied ? embedding : slot("output.weight")
        } catch {
            storage.deallocate()
            throw error
        }
        self.storage = storage
        dModel = c.dModel
        unembeddingLinear = linears.linear(unembedding, n: c.vocabularySize, k: c.dModel)
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
