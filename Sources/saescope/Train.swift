import ArgumentParser
import Foundation
import Kernels
import LanguageModel
import SparseAutoencoder
import Tensors
import Tokenizer
import Trainer

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a TopK sparse autoencoder on a model's activations, on the CPU.",
        discussion: """
            The recipe of OpenAI's "Scaling and evaluating sparse autoencoders": latents = relu(topk(W_enc (x − b_dec) + b_enc)), \
            decoder rows kept at unit norm, b_dec started at the geometric median of a sample, the encoder started as the \
            decoder's transpose, an AuxK loss in which dead latents reconstruct the residual, and Adam. Activations come \
            from the model run over a corpus (documents in a new random order each pass, mixed further in a shuffle buffer; \
            special tokens and the first position of every window are left out), or from .npy files written by \
            `saescope activations`. Inputs are scaled by one constant so that their mean squared norm is d_model; the SAE \
            file stores it, so `encode` and `index` apply it too.

            Example:  saescope train --model SmolLM2-135M-Instruct.Q4_1.gguf --hook blocks.15.hook_resid_post \
            --corpus demo/corpus --latents 8192 --k 32 --tokens 2000000 --out sae.safetensors --half
            """)

    @Option(help: "The language model (.gguf) whose activations to train on; needs --corpus.")
    var model: String?

    @Option(help: "The hook point, e.g. blocks.15.hook_resid_post (TransformerLens names).")
    var hook: String?

    @Option(parsing: .upToNextOption, help: "Corpus files or folders: .txt (split at blank lines), .jsonl (a \"text\" field per line), either gzipped (.gz).")
    var corpus: [String] = []

    @Option(parsing: .upToNextOption, help: "Train on these (tokens, d_model) .npy files instead of running a model.")
    var activations: [String] = []

    @Option(help: "Where to write the SAE (saescope's format, .safetensors).")
    var out: String

    @Option(help: "Number of latents.")
    var latents = 8192

    @Option(help: "Latents kept per token (TopK).")
    var k = 32

    @Option(name: .customLong("aux-k"), help: "Dead latents per token in the AuxK loss (default: d_model / 2).")
    var auxK: Int?

    @Option(name: .customLong("aux-coefficient"), help: "Weight of the AuxK loss.")
    var auxCoefficient: Float = 1.0 / 32

    @Option(name: .customLong("dead-after"), help: "A latent counts as dead when it has not fired in this many training tokens (token-steps); AuxK trains the dead ones.")
    var deadAfter = 500_000

    @Option(help: "Tokens to train on (token-steps: with --reuse 2 each model token counts twice).")
    var tokens = 1_000_000

    @Option(name: .customLong("batch-size"), help: "Tokens per step.")
    var batchSize = 1024

    @Option(help: "Adam's learning rate (default: 2e-4 / √(latents / 16384), the paper's rule).")
    var lr: Float?

    @Option(name: .customLong("lr-decay"), help: "Fraction of the run, at its end, over which the learning rate falls linearly to 0.")
    var lrDecay: Float = 0.2

    @Option(help: "Adam's β1.")
    var beta1: Float = 0.9

    @Option(help: "Adam's β2.")
    var beta2: Float = 0.999

    @Option(help: "Adam's ε.")
    var eps: Float = 6.25e-10

    @Option(help: "Rows in the shuffle buffer that batches are drawn from.")
    var buffer = 65_536

    @Option(help: "Batches each buffered row is drawn into before it leaves (more than 1 when the model is the slow part).")
    var reuse = 1

    @Option(help: "Longest window of tokens the model runs at once, the BOS it starts with included; longer documents are cut.")
    var context = 256

    @Option(name: .customLong("skip-first"), help: "Positions left out at the start of each window (the first, BOS, is an attention sink whose residual is thousands of times larger).")
    var skipFirst = 1

    @Option(name: .customLong("init-tokens"), help: "Tokens sampled to set the input scale and the geometric-median b_dec.")
    var initTokens = 16_384

    @Option(help: "Seed for the initial weights, the document order and the shuffle buffer.")
    var seed: UInt64 = 0

    @Option(name: .customLong("checkpoint-every"), help: "Write a checkpoint every this many tokens (0: only at the end of the run).")
    var checkpointEvery = 0

    @Option(help: "The checkpoint file (default: the output path with .checkpoint.safetensors).")
    var checkpoint: String?

    @Flag(help: "Carry on from the checkpoint (weights, optimiser, dead-latent counters, position in the data, learning rate unless --lr is given); the SAE's shape and loss settings come from the checkpoint. --tokens may change: the learning-rate decay follows the new total.")
    var resume = false

    @Flag(help: "Store the SAE in float16 (half the size).")
    var half = false

    @Option(name: .customLong("log-every"), help: "Seconds between progress lines when stderr is not a terminal.")
    var logEvery: Double = 30

    @Option(help: "Threads for the matrix products.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup var precision: PrecisionOption

    func validate() throws {
        if activations.isEmpty == (model == nil) { throw ValidationError("Give either --model with --corpus, or --activations, not both.") }
        if model != nil && (corpus.isEmpty || hook == nil) { throw ValidationError("--model needs --hook and --corpus.") }
        if latents < 1 || k < 1 || k > latents { throw ValidationError("--k must be between 1 and --latents.") }
        if batchSize < 1 || tokens < batchSize { throw ValidationError("--tokens must be at least --batch-size, which must be positive.") }
        if buffer < batchSize { throw ValidationError("--buffer must hold at least one batch (--batch-size).") }
        if reuse < 1 || threads < 1 || context < 2 || skipFirst < 0 || initTokens < 1 { throw ValidationError("--reuse, --threads, --context, --init-tokens must be positive, --skip-first not negative.") }
        if !(0...1).contains(lrDecay) { throw ValidationError("--lr-decay is a fraction between 0 and 1.") }
        if checkpointEvery < 0 { throw ValidationError("--checkpoint-every must not be negative.") }
    }

    func run() throws {
        try reportingErrors {
            let started = Date()
            BLASRuntime.setThreads(threads)
            let checkpointPath = checkpoint ?? Self.checkpointPath(for: out)
            let resumed = resume ? try TrainingCheckpoint(path: checkpointPath) : nil
            let startPosition = resumed.flatMap { $0.progress["source_position"].flatMap(Int.init) } ?? 0

            // The source of activations.
            var source: any ActivationSource
            var sourceName: String, modelName: String?, hookName = hook
            var corpusDocuments = 0
            if let model {
                let corpusData = try Corpus(paths: corpus)
                corpusDocuments = corpusData.documents.count
                let point = try HookPoint(hook ?? "")
                let languageModel = try ModelRegistry.load(model, precision: precision.resolved)
                let tokenizer = try BPETokenizer.load(from: model)
                source = try ModelActivationSource(model: languageModel, tokenizer: tokenizer, hook: point, documents: corpusData.documents,
                                                   seed: seed, contextTokens: min(context, languageModel.contextLength),
                                                   skipFirst: skipFirst, startingAt: startPosition)
                sourceName = corpus.joined(separator: ", ")
                modelName = (model as NSString).lastPathComponent
                hookName = point.description
                note("train: \(corpusData.documents.count) documents from \(corpusData.files.count) files; \(languageModel.architecture) model, d_model \(languageModel.dModel), hook \(point)")
            } else {
                let npy = try NpyActivationSource(paths: activations, startingAt: startPosition)
                source = npy
                sourceName = activations.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")
                note("train: \(npy.totalRows) rows of width \(npy.width) in \(activations.count) .npy files")
            }
            let d = source.width
            var pool = ShuffleBuffer(width: d, capacity: buffer, uses: reuse, seed: seed &+ UInt64(startPosition) &+ 1)
            var overflow: ArraySlice<Float> = []
            func fill() throws {
                while !pool.isFull {
                    if overflow.isEmpty { overflow = try source.nextChunk()[...] }
                    overflow = pool.add(overflow)
                }
            }
            let resumedTokens = resumed?.progress["tokens_trained"].flatMap(Int.init) ?? 0
            if resumed == nil || resumedTokens < tokens {  // a finished checkpoint is only exported
                let fillStarted = Date()
                try fill()
                note(String(format: "train: shuffle buffer filled (%d rows) in %.0f s", buffer, Date().timeIntervalSince(fillStarted)))
            }

            // The trainer: from the checkpoint, or started from a sample of the buffer.
            var trainer: TopKTrainer, scale: Float, tokensDone = 0
            if let resumed {
                trainer = resumed.trainer
                guard trainer.configuration.inputWidth == d, let s = resumed.progress["scale"].flatMap(Float.init) else {
                    throw TrainerError.badCheckpoint(path: checkpointPath, reason: "it was made for other activations (width \(trainer.configuration.inputWidth), this data has \(d)) or has no 'scale'")
                }
                scale = s
                tokensDone = resumedTokens
                note("train: resumed from \(checkpointPath) at \(tokensDone) tokens, step \(trainer.adam.steps)")
            } else {
                var sample = [Float](repeating: 0, count: min(initTokens, buffer) * d)
                pool.peek(min(initTokens, buffer), into: &sample)
                scale = DataStatistics.unitCoordinateScale(sample, width: d)
                for i in sample.indices { sample[i] *= scale }
                let median = DataStatistics.geometricMedian(sample, width: d)
                let configuration = TopKTrainer.Configuration(inputWidth: d, latentCount: latents, k: k, auxK: auxK, auxCoefficient: auxCoefficient,
                                                              deadAfterTokens: deadAfter, beta1: beta1, beta2: beta2, epsilon: eps)
                trainer = try TopKTrainer(configuration: configuration,
                                          parameters: .initial(inputWidth: d, latentCount: latents, decoderBias: median, seed: seed))
                note(String(format: "train: input scale %.6g (mean squared norm → %d), b_dec = geometric median of %d tokens", scale, d, sample.count / d))
            }
            let c = trainer.configuration, startTokens = tokensDone
            let baseRate = lr ?? resumed?.progress["learning_rate"].flatMap(Float.init) ?? Float(2e-4 / (Double(c.latentCount) / 16384).squareRoot())
            func rate(at done: Int) -> Float {
                let decayStart = Float(tokens) * (1 - lrDecay)
                guard lrDecay > 0, Float(done) > decayStart else { return baseRate }
                return baseRate * max(0, Float(tokens - done) / (Float(tokens) - decayStart))
            }
            note(String(format: "train: %d latents, k %d, aux_k %d, batch %d, lr %.3g, %d tokens to go", c.latentCount, c.k, c.auxK, batchSize, baseRate, max(0, tokens - tokensDone)))

            var recent: [StepStatistics] = []
            func recentMean(_ f: (StepStatistics) -> Float) -> Float { recent.map(f).reduce(0, +) / Float(max(recent.count, 1)) }
            func progress() -> [String: String] {
                var p: [String: String] = [:]
                if !recent.isEmpty {
                    p["train_fvu"] = String(recentMean(\.fvu))
                    p["train_l0"] = String(recentMean(\.l0))
                } else if let resumed {  // nothing trained since: keep what the checkpoint measured
                    p["train_fvu"] = resumed.progress["train_fvu"]
                    p["train_l0"] = resumed.progress["train_l0"]
                }
                p["tokens_trained"] = String(tokensDone)
                p["source_position"] = String(source.position)
                p["scale"] = String(scale)
                p["seed"] = String(seed)
                p["batch_size"] = String(batchSize)
                p["learning_rate"] = String(baseRate)
                return p
            }
            func saveCheckpoint() throws {
                try TrainingCheckpoint(trainer: trainer, progress: progress()).write(to: checkpointPath)
            }

            // Training.
            let bar = TrainingProgress(total: tokens, start: tokensDone, logEvery: logEvery)
            var batch = [Float](repeating: 0, count: batchSize * d)
            var nextCheckpoint = checkpointEvery > 0 ? (tokensDone / checkpointEvery + 1) * checkpointEvery : Int.max
            while tokensDone < tokens {
                try fill()
                pool.draw(batchSize, into: &batch)
                for i in batch.indices { batch[i] *= scale }
                let stats = try trainer.step(batch, learningRate: rate(at: tokensDone))
                guard stats.loss.isFinite else {
                    throw TrainerError.badBatch("the loss became \(stats.loss) at \(tokensDone) tokens; try a smaller --lr")
                }
                tokensDone += batchSize
                recent.append(stats)
                if recent.count > 100 { recent.removeFirst() }
                bar.update(tokensDone, stats: recent)
                if tokensDone >= nextCheckpoint {
                    try saveCheckpoint()
                    nextCheckpoint += checkpointEvery
                }
            }
            try saveCheckpoint()

            // The SAE, with what the run measured over its last 100 steps (or the checkpoint did).
            let facts = progress()
            let fvu = facts["train_fvu"].flatMap(Float.init) ?? .nan, l0 = facts["train_l0"].flatMap(Float.init) ?? .nan
            let dead = Float(trainer.deadLatents.count) / Float(c.latentCount)
            var info = SparseAutoencoder.Info(format: "saescope", path: out, hookName: hookName, modelName: modelName)
            let formatter = ISO8601DateFormatter()
            info.metadata = [
                "trainer": "saescope train (TopK, AuxK, Adam)",
                "trained_tokens": String(tokensDone),
                "train_fvu": String(format: "%.4f", fvu),
                "train_l0": String(format: "%.2f", l0),
                "dead_fraction": String(format: "%.4f", dead),
                "dead_after_tokens": String(c.deadAfterTokens),
                "aux_k": String(c.auxK),
                "aux_coefficient": String(c.auxCoefficient),
                "learning_rate": String(baseRate),
                "batch_size": String(batchSize),
                "reuse": String(reuse),
                "seed": String(seed),
                "corpus": sourceName,
                "date": formatter.string(from: Date()),
            ]
            if corpusDocuments > 0 {
                info.metadata["corpus_documents"] = String(corpusDocuments)
                info.metadata["context_tokens"] = String(context)
                info.metadata["skip_first"] = String(skipFirst)
            }
            let p = trainer.parameters
            let sae = try SparseAutoencoder(inputWidth: d, latentCount: c.latentCount, activation: .topK(c.k), normalization: .scale(scale),
                                            subtractsDecoderBias: true, encoder: p.encoder, encoderBias: p.encoderBias,
                                            decoder: p.decoder, decoderBias: p.decoderBias, info: info)
            try sae.writeSAEScopeFile(to: out, as: half ? .f16 : .f32)
            let seconds = Date().timeIntervalSince(started)
            say(String(format: "train: %d tokens (%d in this run, %.0f s, %.0f tokens/s): FVU %.4f, L0 %.1f, dead %.2f%% of %d latents → %@%@",
                       tokensDone, tokensDone - startTokens, seconds, Double(tokensDone - startTokens) / max(seconds, 1e-3), fvu, l0, 100 * dead, c.latentCount, out, half ? " (float16)" : ""))
        }
    }

    static func checkpointPath(for out: String) -> String {
        (out.hasSuffix(".safetensors") ? String(out.dropLast(".safetensors".count)) : out) + ".checkpoint.safetensors"
    }
}

