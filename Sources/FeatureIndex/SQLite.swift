import CSQLite
import Foundation

/// An error from SQLite, carrying the result code, SQLite's message and the SQL that failed.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String
    public let sql: String?

    public var description: String {
        if let sql { return "SQLite error \(code): \(message) (in: \(sql.prefix(200)))" }
        return "SQLite error \(code): \(message)"
    }
}

// SQLite copies bound text and blobs when told SQLITE_TRANSIENT; Swift can't import the macro.
let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection. Not thread-safe: use one per thread (see `IndexReader`'s pool).
public final class Database {
    let handle: OpaquePointer
    public let path: String
    private var cache: [String: Statement] = [:]

    /// Opens `path`; `readOnly` opens with SQLITE_OPEN_READONLY and never creates the file.
    public init(path: String, readOnly: Bool) throws {
        var db: OpaquePointer?
        let flags = readOnly
            ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: message, sql: nil)
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 5000)
    }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: rc, message: message, sql: sql)
        }
    }

    /// Resets every statement left mid-result (a query read for its first row only): an
    /// unfinished statement holds the file's read lock, and a writer (`explanations import`
    /// while a server runs) would wait on it until "database is locked".
    public func finishStatements() {
        var next = sqlite3_next_stmt(handle, nil)
        while let statement = next {
            if sqlite3_stmt_busy(statement) != 0 { sqlite3_reset(statement) }
            next = sqlite3_next_stmt(handle, statement)
        }
    }

    /// Starts a read transaction and takes the file's shared lock; returns the connection's
    /// data version (`PRAGMA data_version`), which changes when another connection has
    /// committed since this one last looked.
    public func beginRead() throws -> Int {
        try statement("BEGIN DEFERRED").run()
        let version = try statement("PRAGMA data_version")
        guard try version.step() else { throw SQLiteError(code: SQLITE_ERROR, message: "PRAGMA data_version returned no row", sql: nil) }
        defer { version.reset() }
        return version.int(0)
    }

    /// Ends the transaction of `beginRead()`: resets statements left mid-result, then commits
    /// (which for a read only releases the lock). Never fails for a read; errors are ignored.
    public func endRead() {
        finishStatements()
        if sqlite3_get_autocommit(handle) == 0, let commit = try? statement("COMMIT") {
            _ = try? commit.step()
        }
    }

    /// A prepared statement, cached per connection: hot request paths prepare once.
    public func statement(_ sql: String) throws -> Statement {
        if let cached = cache[sql] {
            cached.reset()
            return cached
        }
        let statement = try Statement(database: self, sql: sql)
        cache[sql] = statement
        return statement
    }

    /// Runs `body` inside BEGIN … COMMIT, rolling back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    var lastErrorMessage: String { String(cString: sqlite3_errmsg(handle)) }
    public var changes: Int { Int(sqlite3_changes(handle)) }
}

/// A prepared statement; finalized when released. Bind parameters are 1-based.
public final class Statement {
    let handle: OpaquePointer
    unowned let database: Database
    let sql: String

    init(database: Database, sql: String) throws {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw SQLiteError(code: rc, message: database.lastErrorMessage, sql: sql)
        }
        self.handle = stmt
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    @discardableResult
    public func bind(_ values: SQLValue?...) throws -> Statement {
        reset()
        for (i, value) in values.enumerated() { try bind(value, at: Int32(i + 1)) }
        return self
    }

    public func bind(_ value: SQLValue?, at index: Int32) throws {
        let rc: Int32
        switch value {
        case nil: rc = sqlite3_bind_null(handle, index)
        case .int(let v)?: rc = sqlite3_bind_int64(handle, index, Int64(v))
        case .double(let v)?:
            rc = v.isFinite ? sqlite3_bind_double(handle, index, v) : sqlite3_bind_null(handle, index)
        case .text(let v)?: rc = sqlite3_bind_text(handle, index, v, -1, SQLITE_TRANSIENT)
        case .blob(let v)?:
            rc = v.withUnsafeBytes { sqlite3_bind_blob64(handle, index, $0.baseAddress, UInt64($0.count), SQLITE_TRANSIENT) }
        }
        guard rc == SQLITE_OK else { throw SQLiteError(code: rc, message: database.lastErrorMessage, sql: sql) }
    }

    /// Steps once; true when a row is available.
    public func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let rc: throw SQLiteError(code: rc, message: database.lastErrorMessage, sql: sql)
        }
    }

    /// Runs a statement that returns no rows.
    public func run() throws { while try step() {} }

    public func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    public func optionalDouble(_ column: Int32) -> Double? { isNull(column) ? nil : double(column) }
    public func text(_ column: Int32) -> String {
        guard let p = sqlite3_column_text(handle, column) else { return "" }
        let n = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }
    public func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }
    /// Calls `body` with the column's bytes, valid only during the call (no copy).
    public func withBlob<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let p = sqlite3_column_blob(handle, column)
        let n = Int(sqlite3_column_bytes(handle, column))
        return try body(UnsafeRawBufferPointer(start: n > 0 ? p : nil, count: n))
    }
    public func blob(_ column: Int32) -> [UInt8] { withBlob(column) { Array($0) } }
}

/// A value bound to a statement parameter.
public enum SQLValue {
    case int(Int)
    case double(Double)
    case text(String)
    case blob([UInt8])
}
