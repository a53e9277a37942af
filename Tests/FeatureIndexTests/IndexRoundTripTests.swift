import XCTest
@testable import FeatureIndex

final class IndexRoundTripTests: XCTestCase {
    var dir: URL!
    var path: String { dir.appendingPathComponent("index.sqlite").path }

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("saescope-index-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    static let metadata = IndexMetadata(
        sae: .init(name: "test-sae", architecture: "topk", nLatents: 3, dModel: 8, k: 2, hook: "blocks.1.hook_resid_post", layer: 1),
        model: .init(name: "tiny", architecture: "gpt2"),
        corpus: .init(name: "unit", documents: 2, tokens: 100),
        build: ["context_length": 4, "note": "hello"])

    func example(_ ids: [UInt32], _ acts: [Float], doc: Int = 0) -> Example {
        Example(tokenIDs: ids, activations: acts, document: doc, position: 3)
    }

    func latent(_ id: Int, density: Double, max: Double) -> LatentRecord {
        LatentRecord(
            id: id,
            stats: LatentStats(density: density, maxActivation: max, mean: max / 4, meanSquare: max, skew: density > 0 ? 1.5 : nil, kurtosis: nil),
            histogram: Histogram(min: 0, max: max, counts: [5, 3, 1]),
            topLogits: [TokenValue(tokenID: 1, value: 2.5)], bottomLogits: [TokenValue(tokenID: 2, value: -1.25)],
            neighbors: [Neighbor(id: UInt32((id + 1) % 3), cosine: 0.5)],
            topExamples: [example([0, 1, 2, 3], [0, 1, Float(max), 0], doc: id), example([3, 4, 5, 1], [0.5, 0, 0, 0.25])],
            intervals: [IntervalGroup(min: max / 2, max: max, contains: 0.25, examples: [example([1, 1, 1, 1], [1, 2, 3, 4])]),
                        IntervalGroup(min: 0, max: max / 2, contains: 0.75, examples: [])])
    }

    func writeSmallIndex() throws -> [LatentRecord] {
        let writer = try IndexWriter(path: path)
        try writer.setMetadata(Self.metadata)
        try writer.writeVocabulary([VocabToken("<s>", special: true), VocabToken(" Paris"), VocabToken("Paris"), VocabToken("\n"),
                                    VocabToken(bytes: [0xF0, 0x9F]), VocabToken(bytes: [0x98, 0x80])])
        let records = [latent(0, density: 0.01, max: 4), latent(1, density: 0.5, max: 2), latent(2, density: 0, max: 0)]
        for r in records { try writer.writeLatent(r) }
        try writer.setExplanation(latent: 0, Explanation(text: "fires on: ' Paris'", source: "auto", automatic: true))
        try writer.setExplanation(latent: 0, Explanation(text: "French capital city", source: "manual", automatic: false))
        try writer.setExplanation(latent: 1, Explanation(text: "line breaks in code", source: "manual", automatic: false))
        try writer.setTokenLatents(tokenID: 1, [TokenLatent(latentID: 0, count: 10, meanActivation: 3, maxActivation: 4)])
        try writer.finish(tokensIndexed: 100)
        return records
    }

    /// A reader that has answered requests holds its lock only briefly afterwards: explanations
    /// can be imported while a server runs (it used to wait 5 s, then fail with "database is
    /// locked"), and show up at once, also where the reader had cached that a latent had none.
    func testReadsLeaveNoLockForAWriter() throws {
        _ = try writeSmallIndex()
        let reader = try IndexReader(path: path)
        for id in 0..<3 { _ = try reader.feature(id: id) }
        _ = try reader.features(offset: 0, limit: 2, sort: .density, descending: true, query: nil)
        _ = try reader.summaries(ids: [0, 1])
        let started = Date()
        let result = try ExplanationImport.replace(in: path, rows: [.init(latent: 2, text: "imported while serving", source: "late")])
        XCTAssertEqual(result.written, 1)
        XCTAssertLessThan(Date().timeIntervalSince(started), 4, "the import waited on a reader's lock")
        XCTAssertEqual(try reader.feature(id: 2)?.explanations.first?.text, "imported while serving")
        XCTAssertEqual(try reader.feature(id: 1)?.neighborExplanations[2]?.text, "imported while serving",
                       "latent 1's page showed its neighbour 2 without an explanation before the import")
        XCTAssertEqual(try reader.latents(forToken: " Paris", limit: 5).first?.latents.first?.1?.text, "French capital city")
    }

