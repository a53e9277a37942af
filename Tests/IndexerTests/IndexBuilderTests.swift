import Foundation
import XCTest
import FeatureIndex
import Pipeline
@testable import Indexer

final class IndexBuilderTests: XCTestCase {
    /// Everything a brute-force pass over the same windows gives, for comparison.
    struct Reference {
        var tokens = 0
        /// Per latent, its activation at every non-special token (zeros included).
        var values: [[Double]]
        /// Per latent, (window max, document, position, tokens, dense activations) of every window it fires in.
        var windows: [[(max: Float, document: Int, position: Int, tokens: [UInt32], activations: [Float])]]
    }

    func reference(_ pipeline: FeaturePipeline, _ docs: [String], context: Int) throws -> Reference {
        let n = pipeline.sae.latentCount
        var r = Reference(values: Array(repeating: [], count: n), windows: Array(repeating: [], count: n))
        for (d, text) in docs.enumerated() {
            var tokens = pipeline.tokenize(text)
            XCTAssertEqual(tokens.first, TinySetup.bos)
            tokens.removeFirst()
            for offset in stride(from: 0, to: tokens.count, by: context - 1) {
                let piece = Array(tokens[offset..<min(offset + context - 1, tokens.count)])
                let codes = try pipeline.encode([TinySetup.bos] + piece).codes
                var dense = Array(repeating: [Float](repeating: 0, count: piece.count), count: n)
                for (t, token) in piece.enumerated() where !pipeline.isSpecial(token) {
                    r.tokens += 1
                    for l in 0..<n { dense[l][t] = codes.value(token: t + 1, latent: l) }
                    for l in 0..<n { r.values[l].append(Double(dense[l][t])) }
                }
                for l in 0..<n where dense[l].contains(where: { $0 > 0 }) {
                    r.windows[l].append((dense[l].max()!, d, offset, piece.map(UInt32.init), dense[l]))
                }
            }
        }
        return r
    }

