import Foundation
import XCTest
import LanguageModel
import Tensors

/// Not a unit test: a measurement, skipped unless SAESCOPE_GPT2_BENCH names a GPT-2 folder (made by
/// scripts/gpt2/make_full_random.py). Prints saescope's tokens/s for one 128-token prompt through
/// every block, and with logits; compare with scripts/gpt2/bench_transformers.py, whose
/// reference-128.npz (when present in the folder) supplies the prompt and the values to check the
/// full-size model against (printed, max |Δ| / RMS). Run in release,
/// with the BLAS settings the binary would use:
///
///     OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=2 SAESCOPE_GPT2_BENCH=/tmp/gpt2-random \
///         swift test -c release -Xswiftc -enable-testing --filter GPT2Benchmark
final class GPT2Benchmark: XCTestCase {
    func testTokensPerSecond() throws {
        guard let folder = ProcessInfo.processInfo.environment["SAESCOPE_GPT2_BENCH"] else {
            throw XCTSkip("set SAESCOPE_GPT2_BENCH to a GPT-2 folder to measure")
        }
        let repeats = Int(ProcessInfo.processInfo.environment["SAESCOPE_GPT2_BENCH_REPEATS"] ?? "") ?? 10
        var start = Date()
        let model = try ModelRegistry.load(folder)
        print(String(format: "GPT-2 bench: loaded %@ in %.2f s", folder, Date().timeIntervalSince(start)))
        var generator = SystemRandomNumberGenerator()
        var tokens = (0..<128).map { _ in Int.random(in: 0..<model.vocabularySize, using: &generator) }
        let last: Set<HookPoint> = [HookPoint(layer: model.layerCount - 1, site: .residPost)]
        let referencePath = URL(fileURLWithPath: folder).appendingPathComponent("reference-128.npz").path
        if FileManager.default.fileExists(atPath: referencePath) {
            let reference = try NpzFile(path: referencePath)
            tokens = try reference.tensor("tokens").integers().map { Int($0) }
            let hooks: Set<HookPoint> = last.union([HookPoint(layer: 5, site: .residPost)])
            let result = try model.forward(tokens, hooks: hooks, logits: true)
            for hook in hooks.sorted() {
                let error = relativeError(try XCTUnwrap(result.activations[hook]), try reference.tensor(hook.description).floats())
                print(String(format: "GPT-2 bench: %@ vs transformers: max |Δ| / RMS = %.2e", hook.description, error))
            }
            let error = relativeError(try XCTUnwrap(result.logits), try reference.tensor("logits").floats())
            print(String(format: "GPT-2 bench: logits vs transformers: max |Δ| / RMS = %.2e", error))
        }
        for (label, hooks, logits) in [("blocks", last, false), ("with logits", [], true)] as [(String, Set<HookPoint>, Bool)] {
            _ = try model.forward(tokens, hooks: hooks, logits: logits)
            var best = Double.infinity
            for _ in 0..<repeats {
                start = Date()
                _ = try model.forward(tokens, hooks: hooks, logits: logits)
                best = min(best, Date().timeIntervalSince(start))
            }
            print(String(format: "GPT-2 bench: saescope, 128 tokens, %@: %.1f ms (%.0f tokens/s), best of %d",
                         label, best * 1000, 128 / best, repeats))
        }
    }
}
