import Foundation

public enum IndexReadError: Error, CustomStringConvertible {
    case missing(String)
    case unreadable(String, String)
    case malformedQuery(String)

    public var description: String {
        switch self {
        case .missing(let path): return "no index at \(path)"
        case .unreadable(let path, let why): return "cannot read the index \(path): \(why)"
        case .malformedQuery(let why): return "malformed search query: \(why)"
        }
    }
}

/// How `IndexReader.features` orders latents.
public enum FeatureSort: String, Sendable, CaseIterable {
    case id, density
    case maxActivation = "max_activation"

    var column: String { self == .maxActivation ? "max_activation" : rawValue }
}

/// Reads an index, read-only and thread-safe: each query borrows a connection from a pool.
/// Metadata, summary and vocabulary are loaded once at open; besides the explanation cache's
/// table (at most 6 MB), nothing scales with the number of latents at open or per request.
public final class IndexReader: Sendable {
    public let path: String
    public let metadata: IndexMetadata
    public let summary: IndexSummary
    public let vocabulary: Vocabulary
    public let schemaVersion: Int
    let pool: ConnectionPool
    /// Preferred explanations of recently shown latents (the index is read-only while served).
    private let explanationCache: ExplanationCache
    /// Search key (`Vocabulary.searchKey`) → token ids, and exact display text → token ids.
    private let tokensByKey: [String: [UInt32]]
    private let tokensByText: [String: [UInt32]]

    public init(path: String, migrator: Migrator? = nil) throws {
        try IndexFile.check(path)
        self.path = path
        let pool = ConnectionPool(path: path)
        self.pool = pool
        let migrator = try migrator ?? Migrator.bundled()
        do {
            let loaded = try pool.with { db -> (IndexMetadata, IndexSummary, [VocabToken]) in
                try migrator.check(db)
                var meta: [String: String] = [:]
                let rows = try db.statement("SELECT key, value FROM meta")
                while try rows.step() { meta[rows.text(0)] = rows.text(1) }
                func part<T: Decodable>(_ key: String, _ type: T.Type) throws -> T {
                    guard let json = meta[key] else { throw IndexReadError.unreadable(path, "its meta table has no '\(key)' entry") }
                    do { return try MetaJSON.decode(type, json) } catch {
                        throw IndexReadError.unreadable(path, "its meta entry '\(key)' is not valid: \(error)")
                    }
                }
                let metadata = IndexMetadata(sae: try part("sae", IndexMetadata.SAE.self),
                                             model: try part("model", IndexMetadata.Model.self),
                                             corpus: try part("corpus", IndexMetadata.Corpus.self),
                                             build: try part("build", [String: JSONValue].self))
                var tokens: [VocabToken] = []
                let vocab = try db.statement("SELECT id, bytes, special FROM vocab ORDER BY id")
                while try vocab.step() {
                    guard vocab.int(0) == tokens.count else {
                        throw IndexReadError.unreadable(path, "vocabulary ids are not 0…n−1 (gap at \(tokens.count))")
                    }
                    tokens.append(VocabToken(bytes: vocab.blob(1), special: vocab.int(2) != 0))
                }
                return (metadata, try part("summary", IndexSummary.self), tokens)
            }
            (metadata, summary) = (loaded.0, loaded.1)
            vocabulary = Vocabulary(loaded.2)
        } catch let error as SQLiteError {
            throw IndexReadError.unreadable(path, error.message)
        }
        schemaVersion = migrator.latestVersion
        var byKey: [String: [UInt32]] = [:], byText: [String: [UInt32]] = [:]
        for id in 0..<UInt32(vocabulary.count) {
            let text = vocabulary.text(id)
            byText[text, default: []].append(id)
            byKey[Vocabulary.searchKey(text), default: []].append(id)
        }
        tokensByKey = byKey
        tokensByText = byText
        // A slot for every latent, up to 262,144 slots (6 MB).
        explanationCache = ExplanationCache(capacity: min(262_144, max(1, summary.latents)))
    }

    /// Everything about one latent, or nil if the index has no latent `id`.
    public func feature(id: Int) throws -> Feature? {
        try withLatentPage(id: id) { $0.feature }
    }

    /// At most this many explanations of a latent are shown (one per source).
    static let explanationsPerLatent = 100

