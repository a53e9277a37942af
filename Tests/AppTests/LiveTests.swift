import FeatureIndex
import Foundation
import HTTP
import LanguageModel
import Pipeline
import SparseAutoencoder
import Tokenizer
import XCTest
@testable import App

/// POST /api/activations through the router with a real (tiny) pipeline: the random GPT-2 of
/// Tests/LanguageModelTests/Fixtures, a byte-level tokenizer over its 320 ids and a random TopK
/// SAE. Values are checked against the pipeline run directly.
final class LiveTests: XCTestCase {
    nonisolated(unsafe) static var directory: URL!
    nonisolated(unsafe) static var pipeline: FeaturePipeline!
    nonisolated(unsafe) static var reader: IndexReader!
    static let latents = 96

    override class func setUp() {
        super.setUp()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("saescope-live-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            let tiny = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("LanguageModelTests/Fixtures/gpt2/tiny")
            let model = try ModelRegistry.load(tiny.path)
            // Ids 0–255 are the bytes, 256–318 unused spellings, 319 <|endoftext|> (BOS and EOS).
            let bytes = (0...255).map { String(ByteLevel.scalarForByte[$0]) }
            let tokens = bytes + (256..<319).map { "<unused\($0)>" } + ["<|endoftext|>"]
            let types = [Int32](repeating: 1, count: 256) + [Int32](repeating: 4, count: 63) + [3]
            let tokenizer = try BPETokenizer(tokens: tokens, merges: [], tokenTypes: types, pre: "gpt2", bosID: 319, eosID: 319, addBOS: false)
            var g = UInt64(5)
            func next() -> Float {
                g = g &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int64(bitPattern: g >> 11) % 2001 - 1000) / 1000
            }
            let d = model.dModel, n = latents
            let sae = try SparseAutoencoder(inputWidth: d, latentCount: n, activation: .topK(4), normalization: .none,
                                            subtractsDecoderBias: true, encoder: (0..<n * d).map { _ in next() },
                                            encoderBias: (0..<n).map { _ in next() * 0.1 }, decoder: (0..<n * d).map { _ in next() },
                                            decoderBias: (0..<d).map { _ in next() * 0.1 }, info: .init(format: "test", path: "memory"))
            pipeline = try FeaturePipeline(model: model, tokenizer: tokenizer, sae: sae, hook: try HookPoint("blocks.1.hook_resid_post"),
                                           modelPath: tiny.path)
            let path = directory.appendingPathComponent("index.sqlite").path
            var synth = SyntheticIndex(latents: latents)
            synth.topExamples = 2
            synth.intervals = 1
            synth.examplesPerInterval = 1
            try synth.write(to: path)
            reader = try IndexReader(path: path)
        } catch {
            XCTFail("cannot set up: \(error)")
        }
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(at: directory)
        super.tearDown()
    }

    func responder(_ limits: LiveLimits = LiveLimits()) throws -> any Responder {
        let live = LiveService(pipeline: LiveTests.pipeline, limits: limits)
        return try Application(reader: LiveTests.reader, publicDirectory: try Resources.directory("Public"), live: live).responder()
    }

    func post(_ body: String, to responder: any Responder) throws -> (Response, [String: Any]) {
        let request = Request(method: "POST", target: "/api/activations", body: Array(body.utf8))
        let response: Response
        do { response = try responder.respond(to: request) } catch let e as HTTPError {
            response = .error(e.status, e.message)
        }
        let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
        return (response, json)
    }

    func testActivationsMatchThePipeline() throws {
        let text = "héllo wörld"
        let (response, json) = try post(#"{"text": "héllo wörld", "features": [3, 17], "top_k": 2}"#, to: try responder())
        XCTAssertEqual(response.status, 200)
        let ids = LiveTests.pipeline.tokenize(text)
        XCTAssertEqual(ids.first, 319, "sequences start with BOS")
        XCTAssertEqual(json["token_ids"] as? [Int], ids)
        let tokens = try XCTUnwrap(json["tokens"] as? [String])
        // é and ö are two byte tokens each: each shows the whole character, once.
        XCTAssertEqual(tokens, ["<|endoftext|>", "h", "é", "é", "l", "l", "o", " ", "w", "ö", "ö", "r", "l", "d"])
        XCTAssertEqual(json["special"] as? [Bool], [true] + [Bool](repeating: false, count: ids.count - 1))

        let (_, codes) = try LiveTests.pipeline.encode(ids)
        let perToken = try XCTUnwrap(json["token_latents"] as? [[[String: Any]]])
        XCTAssertEqual(perToken.count, ids.count)
        for (t, row) in perToken.enumerated() {
            let expected = codes.row(t)
            XCTAssertEqual(row.compactMap { $0["id"] as? Int }, expected.ids.prefix(2).map { Int($0) }, "token \(t)")
            for (got, want) in zip(row.compactMap { ($0["value"] as? NSNumber)?.floatValue }, expected.values) {
                XCTAssertEqual(got, want, accuracy: abs(want) * 1e-5)
            }
        }
        let features = try XCTUnwrap(json["features"] as? [[String: Any]])
        XCTAssertEqual(features.compactMap { $0["id"] as? Int }, [3, 17])
        for f in features {
            let id = try XCTUnwrap(f["id"] as? Int)
            let values = try XCTUnwrap(f["activations"] as? [NSNumber]).map(\.floatValue)
            XCTAssertEqual(values.count, ids.count)
            for t in 0..<ids.count { XCTAssertEqual(values[t], codes.value(token: t, latent: id), accuracy: 1e-4) }
        }
        // The ranking leaves out the BOS position and is by max, then id.
        let top = try XCTUnwrap(json["top_latents"] as? [[String: Any]])
        XCTAssertFalse(top.isEmpty)
        var best: [Int: Float] = [:]
        for t in 1..<codes.tokenCount {
            for (id, v) in zip(codes.row(t).ids, codes.row(t).values) { best[Int(id)] = max(best[Int(id)] ?? 0, v) }
        }
        let first = try XCTUnwrap(top.first)
        XCTAssertEqual(first["id"] as? Int, best.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key)
        XCTAssertNotEqual(first["token"] as? Int, 0)
        // Every latent named anywhere has index facts.
        let facts = try XCTUnwrap(json["latents"] as? [String: [String: Any]])
        for row in perToken { for l in row { XCTAssertNotNil(facts[String(l["id"] as? Int ?? -1)]) } }
        XCTAssertNotNil(response.headers["Server-Timing"])
        XCTAssertTrue(response.headers["Server-Timing"]?.contains("model;dur=") ?? false)
    }

    func testBadRequestsNameTheField() throws {
        var limits = LiveLimits()
        limits.maxTextBytes = 20
        limits.maxTokens = 10
        let r = try responder(limits)
        let cases: [(String, Int, String)] = [
            (#"{"text": 5}"#, 400, "field 'text' must be a string"),
            (#"{"texts": "a"}"#, 400, "needs a 'text' field"),
            (#"{"text": ""}"#, 400, "field 'text' is empty"),
            (#"{"text": "a", "features": [1, true]}"#, 400, "field 'features' must be an array"),
            (#"{"text": "a", "features": [96]}"#, 400, "latents 0 to 95"),
            (#"{"text": "a", "top_k": 0}"#, 400, "field 'top_k' must be an integer from 1 to 64"),
            (#"{"text": "a", "top_k": "3"}"#, 400, "field 'top_k' must be an integer"),
            (#"{"text": "abcdefghijklmnopqrstuvwxyz"}"#, 413, "26 bytes; this server takes at most 20"),
            (#"{"text": "abcdefghijklmn"}"#, 413, "15 tokens; this server takes at most 10"),
            ("not json", 400, "must be a JSON object"),
            ("[1, 2]", 400, "must be a JSON object"),
        ]
        for (body, status, message) in cases {
            let (response, json) = try post(body, to: r)
            XCTAssertEqual(response.status, status, body)
            let text = (json["error"] as? [String: Any])?["message"] as? String ?? ""
            XCTAssertTrue(text.contains(message), "\(body): \(text)")
        }
    }

    func testWithoutAModelTheEndpointSays503() throws {
        let app = Application(reader: LiveTests.reader, publicDirectory: try Resources.directory("Public"))
        let (response, json) = try post(#"{"text": "a"}"#, to: try app.responder())
        XCTAssertEqual(response.status, 503)
        XCTAssertTrue(((json["error"] as? [String: Any])?["message"] as? String ?? "").contains("--model"))
    }

    func testAnIndexForAnotherSAEIsRefused() throws {
        let live = LiveService(pipeline: LiveTests.pipeline)
        let path = LiveTests.directory.appendingPathComponent("other.sqlite").path
        try SyntheticIndex(latents: 10).write(to: path)
        XCTAssertThrowsError(try live.checkMatches(try IndexReader(path: path))) { error in
            XCTAssertTrue("\(error)".contains("the SAE has 96 latents but the index"), "\(error)")
        }
        XCTAssertNoThrow(try live.checkMatches(LiveTests.reader))
    }

    func testTheGateQueuesThenRefusesWithRetryAfter() throws {
        let gate = ComputeGate(running: 1, waiting: 1, maxWait: 5)
        let inside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let finished = DispatchGroup()
        DispatchQueue.global().async(group: finished) {
            try? gate.run { inside.signal(); release.wait() }
        }
        inside.wait()
        // One may wait; its slot opens when the first finishes.
        final class Box: @unchecked Sendable { var value: Int? }
        let queuedResult = Box()
        DispatchQueue.global().async(group: finished) { queuedResult.value = try? gate.run { 42 } }
        // Once the second request waits, a third is refused at once.
        while gate.queued < 1 { Thread.sleep(forTimeInterval: 0.002) }
        XCTAssertThrowsError(try gate.run { 0 }) { error in
            XCTAssertEqual((error as? HTTPError)?.status, 503)
            XCTAssertNotNil((error as? HTTPError)?.headers["Retry-After"])
            XCTAssertTrue("\(error)".contains("2 live requests are already running or queued"), "\(error)")
        }
        release.signal()
        finished.wait()
        XCTAssertEqual(queuedResult.value, 42)  // read after the group's wait: no race
    }

    func testWaitingTooLongIs503() throws {
        let gate = ComputeGate(running: 1, waiting: 4, maxWait: 0.05)
        let inside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { try? gate.run { inside.signal(); release.wait() } }
        inside.wait()
        XCTAssertThrowsError(try gate.run { 0 }) { error in
            XCTAssertEqual((error as? HTTPError)?.status, 503)
            XCTAssertTrue("\(error)".contains("waited"), "\(error)")
        }
        release.signal()
    }
}
