import FeatureIndex
import Foundation
import Kernels
import LanguageModel
import Pipeline
import SparseAutoencoder

// The streaming build: corpus → documents → windows → model + SAE (windows in parallel) →
// BuildState → an index (or a shard's part). One pass over the corpus; a checkpoint at
// document boundaries lets an interrupted build continue (`--resume`).

public enum BuildError: Error, CustomStringConvertible, Equatable {
    case badOption(String)
    case emptyCorpus(String)
    case badState(String, String)
    case mismatch(String)

    public var description: String {
        switch self {
        case .badOption(let why): return why
        case .emptyCorpus(let why): return why
        case .badState(let path, let why): return "\(path): \(why)"
        case .mismatch(let why): return why
        }
    }
}

/// How a build runs (what it computes is in `parameters`).
public struct BuildOptions: Sendable {
    public var parameters = BuildParameters()
    /// Windows run through the model between updates of the statistics.
    public var batchSize = 32
    /// Threads: windows of a batch run side by side, one thread each.
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Where the checkpoint goes (nil: no checkpoints), and how often.
    public var checkpointPath: String?
    public var checkpointSeconds: Double = 120
    /// Continue from the checkpoint, if there is one.
    public var resume = false
    /// Replace an existing output.
    public var overwrite = false
    /// Corpus, model and SAE names for the metadata, and files to hash.
    public var modelFile: String?
    public var saeFile: String?
    /// Tests: stop as if killed right after this many checkpoints.
    var stopAfterCheckpoints: Int?

    public init() {}
}

/// Where a build is, for progress lines.
public struct BuildProgress: Sendable {
    public var documents: Int
    public var tokens: Int
    public var bytesRead: Int
    public var totalBytes: Int
    /// Seconds of this run.
    public var seconds: Double
}

/// What a build did.
public struct BuildSummary: Sendable {
    public var output: String
    public var documents: Int
    public var tokens: Int
    public var windows: Int
    public var badLines: Int
    /// The first few bad lines, as "file:line: why".
    public var badLineExamples: [String]
    public var latents: Int
    public var deadLatents: Int
    public var corpusSeconds: Double
    public var totalSeconds: Double
    public var resumedFromRecord: Int
    /// True when the build stopped early (a test's simulated interruption).
    public var interrupted: Bool
    public var wrotePart: Bool
}

public final class IndexBuilder {
    public let pipeline: FeaturePipeline
    public let corpus: Corpus
    public let options: BuildOptions

    public init(pipeline: FeaturePipeline, corpus: Corpus, options: BuildOptions) throws {
        let p = options.parameters
        let bos = pipeline.bos == nil ? 0 : 1
        guard p.context > bos else { throw BuildError.badOption("--context must be at least \(bos + 1) (room for a document token\(bos > 0 ? " after the BOS" : ""))") }
        guard p.context <= pipeline.model.contextLength else {
            throw BuildError.badOption("--context \(p.context) is longer than the model's context of \(pipeline.model.contextLength) tokens")
        }
        guard p.shardCount >= 1, (0..<p.shardCount).contains(p.shardIndex) else {
            throw BuildError.badOption("--shard must be i/n with 0 ≤ i < n, got \(p.shardIndex)/\(p.shardCount)")
        }
        guard p.topExamples >= 0, p.topExamples <= 1000, p.intervals >= 0, p.intervals < IndexWriter.groupsPerLatent,
              p.examplesPerInterval >= 0, p.examplesPerInterval <= 1000 else {
            throw BuildError.badOption("--top and --per-interval must be 0…1000 and --intervals 0…\(IndexWriter.groupsPerLatent - 1)")
        }
        guard options.batchSize >= 1, options.threads >= 1 else { throw BuildError.badOption("--batch-size and --threads must be at least 1") }
        self.pipeline = pipeline
        self.corpus = corpus
        self.options = options
    }

