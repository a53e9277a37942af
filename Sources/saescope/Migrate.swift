import ArgumentParser
import FeatureIndex
import Foundation

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upgrade an index written by an older saescope to this version's schema, in place.",
        discussion: "Each migration runs in its own transaction; an interrupted upgrade leaves the index at its last complete version.")

    @Argument(help: "The index to upgrade.")
    var path: String

    /// A migration that rewrites a table leaves its old pages free inside the file: VACUUM
    /// gives them back. Returns the bytes reclaimed; a failure (say, no room for the copy
    /// VACUUM makes) only leaves the file larger than it needs to be.
    private func compact(_ db: Database) -> Int {
        do {
            let free = try db.statement("SELECT freelist_count * page_size FROM pragma_freelist_count(), pragma_page_size()")
            let bytes = try free.step() ? free.int(0) : 0
            db.finishStatements()
            guard bytes > 0 else { return 0 }
            note("compacting \(path): \(bytes >> 20) MB of freed pages …")
            try db.execute("VACUUM")
            return bytes
        } catch {
            note("warning: could not compact \(path) (\(error)); it works as it is, only larger")
            return 0
        }
    }

    func run() throws {
        try reportingErrors {
            try IndexFile.check(path)
            let migrator = try Migrator.bundled()
            let applied: [String]
            let db: Database
            do {
                db = try Database(path: path, readOnly: false)
                guard let current = try migrator.applied(in: db).keys.max() else {
                    throw MigrationError.notAnIndex(path: path, reason: "it has no schema_migrations table")
                }
                if current < migrator.latestVersion { note("upgrading \(path) from schema v\(current) to v\(migrator.latestVersion) …") }
                applied = try migrator.migrate(db)
            } catch let error as SQLiteError {
                throw IndexReadError.unreadable(path, error.message)
            }
            if applied.isEmpty {
                print("\(path) is up to date (schema v\(migrator.latestVersion))")
                return
            }
            let reclaimed = compact(db)
            print("migrated \(path) to schema v\(migrator.latestVersion): applied \(applied.joined(separator: ", "))"
                  + (reclaimed > 0 ? "; the file shrank by \(reclaimed >> 20) MB" : ""))
        }
    }
}
