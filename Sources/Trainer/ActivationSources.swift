// Where training activations come from: a model run over a corpus, or .npy files made by
// `saescope activations`. Legend: T rows (tokens), D width.
import Foundation
import LanguageModel
import Tensors
import Tokenizer

/// Rows of activations, a chunk at a time, cycling over their data for ever.
public protocol ActivationSource {
    /// D
    var width: Int { get }
    /// How far the source has read (documents or rows, counted over all passes); a source made
    /// again with this as its start carries on where this one stopped.
    var position: Int { get }
    /// The next chunk: (rows, D) values. Never empty.
    mutating func nextChunk() throws -> [Float]
}

/// A hook's activations over corpus documents: each pass visits the documents in a new seeded
/// random order, so a long run sees every kind of text throughout. Each document is cut into
/// windows that start with the model's BOS token (as `FeaturePipeline` sequences do for index
/// builds and live activations) and hold at most `contextTokens` tokens in all; special tokens
/// and the first `skipFirst` positions of each window (the first is an attention sink whose
/// residual is thousands of times larger) are left out.
public struct ModelActivationSource: ActivationSource {
    public let model: any LanguageModel
    public let tokenizer: BPETokenizer
    public let hook: HookPoint
    public let documents: [String]
    public let seed: UInt64
    public let contextTokens: Int
    public let skipFirst: Int
    public private(set) var position: Int
    /// The token each window starts with (`BPETokenizer.sequenceStartID`); none if there is none.
    public let bos: Int?
    /// Tokens the model has run, and tokens handed out.
    public private(set) var tokensRun = 0
    public private(set) var tokensKept = 0
    private var order: [Int] = []
    private var orderPass = -1
    private var pending: [[Int]] = []

    public var width: Int { model.dModel }

    public init(model: any LanguageModel, tokenizer: BPETokenizer, hook: HookPoint, documents: [String],
                seed: UInt64, contextTokens: Int, skipFirst: Int, startingAt position: Int = 0) throws {
        guard hook.layer < model.layerCount else {
            throw ModelError.badHook("\(hook) (this \(model.architecture) model has layers 0 to \(model.layerCount - 1))")
        }
        guard contextTokens > skipFirst, contextTokens <= model.contextLength else {
            throw TrainerError.badConfiguration("the context (\(contextTokens) tokens) must exceed --skip-first (\(skipFirst)) and fit the model's \(model.contextLength)")
        }
        self.model = model
        self.tokenizer = tokenizer
        self.hook = hook
        self.documents = documents
        self.seed = seed
        self.contextTokens = contextTokens
        self.skipFirst = skipFirst
        self.position = position
        bos = tokenizer.sequenceStartID
    }

    /// The document the source reads at `position`: pass p visits a permutation seeded by (seed, p).
    mutating func documentIndex(at position: Int) -> Int {
        let pass = position / documents.count
        if pass != orderPass {
            var generator = SeededGenerator(seed: seed &+ UInt64(pass) &* 0x9E37_79B9)
            order = Array(documents.indices).shuffled(using: &generator)
            orderPass = pass
        }
        return order[position % documents.count]
    }

    public mutating func nextChunk() throws -> [Float] {
        while true {
            while pending.isEmpty {
                var tokens = tokenizer.encode(documents[documentIndex(at: position)])
                if let bos, tokens.first == bos { tokens.removeFirst() }
                position += 1
                let prefix = bos.map { [$0] } ?? []
                let step = contextTokens - prefix.count
                var start = 0
                while start < tokens.count {
                    let window = prefix + tokens[start..<min(tokens.count, start + step)]
                    if window.count > skipFirst { pending.append(window) }
                    start += step
                }
            }
            let window = pending.removeFirst()
            try model.validate(window, hooks: [hook])
            let result = try model.forward(window, hooks: [hook], logits: false)
            guard let values = result.activations[hook] else { throw ModelError.badHook("\(hook) (the model returned nothing for it)") }
            tokensRun += window.count
            let d = width
            var kept: [Float] = []
            kept.reserveCapacity(values.count)
            for (t, token) in window.enumerated() where t >= skipFirst && !tokenizer.isSpecialToken(token) {
                kept.append(contentsOf: values[t * d..<(t + 1) * d])
            }
            tokensKept += kept.count / d
            if !kept.isEmpty { return kept }
        }
    }
}

/// Rows of (T, D) .npy files (float32 or float16), read in chunks, file after file, cycling.
public struct NpyActivationSource: ActivationSource {
    public let paths: [String]
    public let width: Int
    private let files: [NpyFile]
    private let rowCounts: [Int]
    public let chunkRows: Int
    /// Rows read over all passes.
    public private(set) var position: Int
    /// The current file converted to float32, when it is stored otherwise.
    private var converted: (file: Int, values: [Float])?