    /// The metadata of a new build (file hashes included).
    func freshMetadata() throws -> IndexMetadata {
        let sae = pipeline.sae, model = pipeline.model
        let architecture: String
        switch sae.activation {
        case .topK: architecture = "topk"
        case .relu: architecture = "relu"
        case .jumpReLU: architecture = "jumprelu"
        }
        func name(_ path: String?) -> String? { path.map { URL(fileURLWithPath: $0).lastPathComponent } }
        let saeFile = options.saeFile ?? sae.info.path
        return IndexMetadata(
            sae: .init(name: name(saeFile) ?? "sae", architecture: architecture, nLatents: sae.latentCount, dModel: sae.inputWidth,
                       k: sae.k, hook: pipeline.hook.description, layer: pipeline.hook.layer, file: name(saeFile),
                       sha256: try SHA256.hexDigest(ofFile: saeFile)),
            model: .init(name: name(options.modelFile ?? pipeline.modelPath) ?? "model", architecture: model.architecture,
                         file: name(options.modelFile ?? pipeline.modelPath), sha256: try SHA256.hexDigest(ofFile: options.modelFile ?? pipeline.modelPath)),
            corpus: .init(name: corpus.inputs.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", "), documents: 0, tokens: 0),
            build: ["sae_format": .string(sae.info.format), "normalization": .string(sae.normalization.description),
                    "precision": .string(model.precision.description)])
    }

    /// Builds: an index at `out`, or with `--shard i/n` (n > 1) a part file for `merge`.
    @discardableResult
    public func run(out: String, progress: (BuildProgress) -> Void = { _ in },
                    badLine: (String) -> Void = { _ in }) throws -> BuildSummary {
        let started = Date()
        let p = options.parameters
        if !options.overwrite && FileManager.default.fileExists(atPath: out) { throw IndexWriteError.exists(out) }
        let state: BuildState
        if options.resume, let checkpoint = options.checkpointPath, FileManager.default.fileExists(atPath: checkpoint) {
            state = try BuildState.load(checkpoint)
            guard state.parameters == p, state.latents == pipeline.sae.latentCount, !state.complete else {
                throw BuildError.mismatch("the checkpoint \(checkpoint) is from a build with other settings (context, examples, shard, SAE); run without --resume to start again")
            }
        } else {
            let tokenizer = pipeline.tokenizer
            let vocabulary = Vocabulary(tokenBytes: tokenizer.tokenBytes, special: tokenizer.isSpecial).tokens
            state = BuildState(latents: pipeline.sae.latentCount, parameters: p, metadata: try freshMetadata(), vocabulary: vocabulary)
        }
        let resumedFrom = state.nextRecord
        let secondsBefore = state.seconds
        // Every window starts with BOS, whatever the model's own settings: the first position
        // is an attention sink (FeaturePipeline.tokenize), so it must not be a document token.
        let bos = pipeline.bos
        let prefix = bos.map { [$0] } ?? []
        let chunk = p.context - prefix.count
        let totalBytes = corpus.totalBytes

        var pending: [(tokens: [Int], document: Int, position: Int)] = []
        var queuedTokens = 0  // non-special tokens queued, not yet in the state
        var record = 0, documentIndex = 0, recordsVisited = 0, bytesRead = 0
        var lastCheckpoint = Date(), checkpoints = 0
        var stop = false, interrupted = false
        var badExamples: [String] = []
        let runStart = Date()

        func flush() throws {
            guard !pending.isEmpty else { return }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            let codes = try encode(batch.map(\.tokens))
            for (window, c) in zip(batch, codes) {
                state.add(tokens: window.tokens, skip: prefix.count, document: window.document, position: window.position,
                          codes: c, isSpecial: pipeline.isSpecial)
            }
            queuedTokens = 0
            state.seconds = secondsBefore + Date().timeIntervalSince(runStart)
            progress(BuildProgress(documents: state.documents, tokens: state.tokens, bytesRead: bytesRead, totalBytes: totalBytes,
                                   seconds: Date().timeIntervalSince(runStart)))
        }
        /// At a record boundary with nothing pending: the state covers exactly the records visited.
        func boundary() throws {
            state.nextRecord = max(state.nextRecord, recordsVisited)
            guard let path = options.checkpointPath, Date().timeIntervalSince(lastCheckpoint) >= options.checkpointSeconds else { return }
            state.seconds = secondsBefore + Date().timeIntervalSince(runStart)
            try state.save(to: path)
            lastCheckpoint = Date()
            checkpoints += 1
            if let limit = options.stopAfterCheckpoints, checkpoints >= limit { interrupted = true }
        }

        try corpus.forEachRecord { item, read in
            defer { record += 1 }
            bytesRead = read
            let mine: Bool
            switch item {
            case .bad(let file, let line, let why):
                mine = record % p.shardCount == p.shardIndex
                if record >= state.nextRecord && mine {
                    state.badLines += 1
                    if badExamples.count < 5 { badExamples.append("\(file):\(line): \(why)") }
                    badLine("\(file):\(line): \(why)")
                }
                recordsVisited = record + 1
            case .document(let text):
                let d = documentIndex
                documentIndex += 1
                guard record >= state.nextRecord, d % p.shardCount == p.shardIndex else {
                    recordsVisited = record + 1
                    break
                }
                var tokens = pipeline.tokenize(text)
                if let bos, tokens.first == bos { tokens.removeFirst() }
                var offset = 0
                while offset < tokens.count && !stop {
                    var piece = Array(tokens[offset..<min(offset + chunk, tokens.count)])
                    var count = piece.reduce(0) { $0 + (pipeline.isSpecial($1) ? 0 : 1) }
                    if let limit = p.maxTokens, state.tokens + queuedTokens + count >= limit {
                        // Cut the window where the budget runs out.
                        var keep = 0, n = 0
                        while keep < piece.count && state.tokens + queuedTokens + n < limit {
                            if !pipeline.isSpecial(piece[keep]) { n += 1 }
                            keep += 1
                        }
                        piece = Array(piece.prefix(keep))
                        count = n
                        stop = true
                    }
                    if !piece.isEmpty {
                        pending.append((prefix + piece, d, offset))
                        queuedTokens += count
                    }
                    offset += chunk
                    if pending.count >= 4 * options.batchSize { try flush() }  // a long document: bound memory
                }
                state.documents += 1
                recordsVisited = record + 1
                if pending.count >= options.batchSize || stop { try flush() }
            }
            if pending.isEmpty && !stop { try boundary() }
            return !stop && !interrupted
        }
        if interrupted {
            return summary(state, out: out, started: started, resumedFrom: resumedFrom, interrupted: true, part: false, bad: badExamples)
        }
        try flush()
        state.nextRecord = max(state.nextRecord, recordsVisited)
        guard documentIndex > 0 else {
            throw BuildError.emptyCorpus("the corpus (\(corpus.inputs.joined(separator: ", "))) holds no documents\(state.badLines > 0 ? " (\(state.badLines) bad line\(state.badLines == 1 ? "" : "s"), e.g. \(badExamples.first ?? ""))" : "")")
        }
        if p.shardCount == 1 && state.tokens == 0 {
            throw BuildError.emptyCorpus("the corpus (\(corpus.inputs.joined(separator: ", "))) has \(state.documents) documents but no text to index")
        }
        if p.shardIndex == 0 && state.decoder == nil { state.decoder = computeDecoderFacts() }
        state.complete = true
        if p.shardCount > 1 {
            try state.save(to: out)
        } else {
            try state.writeIndex(to: out, overwrite: options.overwrite)
        }
        if let checkpoint = options.checkpointPath { try? FileManager.default.removeItem(atPath: checkpoint) }
        return summary(state, out: out, started: started, resumedFrom: resumedFrom, interrupted: false, part: p.shardCount > 1, bad: badExamples)
    }

    private func summary(_ state: BuildState, out: String, started: Date, resumedFrom: Int, interrupted: Bool, part: Bool, bad: [String]) -> BuildSummary {
        BuildSummary(output: out, documents: state.documents, tokens: state.tokens, windows: state.windows, badLines: state.badLines,
                     badLineExamples: bad, latents: state.latents, deadLatents: state.positives.filter { $0 == 0 }.count,
                     corpusSeconds: state.seconds, totalSeconds: Date().timeIntervalSince(started), resumedFromRecord: resumedFrom,
                     interrupted: interrupted, wrotePart: part)
    }

    /// The SAE codes of each window: windows side by side on `threads` threads, one BLAS thread
    /// each (small products run better that way than one product on many threads). Each
    /// window is encoded on its own, so its values do not depend on the batch it is in.
    func encode(_ windows: [[Int]]) throws -> [SparseCodes] {
        let workers = min(options.threads, windows.count)
        BLASRuntime.setThreads(max(1, options.threads / max(workers, 1)))
        let results = UnsafeMutableBufferPointer<Result<SparseCodes, Error>?>.allocate(capacity: windows.count)
        results.initialize(repeating: nil)
        defer { results.deinitialize(); results.deallocate() }
        let out = SharedPointer(results.baseAddress!)
        let pipeline = self.pipeline
        parallel(workers) { worker in
            for i in stride(from: worker, to: windows.count, by: workers) {
                out.base[i] = Result { try pipeline.encode(windows[i], threads: 1).codes }
            }
        }
        return try results.map { try $0!.get() }
    }

    func computeDecoderFacts() -> DecoderFacts {
        BLASRuntime.setThreads(options.threads)
        let sae = pipeline.sae
        return pipeline.model.withUnembedding { u in
            DecoderFacts.compute(decoder: sae.decoder, latents: sae.latentCount, width: sae.inputWidth, unembedding: u,
                                 vocabulary: pipeline.model.vocabularySize, threads: options.threads)
        }
    }
}
