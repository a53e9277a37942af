import Foundation

/// Checks made on an index file before SQLite opens it, from its 100-byte header alone (so they
/// cost nothing however large the index): that it is a SQLite file, and that it is as long as
/// its header says. SQLite reports a file cut short only as "database disk image is malformed",
/// and one cut inside its last page not at all.
public enum IndexFile {
    static let magic = Array("SQLite format 3\0".utf8)

    /// Throws `IndexReadError` naming `path` when the file is not a SQLite file or is cut short.
    public static func check(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw IndexReadError.missing(path) }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw IndexReadError.unreadable(path, "it cannot be opened for reading") }
        defer { try? handle.close() }
        let header = [UInt8](handle.readData(ofLength: 100))
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size > 0 else { throw IndexReadError.unreadable(path, "it is empty (0 bytes)") }
        guard header.count == 100, header.starts(with: magic) else {
            throw IndexReadError.unreadable(path, "it is not a SQLite file (an index is one): it does not start with \"SQLite format 3\"")
        }
        // Big-endian fields: page size at 16 (1 means 65536), change counter at 24, page count
        // at 28, and at 92 the change counter for which that page count is valid.
        func u32(_ at: Int) -> Int { header[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        let stored = Int(header[16]) << 8 | Int(header[17])
        let pageSize = stored == 1 ? 65536 : stored
        guard pageSize >= 512, pageSize <= 65536, pageSize.nonzeroBitCount == 1 else {
            throw IndexReadError.unreadable(path, "its header gives an impossible page size (\(stored)): the file is damaged")
        }
        guard size % pageSize == 0 else {
            throw IndexReadError.unreadable(path, "it is \(size) bytes, not a whole number of its \(pageSize)-byte pages: "
                                            + "the file was cut short (an interrupted copy?)")
        }
        let pages = u32(28)
        if u32(24) == u32(92), pages > 0, pages * pageSize > size {
            throw IndexReadError.unreadable(path, "it is \(size) bytes but its header says \(pages) pages of \(pageSize) bytes "
                                            + "(\(pages * pageSize) bytes): the file was cut short (an interrupted copy?)")
        }
    }

    /// SQLite's `PRAGMA quick_check` over the whole file: every page read, every b-tree walked
    /// (no index-to-table cross-checks). Empty when the file is sound, else SQLite's findings.
    /// Reads the whole file, so it takes as long as that: for `saescope inspect --check`, not
    /// for opening an index to serve.
    public static func damage(_ path: String, limit: Int = 10) throws -> [String] {
        try check(path)
        do {
            let db = try Database(path: path, readOnly: true)
            let rows = try db.statement("PRAGMA quick_check(\(max(1, limit)))")
            var found: [String] = []
            while try rows.step() { found.append(rows.text(0)) }
            return found == ["ok"] ? [] : found
        } catch let error as SQLiteError {
            return [error.message]
        }
    }
}
