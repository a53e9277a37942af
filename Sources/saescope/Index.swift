import ArgumentParser
import FeatureIndex
import Foundation
import Indexer
import Kernels
import Pipeline

struct Index: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build a feature index from a model, an SAE and a text corpus.",
        discussion: """
            One pass over the corpus: each document is tokenised and cut into windows of --context tokens \
            (every window starts with the model's BOS, which counts as one and is left out of every statistic and example, as are other \
            special tokens), run through the model to the SAE's hook and through the SAE. Per latent the index \
            holds density, max, mean, E[a²], skew, kurtosis, a histogram, the --top strongest windows, \
            --intervals equal-width activation ranges with --per-interval random windows each, logit tokens, \
            the 10 nearest latents by decoder cosine and an automatic explanation.

            Corpus: .txt files (one document each), .jsonl files (one document per line, text in --text-field), \
            gzip-compressed .txt.gz / .jsonl.gz, and folders of them (recursively, in sorted order). Lines that \
            are not UTF-8 JSON objects with a string text field, and .txt files that are not UTF-8, are counted, \
            reported (file and line) and left out, never fatal; a damaged .gz file stops the build.

            The output is written as OUT.partial and renamed when complete. A checkpoint (OUT.checkpoint) is \
            saved every --checkpoint-every seconds; after an interruption, run the same command with --resume.

            With --shard i/n the command indexes documents i, i+n, i+2n, … and writes a part file to --out; \
            `saescope merge` combines the n parts into the same index one build would have written (see \
            docs/INDEXING.md for a Kubernetes Indexed Job).

            Example:  saescope index --model SmolLM2-135M-Instruct.Q4_1.gguf --sae sae.safetensors --corpus texts/ --out index.sqlite
            """)

    @Option(help: "The model: a .gguf file or a Hugging Face GPT-2 folder.")
    var model: String

    @Option(help: "The SAE (a saescope .safetensors file; see docs/SAE_FORMATS.md).")
    var sae: String

    @Option(parsing: .upToNextOption, help: "Corpus files and folders (.txt, .jsonl, .txt.gz, .jsonl.gz).")
    var corpus: [String]

    @Option(help: "Where to write the index (or, with --shard, the part file).")
    var out: String

    @Option(help: "Tokens per window, a BOS included.")
    var context = 64

    @Option(help: "Top examples per latent.")
    var top = 20

    @Option(help: "Equal-width activation intervals per latent (0 for none, at most 63).")
    var intervals = 10

    @Option(help: "Random examples per interval.")
    var perInterval = 5

    @Option(help: "Stop after this many tokens (per shard).")
    var maxTokens: Int?

    @Option(help: "Windows per batch.")
    var batchSize = 32

    @Option(help: "Threads (windows of a batch run side by side).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "The hook to read, overriding the one the SAE names (e.g. blocks.15.hook_resid_post).")
    var hook: String?

    @Option(help: "The JSONL field holding the text.")
    var textField = "text"

    @Option(help: "Build shard i of n (e.g. 3/8); the output is a part for `saescope merge`.")
    var shard: String?

    @Option(help: "Seed of the interval samples.")
    var seed: UInt64 = 0

    @Flag(help: "Continue an interrupted build from its checkpoint.")
    var resume = false

    @Option(help: "Seconds between checkpoints.")
    var checkpointEvery: Double = 120

    @Flag(help: "Replace --out if it exists.")
    var force = false

    @OptionGroup var precision: PrecisionOption

    func validate() throws {
        guard context >= 2 else { throw ValidationError("--context must be at least 2") }
        guard top >= 0, perInterval >= 0, (0...63).contains(intervals) else {
            throw ValidationError("--top and --per-interval must not be negative; --intervals must be 0…63")
        }
        guard batchSize >= 1, threads >= 1 else { throw ValidationError("--batch-size and --threads must be at least 1") }
        if let maxTokens, maxTokens < 1 { throw ValidationError("--max-tokens must be positive") }
        _ = try parsedShard()
    }

    func parsedShard() throws -> (Int, Int) {
        guard let shard else { return (0, 1) }
        let parts = shard.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (0..<n).contains(i) else {
            throw ValidationError("--shard must be i/n with 0 ≤ i < n, e.g. 0/4; got '\(shard)'")
        }
        return (i, n)
    }

    func run() throws {
        try reportingErrors {
            let started = Date()
            let (shardIndex, shardCount) = try parsedShard()
            if resume && !FileManager.default.fileExists(atPath: out + ".checkpoint") {
                note("index: no checkpoint at \(out).checkpoint; starting from the beginning")
            }
            let corpus = try Corpus(self.corpus, textField: textField)
            BLASRuntime.setThreads(threads)
            let pipeline = try FeaturePipeline(modelPath: model, saePath: sae, hook: hook, precision: precision.resolved)
            note("index: \(pipeline.model.architecture) model \(model) (\(pipeline.model.precision)), SAE \(sae) (\(pipeline.sae.latentCount) latents, \(pipeline.sae.activation)) at \(pipeline.hook), \(corpus.files.count) corpus files, loaded in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
            var options = BuildOptions()
            options.parameters.context = context
            options.parameters.topExamples = top
            options.parameters.intervals = intervals
            options.parameters.examplesPerInterval = perInterval
            options.parameters.maxTokens = maxTokens
            options.parameters.seed = seed
            options.parameters.shardIndex = shardIndex
            options.parameters.shardCount = shardCount
            options.batchSize = batchSize
            options.threads = threads
            options.checkpointPath = out + ".checkpoint"
            options.checkpointSeconds = checkpointEvery
            options.resume = resume
            options.overwrite = force
            options.modelFile = model
            options.saeFile = sae
            let builder = try IndexBuilder(pipeline: pipeline, corpus: corpus, options: options)
            let bar = BuildProgressBar(maxTokens: maxTokens)
            var badShown = 0
            let summary = try builder.run(out: out, progress: { bar.update($0) }, badLine: { line in
                if badShown < 5 { note("index: skipping bad line \(line)") }
                badShown += 1
            })
            bar.finish()
            let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
            say(String(format: "index: %@ %@: %d documents, %d tokens (%d windows) in %.1f s, %.0f tokens/s; %d latents, %d dead; %d bad lines; %.1f MB%@",
                       summary.wrotePart ? "wrote part \(shardIndex)/\(shardCount)" : "wrote", out, summary.documents, summary.tokens,
                       summary.windows, summary.totalSeconds, Double(summary.tokens) / max(summary.corpusSeconds, 1e-9), summary.latents,
                       summary.deadLatents, summary.badLines, Double(size) / 1e6,
                       summary.resumedFromRecord > 0 ? ", resumed at record \(summary.resumedFromRecord)" : ""))
        }
    }
}

/// Progress of a build on stderr: a bar over the corpus bytes (or the token budget) on a
/// terminal, a plain line every 30 seconds otherwise; tokens/s and ETA either way.
final class BuildProgressBar {
    let maxTokens: Int?
    private let terminal = isatty(STDERR_FILENO) != 0
    private var lastDraw = Date.distantPast
    private var drew = false

    init(maxTokens: Int?) { self.maxTokens = maxTokens }

    func update(_ p: BuildProgress) {
        let interval: Double = terminal ? 0.2 : 30
        guard Date().timeIntervalSince(lastDraw) >= interval else { return }
        lastDraw = Date()
        let byBytes = Double(p.bytesRead) / Double(max(p.totalBytes, 1))
        let fraction = min(1, max(maxTokens.map { Double(p.tokens) / Double(max($0, 1)) } ?? 0, byBytes))
        let rate = Double(p.tokens) / max(p.seconds, 1e-3)
        let eta = fraction > 0 ? p.seconds * (1 - fraction) / fraction : 0
        if terminal {
            let width = 30, filled = Int(Double(width) * fraction)
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data(String(format: "\rindex %@ %3.0f%% %d docs, %d tokens, %.0f tokens/s, ETA %.0f s ",
                                                       bar, fraction * 100, p.documents, p.tokens, rate, eta).utf8))
            drew = true
        } else {
            note(String(format: "index: %.0f%%, %d documents, %d tokens, %.0f tokens/s, ETA %.0f s", fraction * 100, p.documents, p.tokens, rate, eta))
        }
    }

    func finish() {
        if drew { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
