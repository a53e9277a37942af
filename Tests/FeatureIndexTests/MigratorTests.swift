import XCTest
@testable import FeatureIndex

final class MigratorTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("saescope-migrator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func testBundledMigrationsApplyAndAreRecorded() throws {
        let migrator = try Migrator.bundled()
        XCTAssertEqual(migrator.migrations.first?.name, "0001_initial")
        let db = try Database(path: dir.appendingPathComponent("a.sqlite").path, readOnly: false)
        XCTAssertEqual(try migrator.migrate(db), migrator.migrations.map(\.name))
        XCTAssertEqual(try migrator.migrate(db), [], "a second run applies nothing")
        XCTAssertNoThrow(try migrator.check(db))
        let version = try db.statement("PRAGMA user_version")
        XCTAssertTrue(try version.step())
        XCTAssertEqual(version.int(0), migrator.latestVersion)
    }

    func testIndexFromANewerBinaryIsRefusedByName() throws {
        let db = try Database(path: dir.appendingPathComponent("new.sqlite").path, readOnly: false)
        let migrator = try Migrator.bundled()
        try migrator.migrate(db)
        try db.execute("INSERT INTO schema_migrations VALUES (99, '0099_future', '2030-01-01')")
        XCTAssertThrowsError(try migrator.check(db)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("0099_future") && message.contains("upgrade saescope"), message)
        }
        XCTAssertThrowsError(try migrator.migrate(db))
    }

    /// PRAGMA user_version mirrors the latest migration; a larger one than this binary knows is
    /// a newer schema too, refused by version, and `migrate` changes nothing.
    func testAUserVersionBeyondOursIsRefusedByVersion() throws {
        let path = dir.appendingPathComponent("bumped.sqlite").path
        let db = try Database(path: path, readOnly: false)
        let migrator = try Migrator.bundled()
        try migrator.migrate(db)
        try db.execute("PRAGMA user_version = \(migrator.latestVersion + 6)")
        for attempt in [{ try migrator.check(db) }, { _ = try migrator.migrate(db) }] {
            XCTAssertThrowsError(try attempt()) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains("v\(migrator.latestVersion + 6)") && message.contains("upgrade saescope"), message)
            }
        }
        XCTAssertEqual(try migrator.applied(in: db).count, migrator.migrations.count)
    }

    func testOlderIndexIsUpgradedByMigrate() throws {
        let v1 = Migration(version: 1, name: "0001_a", sql: "CREATE TABLE a (x);")
        let v2 = Migration(version: 2, name: "0002_b", sql: "CREATE TABLE b (y); INSERT INTO a VALUES (1);")
        let path = dir.appendingPathComponent("old.sqlite").path
        let db = try Database(path: path, readOnly: false)
        try Migrator(migrations: [v1]).migrate(db)
        let newer = try Migrator(migrations: [v2, v1])
        XCTAssertThrowsError(try newer.check(db)) { error in
            XCTAssertTrue("\(error)".contains("saescope migrate \(path)"), "\(error)")
        }
        XCTAssertEqual(try newer.migrate(db), ["0002_b"])
        XCTAssertNoThrow(try newer.check(db))
    }

    func testAFailingMigrationLeavesNothingBehind() throws {
        let bad = Migration(version: 1, name: "0001_bad", sql: "CREATE TABLE ok (x); CREATE TABLE broken (;")
        let db = try Database(path: dir.appendingPathComponent("bad.sqlite").path, readOnly: false)
        XCTAssertThrowsError(try Migrator(migrations: [bad]).migrate(db))
        let tables = try db.statement("SELECT count(*) FROM sqlite_master WHERE name = 'ok'")
        XCTAssertTrue(try tables.step())
        XCTAssertEqual(tables.int(0), 0, "the migration's transaction was rolled back")
        XCTAssertEqual(try Migrator(migrations: [bad]).applied(in: db), [:])
    }

    func testMigrationFileNamesAreChecked() throws {
        try "SELECT 1;".write(to: dir.appendingPathComponent("nonumber.sql"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Migrator(folder: dir)) { XCTAssertTrue("\($0)".contains("nonumber.sql")) }
    }

    func testAFileThatIsNotAnIndexIsNamedAsSuch() throws {
        let path = dir.appendingPathComponent("other.sqlite").path
        let db = try Database(path: path, readOnly: false)
        try db.execute("CREATE TABLE t (x)")
        XCTAssertThrowsError(try Migrator.bundled().check(db)) { XCTAssertTrue("\($0)".contains("not a saescope index")) }
        try "this is text, not SQLite".write(toFile: dir.appendingPathComponent("text.sqlite").path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try IndexReader(path: dir.appendingPathComponent("text.sqlite").path)) { error in
            XCTAssertTrue("\(error)".contains("text.sqlite"), "\(error)")
        }
    }
}
