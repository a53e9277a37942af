import ArgumentParser
import FeatureIndex
import Foundation

struct SynthIndex: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth-index",
        abstract: "Write a deterministic synthetic index of any size, for tests and benchmarks.",
        discussion: "Realistic shapes and awkward text: unicode, newlines, HTML-special strings, characters split across tokens.")

    @Option(help: "Number of latents.")
    var latents: Int

    @Option(help: "Where to write the index.")
    var out: String

    @Option(help: "Top examples per latent.")
    var top = 10

    @Option(help: "Activation-interval groups per latent.")
    var intervals = 4

    @Option(help: "Examples per interval group.")
    var perInterval = 3

    @Option(help: "Tokens per example.")
    var context = 32

    @Option(help: "Random seed; the same seed writes the same index.")
    var seed: UInt64 = 42

    @Flag(help: "Replace --out if it exists.")
    var force = false

    func validate() throws {
        guard latents > 0 else { throw ValidationError("--latents must be positive") }
        guard top >= 0, intervals >= 0, perInterval >= 0 else { throw ValidationError("example counts must not be negative") }
        guard context > 0 else { throw ValidationError("--context must be positive") }
    }

    func run() throws {
        try reportingErrors {
            let started = Date()
            var synth = SyntheticIndex(latents: latents)
            synth.topExamples = top
            synth.intervals = intervals
            synth.examplesPerInterval = perInterval
            synth.context = context
            synth.seed = seed
            if !force && FileManager.default.fileExists(atPath: out) {
                throw ValidationError("\(out) already exists; pass --force to replace it")
            }
            let progress = Progress("synth-index", total: latents, unit: "latents")
            try synth.write(to: out, overwrite: true) { progress.update($0) }
            let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
            print("wrote \(out): \(latents) synthetic latents, \(size / 1_000_000) MB in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        }
    }
}