/// Training progress on stderr: a line redrawn in place on a terminal, else a line every
/// `logEvery` seconds; both show loss, FVU, L0 and the dead share averaged over recent steps.
final class TrainingProgress {
    let total: Int
    let start: Int
    let logEvery: Double
    private let started = Date()
    private let terminal = isatty(STDERR_FILENO) != 0
    private var lastDraw = Date.distantPast

    init(total: Int, start: Int, logEvery: Double) {
        self.total = max(total, 1)
        self.start = start
        self.logEvery = logEvery
    }

    func update(_ done: Int, stats: [StepStatistics]) {
        let now = Date()
        let finished = done >= total
        guard finished || now.timeIntervalSince(lastDraw) > (terminal ? 0.25 : logEvery) else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(started)
        let rate = Double(done - start) / max(elapsed, 1e-3)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let count = Float(max(stats.count, 1))
        func mean(_ f: (StepStatistics) -> Float) -> Float { stats.map(f).reduce(0, +) / count }
        let figures = String(format: "loss %.4f, FVU %.4f, L0 %.1f, dead %.1f%%, %.0f tokens/s, ETA %.0f s",
                             mean(\.loss), mean(\.fvu), mean(\.l0), 100 * (stats.last?.deadFraction ?? 0), rate, eta)
        if terminal {
            let width = 24, filled = width * min(done, total) / total
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data("\rtrain \(bar) \(done)/\(total) tokens, \(figures) ".utf8))
            if finished { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            note("train: \(done)/\(total) tokens (\(100 * done / total)%), \(figures)")
        }
    }
}