    /// The explanations of each of `latents`, preferred first (written before automatic, then
    /// by source; empty for none), in the order of `latents`: from the cache, the rest one
    /// lookup each in the covering index `explanations_by_latent` (already in that order; one
    /// `IN (…)` query for all costs more in building and hashing its SQL than it saves). A page
    /// shows a latent's own and its ten neighbours' explanations, each a random read otherwise.
    func explanations(_ db: Database, version: Int, latents: [Int]) throws -> [[Explanation]] {
        var found = explanationCache.lookup(latents, version: version)
        guard found.contains(where: { $0 == nil }) else { return found.map { $0! } }
        let rows = try db.statement("""
            SELECT text, source, automatic FROM explanations WHERE latent_id = ? ORDER BY automatic, source LIMIT \(IndexReader.explanationsPerLatent)
            """)
        var fetched: [(Int, [Explanation])] = []
        for (k, id) in latents.enumerated() where found[k] == nil {
            try rows.bind(.int(id))
            var list: [Explanation] = []
            while try rows.step() {
                list.append(Explanation(text: rows.text(0), source: rows.text(1), automatic: rows.int(2) != 0))
            }
            found[k] = list
            fetched.append((id, list))
        }
        explanationCache.store(fetched, version: version)
        return found.map { $0! }
    }

    /// The preferred explanation of each of `latents` that has one.
    func preferredExplanations(_ db: Database, version: Int, latents: [Int]) throws -> [Int: Explanation] {
        var out: [Int: Explanation] = [:]
        for (id, list) in zip(latents, try explanations(db, version: version, latents: latents)) { out[id] = list.first }
        return out
    }

    private func summaries(_ db: Database, version: Int, _ rows: Statement) throws -> [FeatureSummary] {
        var out: [FeatureSummary] = []
        while try rows.step() {
            out.append(FeatureSummary(id: rows.int(0), density: rows.double(1), maxActivation: rows.double(2), mean: rows.double(3),
                                      explanation: nil))
        }
        let explanations = try preferredExplanations(db, version: version, latents: out.map(\.id))
        for i in out.indices { out[i].explanation = explanations[out[i].id] }
        return out
    }

    private static let matchingLatents = """
        SELECT e.latent_id FROM explanations e WHERE e.id IN (SELECT rowid FROM explanations_fts WHERE explanations_fts MATCH ?)
        """

    /// A page of latents, ordered by `sort` (ties by id), optionally only those whose
    /// explanation matches the FTS5 query `query`. Returns the page and the total count.
    public func features(offset: Int, limit: Int, sort: FeatureSort, descending: Bool, query: String?) throws
        -> (total: Int, features: [FeatureSummary]) {
        let direction = descending ? "DESC" : "ASC"
        let order = sort == .id ? "id \(direction)" : "\(sort.column) \(direction), id \(direction)"
        return try pool.withVersion { db, version in
            try ftsErrors {
                guard let query else {
                    let rows = try db.statement("SELECT id, density, max_activation, mean FROM latents ORDER BY \(order) LIMIT ? OFFSET ?")
                        .bind(.int(limit), .int(offset))
                    return (summary.latents, try summaries(db, version: version, rows))
                }
                let count = try db.statement("SELECT count(DISTINCT latent_id) FROM (\(IndexReader.matchingLatents))").bind(.text(query))
                let total = try count.step() ? count.int(0) : 0
                let rows = try db.statement("""
                    SELECT id, density, max_activation, mean FROM latents WHERE id IN (\(IndexReader.matchingLatents))
                    ORDER BY \(order) LIMIT ? OFFSET ?
                    """).bind(.text(query), .int(limit), .int(offset))
                return (total, try summaries(db, version: version, rows))
            }
        }
    }

    /// How many matches of a search are ranked (see `search`).
    public static let rankedCandidates = 2_000

    /// Latents whose explanations match the FTS5 query, most relevant (bm25) first, written
    /// explanations before automatic ones.
    public func search(_ query: String, limit: Int) throws -> [FeatureSummary] {
        try pool.withVersion { db, version in
            try ftsErrors {
                // Ranking every match costs time in proportion to the matches (a word in every
                // automatic summary matches a third of the latents), so only the first
                // `rankedCandidates` matches are ranked; written explanations come first.
                let hits = try db.statement("""
                    SELECT e.latent_id FROM (
                        SELECT rowid, rank FROM explanations_fts WHERE explanations_fts MATCH ? LIMIT \(IndexReader.rankedCandidates)
                    ) f JOIN explanations e ON e.id = f.rowid
                    ORDER BY e.automatic, f.rank
                    """).bind(.text(query))
                var ids: [Int] = []
                var seen = Set<Int>()
                while ids.count < limit, try hits.step() {
                    if seen.insert(hits.int(0)).inserted { ids.append(hits.int(0)) }
                }
                hits.reset()
                var out: [FeatureSummary] = []
                let row = try db.statement("SELECT id, density, max_activation, mean FROM latents WHERE id = ?")
                for id in ids {
                    try row.bind(.int(id))
                    out += try summaries(db, version: version, row)
                }
                return out
            }
        }
    }

