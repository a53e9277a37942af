import FeatureIndex
import Foundation

/// Combines the parts of a sharded build (`saescope index --shard i/n`) into one index.
public enum PartMerger {
    public struct Summary: Sendable {
        public var parts: Int
        public var documents: Int
        public var tokens: Int
        public var badLines: Int
        public var latents: Int
    }

    /// Reads every part, checks they are the n shards of one build, adds them up and writes the
    /// index to `out`. Merging is exact: the index equals that of one unsharded build over the
    /// same corpus with the same settings.
    @discardableResult
    public static func merge(parts paths: [String], out: String, overwrite: Bool, progress: (String) -> Void = { _ in }) throws -> Summary {
        guard let firstPath = paths.first else { throw BuildError.badOption("give the part files to merge") }
        if !overwrite && FileManager.default.fileExists(atPath: out) { throw IndexWriteError.exists(out) }
        progress("reading \(firstPath)")
        let merged = try BuildState.load(firstPath)
        var seen: [Int: String] = [:]
        func check(_ part: BuildState, _ path: String) throws {
            guard part.complete else { throw BuildError.mismatch("\(path) is a checkpoint of an unfinished build, not a finished part") }
            var a = part.parameters, b = merged.parameters
            a.shardIndex = 0
            b.shardIndex = 0
            guard a == b, part.latents == merged.latents, part.metadata.sae == merged.metadata.sae,
                  part.metadata.model == merged.metadata.model, part.vocabulary == merged.vocabulary else {
                throw BuildError.mismatch("\(path) is from a different build than \(firstPath) (SAE, model, vocabulary or settings differ)")
            }
            if let other = seen[part.parameters.shardIndex] {
                throw BuildError.mismatch("\(path) and \(other) are both shard \(part.parameters.shardIndex)")
            }
            seen[part.parameters.shardIndex] = path
        }
        try check(merged, firstPath)
        for path in paths.dropFirst() {
            progress("reading \(path)")
            let part = try BuildState.load(path)
            try check(part, path)
            merged.merge(part)
        }
        let n = merged.parameters.shardCount
        let missing = (0..<n).filter { seen[$0] == nil }
        guard missing.isEmpty else {
            let listed = missing.prefix(10).map(String.init).joined(separator: ", ") + (missing.count > 10 ? ", …" : "")
            throw BuildError.mismatch("\(missing.count) of the \(n) shards are missing: \(listed)")
        }
        guard merged.decoder != nil else { throw BuildError.mismatch("no part holds the logit and neighbour tables (shard 0 computes them)") }
        merged.parameters.shardIndex = 0
        progress("writing \(out)")
        try merged.writeIndex(to: out, overwrite: overwrite)
        return Summary(parts: paths.count, documents: merged.documents, tokens: merged.tokens, badLines: merged.badLines, latents: merged.latents)
    }
}
