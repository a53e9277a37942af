import FeatureIndex
import Foundation
import HTTP

/// The saescope web application: the JSON API of docs/API.md and the pages in `Public/`,
/// over one read-only index. Features declare their routes here; `responder()` wires them.
public final class Application: Sendable {
    public static let version = "0.1.0"

    public let reader: IndexReader
    public let publicDirectory: URL
    /// Live activations, when the server has a model and an SAE.
    public let live: LiveService?
    /// Bodies that never change while serving, encoded once.
    private let saeBody: [UInt8]
    private let healthBody: [UInt8]
    private let tokenJSON: TokenJSON

    public init(reader: IndexReader, publicDirectory: URL, live: LiveService? = nil) {
        self.reader = reader
        self.publicDirectory = publicDirectory
        self.live = live
        var health = JSONWriter()
        health.object { o in
            o.key("status"); o.string("ok")
            o.key("version"); o.string(Application.version)
            o.key("latents"); o.int(reader.summary.latents)
            o.key("live"); o.bool(live != nil)
        }
        healthBody = health.bytes
        tokenJSON = TokenJSON(reader.vocabulary)
        saeBody = Application.saeBody(reader, live: live)
    }

    private static func saeBody(_ reader: IndexReader, live: LiveService?) -> [UInt8] {
        let m = reader.metadata, s = reader.summary
        var w = JSONWriter()
        w.object { o in
            o.key("sae")
            o.object { x in
                x.key("name"); x.string(m.sae.name)
                x.key("architecture"); x.string(m.sae.architecture)
                x.key("n_latents"); x.int(m.sae.nLatents)
                x.key("d_model"); x.int(m.sae.dModel)
                x.key("k"); if let k = m.sae.k { x.int(k) } else { x.null() }
                x.key("hook"); x.string(m.sae.hook)
                x.key("layer"); if let l = m.sae.layer { x.int(l) } else { x.null() }
                x.key("file"); x.string(m.sae.file)
                x.key("sha256"); x.string(m.sae.sha256)
            }
            o.key("model")
            o.object { x in
                x.key("name"); x.string(m.model.name)
                x.key("architecture"); x.string(m.model.architecture)
                x.key("file"); x.string(m.model.file)
                x.key("sha256"); x.string(m.model.sha256)
            }
            o.key("corpus")
            o.object { x in
                x.key("name"); x.string(m.corpus.name)
                x.key("documents"); x.int(m.corpus.documents)
                x.key("tokens"); x.int(m.corpus.tokens)
            }
            o.key("build"); o.value(.object(m.build))
            o.key("summary")
            o.object { x in
                x.key("latents"); x.int(s.latents)
                x.key("dead_latents"); x.int(s.deadLatents)
                x.key("tokens_indexed"); x.int(s.tokensIndexed)
                x.key("density_histogram")
                x.object { h in
                    h.key("log10_min"); h.number(s.densityHistogram.log10Min)
                    h.key("log10_max"); h.number(s.densityHistogram.log10Max)
                    h.key("counts")
                    h.array { a in for c in s.densityHistogram.counts { a.int(c) } }
                }
            }
            o.key("schema_version"); o.int(reader.schemaVersion)
            o.key("live"); o.bool(live != nil)
            if let live {
                o.key("live_limits")
                o.object { x in
                    x.key("max_text_bytes"); x.int(live.limits.maxTextBytes)
                    x.key("max_tokens"); x.int(live.limits.maxTokens)
                    x.key("max_top_k"); x.int(live.limits.maxTopK)
                    x.key("max_features"); x.int(live.limits.maxFeatures)
                    x.key("max_top_latents"); x.int(live.limits.maxTopLatents)
                }
            }
        }
        return w.bytes
    }

    /// Every route of the application, with static files from `Public/` as the fallback, CORS
    /// under `/api` and security headers on everything.
    public func responder() throws -> any Responder {
        var router = Router()
        router.add("GET", "/api/health", quick: true) { [healthBody] _ in .json(healthBody) }
        router.add("GET", "/api/sae", quick: true) { [saeBody] _ in .json(saeBody).markedCacheable() }
        router.add("GET", "/api/features") { [self] in try featureList($0) }
        router.add("GET", "/api/features/:id", quick: true) { [self] in try feature($0) }
        router.add("GET", "/api/search") { [self] in try search($0) }
        router.add("GET", "/api/search/tokens") { [self] in try tokenSearch($0) }
        router.add("GET", "/api/openapi.json", quick: true) { _ in .json(OpenAPI.document).markedCacheable() }
        router.add("POST", "/api/activations") { [self] request in
            guard let live else {
                throw HTTPError(503, "live activations need a language model and an SAE: start the server with "
                                    + "'saescope serve --index I --model M --sae S'")
            }
            return try live.respond(to: request, reader: reader)
        }
        let pages = try StaticFiles(root: publicDirectory)
        router.add("GET", "/") { try pages.respond(to: Application.rewrite($0, to: "/index.html")) }
        router.add("GET", "/features/:id") { try pages.respond(to: Application.rewrite($0, to: "/feature.html")) }
        router.add("GET", "/live") { try pages.respond(to: Application.rewrite($0, to: "/live.html")) }
        router.fallback(pages)
        return SecurityHeaders(wrapped: CORS(prefix: "/api", wrapping: router))
    }