    public init(paths: [String], chunkRows: Int = 256, startingAt position: Int = 0) throws {
        guard !paths.isEmpty else { throw TrainerError.badConfiguration("no activation files given") }
        var files: [NpyFile] = [], counts: [Int] = [], width: Int?
        for path in paths {
            let npy = try NpyFile(path: path)
            let shape = npy.tensor.shape
            guard shape.count == 2, shape[0] > 0, shape[1] > 0 else {
                throw TrainerError.badCorpus(path: path, reason: "has shape \(shape); activations must be (tokens, d_model)")
            }
            guard width == nil || width == shape[1] else {
                throw TrainerError.badCorpus(path: path, reason: "has rows of width \(shape[1]) but \(paths[0]) has \(width ?? 0)")
            }
            width = shape[1]
            files.append(npy)
            counts.append(shape[0])
        }
        self.paths = paths
        self.files = files
        self.rowCounts = counts
        self.width = width ?? 0
        self.chunkRows = max(1, chunkRows)
        self.position = position
    }

    /// Rows in all files together.
    public var totalRows: Int { rowCounts.reduce(0, +) }

    public mutating func nextChunk() throws -> [Float] {
        var offset = position % totalRows, file = 0
        while offset >= rowCounts[file] { offset -= rowCounts[file]; file += 1 }
        let rows = min(chunkRows, rowCounts[file] - offset)
        let range = (offset * width)..<((offset + rows) * width)
        let tensor = files[file].tensor
        let chunk: [Float]
        if tensor.dtype == .f32 {
            chunk = try tensor.withFloats { Array($0[range]) }  // a view into the mapped file
        } else {
            if converted?.file != file { converted = (file, try tensor.floats()) }
            chunk = Array(converted!.values[range])
        }
        position += rows
        return chunk
    }
}

/// A pool of rows from which batches are drawn at random, so a batch mixes many documents.
/// Each row is drawn `uses` times before it leaves the pool (uses > 1 trains on each model
/// token more than once, when the model is the slow part).
public struct ShuffleBuffer {
    public let width: Int
    public let capacity: Int
    public let uses: Int
    private var rows: [Float]
    private var usesLeft: [Int]
    public private(set) var count = 0
    private var generator: SeededGenerator

    public init(width: Int, capacity: Int, uses: Int, seed: UInt64) {
        self.width = width
        self.capacity = max(1, capacity)
        self.uses = max(1, uses)
        rows = [Float](repeating: 0, count: self.capacity * width)
        usesLeft = [Int](repeating: 0, count: self.capacity)
        generator = SeededGenerator(seed: seed)
    }

    public var isFull: Bool { count == capacity }

    /// Adds as many of `values` (rows, D) as fit; returns the rows that did not fit.
    public mutating func add(_ values: ArraySlice<Float>) -> ArraySlice<Float> {
        let offered = values.count / width, taken = min(offered, capacity - count)
        let start = values.startIndex
        rows.withUnsafeMutableBufferPointer { pool in
            values.withUnsafeBufferPointer { v in
                (pool.baseAddress! + count * width).update(from: v.baseAddress!, count: taken * width)
            }
        }
        for i in count..<(count + taken) { usesLeft[i] = uses }
        count += taken
        return values[(start + taken * width)...]
    }

    /// Copies `rows` rows chosen at random into `out` (rows, D), leaving the pool as it was.
    public mutating func peek(_ rows: Int, into out: inout [Float]) {
        precondition(count > 0 && out.count == rows * width)
        for r in 0..<rows {
            let slot = Int(generator.next() % UInt64(count))
            for j in 0..<width { out[r * width + j] = self.rows[slot * width + j] }
        }
    }

    /// Draws `batch` rows at random into `out` (batch, D); a row whose uses are spent leaves.
    public mutating func draw(_ batch: Int, into out: inout [Float]) {
        precondition(batch <= count && out.count == batch * width)
        let d = width
        rows.withUnsafeMutableBufferPointer { pool in
            out.withUnsafeMutableBufferPointer { o in
                for b in 0..<batch {
                    let slot = Int(generator.next() % UInt64(count))
                    (o.baseAddress! + b * d).update(from: pool.baseAddress! + slot * d, count: d)
                    usesLeft[slot] -= 1
                    if usesLeft[slot] == 0 {
                        count -= 1
                        if slot != count {
                            (pool.baseAddress! + slot * d).update(from: pool.baseAddress! + count * d, count: d)
                            usesLeft[slot] = usesLeft[count]
                        }
                    }
                }
            }
        }
    }
}
