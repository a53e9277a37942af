import ArgumentParser
import Foundation
import Kernels

@main
struct SAEScope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saescope",
        abstract: "Explore the features of sparse autoencoders trained on language models.",
        discussion: """
            saescope serves a feature index (a SQLite file of each latent's statistics, top-activating \
            snippets and explanations) as a JSON API and web pages.

            Start with:  saescope serve --index index.sqlite   then open http://127.0.0.1:8080
            """,
        version: "0.1.0",
        subcommands: [Serve.self, Index.self, Merge.self, Explanations.self, SynthIndex.self, Migrate.self, Inspect.self, Tokenize.self, Activations.self, Encode.self, Train.self, Bench.self]
    )

    static func main() {
        BLASRuntime.ensureFastKernel()
        main(nil)
    }
}

/// Runs `body`, printing a thrown error as one line on stderr and exiting 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

/// Plain progress lines on stderr; the summary goes to stdout.
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// One line on stdout, written at once (stdout may be a pipe, where print would buffer it).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