    /// Vocabulary tokens matching `token` (exact display text, or ignoring case and surrounding
    /// whitespace), each with the latents that fire on it, strongest first.
    public func latents(forToken token: String, limit: Int) throws -> [(tokenID: UInt32, latents: [(TokenLatent, Explanation?)])] {
        let key = Vocabulary.searchKey(token)
        var ids = tokensByText[token] ?? []
        if !key.isEmpty { ids += (tokensByKey[key] ?? []).filter { !ids.contains($0) } }
        ids = Array(ids.sorted().prefix(64))
        return try pool.withVersion { db, version in
            let rows = try db.statement("""
                SELECT latent_id, count, mean_activation, max_activation FROM token_latents WHERE token_id = ? ORDER BY rank LIMIT ?
                """)
            let found = try ids.map { id in
                try rows.bind(.int(Int(id)), .int(limit))
                var found: [TokenLatent] = []
                while try rows.step() {
                    found.append(TokenLatent(latentID: rows.int(0), count: rows.int(1), meanActivation: rows.double(2), maxActivation: rows.double(3)))
                }
                return (id, found)
            }
            let explanations = try preferredExplanations(db, version: version, latents: found.flatMap { $0.1.map(\.latentID) })
            return found.map { id, latents in (id, latents.map { ($0, explanations[$0.latentID]) }) }
        }
    }

    /// Turns errors in a user's FTS5 query into `IndexReadError.malformedQuery`. The SQL
    /// around the query is fixed and tested, so a generic SQLITE_ERROR here is the query's.
    private func ftsErrors<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as SQLiteError where error.code & 0xFF == 1 {
            throw IndexReadError.malformedQuery(error.message)
        }
    }
}

/// A bounded map from latent id to its explanations (preferred first; empty when it has none):
/// a table of `capacity` slots (a power of two), latent `id` in slot `id & (capacity − 1)`. Latent
/// ids are dense, so an index of up to `capacity` latents has a slot for each, and a larger one
/// keeps the latest of the ids sharing a slot. A lookup is one load, with no hashing.
///
/// Entries belong to a version of the index file (`ConnectionPool.withVersion`): once a reader's
/// transaction sees a newer version, entries stored in older ones no longer count, and entries
/// read in an older one are not stored. So explanations imported while serving show up at once,
/// even on latents shown before.
final class ExplanationCache: @unchecked Sendable {
    private struct Slot {
        var id = -1
        var version = 0
        var explanations: [Explanation] = []
    }
    private let lock = NSLock()
    private var slots: [Slot]
    private let mask: Int
    /// The newest version any reader has seen.
    private var version = 0

    /// A cache of `capacity` slots (rounded up to a power of two).
    init(capacity: Int) {
        var size = 1
        while size < capacity { size <<= 1 }
        slots = Array(repeating: Slot(), count: size)
        mask = size - 1
    }

    /// The explanations of each of `ids` as of index `version`, nil where not cached.
    func lookup(_ ids: [Int], version: Int) -> [[Explanation]?] {
        lock.lock()
        defer { lock.unlock() }
        self.version = max(self.version, version)
        return slots.withUnsafeBufferPointer { slots in
            ids.map { id in
                let slot = slots[id & mask]
                return slot.id == id && slot.version == self.version ? slot.explanations : nil
            }
        }
    }

    func store(_ entries: [(Int, [Explanation])], version: Int) {
        var replaced: [[Explanation]] = []
        replaced.reserveCapacity(entries.count)
        lock.lock()
        self.version = max(self.version, version)
        if version == self.version {
            for (id, explanations) in entries {
                replaced.append(slots[id & mask].explanations)
                slots[id & mask] = Slot(id: id, version: version, explanations: explanations)
            }
        }
        lock.unlock()
        // The replaced lists are freed here, after unlocking.
    }
}

