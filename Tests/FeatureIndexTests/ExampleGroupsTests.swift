import XCTest
@testable import FeatureIndex

/// The compact example encoding of schema v2 (`Blob.pack(groups:)`, `PackedGroups`) and the
/// migration that rewrites v1's example groups into it.
final class ExampleGroupsTests: XCTestCase {
    var dir: URL!
    var path: String { dir.appendingPathComponent("index.sqlite").path }

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("saescope-groups-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// Decodes a blob the way the reader does, back into records.
    func decode(_ blob: [UInt8]) -> [IntervalGroup]? {
        blob.withUnsafeBytes { raw in
            guard let groups = PackedGroups(raw) else { return nil }
            let top = IntervalGroup(min: 0, max: 0, contains: 0, examples: groups.top.map(\.example))
            return [top] + groups.intervals.map { IntervalGroup(min: $0.min, max: $0.max, contains: $0.contains, examples: $0.examples.map(\.example)) }
        }
    }

    /// Activations compared by bit pattern: NaN and −0 must come back as they went in.
    func assertSame(_ a: [IntervalGroup], _ b: [IntervalGroup], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (g, h) in zip(a, b) {
            XCTAssertEqual(g.examples.count, h.examples.count, file: file, line: line)
            for (e, f) in zip(g.examples, h.examples) {
                XCTAssertEqual(e.tokenIDs, f.tokenIDs, file: file, line: line)
                XCTAssertEqual(e.activations.map(\.bitPattern), f.activations.map(\.bitPattern), file: file, line: line)
                XCTAssertEqual([e.document, e.position], [f.document, f.position], file: file, line: line)
            }
        }
    }

    func testGroupsComeBackExactly() throws {
        let odd: [Float] = [0, -0.0, .nan, -1.5, .infinity, 0, 3.25, .leastNonzeroMagnitude]
        let groups = [
            IntervalGroup(min: 0, max: 3.25, contains: 1, examples: [
                Example(tokenIDs: [5, 65535, 0, 7, 1, 2, 3, 4], activations: odd, document: 12, position: 40),
                Example(tokenIDs: [9, 9], activations: [0, 0], document: 3, position: 0),
                Example(tokenIDs: [], activations: [], document: 4, position: 1),
            ]),
            IntervalGroup(min: 2.5, max: 3.5, contains: 0.125, examples: []),
            IntervalGroup(min: 0.5, max: 2.5, contains: 0.875, examples: [
                Example(tokenIDs: [1, 2, 3], activations: [1, 2, 3], document: 1, position: 2)]),
        ]
        let blob = Blob.pack(groups: groups)
        XCTAssertEqual(blob[0], 2, "ids up to 65,535 take two bytes")
        let back = try XCTUnwrap(decode(blob))
        assertSame(back, groups)
        XCTAssertEqual(back.dropFirst().map(\.min), [2.5, 0.5])
        XCTAssertEqual(back.dropFirst().map(\.contains), [0.125, 0.875])
        // Zeros cost nothing: the second example (two tokens, both +0) is its 16-byte header
        // and two ids.
        let empty = Blob.pack(groups: [IntervalGroup(min: 0, max: 0, contains: 1, examples: [groups[0].examples[1]])])
        XCTAssertEqual(empty.count, 2 + 28 + 16 + 4)
    }

    func testWideTokenIDsAndLongSnippets() throws {
        var activations = [Float](repeating: 0, count: 70_000)
        for i in [0, 65_535, 65_536, 69_999] { activations[i] = Float(i) + 0.5 }
        let long = Example(tokenIDs: (0..<70_000).map { UInt32($0 % 300) }, activations: activations, document: 1, position: 0)
        let wideIDs = Example(tokenIDs: [70_000, 1, 200_000], activations: [0, 1, 0], document: 2, position: 5)
        let groups = [IntervalGroup(min: 0, max: 1, contains: 1, examples: [long, wideIDs])]
        let blob = Blob.pack(groups: groups)
        XCTAssertEqual(blob[0], 4, "an id over 65,535 makes every id four bytes")
        assertSame(try XCTUnwrap(decode(blob)), groups)
        let narrow = Blob.pack(groups: [IntervalGroup(min: 0, max: 1, contains: 1, examples: [long])])
        XCTAssertEqual(narrow[0], 2)
        assertSame(try XCTUnwrap(decode(narrow)), [IntervalGroup(min: 0, max: 1, contains: 1, examples: [long])])
    }

    /// The in-place peak agrees with the rule of decoded examples (first position of the
    /// largest, zeros included), also for negatives, −0 and NaN.
    func testSparsePeakFollowsTheGenericRule() throws {
        var rng = SystemRandomNumberGenerator()
        let values: [Float] = [0, 0, 0, -0.0, -2, -0.5, 0.5, 1, 1, 3, .nan]
        for trial in 0..<2000 {
            let n = trial % 9
            let activations = (0..<n).map { _ in values.randomElement(using: &rng)! }
            let example = Example(tokenIDs: [UInt32](repeating: 1, count: n), activations: activations, document: 0, position: 0)
            let blob = Blob.pack(groups: [IntervalGroup(min: 0, max: 0, contains: 1, examples: [example])])
            try blob.withUnsafeBytes { raw in
                let packed = try XCTUnwrap(PackedGroups(raw)?.top.first { _ in true })
                let (expected, got) = (activations.peak, packed.activations.peak)
                XCTAssertEqual(got.index, expected.index, "\(activations)")
                XCTAssertEqual(got.activation.bitPattern, expected.activation.bitPattern, "\(activations)")
            }
        }
    }

    func testMalformedBlobsAreRefused() throws {
        let groups = [IntervalGroup(min: 0, max: 2, contains: 1, examples: [
            Example(tokenIDs: [1, 2, 3, 4], activations: [0, 1, 0, 2], document: 1, position: 2)])]
        let blob = Blob.pack(groups: groups)
        XCTAssertNotNil(decode(blob))
        XCTAssertNotNil(decode([]), "no blob is no examples")
        for length in 1..<blob.count { XCTAssertNil(decode(Array(blob.prefix(length))), "cut to \(length) bytes") }
        XCTAssertNil(decode(blob + [0]), "a trailing byte")
        var bad = blob
        bad[0] = 3
        XCTAssertNil(decode(bad), "ids of three bytes")
        // The stored positions (u16, after the four ids): out of order, and past the snippet.
        let positions = 2 + 28 + 16 + 4 * 2
        bad = blob
        (bad[positions], bad[positions + 2]) = (3, 1)
        XCTAssertNil(decode(bad), "positions not ascending")
        bad = blob
        bad[positions + 2] = 4
        XCTAssertNil(decode(bad), "a position past the snippet's end")
        bad = blob
        bad[2 + 28 + 12] = 5
        XCTAssertNil(decode(bad), "more stored activations than tokens")
    }

    /// An index written before v2 (its example groups one row each, v1's layout) is upgraded by
    /// the bundled migrations and reads back the same.
    func testMigrationRewritesVersion1ExampleGroups() throws {
        let expected = try writeSynthetic(latents: 40)
        try downgradeToVersion1(expected)

        XCTAssertThrowsError(try IndexReader(path: path)) { XCTAssertTrue("\($0)".contains("saescope migrate"), "\($0)") }
        let db = try Database(path: path, readOnly: false)
        XCTAssertEqual(try Migrator.bundled().migrate(db), ["0002_compact_examples", "0003_examples_in_latents"])
        let reader = try IndexReader(path: path)
        for record in expected {
            let got = try XCTUnwrap(try reader.feature(id: record.id)).record
            XCTAssertEqual(got, record)
        }
        let table = try db.statement("SELECT count(*) FROM sqlite_master WHERE name = 'example_groups'")
        XCTAssertTrue(try table.step())
        XCTAssertEqual(table.int(0), 0)
    }

    /// An index of schema v2 (example groups in a table of their own) is upgraded to v3 (in the
    /// latent's row) and reads back the same; a latent without an `examples` row has none.
    func testMigrationMovesVersion2ExamplesIntoTheLatentsRows() throws {
        var expected = try writeSynthetic(latents: 30)
        do {
            let db = try Database(path: path, readOnly: false)
            try db.execute("""
                CREATE TABLE examples (latent_id INTEGER PRIMARY KEY, groups BLOB NOT NULL);
                INSERT INTO examples SELECT id, groups FROM latents WHERE id != 7;
                ALTER TABLE latents DROP COLUMN groups;
                DELETE FROM schema_migrations WHERE version = 3;
                PRAGMA user_version = 2;
                """)
        }
        expected[7].topExamples = []
        expected[7].intervals = []

        XCTAssertThrowsError(try IndexReader(path: path)) { XCTAssertTrue("\($0)".contains("saescope migrate"), "\($0)") }
        let db = try Database(path: path, readOnly: false)
        XCTAssertEqual(try Migrator.bundled().migrate(db), ["0003_examples_in_latents"])
        let reader = try IndexReader(path: path)
        for record in expected {
            XCTAssertEqual(try XCTUnwrap(try reader.feature(id: record.id)).record, record)
        }
        let check = try db.statement("PRAGMA integrity_check")
        XCTAssertTrue(try check.step())
        XCTAssertEqual(check.text(0), "ok")
        let table = try db.statement("SELECT count(*) FROM sqlite_master WHERE name IN ('examples', 'latents_v3')")
        XCTAssertTrue(try table.step())
        XCTAssertEqual(table.int(0), 0)
        XCTAssertEqual(try reader.features(offset: 0, limit: 5, sort: .density, descending: true, query: nil).features.count, 5,
                       "the density index was rebuilt")
    }

    func testAMalformedVersion1GroupStopsTheMigrationByName() throws {
        var synth = SyntheticIndex(latents: 5)
        synth.topExamples = 2
        try synth.write(to: path)
        let records = try (0..<5).map { try XCTUnwrap(try IndexReader(path: path).feature(id: $0)).record }
        try downgradeToVersion1(records)
        let db = try Database(path: path, readOnly: false)
        try db.execute("UPDATE example_groups SET examples = x'0102' WHERE id = 3 * 64")
        XCTAssertThrowsError(try Migrator.bundled().migrate(db)) { error in
            XCTAssertTrue("\(error)".contains("latent 3, example group 0"), "\(error)")
        }
        XCTAssertEqual(try Migrator.bundled().applied(in: db).keys.sorted(), [1], "rolled back to v1")
    }

    /// Writes a synthetic index (3 top examples, 2 intervals) to `path`; its records as read back.
    func writeSynthetic(latents: Int) throws -> [LatentRecord] {
        var synth = SyntheticIndex(latents: latents)
        synth.topExamples = 3
        synth.intervals = 2
        try synth.write(to: path)
        let reader = try IndexReader(path: path)
        return try (0..<latents).map { try XCTUnwrap(try reader.feature(id: $0)).record }
    }

    /// Rewrites the index at `path` as schema v1 held it: `example_groups` rows in v1's layout,
    /// no `groups` column in `latents` (v3) nor `examples` table (v2), migrations 2 and 3 not
    /// recorded.
    func downgradeToVersion1(_ records: [LatentRecord]) throws {
        let db = try Database(path: path, readOnly: false)
        try db.execute("""
            CREATE TABLE example_groups (
                id INTEGER PRIMARY KEY, latent_id INTEGER NOT NULL, grp INTEGER NOT NULL, min REAL NOT NULL,
                max REAL NOT NULL, contains REAL NOT NULL, count INTEGER NOT NULL, examples BLOB NOT NULL);
            ALTER TABLE latents DROP COLUMN groups;
            DELETE FROM schema_migrations WHERE version >= 2;
            PRAGMA user_version = 1;
            """)
        let insert = try db.statement("INSERT INTO example_groups VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        for r in records {
            let top = r.topExamples.map(\.maxActivation).max() ?? 0
            let groups = [IntervalGroup(min: 0, max: Double(top), contains: 1, examples: r.topExamples)] + r.intervals
            for (number, g) in groups.enumerated() {
                var words: [UInt32] = []
                for e in g.examples {
                    words += [UInt32(e.document), UInt32(e.position), UInt32(e.tokenIDs.count)] + e.tokenIDs + e.activations.map(\.bitPattern)
                }
                let bytes = words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } }
                try insert.bind(.int(r.id * 64 + number), .int(r.id), .int(number), .double(g.min), .double(g.max),
                                .double(g.contains), .int(g.examples.count), .blob(bytes)).run()
            }
        }
    }
}
