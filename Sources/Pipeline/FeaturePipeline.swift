// Text → tokens → model (to the SAE's hook) → SAE latents: the path shared by live
// activations, `saescope encode`, index builds and training.
// Legend: T tokens, D the model's d_model.
import Foundation
import Kernels
import LanguageModel
import SparseAutoencoder
import Tokenizer

/// A language model, its tokenizer, an SAE and the hook the SAE reads, checked to fit together.
public struct FeaturePipeline: Sendable {
    public let model: any LanguageModel
    public let tokenizer: BPETokenizer
    public let sae: SparseAutoencoder
    public let hook: HookPoint
    /// The model file or folder, as given.
    public let modelPath: String
    /// The SAE's encoder packed for AMX when the model runs in bfloat16: the encoder's product
    /// then runs in bfloat16 too, with results equal to float32's (`PackedEncoder`).
    public let packedEncoder: PackedEncoder?

    /// Puts loaded parts together; throws when the SAE does not fit the model or the hook is
    /// not one of the model's.
    public init(model: any LanguageModel, tokenizer: BPETokenizer, sae: SparseAutoencoder, hook: HookPoint, modelPath: String) throws {
        try sae.checkFits(modelWidth: model.dModel, modelName: modelPath)
        guard hook.layer < model.layerCount else {
            throw ModelError.badHook("\(hook) (this \(model.architecture) model has layers 0 to \(model.layerCount - 1))")
        }
        self.model = model
        self.tokenizer = tokenizer
        self.sae = sae
        self.hook = hook
        self.modelPath = modelPath
        packedEncoder = model.precision == .bfloat16 ? try PackedEncoder(sae) : nil
    }

    /// Loads the model (a .gguf file or a Hugging Face folder), its tokenizer and the SAE (any
    /// format `SparseAutoencoder.load` reads). The hook is `hook` if given, else the one the SAE
    /// names. The model's linear layers multiply in `precision`.
    public init(modelPath: String, saePath: String, hook: String? = nil, precision: MatmulPrecision = .float32) throws {
        let sae = try SparseAutoencoder.load(saePath)
        let point = try Self.hookPoint(for: sae, override: hook)
        guard FileManager.default.fileExists(atPath: modelPath) else {
            throw ModelError.unsupported(file: modelPath, reason: "no such model file or folder")
        }
        let model = try ModelRegistry.load(modelPath, precision: precision)
        let tokenizer = try BPETokenizer.load(from: modelPath)
        try self.init(model: model, tokenizer: tokenizer, sae: sae, hook: point, modelPath: modelPath)
    }

    /// The hook an SAE reads: `override` if given, else the SAE's own hook name.
    public static func hookPoint(for sae: SparseAutoencoder, override: String?) throws -> HookPoint {
        if let override { return try HookPoint(override) }
        guard let name = sae.info.hookName else {
            throw SAEError.badConfig(path: sae.info.path, reason: "it does not say which model hook it reads; give one with --hook (e.g. blocks.8.hook_resid_post)")
        }
        return try HookPoint(name)
    }

    /// The token every sequence starts with (`BPETokenizer.sequenceStartID`).
    public var bos: Int? { tokenizer.sequenceStartID }

    /// The text's token ids for SAE work: BOS first, even where the model's own settings add
    /// none. Whatever token comes first becomes an attention sink with a residual norm far
    /// beyond the rest (SmolLM2-135M at layer 15: ~20,000 against ~180), so it must be a token
    /// that statistics leave out, never a word of the text (SAELens prepends BOS likewise).
    public func tokenize(_ text: String) -> [Int] { sequence(tokenizer.encode(text)) }

    /// `ids` (a window of a document) as the model should see them: BOS first.
    public func sequence(_ ids: some Collection<Int>) -> [Int] {
        guard let bos, ids.first != bos else { return Array(ids) }
        return [bos] + ids
    }

    /// Whether a token is special (BOS, EOS, padding).
    public func isSpecial(_ token: Int) -> Bool { tokenizer.isSpecialToken(token) }

    /// Whether statistics, examples and rankings leave out the token at `position` of a
    /// sequence: special tokens, and the first position (the attention sink, see `tokenize`).
    public func isExcluded(position: Int, token: Int) -> Bool {
        position == 0 || isSpecial(token)
    }

    /// The hook's activations for one sequence: (T, D).
    public func activations(_ tokens: [Int]) throws -> [Float] {
        try model.validate(tokens, hooks: [hook])
        let result = try model.forward(tokens, hooks: [hook], logits: false)
        guard let values = result.activations[hook] else {
            throw ModelError.badHook("\(hook) (the model returned nothing for it)")
        }
        return values
    }

    /// The SAE latents of activations (T, D) from the hook (through `packedEncoder` if any).
    public func latents(_ x: [Float], threads: Int = 0) throws -> SparseCodes {
        try sae.encode(x, threads: threads, packed: packedEncoder)
    }

    /// The SAE latents of one sequence, with the activations they came from.
    public func encode(_ tokens: [Int], threads: Int = 0) throws -> (activations: [Float], codes: SparseCodes) {
        let x = try activations(tokens)
        return (x, try latents(x, threads: threads))
    }
}
