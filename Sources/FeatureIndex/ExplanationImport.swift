import Foundation

/// Writes explanations into an existing index: `saescope explanations import`.
public enum ExplanationImport {
    public struct Row: Sendable, Equatable {
        public var latent: Int
        public var text: String
        public var source: String
        public init(latent: Int, text: String, source: String) {
            self.latent = latent
            self.text = text
            self.source = source
        }
    }

    /// Replaces, for each source among `rows`, all of that source's explanations with `rows`, in
    /// one transaction. Rows naming a latent the index lacks are skipped; returns (written, skipped).
    public static func replace(in path: String, rows: [Row]) throws -> (written: Int, skipped: Int) {
        try IndexFile.check(path)
        do {
            return try write(rows, into: try Database(path: path, readOnly: false))
        } catch let error as SQLiteError {
            throw IndexReadError.unreadable(path, error.message)
        }
    }

    private static func write(_ rows: [Row], into db: Database) throws -> (written: Int, skipped: Int) {
        try Migrator.bundled().check(db)
        return try db.transaction {
            for source in Set(rows.map(\.source)).sorted() {
                try db.statement("DELETE FROM explanations WHERE source = ?").bind(.text(source)).run()
            }
            let exists = try db.statement("SELECT 1 FROM latents WHERE id = ?")
            let insert = try db.statement("""
                INSERT INTO explanations (latent_id, source, text, automatic) VALUES (?, ?, ?, 0)
                ON CONFLICT (latent_id, source) DO UPDATE SET text = excluded.text, automatic = 0
                """)
            var written = 0, skipped = 0
            for row in rows {
                try exists.bind(.int(row.latent))
                let found = try exists.step()
                if found { _ = try exists.step() }  // to the end, so no read is in progress at COMMIT
                guard found else { skipped += 1; continue }
                try insert.bind(.int(row.latent), .text(row.source), .text(row.text)).run()
                written += 1
            }
            return (written, skipped)
        }
    }
}
