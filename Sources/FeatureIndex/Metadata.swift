import Foundation

/// What an index was built from, stored as JSON documents in the `meta` table.
public struct IndexMetadata: Codable, Sendable, Equatable {
    public struct SAE: Codable, Sendable, Equatable {
        public var name: String
        /// "topk", "relu", "jumprelu" …
        public var architecture: String
        public var nLatents: Int
        public var dModel: Int
        public var k: Int?
        /// TransformerLens hook name, e.g. "blocks.15.hook_resid_post".
        public var hook: String
        public var layer: Int?
        public var file: String?
        public var sha256: String?

        enum CodingKeys: String, CodingKey {
            case name, architecture, k, hook, layer, file, sha256
            case nLatents = "n_latents", dModel = "d_model"
        }

        public init(name: String, architecture: String, nLatents: Int, dModel: Int, k: Int?, hook: String,
                    layer: Int?, file: String? = nil, sha256: String? = nil) {
            self.name = name
            self.architecture = architecture
            self.nLatents = nLatents
            self.dModel = dModel
            self.k = k
            self.hook = hook
            self.layer = layer
            self.file = file
            self.sha256 = sha256
        }
    }

    public struct Model: Codable, Sendable, Equatable {
        public var name: String
        public var architecture: String
        public var file: String?
        public var sha256: String?
        public init(name: String, architecture: String, file: String? = nil, sha256: String? = nil) {
            self.name = name
            self.architecture = architecture
            self.file = file
            self.sha256 = sha256
        }
    }

    public struct Corpus: Codable, Sendable, Equatable {
        public var name: String
        public var documents: Int
        public var tokens: Int
        public init(name: String, documents: Int, tokens: Int) {
            self.name = name
            self.documents = documents
            self.tokens = tokens
        }
    }

    public var sae: SAE
    public var model: Model
    public var corpus: Corpus
    /// Build parameters and facts (context length, example counts, timings, versions).
    public var build: [String: JSONValue]

    public init(sae: SAE, model: Model, corpus: Corpus, build: [String: JSONValue] = [:]) {
        self.sae = sae
        self.model = model
        self.corpus = corpus
        self.build = build
    }
}

/// Summary statistics of all latents, computed once when the index is written.
public struct IndexSummary: Codable, Sendable, Equatable {
    public struct DensityHistogram: Codable, Sendable, Equatable {
        public var log10Min: Double
        public var log10Max: Double
        public var counts: [Int]
        enum CodingKeys: String, CodingKey { case log10Min = "log10_min", log10Max = "log10_max", counts }
    }
    /// Latents in the index (rows of `latents`).
    public var latents: Int
    public var deadLatents: Int
    public var tokensIndexed: Int
    /// log10(density) of every live latent in equal-width bins.
    public var densityHistogram: DensityHistogram

    enum CodingKeys: String, CodingKey {
        case latents, deadLatents = "dead_latents", tokensIndexed = "tokens_indexed", densityHistogram = "density_histogram"
    }
}

/// A JSON value, for metadata whose fields vary (build parameters).
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

enum MetaJSON {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        let decoder = JSONDecoder()
        return try decoder.decode(type, from: Data(text.utf8))
    }
}
