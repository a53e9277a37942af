import ArgumentParser
import FeatureIndex
import Foundation

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upgrade an index written by an older saescope to this version's schema, in place.",
        discussion: "Each migration runs in its own transaction; an interrupted upgrade leaves the index at its last complete version.")

    @Argument(help: "The index to upgrade.")
    var path: String

    func run() throws {
        try reportingErrors {
            try IndexFile.check(path)
            let migrator = try Migrator.bundled()
            let applied: [String]
            do {
                let db = try Database(path: path, readOnly: false)
                if try migrator.applied(in: db).isEmpty {
                    throw MigrationError.notAnIndex(path: path, reason: "it has no schema_migrations table")
                }
                applied = try migrator.migrate(db)
            } catch let error as SQLiteError {
                throw IndexReadError.unreadable(path, error.message)
            }
            if applied.isEmpty {
                print("\(path) is up to date (schema v\(migrator.latestVersion))")
            } else {
                print("migrated \(path) to schema v\(migrator.latestVersion): applied \(applied.joined(separator: ", "))")
            }
        }
    }
}
