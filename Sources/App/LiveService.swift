import FeatureIndex
import Foundation
import HTTP
import LanguageModel
import Pipeline
import SparseAutoencoder

/// Limits on live activations, each a clear JSON error when exceeded.
public struct LiveLimits: Sendable {
    /// Longest text in UTF-8 bytes (413 beyond).
    public var maxTextBytes = 16_384
    /// Most tokens per request (413 beyond); never more than the model's context.
    public var maxTokens = 1_024
    /// Model computations at once.
    public var concurrent = 1
    /// Requests waiting for the model; beyond, 503 with Retry-After.
    public var queued = 8
    /// Longest a request waits in the queue before a 503, in seconds.
    public var maxWait: TimeInterval = 30
    /// Largest `top_k` (latents per token) and `top_latents`, and most `features` per request.
    public var maxTopK = 64
    public var maxTopLatents = 200
    public var maxFeatures = 64

    public init() {}
}

/// `POST /api/activations`: text → tokens → model → SAE, with the index's explanations and
/// statistics for every latent it mentions.
public final class LiveService: Sendable {
    public let pipeline: FeaturePipeline
    public let limits: LiveLimits
    private let gate: ComputeGate
    /// Display strings come from the model's own tokenizer (the index may hold another's).
    private let tokens: TokenJSON

    public init(pipeline: FeaturePipeline, limits: LiveLimits = LiveLimits()) {
        self.pipeline = pipeline
        var limits = limits
        limits.maxTokens = min(limits.maxTokens, pipeline.model.contextLength)
        self.limits = limits
        gate = ComputeGate(running: limits.concurrent, waiting: limits.queued, maxWait: limits.maxWait)
        let t = pipeline.tokenizer
        tokens = TokenJSON(Vocabulary(tokenBytes: t.tokenBytes, special: t.isSpecial))
    }

    /// Request threads this service can hold at once (running + queued); the server adds them
    /// to its pool so that other routes always have threads.
    public var threadsHeld: Int { limits.concurrent + limits.queued }

    /// Throws unless the index was built for this SAE (same number of latents).
    public func checkMatches(_ reader: IndexReader) throws {
        let n = pipeline.sae.latentCount, m = reader.summary.latents
        guard n == m else {
            throw SAEError.modelMismatch(path: pipeline.sae.info.path,
                                         reason: "the SAE has \(n) latents but the index \(reader.path) has \(m); serve the index built for this SAE")
        }
    }

    struct Body: Decodable {
        var text: String
        var features: [Int]?
        var top_k: Int?
        var top_latents: Int?
    }

    /// What one request asks for, checked against the limits.
    struct Query {
        var text: String
        var features: [Int]
        var topK: Int
        var topLatents: Int
    }

