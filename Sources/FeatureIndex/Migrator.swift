import Foundation

/// One schema migration: `NNNN_name.sql` from the `migrations/` folder.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
}

public enum MigrationError: Error, CustomStringConvertible {
    case folderUnreadable(String, String)
    case badFileName(String)
    case duplicateVersion(Int)
    case newerThanBinary(path: String, indexVersion: Int, binaryVersion: Int, unknown: [String])
    case olderThanBinary(path: String, indexVersion: Int, binaryVersion: Int)
    case notAnIndex(path: String, reason: String)
    case editedMigration(path: String, name: String)

    public var description: String {
        switch self {
        case .folderUnreadable(let path, let why):
            return "cannot read the migrations folder \(path): \(why)"
        case .badFileName(let name):
            return "migration file \(name) is not named NNNN_name.sql"
        case .duplicateVersion(let v):
            return "two migration files have version \(v)"
        case .newerThanBinary(let path, let have, let know, let unknown):
            let named = unknown.isEmpty ? " (its PRAGMA user_version)" : " (unknown migrations: \(unknown.joined(separator: ", ")))"
            return "\(path) has index schema v\(have) but this saescope knows only up to v\(know)"
                + "\(named); upgrade saescope to read it"
        case .olderThanBinary(let path, let have, let know):
            return "\(path) has index schema v\(have), older than this saescope's v\(know); "
                + "upgrade it with: saescope migrate \(path)"
        case .notAnIndex(let path, let reason):
            return "\(path) is not a saescope index: \(reason)"
        case .editedMigration(let path, let name):
            return "\(path) recorded migration \(name) under a different name than this saescope ships"
        }
    }
}

/// Applies the SQL files of `migrations/` in order, each in its own transaction, and records
/// them in `schema_migrations`. `PRAGMA user_version` mirrors the latest version for a cheap check.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public var latestVersion: Int { migrations.last?.version ?? 0 }

    public init(migrations: [Migration]) throws {
        var seen = Set<Int>()
        for m in migrations where !seen.insert(m.version).inserted { throw MigrationError.duplicateVersion(m.version) }
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Loads every `NNNN_name.sql` file of `folder`.
    public init(folder: URL) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw MigrationError.folderUnreadable(folder.path, "\(error.localizedDescription)")
        }
        var migrations: [Migration] = []
        for name in names where name.hasSuffix(".sql") {
            let stem = name.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]), version > 0 else {
                throw MigrationError.badFileName(name)
            }
            let sql: String
            do {
                sql = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            } catch {
                throw MigrationError.folderUnreadable(folder.path, "\(name): \(error.localizedDescription)")
            }
            migrations.append(Migration(version: version, name: String(stem), sql: sql))
        }
        try self.init(migrations: migrations)
    }

    /// The migrations shipped with this saescope (see `Resources`).
    public static func bundled() throws -> Migrator {
        try Migrator(folder: Resources.directory("migrations"))
    }

    /// The migrations recorded in `db`, by version; empty for a new database.
    public func applied(in db: Database) throws -> [Int: String] {
        let exists = try db.statement("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
        guard try exists.step(), exists.int(0) == 1 else { return [:] }
        var applied: [Int: String] = [:]
        let rows = try db.statement("SELECT version, name FROM schema_migrations")
        while try rows.step() { applied[rows.int(0)] = rows.text(1) }
        return applied
    }

    /// Checks that `db` is at exactly this binary's schema version (what `serve` needs).
    public func check(_ db: Database) throws {
        let applied: [Int: String]
        do {
            applied = try self.applied(in: db)
        } catch let error as SQLiteError where ![11, 26].contains(error.code & 0xFF) {
            // SQLITE_CORRUPT and SQLITE_NOTADB go on as they are: a damaged index is still an index.
            throw MigrationError.notAnIndex(path: db.path, reason: error.message)
        }
        if applied.isEmpty {
            throw MigrationError.notAnIndex(path: db.path, reason: "it has no schema_migrations table")
        }
        try checkNotNewer(applied, in: db)
        let current = applied.keys.max() ?? 0
        if current < latestVersion {
            throw MigrationError.olderThanBinary(path: db.path, indexVersion: current, binaryVersion: latestVersion)
        }
    }

    private func checkNotNewer(_ applied: [Int: String], in db: Database) throws {
        let path = db.path
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0.name) })
        let unknown = applied.filter { known[$0.key] == nil }.sorted { $0.key < $1.key }
        if !unknown.isEmpty {
            throw MigrationError.newerThanBinary(path: path, indexVersion: applied.keys.max() ?? 0,
                                                 binaryVersion: latestVersion, unknown: unknown.map(\.value))
        }
        for (version, name) in applied where known[version] != name {
            throw MigrationError.editedMigration(path: path, name: name)
        }
        // user_version mirrors the latest migration; one beyond ours is a newer schema too (a
        // tool that bumps it without a schema_migrations row, or a damaged table).
        let pragma = try db.statement("PRAGMA user_version")
        let userVersion = try pragma.step() ? pragma.int(0) : 0
        if userVersion > latestVersion {
            throw MigrationError.newerThanBinary(path: path, indexVersion: userVersion, binaryVersion: latestVersion, unknown: [])
        }
    }

    /// Applies every migration `db` lacks; returns the names applied.
    @discardableResult
    public func migrate(_ db: Database) throws -> [String] {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )
            """)
        let applied = try self.applied(in: db)
        try checkNotNewer(applied, in: db)
        // The checks above read single rows; their statements would hold the tables a
        // migration drops ("database table is locked") and the function registered next.
        db.finishStatements()
        try ExampleGroupsV1.register(db)
        var done: [String] = []
        for migration in migrations where applied[migration.version] == nil {
            try db.transaction {
                try db.execute(migration.sql)
                try db.statement("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
                    .bind(.int(migration.version), .text(migration.name), .text(ISO8601DateFormatter().string(from: Date())))
                    .run()
                try db.execute("PRAGMA user_version = \(migration.version)")
            }
            done.append(migration.name)
        }
        return done
    }
}
