// A training checkpoint: one safetensors file (float32) holding the weights, Adam's moments and
// the dead-latent counters, with the run's configuration and progress in __metadata__.
//   encoder, encoder_bias, decoder, decoder_bias; adam_m.<name>, adam_v.<name>; tokens_since_active
//   __metadata__: format = "saescope-train-checkpoint", version = "1", d_in, latents, k, aux_k,
//   aux_coefficient, dead_after_tokens, beta1, beta2, epsilon, adam_steps, plus the run's own
//   strings (tokens trained, source position, scale, …) in `progress`.
import Foundation
import Tensors

public struct TrainingCheckpoint: Sendable {
    static let formatTag = "saescope-train-checkpoint"
    public var trainer: TopKTrainer
    /// The run's own facts (tokens trained, source position, input scale, hook, …), as strings.
    public var progress: [String: String]

    public init(trainer: TopKTrainer, progress: [String: String]) {
        self.trainer = trainer
        self.progress = progress
    }

    static let configurationKeys: Set<String> = [
        "format", "version", "d_in", "latents", "k", "aux_k", "aux_coefficient", "dead_after_tokens",
        "beta1", "beta2", "epsilon", "adam_steps",
    ]

    /// Writes the checkpoint to `path` (beside it first, then renamed: a crash leaves the old one).
    public func write(to path: String) throws {
        let c = trainer.configuration
        var meta = progress
        meta["format"] = Self.formatTag
        meta["version"] = "1"
        meta["d_in"] = String(c.inputWidth)
        meta["latents"] = String(c.latentCount)
        meta["k"] = String(c.k)
        meta["aux_k"] = String(c.auxK)
        meta["aux_coefficient"] = String(c.auxCoefficient)
        meta["dead_after_tokens"] = String(c.deadAfterTokens)
        meta["beta1"] = String(c.beta1)
        meta["beta2"] = String(c.beta2)
        meta["epsilon"] = String(c.epsilon)
        meta["adam_steps"] = String(trainer.adam.steps)
        var writer = SafetensorsWriter(metadata: meta)
        let n = c.latentCount, d = c.inputWidth
        for (prefix, p) in [("", trainer.parameters), ("adam_m.", trainer.adam.first), ("adam_v.", trainer.adam.second)] {
            try writer.add(prefix + "encoder", shape: [n, d], values: p.encoder)
            try writer.add(prefix + "encoder_bias", shape: [n], values: p.encoderBias)
            try writer.add(prefix + "decoder", shape: [n, d], values: p.decoder)
            try writer.add(prefix + "decoder_bias", shape: [d], values: p.decoderBias)
        }
        // Counters above 2^24 are not exact in float32; any such latent is long dead anyway.
        try writer.add("tokens_since_active", shape: [n], values: trainer.tokensSinceActive.map { Float(min($0, 1 << 24)) })
        try writer.write(to: path)
    }

    /// Reads a checkpoint written by `write(to:)`.
    public init(path: String) throws {
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: path) } catch {
            throw TrainerError.badCheckpoint(path: path, reason: "\(error)")
        }
        let meta = file.metadata
        guard meta["format"] == Self.formatTag else {
            throw TrainerError.badCheckpoint(path: path, reason: "its metadata has no format = \(Self.formatTag) (is it a finished SAE rather than a checkpoint?)")
        }
        guard meta["version"] == "1" else {
            throw TrainerError.badCheckpoint(path: path, reason: "checkpoint version \(meta["version"] ?? "(none)"); this saescope reads version 1")
        }
        func number<T: LosslessStringConvertible>(_ key: String) throws -> T {
            guard let text = meta[key], let value = T(text) else {
                throw TrainerError.badCheckpoint(path: path, reason: "its metadata has no valid '\(key)'")
            }
            return value
        }
        let configuration = TopKTrainer.Configuration(
            inputWidth: try number("d_in"), latentCount: try number("latents"), k: try number("k"), auxK: try number("aux_k"),
            auxCoefficient: try number("aux_coefficient"), deadAfterTokens: try number("dead_after_tokens"),
            beta1: try number("beta1"), beta2: try number("beta2"), epsilon: try number("epsilon"))
        func array(_ name: String) throws -> [Float] {
            do { return try file.tensor(name).floats() } catch {
                throw TrainerError.badCheckpoint(path: path, reason: "tensor '\(name)': \(error)")
            }
        }
        func parameters(_ prefix: String) throws -> SAEParameters {
            SAEParameters(encoder: try array(prefix + "encoder"), encoderBias: try array(prefix + "encoder_bias"),
                          decoder: try array(prefix + "decoder"), decoderBias: try array(prefix + "decoder_bias"))
        }
        let adam = AdamState(first: try parameters("adam_m."), second: try parameters("adam_v."), steps: try number("adam_steps"))
        do {
            trainer = try TopKTrainer(configuration: configuration, parameters: try parameters(""), adam: adam,
                                      tokensSinceActive: try array("tokens_since_active").map { Int($0) })
        } catch let error as TrainerError {
            throw TrainerError.badCheckpoint(path: path, reason: "\(error)")
        }
        progress = meta.filter { !Self.configurationKeys.contains($0.key) }
    }
}