/// Read-only connections, one borrowed per request and returned afterwards.
///
/// A connection keeps its read transaction from one request to the next, for up to
/// `transactionLifetime`: starting one takes SQLite's shared lock, looks for a hot journal and
/// re-reads the change counter, eight system calls, more than a latent page's own reads. A
/// writer (`explanations import` while serving) waits at most about twice that long for the
/// lock (its busy timeout is 5 s), and the next transactions see its changes.
final class ConnectionPool: @unchecked Sendable {
    let path: String
    /// Read transactions older than this end before the next request, or when idle.
    static let transactionLifetime: UInt64 = 100_000_000
    private let lock = NSLock()
    private var idle: [Connection] = []
    private var reapScheduled = false
    /// The file's version: bumped whenever a connection's new read transaction finds that
    /// another connection changed the file. A transaction reads the file as of the version it
    /// started in.
    private var latestVersion = 0

    private final class Connection {
        let db: Database
        /// When its read transaction began (uptime, ns); nil without one.
        var readSince: UInt64?
        /// `PRAGMA data_version` at the start of the last transaction.
        var dataVersion: Int?
        /// The pool's version when this connection's transaction began.
        var version = 0
        init(_ db: Database) { self.db = db }

        /// Ends the read transaction if it began `transactionLifetime` or longer before `now`
        /// (`now` nil: whenever it began).
        func endRead(ifOlderAt now: UInt64?) {
            guard let since = readSince else { return }
            if let now, now &- since < ConnectionPool.transactionLifetime { return }
            db.endRead()
            readSince = nil
        }
    }

    init(path: String) { self.path = path }

    /// Runs `body` with a connection inside a read transaction; `version` is the version of
    /// the file that transaction reads (see `latestVersion`).
    func withVersion<T>(_ body: (_ db: Database, _ version: Int) throws -> T) throws -> T {
        let connection = try lock.withLock { idle.popLast() } ?? open()
        let now = DispatchTime.now().uptimeNanoseconds
        connection.endRead(ifOlderAt: now)
        do {
            if connection.readSince == nil {
                let dataVersion = try connection.db.beginRead()
                connection.readSince = now
                let changed = connection.dataVersion.map { $0 != dataVersion } ?? false
                connection.dataVersion = dataVersion
                connection.version = lock.withLock {
                    if changed { latestVersion += 1 }
                    return latestVersion
                }
            }
            let result = try body(connection.db, connection.version)
            connection.db.finishStatements()
            giveBack(connection)
            return result
        } catch {
            connection.endRead(ifOlderAt: nil)
            giveBack(connection)
            throw error
        }
    }

    private func open() throws -> Connection {
        let db = try Database(path: path, readOnly: true)
        // A small page cache per connection: the OS caches the file, and resident memory must
        // stay flat however large the index (1M latents serve in < 150 MB).
        try db.execute("PRAGMA cache_size = -2048")
        return Connection(db)
    }

    /// `withVersion` for queries that cache nothing.
    func with<T>(_ body: (_ db: Database) throws -> T) throws -> T {
        try withVersion { db, _ in try body(db) }
    }

    private func giveBack(_ connection: Connection) {
        lock.lock()
        defer { lock.unlock() }
        idle.append(connection)
        if connection.readSince != nil { scheduleReap() }
    }

    /// Ends idle connections' read transactions once they are old (called with the lock held).
    private func scheduleReap() {
        guard !reapScheduled else { return }
        reapScheduled = true
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(ConnectionPool.transactionLifetime))) { [weak self] in
            self?.reap()
        }
    }

    private func reap() {
        lock.lock()
        defer { lock.unlock() }
        reapScheduled = false
        let now = DispatchTime.now().uptimeNanoseconds
        for connection in idle { connection.endRead(ifOlderAt: now) }
        if idle.contains(where: { $0.readSince != nil }) { scheduleReap() }
    }
}

extension IndexReader {
    /// Statistics and preferred explanation of each of `ids` that the index has (for pages that
    /// list latents found elsewhere, such as live activations). Unknown ids are left out.
    public func summaries(ids: [Int]) throws -> [Int: FeatureSummary] {
        let wanted = Array(Set(ids.filter { $0 >= 0 && $0 < IndexWriter.maxLatentID })).sorted()
        guard !wanted.isEmpty else { return [:] }
        return try pool.withVersion { db, version in
            var out: [Int: FeatureSummary] = [:]
            for start in stride(from: 0, to: wanted.count, by: 256) {
                let chunk = wanted[start..<min(start + 256, wanted.count)]
                let rows = try db.statement("""
                    SELECT id, density, max_activation, mean FROM latents
                    WHERE id IN (\(Array(repeating: "?", count: chunk.count).joined(separator: ",")))
                    """)
                for (i, id) in chunk.enumerated() { try rows.bind(.int(id), at: Int32(i + 1)) }
                for s in try summaries(db, version: version, rows) { out[s.id] = s }
            }
            return out
        }
    }
}