    func testStatisticsAndExamplesMatchABruteForcePass() throws {
        let folder = try temporaryFolder()
        let (corpusFolder, docs) = try writeCorpus(in: folder)
        let pipeline = try TinySetup.pipeline()
        let out = folder.appendingPathComponent("index.sqlite").path
        var bad: [String] = []
        let summary = try IndexBuilder(pipeline: pipeline, corpus: try Corpus([corpusFolder.path]), options: options())
            .run(out: out, badLine: { bad.append($0) })
        XCTAssertEqual(summary.badLines, 2)
        XCTAssertEqual(bad.count, 2)
        XCTAssertTrue(bad[0].contains("a.jsonl:3: not valid JSON"), bad[0])
        XCTAssertTrue(bad[1].contains("no 'text' field"), bad[1])
        XCTAssertEqual(summary.documents, docs.count)

        let ref = try reference(pipeline, docs, context: 16)
        let reader = try IndexReader(path: out)
        XCTAssertEqual(summary.tokens, ref.tokens)
        XCTAssertEqual(reader.summary.tokensIndexed, ref.tokens)
        XCTAssertEqual(reader.metadata.corpus.documents, docs.count)
        XCTAssertEqual(reader.metadata.sae.hook, "blocks.1.hook_resid_post")
        XCTAssertEqual(reader.metadata.sae.nLatents, 40)
        XCTAssertEqual(reader.metadata.build["bad_lines"], .number(2))
        XCTAssertEqual(reader.vocabulary.count, 320)
        XCTAssertTrue(reader.vocabulary.tokens[TinySetup.bos].special)

        var checkedExamples = 0
        for l in 0..<pipeline.sae.latentCount {
            let f = try XCTUnwrap(try reader.feature(id: l)), s = f.record.stats
            let values = ref.values[l], n = Double(values.count)
            let positive = values.filter { $0 > 0 }
            XCTAssertEqual(s.density, Double(positive.count) / n, accuracy: 1e-15, "latent \(l)")
            XCTAssertEqual(s.maxActivation, positive.max() ?? 0, "latent \(l)")
            let mean = values.reduce(0, +) / n
            XCTAssertEqual(s.mean, mean, accuracy: 1e-12 * max(1, abs(mean)), "latent \(l)")
            XCTAssertEqual(s.meanSquare, values.map { $0 * $0 }.reduce(0, +) / n, accuracy: 1e-12 * max(1, s.meanSquare), "latent \(l)")
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / n
            if positive.isEmpty {
                XCTAssertNil(s.skew)
                XCTAssertTrue(f.record.topExamples.isEmpty)
                continue
            }
            let skew = values.map { pow($0 - mean, 3) }.reduce(0, +) / n / pow(variance, 1.5)
            let kurtosis = values.map { pow($0 - mean, 4) }.reduce(0, +) / n / (variance * variance)
            XCTAssertEqual(try XCTUnwrap(s.skew), skew, accuracy: 1e-8 * max(1, abs(skew)), "latent \(l)")
            XCTAssertEqual(try XCTUnwrap(s.kurtosis), kurtosis, accuracy: 1e-8 * max(1, kurtosis), "latent \(l)")
            XCTAssertEqual(f.record.histogram.counts.reduce(0) { $0 + Int($1) }, positive.count, "latent \(l)")
            XCTAssertEqual(f.record.histogram.max, positive.max()!)
            XCTAssertEqual(f.record.histogram.min, positive.min()!)

            // Top examples: the windows with the largest maxima (ties by document, position),
            // with the SAE's values at every token.
            let expected = ref.windows[l].sorted { a, b in
                a.max != b.max ? a.max > b.max : (a.document, a.position) < (b.document, b.position)
            }.prefix(5)
            XCTAssertEqual(f.record.topExamples.count, expected.count, "latent \(l)")
            for (e, x) in zip(f.record.topExamples, expected) {
                XCTAssertEqual(e.document, x.document)
                XCTAssertEqual(e.position, x.position)
                XCTAssertEqual(e.tokenIDs, x.tokens)
                XCTAssertEqual(e.activations, x.activations, "latent \(l), document \(x.document) at \(x.position)")
                XCTAssertFalse(e.tokenIDs.enumerated().contains { $0.element == UInt32(TinySetup.bos) && e.activations[$0.offset] != 0 },
                               "a special token has an activation")
                checkedExamples += 1
            }
            // Intervals: highest first, each example's maximum inside its range, fractions adding to 1.
            XCTAssertEqual(f.record.intervals.count, 4)
            XCTAssertEqual(f.record.intervals.map(\.contains).reduce(0, +), 1, accuracy: 1e-9)
            XCTAssertEqual(f.record.intervals.first?.max ?? 0, s.maxActivation, accuracy: 1e-9)
            for group in f.record.intervals {
                XCTAssertLessThanOrEqual(group.examples.count, 3)
                for e in group.examples {
                    XCTAssertTrue(Double(e.maxActivation) >= group.min - 1e-9 && Double(e.maxActivation) <= group.max + 1e-9,
                                  "latent \(l): \(e.maxActivation) outside [\(group.min), \(group.max)]")
                    XCTAssertTrue(ref.windows[l].contains { $0.document == e.document && $0.position == e.position && $0.activations == e.activations })
                }
            }
            // The lowest interval holds the most windows, so it never comes back empty here.
            if ref.windows[l].count >= 3 { XCTAssertFalse(f.record.intervals.allSatisfy(\.examples.isEmpty), "latent \(l)") }
            XCTAssertEqual(f.record.topLogits.count, 10)
            XCTAssertEqual(f.record.neighbors.count, 10)
            XCTAssertEqual(f.explanations.first?.source, "auto")
            XCTAssertTrue(f.explanations.first?.automatic ?? false)
            XCTAssertTrue(f.explanations.first?.text.hasPrefix("fires on: '") ?? false)
        }
        XCTAssertGreaterThan(checkedExamples, 50)
        // Search works on automatic explanations, and tokens lead to latents.
        XCTAssertFalse(try reader.search("fires", limit: 10).isEmpty)
        let the = try reader.latents(forToken: " the", limit: 10)
        XCTAssertFalse(the.flatMap(\.latents).isEmpty)
    }

