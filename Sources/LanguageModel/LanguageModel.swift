import Foundation
import Kernels
import Tensors

// The model runtime: one file per architecture (Llama.swift, GPT2.swift), this file holds what
// they share. Legend: T tokens, C = d_model channels, V vocabulary, L layers.

/// A named point in the residual stream, with TransformerLens's names (everyone's SAE configs use
/// them): `blocks.L.hook_resid_pre`, `hook_resid_mid`, `hook_resid_post`, `hook_attn_out`,
/// `hook_mlp_out`. Residuals are taken before any final norm.
public struct HookPoint: Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Site: String, Sendable, CaseIterable {
        case residPre = "hook_resid_pre"
        case attnOut = "hook_attn_out"
        case residMid = "hook_resid_mid"
        case mlpOut = "hook_mlp_out"
        case residPost = "hook_resid_post"

        /// Order within a block, so a pass can stop right after the deepest hook.
        var order: Int { Site.allCases.firstIndex(of: self) ?? 0 }
    }

    public let layer: Int
    public let site: Site

    public init(layer: Int, site: Site) {
        self.layer = layer
        self.site = site
    }

    /// Parses "blocks.15.hook_resid_post".
    public init(_ name: String) throws {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "blocks", let layer = Int(parts[1]), layer >= 0,
              let site = Site(rawValue: String(parts[2])) else {
            throw ModelError.badHook(name)
        }
        self.init(layer: layer, site: site)
    }

    public var description: String { "blocks.\(layer).\(site.rawValue)" }

    public static func < (a: HookPoint, b: HookPoint) -> Bool {
        (a.layer, a.site.order) < (b.layer, b.site.order)
    }
}

/// What one forward pass returns.
public struct ForwardResult: Sendable {
    /// Per requested hook: (T, C) row-major.
    public var activations: [HookPoint: [Float]]
    /// (T, V) row-major, when asked for (the pass then runs every layer and the final norm).
    public var logits: [Float]?

    public init(activations: [HookPoint: [Float]], logits: [Float]?) {
        self.activations = activations
        self.logits = logits
    }
}

/// A causal language model that saescope runs on CPU.
public protocol LanguageModel: Sendable {
    /// The registry's name for it: "llama", "gpt2".
    var architecture: String { get }
    var dModel: Int { get }
    var layerCount: Int { get }
    var vocabularySize: Int { get }
    /// The longest sequence it takes.
    var contextLength: Int { get }
    /// How its linear layers multiply.
    var precision: MatmulPrecision { get }

    /// Runs one sequence of token ids, stopping after the deepest requested hook unless
    /// `logits` is true.
    func forward(_ tokens: [Int], hooks: Set<HookPoint>, logits: Bool) throws -> ForwardResult

    /// Calls `body` with the unembedding matrix (V, C), one row per token, as the model
    /// multiplies the final-normed residual by it (the token embedding itself when tied). Index
    /// builds take SAE decoder rows · these rows as a latent's logit weights.
    func withUnembedding<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R
}

extension LanguageModel {
    public var precision: MatmulPrecision { .float32 }

    /// Checks hooks and tokens against the model before a pass.
    public func validate(_ tokens: [Int], hooks: Set<HookPoint>) throws {
        for hook in hooks where hook.layer >= layerCount {
            throw ModelError.badHook("\(hook) (this \(architecture) model has layers 0 to \(layerCount - 1))")
        }
        if tokens.isEmpty { throw ModelError.badInput("no tokens") }
        if tokens.count > contextLength {
            throw ModelError.badInput("\(tokens.count) tokens, more than the model's context of \(contextLength)")
        }
        if let bad = tokens.first(where: { $0 < 0 || $0 >= vocabularySize }) {
            throw ModelError.badInput("token id \(bad) is outside the vocabulary (0 to \(vocabularySize - 1))")
        }
    }

    /// Runs several sequences (each its own pass; they may differ in length).
    public func forward(batch: [[Int]], hooks: Set<HookPoint>, logits: Bool = false) throws -> [ForwardResult] {
        try batch.map { try forward($0, hooks: hooks, logits: logits) }
    }
}

public enum ModelError: Error, CustomStringConvertible, Equatable {
    case badHook(String)
    case badInput(String)
    case unsupported(file: String, reason: String)
    case badWeights(file: String, tensor: String, reason: String)

    public var description: String {
        switch self {
        case .badHook(let name):
            return "unknown hook point \(name); hooks look like blocks.L.hook_resid_pre|hook_resid_mid|hook_resid_post|hook_attn_out|hook_mlp_out"
        case .badInput(let why): return "bad model input: \(why)"
        case .unsupported(let file, let reason): return "\(file): \(reason)"
        case .badWeights(let file, let tensor, let reason): return "\(file): tensor '\(tensor)': \(reason)"
        }
    }
}

/// Opens models by architecture: a `.gguf` file says its architecture in `general.architecture`;
/// a Hugging Face folder says it in `config.json`'s `model_type`.
public enum ModelRegistry {
    public typealias GGUFLoader = @Sendable (GGUFFile, MatmulPrecision) throws -> any LanguageModel
    public typealias FolderLoader = @Sendable (URL, MatmulPrecision) throws -> any LanguageModel

    /// `general.architecture` → loader (one line per architecture file).
    static let gguf: [String: GGUFLoader] = [
        "llama": { try LlamaModel(gguf: $0, precision: $1) },
    ]
    /// config.json `model_type` → loader (one line per architecture file).
    static let huggingFace: [String: FolderLoader] = [
        "gpt2": { url, _ in try GPT2Model(folder: url) },  // float32 only
    ]

    /// Loads the model at `path`; its linear layers multiply in `precision` where the
    /// architecture supports it (Llama does bfloat16; GPT-2 is float32 only).
    public static func load(_ path: String, precision: MatmulPrecision = .float32) throws -> any LanguageModel {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ModelError.unsupported(file: path, reason: "no such file or folder")
        }
        if isFolder.boolValue {
            let url = URL(fileURLWithPath: path)
            let config = url.appendingPathComponent("config.json")
            guard let data = try? Data(contentsOf: config),
                  let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let type = json["model_type"] as? String else {
                throw ModelError.unsupported(file: config.path, reason: "no readable config.json with a model_type")
            }
            guard let loader = huggingFace[type] else {
                throw ModelError.unsupported(file: config.path, reason: "model_type '\(type)' is not supported (supported: \(huggingFace.keys.sorted().joined(separator: ", ")))")
            }
            return try loader(url, precision)
        }
        let file = try GGUFFile(path: path)
        let architecture = try file.string("general.architecture")
        guard let loader = gguf[architecture] else {
            throw ModelError.unsupported(file: path, reason: "architecture '\(architecture)' is not supported (supported: \(gguf.keys.sorted().joined(separator: ", ")))")
        }
        return try loader(file, precision)
    }
}
