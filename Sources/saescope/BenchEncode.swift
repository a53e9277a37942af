import ArgumentParser
import Foundation
import Kernels
import SparseAutoencoder

extension Bench {
    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "encode",
            abstract: "Time the TopK encoder alone on random weights and activations (tokens/s).",
            discussion: """
                Weights and activations come from a fixed-seed generator, as scripts/sae/bench_encode.py makes \
                them for numpy and torch, so the three can be compared side by side.
                """)

        @Option(parsing: .upToNextOption, help: "Latent counts to time.")
        var latents: [Int] = [16_384, 131_072]

        @Option(help: "Input width (SmolLM2-135M: 576).")
        var width = 576

        @Option(help: "Latents kept per token.")
        var k = 32

        @Option(help: "Tokens per encode call.")
        var tokens = 128

        @Option(help: "Runs per size; the median is reported.")
        var runs = 10

        @Option(help: "Threads for the matrix products and the per-token selection.")
        var threads = ProcessInfo.processInfo.activeProcessorCount

        @OptionGroup var precision: PrecisionOption

        func run() throws {
            try reportingErrors {
                BLASRuntime.setThreads(threads)
                let bf16 = precision.resolved == .bfloat16
                say("bench encode: d=\(width), k=\(k), \(tokens) tokens per call, kernel \(BLASRuntime.coreName), \(threads) threads, "
                    + (bf16 ? "bf16 products, float32 latents" : "f32"))
                var rates: [String] = []
                for n in latents {
                    var state: UInt64 = 12_345
                    func next() -> Float {
                        state = state &* 6364136223846793005 &+ 1442695040888963407
                        return Float(Int32(truncatingIfNeeded: state >> 32)) / Float(Int32.max)
                    }
                    let encoder = (0..<n * width).map { _ in next() }
                    let sae = try SparseAutoencoder(
                        inputWidth: width, latentCount: n, activation: .topK(k), normalization: .none, subtractsDecoderBias: true,
                        encoder: encoder, encoderBias: (0..<n).map { _ in next() * 0.1 }, decoder: encoder,
                        decoderBias: (0..<width).map { _ in next() }, info: .init(format: "bench", path: "random"))
                    let x = (0..<tokens * width).map { _ in next() }
                    let packed = bf16 ? try PackedEncoder(sae) : nil
                    _ = try sae.encode(x, threads: threads, packed: packed)  // warm-up
                    var seconds: [Double] = []
                    for _ in 0..<max(1, runs) {
                        let begin = DispatchTime.now().uptimeNanoseconds
                        _ = try sae.encode(x, threads: threads, packed: packed)
                        seconds.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9)
                    }
                    seconds.sort()
                    let median = seconds[seconds.count / 2]
                    say(String(format: "%7d latents: median %.2f ms (min %.2f) per %d tokens, %.0f tokens/s",
                               n, median * 1e3, seconds[0] * 1e3, tokens, Double(tokens) / median))
                    rates.append(String(format: "%d: %.0f tokens/s", n, Double(tokens) / median))
                }
                say("bench encode: " + rates.joined(separator: ", "))
            }
        }
    }
}