    func testSpecialTokensAreLeftOut() throws {
        let folder = try temporaryFolder()
        let file = folder.appendingPathComponent("d.txt")
        try "<|endoftext|><|endoftext|>the cat<|endoftext|>".write(to: file, atomically: true, encoding: .utf8)
        let pipeline = try TinySetup.pipeline()
        let out = folder.appendingPathComponent("i.sqlite").path
        let summary = try IndexBuilder(pipeline: pipeline, corpus: try Corpus([file.path]), options: options()).run(out: out)
        let tokens = pipeline.tokenize("the cat").dropFirst()  // without the BOS
        XCTAssertEqual(summary.tokens, tokens.count)
        let reader = try IndexReader(path: out)
        for l in 0..<40 {
            for e in try XCTUnwrap(try reader.feature(id: l)).record.topExamples {
                for (t, a) in zip(e.tokenIDs, e.activations) where t == UInt32(TinySetup.bos) { XCTAssertEqual(a, 0) }
            }
        }
    }

    func testShardsMergeToTheUnshardedIndex() throws {
        let folder = try temporaryFolder()
        let (corpusFolder, _) = try writeCorpus(in: folder)
        let pipeline = try TinySetup.pipeline()
        let corpus = try Corpus([corpusFolder.path])
        let whole = folder.appendingPathComponent("whole.sqlite").path
        try IndexBuilder(pipeline: pipeline, corpus: corpus, options: options()).run(out: whole)
        var parts: [String] = []
        for i in [2, 0, 1] {
            let part = folder.appendingPathComponent("part-\(i).bin").path
            let s = try IndexBuilder(pipeline: pipeline, corpus: corpus, options: options {
                $0.parameters.shardIndex = i
                $0.parameters.shardCount = 3
                $0.batchSize = 1 + i  // batches differ from the whole build's: the result must not
            }).run(out: part)
            XCTAssertTrue(s.wrotePart)
            parts.append(part)
        }
        let merged = folder.appendingPathComponent("merged.sqlite").path
        let summary = try PartMerger.merge(parts: parts, out: merged, overwrite: false)
        XCTAssertEqual(summary.badLines, 2)
        try assertSameIndex(whole, merged)

        // Missing or repeated shards are refused.
        XCTAssertThrowsError(try PartMerger.merge(parts: Array(parts.prefix(2)), out: merged + "2", overwrite: false))
        XCTAssertThrowsError(try PartMerger.merge(parts: parts + [parts[0]], out: merged + "3", overwrite: false))
    }

