import ArgumentParser
import FeatureIndex
import Foundation
import Indexer

struct Explanations: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the explanations of an index.",
        subcommands: [Import.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import explanations from a JSONL or CSV file into an index (and its search).",
            discussion: """
                JSONL: one object per line, {"latent": 12, "text": "French place names", "source": "gpt-4o"}; \
                CSV: latent,text[,source] with an optional header row. Rows without a source get --source. \
                Importing a source again replaces all of that source's explanations; automatic ones \
                ("fires on: …") stay, and written explanations are shown before them.

                Example:  saescope explanations import explanations.jsonl --index index.sqlite
                """)

        @Argument(help: "The JSONL or CSV file.")
        var file: String

        @Option(help: "The index to write into.")
        var index: String

        @Option(help: "The source of rows that name none.")
        var source = "imported"

        func run() throws {
            try reportingErrors {
                let parsed = try ExplanationFile.read(file, defaultSource: source)
                for line in parsed.bad.prefix(5) { note("explanations: skipping \(file) \(line)") }
                let (written, skipped) = try ExplanationImport.replace(in: index, rows: parsed.rows)
                let sources = Set(parsed.rows.map(\.source)).sorted().joined(separator: ", ")
                say("explanations: imported \(written) into \(index) (sources: \(sources.isEmpty ? "none" : sources)); \(skipped) name latents the index lacks, \(parsed.bad.count) unreadable lines")
            }
        }
    }
}
