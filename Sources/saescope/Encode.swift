import ArgumentParser
import FeatureIndex
import Foundation
import Kernels
import Pipeline
import SparseAutoencoder
import Tensors

struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encode activations with an SAE: from a .npy file, or a text run through the model.",
        discussion: """
            With --activations, reads a float32 .npy of shape (tokens, d_in) (e.g. from 'saescope activations') \
            and prints JSON {"latents": [[{"id": i, "value": v}, ...], ...]}: one list per row, strongest first, \
            zeros left out.
            With --model and a text, runs the text through the model to the SAE's hook and prints each token \
            with its strongest latents (--json for {"tokens", "token_ids", "latents"}).

            Examples:
              saescope encode --sae sae.safetensors --activations x.npy
              saescope encode --model SmolLM2-135M-Instruct.Q4_1.gguf --sae sae.safetensors "The cat sat on the mat"
            """)

    @Option(help: "The SAE (any format saescope reads; see docs/SAE_FORMATS.md).")
    var sae: String

    @Option(help: "Precomputed activations: a float32 .npy file of shape (tokens, d_in).")
    var activations: String?

    @Option(help: "The language model (.gguf file or Hugging Face folder), to encode a text.")
    var model: String?

    @Option(help: "The hook the SAE reads, if its files do not say (e.g. blocks.15.hook_resid_post).")
    var hook: String?

    @Argument(help: "The text to encode (with --model).")
    var text: String?

    @Option(help: "Read the text from this file instead.")
    var file: String?

    @Option(help: "Latents shown per token in the table (all of them in JSON from --activations).")
    var top = 5

    @Flag(help: "Print JSON instead of a table (text mode).")
    var json = false

    @Option(help: "Threads for the matrix products and the per-token selection.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup var precision: PrecisionOption

    func validate() throws {
        if (activations == nil) == (model == nil) {
            throw ValidationError("Give either --activations FILE.npy or --model M with a text.")
        }
        if model != nil, (text == nil) == (file == nil) { throw ValidationError("Give the text either as an argument or with --file.") }
        if activations != nil, text != nil || file != nil { throw ValidationError("A text goes with --model, not with --activations.") }
        if top < 1 { throw ValidationError("--top must be at least 1.") }
        if threads < 1 { throw ValidationError("--threads must be at least 1.") }
    }

    func run() throws {
        try reportingErrors {
            BLASRuntime.setThreads(threads)
            let started = Date()
            if let activations { try encodeFile(activations, started: started) } else { try encodeText(started: started) }
        }
    }

    private func encodeFile(_ path: String, started: Date) throws {
        let autoencoder = try SparseAutoencoder.load(sae)
        let npy = try NpyFile(path: path)
        let shape = npy.tensor.shape
        guard shape.count == 2, shape[1] == autoencoder.inputWidth else {
            throw SAEError.badInput("\(path) has shape \(shape); the SAE needs (tokens, \(autoencoder.inputWidth))")
        }
        // bf16 products give float32's latents here too (PackedEncoder), only faster.
        let packed = precision.resolved == .bfloat16 ? try PackedEncoder(autoencoder) : nil
        let codes = try autoencoder.encode(try npy.tensor.floats(), threads: threads, packed: packed)
        var out = "{\"latents\": ["
        for t in 0..<codes.tokenCount {
            if t > 0 { out += ",\n " }
            out += latentList(codes.row(t), limit: .max)
        }
        out += "]}\n"
        FileHandle.standardOutput.write(Data(out.utf8))
        note(String(format: "encode: %d rows × %d → %@ latents in %.3f s, mean L0 %.1f", codes.tokenCount, autoencoder.inputWidth,
                    String(autoencoder.latentCount), Date().timeIntervalSince(started), meanL0(codes)))
    }

    private func encodeText(started: Date) throws {
        guard let model else { return }
        let input: String
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read the text file \(file)") }
            input = String(decoding: data, as: UTF8.self)
        } else {
            input = text ?? ""
        }
        let pipeline = try FeaturePipeline(modelPath: model, saePath: sae, hook: hook, precision: precision.resolved)
        let ids = pipeline.tokenize(input)
        let (_, codes) = try pipeline.encode(ids, threads: threads)
        let t = pipeline.tokenizer
        let vocabulary = Vocabulary(tokenBytes: t.tokenBytes, special: t.isSpecial)
        let shown = vocabulary.display(ids.map { UInt32($0) })
        if json {
            let tokens = shown.map(jsonString).joined(separator: ", ")
            var out = "{\"tokens\": [\(tokens)],\n \"token_ids\": [\(ids.map(String.init).joined(separator: ", "))],\n \"latents\": ["
            for i in 0..<codes.tokenCount { out += (i > 0 ? ",\n  " : "") + latentList(codes.row(i), limit: top) }
            out += "]}\n"
            FileHandle.standardOutput.write(Data(out.utf8))
        } else {
            let width = min(24, shown.map { quoted($0).count }.max() ?? 8)
            for (i, token) in shown.enumerated() {
                let row = codes.row(i)
                let latents = zip(row.ids, row.values).prefix(top).map { String(format: "%6d %-8.3f", Int($0.0), $0.1) }.joined(separator: " ")
                let q = quoted(token)
                say(String(format: "%4d  ", i) + q + String(repeating: " ", count: max(1, width - q.count + 1)) + latents)
            }
        }
        let summary = String(format: "encode: %d tokens through %@ at %@ and %d latents (%@) in %.2f s, mean L0 %.1f",
                             ids.count, URL(fileURLWithPath: model).lastPathComponent, pipeline.hook.description, pipeline.sae.latentCount,
                             pipeline.sae.activation.description, Date().timeIntervalSince(started), meanL0(codes))
        if json { note(summary) } else { say(summary) }
    }

    private func latentList(_ row: (ids: ArraySlice<Int32>, values: ArraySlice<Float>), limit: Int) -> String {
        "[" + zip(row.ids, row.values).prefix(limit).map { "{\"id\": \($0.0), \"value\": \($0.1.isFinite ? "\($0.1)" : "null")}" }
            .joined(separator: ", ") + "]"
    }

    private func meanL0(_ codes: SparseCodes) -> Double {
        codes.tokenCount == 0 ? 0 : Double(codes.ids.count) / Double(codes.tokenCount)
    }

    private func quoted(_ token: String) -> String {
        "'" + token.replacingOccurrences(of: "\n", with: "↵").replacingOccurrences(of: "\t", with: "⇥") + "'"
    }

    private func jsonString(_ s: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}