    func parse(_ request: Request) throws -> Query {
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: Data(request.body))
        } catch DecodingError.keyNotFound(let key, _) {
            throw HTTPError(400, "the JSON body needs a '\(key.stringValue)' field")
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw HTTPError(400, "the body must be a JSON object like {\"text\": \"...\"}")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().dropFirst()
            let field = String(path).hasPrefix("features") ? "features" : String(path)
            let want = field == "text" ? "a string" : field == "features" ? "an array of latent ids (integers)" : "an integer"
            throw HTTPError(400, "field '\(field)' must be \(want)")
        } catch {
            throw HTTPError(400, "the body must be a JSON object like {\"text\": \"...\"}: \(error.localizedDescription)")
        }
        let n = pipeline.sae.latentCount
        guard !body.text.isEmpty else { throw HTTPError(400, "field 'text' is empty") }
        guard body.text.utf8.count <= limits.maxTextBytes else {
            throw HTTPError(413, "field 'text' is \(body.text.utf8.count) bytes; this server takes at most \(limits.maxTextBytes)")
        }
        let features = body.features ?? []
        guard features.count <= limits.maxFeatures else {
            throw HTTPError(400, "field 'features' lists \(features.count) latents; at most \(limits.maxFeatures)")
        }
        if let bad = features.first(where: { !(0..<n).contains($0) }) {
            throw HTTPError(400, "field 'features' has latent \(bad); this SAE has latents 0 to \(n - 1)")
        }
        let topK = body.top_k ?? 8
        guard (1...limits.maxTopK).contains(topK) else {
            throw HTTPError(400, "field 'top_k' must be an integer from 1 to \(limits.maxTopK), got \(topK)")
        }
        let topLatents = body.top_latents ?? 50
        guard (1...limits.maxTopLatents).contains(topLatents) else {
            throw HTTPError(400, "field 'top_latents' must be an integer from 1 to \(limits.maxTopLatents), got \(topLatents)")
        }
        var seen = Set<Int>()
        return Query(text: body.text, features: features.filter { seen.insert($0).inserted }, topK: topK, topLatents: topLatents)
    }

    /// Handles `POST /api/activations`; `reader` supplies explanations and corpus statistics.
    func respond(to request: Request, reader: IndexReader) throws -> Response {
        let query = try parse(request)
        let clock = ContinuousClock()
        let t0 = clock.now
        let ids = pipeline.tokenize(query.text)
        let t1 = clock.now
        guard !ids.isEmpty else { throw HTTPError(400, "field 'text' has no tokens") }
        guard ids.count <= limits.maxTokens else {
            throw HTTPError(413, "field 'text' is \(ids.count) tokens; this server takes at most \(limits.maxTokens)")
        }
        let (codes, started, t2, t3) = try gate.run {
            let started = clock.now
            let x = try pipeline.activations(ids)
            let t2 = clock.now
            let codes = try pipeline.latents(x)
            return (codes, started, t2, clock.now)
        }
        let special = ids.enumerated().map { pipeline.isExcluded(position: $0.offset, token: $0.element) }

        // The text's latents by their largest activation over ordinary tokens (not BOS etc.).
        var best: [Int32: (value: Float, token: Int, count: Int)] = [:]
        for t in 0..<codes.tokenCount where !special[t] {
            let row = codes.row(t)
            for (id, v) in zip(row.ids, row.values) {
                if let b = best[id] {
                    best[id] = v > b.value ? (v, t, b.count + 1) : (b.value, b.token, b.count + 1)
                } else {
                    best[id] = (v, t, 1)
                }
            }
        }
        let ranked = best.sorted { $0.value.value > $1.value.value || ($0.value.value == $1.value.value && $0.key < $1.key) }
            .prefix(query.topLatents)
        var mentioned = Set(query.features)
        for t in 0..<codes.tokenCount { for id in codes.row(t).ids.prefix(query.topK) { mentioned.insert(Int(id)) } }
        for (id, _) in ranked { mentioned.insert(Int(id)) }
        let known = try reader.summaries(ids: Array(mentioned))
        let t4 = clock.now

        var w = JSONWriter(capacity: 16 * 1024 + ids.count * query.topK * 32)
        w.object { o in
            o.key("hook"); o.string(pipeline.hook.description)
            o.key("tokens"); o.array { a in tokens.writeDisplay(ids.map { UInt32($0) }, to: &a) }
            o.key("token_ids"); o.array { a in for id in ids { a.int(id) } }
            o.key("special"); o.array { a in for s in special { a.bool(s) } }
            o.key("token_latents")
            o.array { a in
                for t in 0..<codes.tokenCount {
                    let row = codes.row(t)
                    a.array { r in
                        for (id, v) in zip(row.ids, row.values).prefix(query.topK) {
                            r.object { e in e.key("id"); e.int(Int(id)); e.key("value"); e.number(v) }
                        }
                    }
                }
            }
            o.key("features")
            o.array { a in
                for id in query.features {
                    a.object { f in
                        f.key("id"); f.int(id)
                        f.key("activations")
                        f.array { v in for t in 0..<codes.tokenCount { v.number(codes.value(token: t, latent: id)) } }
                    }
                }
            }
            o.key("top_latents")
            o.array { a in
                for (id, b) in ranked {
                    a.object { l in
                        l.key("id"); l.int(Int(id))
                        l.key("max"); l.number(b.value)
                        l.key("token"); l.int(b.token)
                        l.key("count"); l.int(b.count)
                    }
                }
            }
            o.key("latents")
            o.object { m in
                for (id, s) in known.sorted(by: { $0.key < $1.key }) {
                    m.key(dynamic: String(id))
                    m.object { l in
                        l.key("explanation"); l.explanation(s.explanation)
                        l.key("density"); l.number(s.density)
                        l.key("max_activation"); l.number(s.maxActivation)
                    }
                }
            }
            o.key("timing_ms")
            o.object { m in
                m.key("tokenize"); m.number(Self.ms(t1 - t0))
                m.key("queue"); m.number(Self.ms(started - t1))
                m.key("model"); m.number(Self.ms(t2 - started))
                m.key("encode"); m.number(Self.ms(t3 - t2))
                m.key("index"); m.number(Self.ms(t4 - t3))
            }
        }
        var response = Response.json(w.bytes)
        response.headers.add("Server-Timing", String(format: "tokenize;dur=%.2f, queue;dur=%.2f, model;dur=%.2f, encode;dur=%.2f, index;dur=%.2f",
                                                     Self.ms(t1 - t0), Self.ms(started - t1), Self.ms(t2 - started),
                                                     Self.ms(t3 - t2), Self.ms(t4 - t3)))
        response.headers.add("Cache-Control", "no-store")
        return response
    }

    private static func ms(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}
