import ArgumentParser
import Foundation
import Kernels
import LanguageModel
import Tensors
import Tokenizer

struct Activations: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activations",
        abstract: "Run a text through a language model and save one hook point's activations as a float32 .npy file.",
        discussion: """
            The file holds one row per token, (tokens, d_model). The text is tokenised with the model's own \
            tokenizer, with a BOS token only where the model's settings add one. Hooks use TransformerLens names: \
            blocks.L.hook_resid_pre|hook_attn_out|hook_resid_mid|hook_mlp_out|hook_resid_post.

            Example:  saescope activations --model SmolLM2-135M-Instruct.Q4_1.gguf --hook blocks.15.hook_resid_post "The cat sat" --out x.npy
            """)

    @Option(help: "The model: a .gguf file.")
    var model: String

    @Option(help: "The hook point, e.g. blocks.15.hook_resid_post.")
    var hook: String

    @Argument(help: "The text to run (or use --file).")
    var text: String?

    @Option(help: "Read the text from this file instead.")
    var file: String?

    @Option(help: "Where to write the activations (.npy).")
    var out: String

    @Option(help: "Threads for the matrix products.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup var precision: PrecisionOption

    func validate() throws {
        if (text == nil) == (file == nil) { throw ValidationError("Give the text either as an argument or with --file, not both.") }
        if threads < 1 { throw ValidationError("--threads must be at least 1.") }
    }

    func run() throws {
        try reportingErrors {
            let started = DispatchTime.now().uptimeNanoseconds
            let point = try HookPoint(hook)
            let input: String
            if let file {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw ValidationError("cannot read the text file \(file)")
                }
                input = String(decoding: data, as: UTF8.self)
            } else {
                input = text ?? ""
            }
            guard FileManager.default.fileExists(atPath: model) else {
                throw ModelError.unsupported(file: model, reason: "no such model file")
            }
            BLASRuntime.setThreads(threads)
            let languageModel = try ModelRegistry.load(model, precision: precision.resolved)
            let tokenizer = try BPETokenizer.load(from: model)
            let loaded = DispatchTime.now().uptimeNanoseconds
            let tokens = tokenizer.encode(input)
            try languageModel.validate(tokens, hooks: [point])
            let result = try languageModel.forward(tokens, hooks: [point], logits: false)
            guard let values = result.activations[point] else {
                throw ModelError.badHook("\(point) (the model returned nothing for it)")
            }
            let shape = [tokens.count, languageModel.dModel]
            try NpyWriter.write(values, shape: shape, to: out)
            let finished = DispatchTime.now().uptimeNanoseconds
            say(String(format: "activations: %d tokens, %@, shape (%d, %d) → %@ in %.3f s (model and tokenizer loaded in %.3f s, %d threads)",
                       tokens.count, point.description, shape[0], shape[1], out, Double(finished - loaded) / 1e9,
                       Double(loaded - started) / 1e9, threads))
        }
    }
}
