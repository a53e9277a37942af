import ArgumentParser
import Foundation
import Kernels
import LanguageModel

extension Bench {
    struct Model: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time a language model: load, a prompt to one hook, and a full pass with logits (tokens/s).",
            discussion: """
                The prompt is the token ids (1000 + 37·i) mod V, i < --tokens, as scripts/llama/bench_torch.py \
                runs them through PyTorch for comparison.
                """)

        @Option(help: "The model: a .gguf file.")
        var model: String

        @Option(help: "Prompt length in tokens.")
        var tokens = 128

        @Option(help: "The hook the first pass stops at.")
        var hook = "blocks.15.hook_resid_post"

        @Option(help: "Runs of each pass; the median is reported.")
        var runs = 10

        @Option(help: "Threads for the matrix products.")
        var threads = ProcessInfo.processInfo.activeProcessorCount

        @OptionGroup var precision: PrecisionOption

        func run() throws {
            try reportingErrors {
                BLASRuntime.setThreads(threads)
                let point = try HookPoint(hook)
                let rssBefore = Self.residentMegabytes()
                let start = DispatchTime.now().uptimeNanoseconds
                let languageModel = try ModelRegistry.load(model, precision: precision.resolved)
                let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let rssLoaded = Self.residentMegabytes()
                say(String(format: "bench model: %@ (%@, %d layers, d_model %d), %@, kernel %@, %d threads",
                           model, languageModel.architecture, languageModel.layerCount, languageModel.dModel,
                           languageModel.precision.description, BLASRuntime.coreName, threads))
                say(String(format: "load: %.3f s, resident memory %.0f MB (%.0f MB before loading)", loadSeconds, rssLoaded, rssBefore))
                let ids = (0..<tokens).map { (1000 + 37 * $0) % languageModel.vocabularySize }
                try languageModel.validate(ids, hooks: [point])
                for (name, hooks, logits) in [(point.description, Set([point]), false), ("all layers + logits", Set<HookPoint>(), true)] {
                    _ = try languageModel.forward(ids, hooks: hooks, logits: logits)  // warm-up
                    var seconds: [Double] = []
                    for _ in 0..<max(1, runs) {
                        let begin = DispatchTime.now().uptimeNanoseconds
                        _ = try languageModel.forward(ids, hooks: hooks, logits: logits)
                        seconds.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9)
                    }
                    seconds.sort()
                    let median = seconds[seconds.count / 2]
                    say(String(format: "%-26@ %d tokens: median %.1f ms (min %.1f), %.0f tokens/s", name as NSString, tokens,
                               median * 1e3, (seconds.first ?? 0) * 1e3, Double(tokens) / median))
                }
                say(String(format: "peak resident memory %.0f MB", Self.residentMegabytes(field: "VmHWM")))
            }
        }

        /// VmRSS (or another field) of /proc/self/status in MB; 0 where there is none (macOS).
        static func residentMegabytes(field: String = "VmRSS") -> Double {
            guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
                  let kB = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
            return kB / 1024
        }
    }
}