    /// The explanation cache holds entries of one version of the file: a reader in a newer
    /// version makes older entries misses, and what a reader in an older one stores is dropped.
    func testExplanationCacheKeepsOneVersion() {
        let cache = ExplanationCache(capacity: 8)
        let old = [Explanation(text: "old", source: "a", automatic: false)]
        cache.store([(1, old), (2, [])], version: 0)
        XCTAssertEqual(cache.lookup([1, 2, 3], version: 0), [old, [], nil], "2 is known to have none, 3 is not cached")
        XCTAssertEqual(cache.lookup([1, 2], version: 1), [nil, nil], "a newer version's readers miss older entries")
        cache.store([(1, old)], version: 0)
        XCTAssertEqual(cache.lookup([1], version: 1), [nil], "an older version's store is dropped")
        let new = [Explanation(text: "new", source: "a", automatic: false)]
        cache.store([(1, new)], version: 1)
        XCTAssertEqual(cache.lookup([1], version: 0), [new], "a reader in an older version may see newer explanations")
        for id in 10..<30 { cache.store([(id, [])], version: 1) }
        XCTAssertEqual(cache.lookup([10, 26, 29], version: 1), [nil, [], []], "bounded: ids 10, 18, 26 share a slot; the last stored stays")
    }

    func testEverythingWrittenReadsBackTheSame() throws {
        let records = try writeSmallIndex()
        let reader = try IndexReader(path: path)
        XCTAssertEqual(reader.metadata, Self.metadata)
        XCTAssertEqual(reader.summary.latents, 3)
        XCTAssertEqual(reader.summary.deadLatents, 1)
        XCTAssertEqual(reader.summary.tokensIndexed, 100)
        XCTAssertEqual(reader.summary.densityHistogram.counts.reduce(0, +), 2, "the two live latents are binned")
        for r in records {
            let feature = try XCTUnwrap(reader.feature(id: r.id))
            XCTAssertEqual(feature.record, r)
        }
        XCTAssertNil(try reader.feature(id: 3))
        XCTAssertNil(try reader.feature(id: -1))
        let explanations = try XCTUnwrap(reader.feature(id: 0)).explanations
        XCTAssertEqual(explanations.map(\.source), ["manual", "auto"], "written explanations come before automatic ones")
        XCTAssertEqual(try XCTUnwrap(reader.feature(id: 2)).neighborExplanations[0]?.text, "French capital city")
        XCTAssertEqual(reader.vocabulary.display([4, 5]), ["😀", "😀"])
    }

