import Foundation

public enum IndexWriteError: Error, CustomStringConvertible {
    case exists(String)
    case badLatent(Int, String)
    case notWritable(String, String)

    public var description: String {
        switch self {
        case .exists(let path): return "\(path) already exists; pass --force to replace it"
        case .badLatent(let id, let why): return "latent \(id): \(why)"
        case .notWritable(let path, let why): return "cannot write \(path): \(why)"
        }
    }
}

/// Writes a new index. Everything goes to `PATH.partial` inside one transaction; `finish()`
/// computes the summary, commits and renames it to `PATH`, so an interrupted build never
/// leaves a file that looks finished.
public final class IndexWriter {
    public let path: String
    let partialPath: String
    let db: Database
    private var nLatents = 0
    private var finished = false

    public init(path: String, overwrite: Bool = false, migrator: Migrator? = nil) throws {
        if !overwrite && FileManager.default.fileExists(atPath: path) { throw IndexWriteError.exists(path) }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw IndexWriteError.notWritable(path, "the folder \(folder) does not exist")
        }
        self.path = path
        self.partialPath = path + ".partial"
        for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: partialPath + suffix) }
        do {
            db = try Database(path: partialPath, readOnly: false)
        } catch let error as SQLiteError {
            throw IndexWriteError.notWritable(path, error.message)
        }
        // The partial file is thrown away on a crash, so durability is not needed until the end.
        try db.execute("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536")
        try (migrator ?? Migrator.bundled()).migrate(db)
        try db.execute("BEGIN")
    }

    deinit {
        if !finished {
            for suffix in ["", "-journal"] { try? FileManager.default.removeItem(atPath: partialPath + suffix) }
        }
    }

    public func setMetadata(_ metadata: IndexMetadata) throws {
        try setMeta("sae", MetaJSON.encode(metadata.sae))
        try setMeta("model", MetaJSON.encode(metadata.model))
        try setMeta("corpus", MetaJSON.encode(metadata.corpus))
        try setMeta("build", MetaJSON.encode(metadata.build))
    }

    func setMeta(_ key: String, _ json: String) throws {
        try db.statement("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").bind(.text(key), .text(json)).run()
    }

    public func writeVocabulary(_ tokens: [VocabToken]) throws {
        let vocabulary = Vocabulary(tokens)
        let insert = try db.statement("INSERT INTO vocab (id, bytes, special, norm) VALUES (?, ?, ?, ?)")
        for (id, token) in tokens.enumerated() {
            try insert.bind(.int(id), .blob(token.bytes), .int(token.special ? 1 : 0),
                            .text(Vocabulary.searchKey(vocabulary.text(UInt32(id))))).run()
        }
    }

    public func writeLatent(_ latent: LatentRecord) throws {
        let s = latent.stats
        guard latent.histogram.min <= latent.histogram.max else {
            throw IndexWriteError.badLatent(latent.id, "histogram min \(latent.histogram.min) > max \(latent.histogram.max)")
        }
        guard latent.intervals.count < IndexWriter.groupsPerLatent else {
            throw IndexWriteError.badLatent(latent.id, "\(latent.intervals.count) interval groups; at most \(IndexWriter.groupsPerLatent - 1) fit")
        }
        guard latent.id >= 0, latent.id < IndexWriter.maxLatentID else {
            throw IndexWriteError.badLatent(latent.id, "ids go from 0 to \(IndexWriter.maxLatentID - 1)")
        }
        for example in latent.topExamples + latent.intervals.flatMap(\.examples)
        where example.tokenIDs.count != example.activations.count {
            throw IndexWriteError.badLatent(latent.id, "an example has \(example.tokenIDs.count) tokens but \(example.activations.count) activations")
        }
        let top = latent.topExamples.map(\.maxActivation).max() ?? 0
        let groups = [IntervalGroup(min: 0, max: Double(top), contains: 1, examples: latent.topExamples)] + latent.intervals
        try db.statement("""
            INSERT INTO latents (id, density, max_activation, mean, mean_square, skew, kurtosis,
                                 hist_min, hist_max, hist_counts, top_logits, bottom_logits, neighbors, groups)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).bind(
                .int(latent.id), .double(s.density), .double(s.maxActivation), .double(s.mean), .double(s.meanSquare),
                s.skew.map { .double($0) }, s.kurtosis.map { .double($0) },
                .double(latent.histogram.min), .double(latent.histogram.max), .blob(Blob.pack(latent.histogram.counts)),
                .blob(Blob.pack(pairs: latent.topLogits.map { ($0.tokenID, $0.value) })),
                .blob(Blob.pack(pairs: latent.bottomLogits.map { ($0.tokenID, $0.value) })),
                .blob(Blob.pack(pairs: latent.neighbors.map { ($0.id, $0.cosine) })),
                .blob(Blob.pack(groups: groups))
            ).run()
        nLatents += 1
    }

    /// Groups one latent may have: its top examples and up to 63 intervals.
    public static let groupsPerLatent = 64
    /// One past the largest latent id an index can hold (2^56, far beyond any SAE).
    public static let maxLatentID = 1 << 56

    /// Adds or replaces the explanation of `latent` from `source`.
    public func setExplanation(latent: Int, _ e: Explanation) throws {
        try db.statement("""
            INSERT INTO explanations (latent_id, source, text, automatic) VALUES (?, ?, ?, ?)
            ON CONFLICT (latent_id, source) DO UPDATE SET text = excluded.text, automatic = excluded.automatic
            """).bind(.int(latent), .text(e.source), .text(e.text), .int(e.automatic ? 1 : 0)).run()
    }

    /// The latents that fire on `tokenID`, strongest first.
    public func setTokenLatents(tokenID: Int, _ latents: [TokenLatent]) throws {
        let insert = try db.statement("""
            INSERT INTO token_latents (token_id, rank, latent_id, count, mean_activation, max_activation)
            VALUES (?, ?, ?, ?, ?, ?)
            """)
        for (rank, l) in latents.enumerated() {
            try insert.bind(.int(tokenID), .int(rank), .int(l.latentID), .int(l.count),
                            .double(l.meanActivation), .double(l.maxActivation)).run()
        }
    }

    /// Bins of the log10-density histogram over all latents.
    public static let densityBins = 50
    public static let densityLog10Range = (-8.0, 0.0)

    /// Computes the summary, commits, and moves the file into place.
    public func finish(tokensIndexed: Int) throws {
        var counts = [Int](repeating: 0, count: IndexWriter.densityBins)
        var dead = 0
        let (lo, hi) = IndexWriter.densityLog10Range
        let rows = try db.statement("SELECT density FROM latents")
        while try rows.step() {
            let density = rows.double(0)
            guard density > 0 else { dead += 1; continue }
            let t = (log10(density) - lo) / (hi - lo)
            counts[Swift.min(counts.count - 1, Swift.max(0, Int(t * Double(counts.count))))] += 1
        }
        let summary = IndexSummary(latents: nLatents, deadLatents: dead, tokensIndexed: tokensIndexed,
                                   densityHistogram: .init(log10Min: lo, log10Max: hi, counts: counts))
        try setMeta("summary", MetaJSON.encode(summary))
        try db.execute("COMMIT")
        try db.execute("PRAGMA optimize")
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        do {
            try FileManager.default.moveItem(atPath: partialPath, toPath: path)
        } catch {
            throw IndexWriteError.notWritable(path, error.localizedDescription)
        }
        finished = true
    }
}