    /// The same request for another file under `Public/` (pages live at app URLs).
    static func rewrite(_ request: Request, to path: String) -> Request {
        var r = request
        r.path = path
        r.target = path
        return r
    }

    // MARK: Handlers

    func feature(_ request: Request) throws -> Response {
        let raw = request.pathParameters["id"] ?? ""
        guard let id = Int(raw), id >= 0 else {
            throw HTTPError(400, "parameter 'id' must be a non-negative integer, got '\(raw.prefix(100))'")
        }
        guard let body = try reader.withLatentPage(id: id, featureJSON) else {
            throw HTTPError(404, "no latent \(id): this index has latents 0 to \(reader.summary.latents - 1)")
        }
        return .json(body).markedCacheable()
    }

    /// The body of `GET /api/features/{id}`.
    public func featureJSON(_ page: LatentPage) -> [UInt8] {
        var w = JSONWriter(capacity: 32 * 1024)
        w.feature(page, tokens: tokenJSON, latentCount: reader.summary.latents)
        return w.bytes
    }

    func featureList(_ request: Request) throws -> Response {
        let p = Parameters(request: request)
        let offset = try p.int("offset", default: 0, in: 0...Int(Int32.max))
        let limit = try p.int("limit", default: 50, in: 1...500)
        let sort = try p.choice("sort", default: FeatureSort.id)
        let order = try p.choice("order", default: sort == .id ? SortOrder.asc : .desc)
        let query = try p.text("q")
        let page = try searching { try reader.features(offset: offset, limit: limit, sort: sort, descending: order == .desc, query: query) }
        var w = JSONWriter(capacity: 8 * 1024)
        w.object { o in
            o.key("total"); o.int(page.total)
            o.key("offset"); o.int(offset)
            o.key("limit"); o.int(limit)
            o.key("sort"); o.string(sort.rawValue)
            o.key("order"); o.string(order.rawValue)
            o.key("q"); o.string(query)
            o.key("features")
            o.array { a in for f in page.features { a.featureSummary(f) } }
        }
        return .json(w.bytes).markedCacheable()
    }

    func search(_ request: Request) throws -> Response {
        let p = Parameters(request: request)
        let query = try p.required("q")
        let limit = try p.int("limit", default: 50, in: 1...200)
        let hits = try searching { try reader.search(query, limit: limit) }
        var w = JSONWriter(capacity: 4 * 1024)
        w.object { o in
            o.key("q"); o.string(query)
            o.key("results")
            o.array { a in
                for f in hits {
                    a.object { r in
                        r.key("id"); r.int(f.id)
                        r.key("explanation"); r.explanation(f.explanation)
                        r.key("density"); r.number(f.density)
                        r.key("max_activation"); r.number(f.maxActivation)
                    }
                }
            }
        }
        return .json(w.bytes).markedCacheable()
    }

    func tokenSearch(_ request: Request) throws -> Response {
        let p = Parameters(request: request)
        // Not trimmed: " " and "\n" are tokens people look for.
        guard let token = request.query["token"], !token.isEmpty else { throw HTTPError(400, "parameter 'token' is required") }
        guard token.utf8.count <= 200 else { throw HTTPError(400, "parameter 'token' is longer than 200 bytes") }
        let limit = try p.int("limit", default: 20, in: 1...200)
        let matches = try reader.latents(forToken: token, limit: limit)
        var w = JSONWriter(capacity: 4 * 1024)
        w.object { o in
            o.key("token"); o.string(token)
            o.key("matches")
            o.array { a in
                for m in matches {
                    a.object { x in
                        x.key("token_id"); x.int(Int(m.tokenID))
                        x.key("token"); x.string(reader.vocabulary.text(m.tokenID))
                        x.key("latents")
                        x.array { la in
                            for (l, e) in m.latents {
                                la.object { y in
                                    y.key("id"); y.int(l.latentID)
                                    y.key("count"); y.int(l.count)
                                    y.key("mean_activation"); y.number(l.meanActivation)
                                    y.key("max_activation"); y.number(l.maxActivation)
                                    y.key("explanation"); y.explanation(e)
                                }
                            }
                        }
                    }
                }
            }
        }
        return .json(w.bytes).markedCacheable()
    }

    /// A malformed FTS5 query is the client's mistake: 400 with SQLite's reason.
    private func searching<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch IndexReadError.malformedQuery(let why) {
            throw HTTPError(400, "parameter 'q' is not a valid search query (\(why)); put words in double quotes to search for them literally")
        }
    }
}