    func testAnUnfinishedWriteLeavesNoIndex() throws {
        do {
            let writer = try IndexWriter(path: path)
            try writer.setMetadata(Self.metadata)
            try writer.writeLatent(latent(0, density: 0.1, max: 1))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".partial"))
    }

    func testExistingIndexIsNotOverwrittenUnlessAsked() throws {
        _ = try writeSmallIndex()
        XCTAssertThrowsError(try IndexWriter(path: path)) { XCTAssertTrue("\($0)".contains("already exists")) }
        XCTAssertNoThrow(try IndexWriter(path: path, overwrite: true))
    }

    func testMismatchedExampleIsRejected() throws {
        let writer = try IndexWriter(path: path)
        var bad = latent(0, density: 0.1, max: 1)
        bad.topExamples[0].activations.removeLast()
        XCTAssertThrowsError(try writer.writeLatent(bad)) { XCTAssertTrue("\($0)".contains("latent 0")) }
    }

    func testAMalformedExampleBlobIsAClearErrorNotACrash() throws {
        _ = try writeSmallIndex()
        let db = try Database(path: path, readOnly: false)
        try db.execute("UPDATE latents SET groups = x'0102030405' WHERE id = 0")
        // Latent 1 claiming one group more than it holds.
        try db.execute("UPDATE latents SET groups = x'0204' || substr(groups, 3) WHERE id = 1")
        do {
            let reader = try IndexReader(path: path)
            for id in [0, 1] {
                XCTAssertThrowsError(try reader.feature(id: id)) { error in
                    XCTAssertTrue("\(error)".contains("latent \(id)"), "\(error)")
                }
            }
            XCTAssertNotNil(try reader.feature(id: 2))
        }
        // An example claiming 2^32 − 1 tokens in a 46-byte blob: refused, not allocated.
        try db.execute("UPDATE latents SET groups = x'0201' || zeroblob(24) || x'01000000' || x'0100000002000000FFFFFFFF00000000' WHERE id = 2")
        XCTAssertThrowsError(try IndexReader(path: path).feature(id: 2)) { XCTAssertTrue("\($0)".contains("latent 2"), "\($0)") }
    }

    /// An index cut short is named as such before SQLite reads it (at a page boundary SQLite
    /// says only "malformed"; inside the last page it says nothing), and so is a file that is
    /// not SQLite at all or is empty.
    func testATruncatedOrForeignFileIsNamedBeforeSQLiteOpensIt() throws {
        var synth = SyntheticIndex(latents: 30)
        synth.topExamples = 2
        try synth.write(to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertNoThrow(try IndexFile.check(path))
        let cut = dir.appendingPathComponent("cut.sqlite").path
        for length in [0, 10, 99, 100, 4095, 4096, bytes.count / 2, bytes.count - 4096, bytes.count - 1] {
            try Data(bytes.prefix(length)).write(to: URL(fileURLWithPath: cut))
            XCTAssertThrowsError(try IndexReader(path: cut), "\(length) bytes") { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains("cut.sqlite"), message)
                if length >= 100 { XCTAssertTrue(message.contains("cut short") || message.contains("malformed"), message) }
                if length > 4096 { XCTAssertTrue(message.contains("cut short"), message) }
            }
        }
        try Data("SQLite? no, a text file".utf8).write(to: URL(fileURLWithPath: cut))
        XCTAssertThrowsError(try IndexReader(path: cut)) { XCTAssertTrue("\($0)".contains("not a SQLite file"), "\($0)") }
        try Data().write(to: URL(fileURLWithPath: cut))
        XCTAssertThrowsError(try IndexReader(path: cut)) { XCTAssertTrue("\($0)".contains("empty"), "\($0)") }
    }

    /// Damage deep inside an index (read only by the requests that need those pages) is found
    /// by `IndexFile.damage` (`saescope inspect --check`), which reads every page; the reader
    /// meanwhile answers what it can and throws, never crashes, on the damaged latents.
    func testPageDamageIsFoundByTheIntegrityCheck() throws {
        var synth = SyntheticIndex(latents: 120)
        synth.topExamples = 4
        try synth.write(to: path)
        XCTAssertEqual(try IndexFile.damage(path), [])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let pages = bytes.count / 4096
        for page in [pages / 3, pages / 2, pages - 1] {
            for i in page * 4096..<(page + 1) * 4096 { bytes[i] = UInt8(truncatingIfNeeded: (i &* 2_654_435_761) >> 13) }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let damage = try IndexFile.damage(path)
        XCTAssertFalse(damage.isEmpty)
        XCTAssertLessThanOrEqual(damage.count, 10)
        if let reader = try? IndexReader(path: path) {
            var answered = 0
            for id in 0..<120 {
                do { if try reader.feature(id: id) != nil { answered += 1 } } catch {}
            }
            XCTAssertGreaterThan(answered, 0)
        }
    }

    func testTooManyIntervalGroupsAreRefused() throws {
        let writer = try IndexWriter(path: path)
        var wide = latent(0, density: 0.1, max: 1)
        wide.intervals = Array(repeating: IntervalGroup(min: 0, max: 1, contains: 0, examples: []), count: 64)
        XCTAssertThrowsError(try writer.writeLatent(wide)) { XCTAssertTrue("\($0)".contains("at most 63")) }
    }

    func testPagesSortAndFilter() throws {
        _ = try writeSmallIndex()
        let reader = try IndexReader(path: path)
        XCTAssertEqual(try reader.features(offset: 0, limit: 10, sort: .id, descending: false, query: nil).features.map(\.id), [0, 1, 2])
        XCTAssertEqual(try reader.features(offset: 0, limit: 10, sort: .density, descending: true, query: nil).features.map(\.id), [1, 0, 2])
        XCTAssertEqual(try reader.features(offset: 1, limit: 1, sort: .maxActivation, descending: true, query: nil).features.map(\.id), [1])
        let page = try reader.features(offset: 0, limit: 10, sort: .id, descending: false, query: "paris")
        XCTAssertEqual(page.total, 1)
        XCTAssertEqual(page.features.map(\.id), [0])
        XCTAssertEqual(page.features.first?.explanation?.text, "French capital city")
    }

    func testSearchRanksAndRejectsMalformedQueries() throws {
        _ = try writeSmallIndex()
        let reader = try IndexReader(path: path)
        XCTAssertEqual(try reader.search("city", limit: 10).map(\.id), [0])
        XCTAssertEqual(try reader.search("cap*", limit: 10).map(\.id), [0])
        XCTAssertEqual(try reader.search("code OR paris", limit: 10).map(\.id).sorted(), [0, 1])
        XCTAssertEqual(try reader.search("nothing", limit: 10), [])
        for bad in ["\"unterminated", "AND", "(", "a NEAR/x b", "col:thing"] {
            XCTAssertThrowsError(try reader.search(bad, limit: 10), bad) { error in
                guard case IndexReadError.malformedQuery = error else { return XCTFail("\(bad): \(error)") }
            }
            XCTAssertThrowsError(try reader.features(offset: 0, limit: 5, sort: .id, descending: false, query: bad), bad)
        }
    }

    func testTokenSearchIgnoresCaseAndSpaces() throws {
        _ = try writeSmallIndex()
        let reader = try IndexReader(path: path)
        let matches = try reader.latents(forToken: "paris", limit: 5)
        XCTAssertEqual(matches.map(\.tokenID), [1, 2])
        XCTAssertEqual(matches[0].latents.map(\.0.latentID), [0])
        XCTAssertEqual(matches[0].latents.first?.1?.text, "French capital city")
        XCTAssertEqual(matches[1].latents.count, 0)
        XCTAssertEqual(try reader.latents(forToken: "\n", limit: 5).map(\.tokenID), [3], "whitespace-only tokens match exactly")
        XCTAssertEqual(try reader.latents(forToken: "zzz", limit: 5).count, 0)
    }

    func testReaderIsSafeFromManyThreads() throws {
        _ = try writeSmallIndex()
        let reader = try IndexReader(path: path)
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            XCTAssertEqual(try? reader.feature(id: i % 3)?.record.id, i % 3)
        }
    }

    func testSyntheticIndexIsDeterministicAndAwkward() throws {
        var synth = SyntheticIndex(latents: 50)
        synth.topExamples = 3
        try synth.write(to: path)
        let reader = try IndexReader(path: path)
        XCTAssertEqual(reader.summary.latents, 50)
        XCTAssertEqual(reader.metadata.sae.nLatents, 50)
        let first = try XCTUnwrap(reader.feature(id: 7))
        let second = dir.appendingPathComponent("again.sqlite").path
        try synth.write(to: second)
        XCTAssertEqual(try IndexReader(path: second).feature(id: 7), first, "same seed, same index")
        let tokens = Set((0..<50).compactMap { try? reader.feature(id: $0) }.flatMap { $0.record.topExamples }.flatMap { reader.vocabulary.display($0.tokenIDs) })
        XCTAssertTrue(tokens.contains("<img src=x onerror=alert(1)>"))
        XCTAssertTrue(tokens.contains("😀"))
        XCTAssertTrue(tokens.contains("\n"))
        XCTAssertFalse(tokens.contains { $0.contains("\u{FFFD}") }, "split characters render whole")
        XCTAssertFalse(try reader.search("fires", limit: 5).isEmpty)
    }
}

final class ExampleTests: XCTestCase {
    func testMaxIsTheFirstLargestActivation() {
        let e = Example(tokenIDs: [1, 2, 3, 4], activations: [0.5, 2, -1, 2], document: 0, position: 0)
        XCTAssertEqual(e.maxIndex, 1)
        XCTAssertEqual(e.maxActivation, 2)
        let empty = Example(tokenIDs: [], activations: [], document: 0, position: 0)
        XCTAssertEqual(empty.maxIndex, 0)
        XCTAssertEqual(empty.maxActivation, 0)
    }
}
