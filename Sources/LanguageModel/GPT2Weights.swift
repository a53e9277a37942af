import Tensors

// Reading GPT-2's weights from a Hugging Face checkpoint: the one place that knows the
// checkpoint's tensor names, its Conv1D layout and its tied unembedding.
// Legend: C channels, I MLP width, V vocabulary, P positions.

/// Floats that live as long as the model: filled once while loading, read-only afterwards,
/// which is what makes sharing them between threads safe.
final class GPT2Parameter: @unchecked Sendable {
    /// Row-major, outermost first.
    let shape: [Int]
    private let base: UnsafeMutablePointer<Float>

    /// The product of `shape` floats, filled by `fill`.
    init(shape: [Int], fill: (UnsafeMutableBufferPointer<Float>) throws -> Void) throws {
        let count = shape.reduce(1, *)
        let base = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))
        base.initialize(repeating: 0, count: Swift.max(count, 1))
        do {
            try fill(UnsafeMutableBufferPointer(start: base, count: count))
        } catch {
            base.deallocate()
            throw error
        }
        self.shape = shape
        self.base = base
    }

    deinit { base.deallocate() }

    /// The values; valid while this object lives.
    var pointer: UnsafePointer<Float> { UnsafePointer(base) }
}

/// A GPT-2 safetensors checkpoint, read by the names transformers gives its tensors. Files
/// saved from `GPT2LMHeadModel` prefix them with `transformer.`; the original `gpt2` files and
/// `GPT2Model` saves do not. Both are accepted.
struct GPT2Checkpoint {
    let file: SafetensorsFile
    var path: String { file.file.name }

    /// The tensor `name` (tried with and without the `transformer.` prefix), or nil.
    func find(_ name: String) -> Tensor? {
        (try? file.tensor("transformer." + name)) ?? (try? file.tensor(name))
    }

    /// The tensor `name`, checked to have `shape`; throws naming the file and the tensor.
    func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        guard let tensor = find(name) else {
            throw ModelError.badWeights(file: path, tensor: name,
                                        reason: "missing (looked for '\(name)' and 'transformer.\(name)'); is this a GPT-2 checkpoint?")
        }
        guard tensor.shape == shape else {
            throw ModelError.badWeights(file: path, tensor: tensor.name,
                                        reason: "has shape \(tensor.shape) but config.json implies \(shape)")
        }
        return tensor
    }

    /// The tensor `name` as floats owned by the model.
    func parameter(_ name: String, shape: [Int]) throws -> GPT2Parameter {
        let tensor = try tensor(name, shape: shape)
        return try GPT2Parameter(shape: shape) { try tensor.dequantize(into: $0) }
    }
}