    /// A part file cut short or with a flipped byte is a `BuildError` naming it, never a crash
    /// or a huge allocation: counts are bounded by the bytes that follow them, and settings by
    /// what a build accepts. A merge that fails leaves no index.
    func testDamagedPartFilesAreClearErrors() throws {
        let folder = try temporaryFolder()
        let (corpusFolder, _) = try writeCorpus(in: folder)
        let pipeline = try TinySetup.pipeline()
        let corpus = try Corpus([corpusFolder.path])
        var parts: [String] = []
        for i in 0..<2 {
            let part = folder.appendingPathComponent("part-\(i).bin").path
            try IndexBuilder(pipeline: pipeline, corpus: corpus, options: options {
                $0.parameters.shardIndex = i
                $0.parameters.shardCount = 2
            }).run(out: part)
            parts.append(part)
        }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: parts[0])))
        let damaged = folder.appendingPathComponent("damaged.bin").path
        let out = folder.appendingPathComponent("merged.sqlite").path
        func load(_ damage: [UInt8]) throws -> BuildState {
            try Data(damage).write(to: URL(fileURLWithPath: damaged))
            return try BuildState.load(damaged)
        }
        for length in Array(0..<120) + Array(stride(from: 120, to: bytes.count, by: max(1, bytes.count / 80))) {
            XCTAssertThrowsError(try load(Array(bytes.prefix(length))), "cut to \(length) bytes") { error in
                XCTAssertTrue("\(error)".hasPrefix(damaged + ": "), "\(error)")
            }
        }
        // Every bit of every header byte (magic, version, latents, settings, metadata length),
        // then bytes further in: an error naming the file, or (a changed value) a state.
        for position in Array(0..<120) + Array(stride(from: 120, to: bytes.count, by: max(1, bytes.count / 80))) {
            var flipped = bytes
            flipped[position] ^= 0xFF
            do { _ = try load(flipped) } catch let error as BuildError {
                XCTAssertTrue("\(error)".hasPrefix(damaged + ": "), "byte \(position): \(error)")
            }
        }
        // The latent count's sixth byte (2^48 latents) and the shard count's sign byte.
        for (position, words) in [(30, "impossible"), (87, "impossible")] {
            var flipped = bytes
            flipped[position] ^= 0xFF
            XCTAssertThrowsError(try load(flipped)) { XCTAssertTrue("\($0)".contains(words), "byte \(position): \($0)") }
            XCTAssertThrowsError(try PartMerger.merge(parts: [damaged, parts[1]], out: out, overwrite: false))
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
            XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".partial"))
        }
    }

    func testResumedBuildEqualsUninterruptedBuild() throws {
        let folder = try temporaryFolder()
        let (corpusFolder, _) = try writeCorpus(in: folder)
        let pipeline = try TinySetup.pipeline()
        let corpus = try Corpus([corpusFolder.path])
        let whole = folder.appendingPathComponent("whole.sqlite").path
        try IndexBuilder(pipeline: pipeline, corpus: corpus, options: options()).run(out: whole)

        let out = folder.appendingPathComponent("resumed.sqlite").path
        let checkpoint = out + ".checkpoint"
        let first = try IndexBuilder(pipeline: pipeline, corpus: corpus, options: options {
            $0.checkpointPath = checkpoint
            $0.checkpointSeconds = 0
            $0.stopAfterCheckpoints = 4
        }).run(out: out)
        XCTAssertTrue(first.interrupted)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "an interrupted build left a finished-looking file")
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint))
        let second = try IndexBuilder(pipeline: pipeline, corpus: corpus, options: options {
            $0.checkpointPath = checkpoint
            $0.resume = true
        }).run(out: out)
        XCTAssertFalse(second.interrupted)
        XCTAssertGreaterThan(second.resumedFromRecord, 0)
        XCTAssertEqual(second.badLines, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: checkpoint))
        try assertSameIndex(whole, out)
    }

    func testTokenBudgetStopsTheBuild() throws {
        let folder = try temporaryFolder()
        let (corpusFolder, _) = try writeCorpus(in: folder)
        let out = folder.appendingPathComponent("i.sqlite").path
        let summary = try IndexBuilder(pipeline: try TinySetup.pipeline(), corpus: try Corpus([corpusFolder.path]),
                                       options: options { $0.parameters.maxTokens = 37 }).run(out: out)
        XCTAssertEqual(summary.tokens, 37)
        XCTAssertEqual(try IndexReader(path: out).summary.tokensIndexed, 37)
    }

    func testAnEmptyCorpusIsAClearError() throws {
        let folder = try temporaryFolder()
        XCTAssertThrowsError(try Corpus([folder.path])) { error in
            XCTAssertTrue("\(error)".contains("holds no .txt, .jsonl"), "\(error)")
        }
        let file = folder.appendingPathComponent("bad.jsonl")
        try "{oops\n[1, 2]\n".write(to: file, atomically: true, encoding: .utf8)
        let builder = try IndexBuilder(pipeline: try TinySetup.pipeline(), corpus: try Corpus([file.path]), options: options())
        XCTAssertThrowsError(try builder.run(out: folder.appendingPathComponent("i.sqlite").path)) { error in
            XCTAssertTrue("\(error)".contains("holds no documents (2 bad lines"), "\(error)")
        }
        XCTAssertThrowsError(try Corpus([folder.appendingPathComponent("missing").path]))
    }

    func testBadOptionsAreRefused() throws {
        let folder = try temporaryFolder()
        let (corpusFolder, _) = try writeCorpus(in: folder)
        let corpus = try Corpus([corpusFolder.path])
        XCTAssertThrowsError(try IndexBuilder(pipeline: try TinySetup.pipeline(), corpus: corpus, options: options { $0.parameters.context = 49 }))
        XCTAssertThrowsError(try IndexBuilder(pipeline: try TinySetup.pipeline(), corpus: corpus, options: options { $0.parameters.shardIndex = 2; $0.parameters.shardCount = 2 }))
    }
}
