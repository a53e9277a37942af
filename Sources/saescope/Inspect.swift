import ArgumentParser
import FeatureIndex
import Foundation
import SparseAutoencoder
import Tensors

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a weight file's format, metadata and tensors (.gguf, .safetensors, .npy, .npz, .pt), what an SAE file or folder holds, or what an index was built from.",
        discussion: "Long metadata arrays are summarised, e.g. tokenizer.ggml.tokens: [string × 49152]. Shapes are outermost first, as numpy prints them (GGUF lists them innermost first). SAE folders (SAELens, sparsify) and files (saescope, OpenAI .pt, Gemma Scope params.npz) also get their format, activation, input processing, widths, hook and model. An index (.sqlite) gets its schema version, SAE, model, corpus and counts; with --check, every page of it is read and checked (SQLite's quick_check), and damage is an error.")

    @Argument(help: "The weight file, SAE folder or index to inspect.")
    var path: String

    @Flag(help: "For an index: also read every page and check its structure (takes as long as reading the whole file).")
    var check = false

    func run() throws {
        try reportingErrors {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                // Folders are SAEs or nothing: the loader's error says why not.
                Self.describe(try SparseAutoencoder.load(path))
                return
            }
            if Self.isSQLiteFile(path) {
                try Self.describeIndex(path, check: check)
                return
            }
            if check { throw ValidationError("--check reads an index, and \(path) is not a SQLite file") }
            let file = try MappedFile(path: path)
            guard let format = WeightFormat.detect(file) else {
                throw TensorFileError(.unsupported, file: path, "is not a GGUF, safetensors, npy, npz or PyTorch .pt file.")
            }
            var metadata: [(String, String)] = []
            let tensors: [Tensor]
            switch format {
            case .gguf:
                let gguf = try GGUFFile(file: file)
                say("\(path): GGUF v\(gguf.version), \(gguf.metadata.count) metadata keys, tensor data at byte \(gguf.dataOffset) (alignment \(gguf.alignment))")
                metadata = gguf.metadata.map { ($0.key, Self.summary($0.value)) }
                tensors = gguf.tensors
            case .safetensors:
                let safetensors = try SafetensorsFile(file: file)
                say("\(path): safetensors")
                metadata = safetensors.metadata.sorted { $0.key < $1.key }.map { ($0.key, Self.quoted($0.value)) }
                tensors = safetensors.tensors
            case .npy:
                let npy = try NpyFile(file: file, name: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
                say("\(path): npy v\(npy.version), descr '\(npy.descr)'")
                tensors = [npy.tensor]
            case .npz:
                let npz = try NpzFile(file: file)
                let methods = Set(npz.methods).sorted().map { $0 == 0 ? "stored" : "deflated" }
                say("\(path): npz, \(npz.arrays.count) arrays (\(methods.joined(separator: ", ")))")
                tensors = npz.tensors
            case .torch:
                let torch = try TorchFile(file: file)
                say("\(path): PyTorch .pt (torch.save zip, archive '\(torch.archiveName)')")
                if case .dict(let entries) = torch.root {
                    for entry in entries where !entry.value.containsTensor {
                        metadata.append((entry.key.string ?? "\(entry.key)", "\(entry.value)"))
                    }
                }
                tensors = torch.tensors
            }
            if !metadata.isEmpty {
                say("metadata:")
                for (key, value) in metadata { say("  \(key): \(value)") }
            }
            say("tensors:")
            let nameWidth = min(48, tensors.map(\.name.count).max() ?? 0)
            let dtypeWidth = tensors.map(\.dtype.rawValue.count).max() ?? 0
            for tensor in tensors {
                let name = tensor.name.padding(toLength: max(nameWidth, tensor.name.count), withPad: " ", startingAt: 0)
                let dtype = tensor.dtype.rawValue.padding(toLength: dtypeWidth, withPad: " ", startingAt: 0)
                say("  \(name)  \(dtype)  \(tensor.shape)  \(tensor.byteCount) bytes")
            }
            let parameters = tensors.reduce(0) { $0 + $1.count }
            let bytes = tensors.reduce(0) { $0 + $1.byteCount }
            let megabytes = String(format: bytes < 100_000 ? "%.3f" : "%.1f", Double(bytes) / 1e6)
            say("\(tensors.count) tensor\(tensors.count == 1 ? "" : "s"), \(parameters) parameters, \(megabytes) MB")
            // A file an SAE format claims is also described as that SAE; a .pt that is not an
            // SAE (any state dict) keeps just the listing above, plus why.
            if let format = SparseAutoencoder.format(of: path) {
                do { Self.describe(try SparseAutoencoder.load(path)) } catch {
                    say("not readable as an SAE (\(format.name) format): \(error)")
                }
            }
        }
    }

    static func isSQLiteFile(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return handle.readData(ofLength: 16) == Data("SQLite format 3\0".utf8)
    }

    /// What an index holds and was built from; with `check`, its integrity (damage is an error).
    static func describeIndex(_ path: String, check: Bool) throws {
        let reader = try IndexReader(path: path)
        let m = reader.metadata, s = reader.summary
        say("\(path): saescope index, schema v\(reader.schemaVersion), \(s.latents) latents (\(s.deadLatents) dead), \(s.tokensIndexed) tokens indexed")
        say("  SAE: \(m.sae.name) (\(m.sae.architecture)\(m.sae.k.map { ", k=\($0)" } ?? ""), d_model \(m.sae.dModel), \(m.sae.nLatents) latents) at \(m.sae.hook)")
        say("  model: \(m.model.name) (\(m.model.architecture)), vocabulary of \(reader.vocabulary.count) tokens")
        say("  corpus: \(m.corpus.name): \(m.corpus.documents) documents, \(m.corpus.tokens) tokens")
        guard check else { return }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        note(String(format: "inspect: reading and checking every page of %.1f MB", Double(size) / 1e6))
        let started = Date()
        let damage = try IndexFile.damage(path)
        guard damage.isEmpty else {
            throw IndexReadError.unreadable(path, "it is damaged; SQLite's quick_check reports: " + damage.prefix(3).joined(separator: "; "))
        }
        say(String(format: "  integrity: ok (every page read and checked in %.1f s)", Date().timeIntervalSince(started)))
    }

    /// The SAE as saescope will run it.
    static func describe(_ sae: SparseAutoencoder) {
        let info = sae.info
        say("SAE (\(info.format) format): \(info.path)")
        say("  activation: \(sae.activation)")
        say("  input normalisation: \(sae.normalization)")
        say("  subtracts the decoder bias first: \(sae.subtractsDecoderBias ? "yes" : "no")")
        say("  d_in: \(sae.inputWidth), latents: \(sae.latentCount)")
        say("  hook: \(info.hookName ?? "unknown (pass --hook)")")
        say("  model: \(info.modelName ?? "unknown")")
        if !info.metadata.isEmpty {
            say("  metadata:")
            for (key, value) in info.metadata.sorted(by: { $0.key < $1.key }) { say("    \(key): \(quoted(value))") }
        }
    }

    /// One line for a metadata value: arrays longer than 8 become `[type × count]`.
    static func summary(_ value: GGUFValue) -> String {
        switch value {
        case .string(let string): return quoted(string)
        case .bool(let bool): return String(bool)
        case .float32(let float): return String(float)
        case .float64(let double): return String(double)
        case .uint64(let value): return String(value)
        case .array(let elementType, let values):
            if values.count > 8 { return "[\(GGUFValue.typeName(elementType)) × \(values.count)]" }
            return "[" + values.map(summary).joined(separator: ", ") + "]"
        default: return value.int.map(String.init) ?? "\(value)"
        }
    }

    /// A string in quotes, escaped, cut at 80 characters.
    static func quoted(_ string: String) -> String {
        let escaped = string.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        if escaped.count <= 80 { return "\"\(escaped)\"" }
        return "\"\(escaped.prefix(80))…\" (\(string.count) characters)"
    }
}
