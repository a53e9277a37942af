import ArgumentParser
import Foundation
import Indexer

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Combine the parts of a sharded build (saescope index --shard i/n) into one index.",
        discussion: """
            Give all n parts, in any order. The result is exactly the index one unsharded build over the \
            same corpus with the same settings writes: counts, maxima, moments (exact fixed-point sums), \
            histograms, top examples and interval samples all merge without loss.

            Example:  saescope merge parts/part-*.bin --out index.sqlite
            """)

    @Argument(help: "The part files.")
    var parts: [String]

    @Option(help: "Where to write the index.")
    var out: String

    @Flag(help: "Replace --out if it exists.")
    var force = false

    func run() throws {
        try reportingErrors {
            let started = Date()
            let summary = try PartMerger.merge(parts: parts, out: out, overwrite: force) { note("merge: \($0)") }
            say(String(format: "merge: wrote %@ from %d parts: %d documents, %d tokens, %d latents, %d bad lines in %.1f s",
                       out, summary.parts, summary.documents, summary.tokens, summary.latents, summary.badLines, Date().timeIntervalSince(started)))
        }
    }
}
