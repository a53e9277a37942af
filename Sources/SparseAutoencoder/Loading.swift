import Foundation
import Tensors

/// One SAE file format: whether it claims a path, and how to load it.
public struct SAEFormat: Sendable {
    /// The name `Info.format` carries: "saescope", "saelens", …
    public let name: String
    /// A cheap test on the path: file names, magic bytes, a config key. The first format that
    /// claims a path loads it.
    let claims: @Sendable (_ url: URL, _ isFolder: Bool) -> Bool
    let load: @Sendable (_ url: URL) throws -> SparseAutoencoder

    public init(name: String, claims: @escaping @Sendable (URL, Bool) -> Bool,
                load: @escaping @Sendable (URL) throws -> SparseAutoencoder) {
        self.name = name
        self.claims = claims
        self.load = load
    }
}

extension SparseAutoencoder {
    /// Every format saescope reads, in the order they are tried.
    public static let formats: [SAEFormat] = [.saescope, .saelens, .sparsify, .openai, .gemmascope]

    /// Loads an SAE from a file or folder in any known format, told apart by its contents.
    public static func load(_ path: String) throws -> SparseAutoencoder {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SAEError.unknownFormat(path: path, reason: "no such file or folder")
        }
        guard let format = format(of: path) else {
            if let damage = weightFileDamage(path) { throw damage }
            let names = formats.map(\.name).joined(separator: ", ")
            throw SAEError.unknownFormat(path: path, reason: "it is none of the formats saescope reads (\(names)); see docs/SAE_FORMATS.md")
        }
        return try format.load(URL(fileURLWithPath: path))
    }

    /// Why a file whose name or first bytes make it a weight file cannot be read as one (cut
    /// short, a damaged header): the formats' cheap claims skip unreadable files, and the
    /// reader's error says more than "none of the formats". Nil for readable files and others.
    static func weightFileDamage(_ path: String) -> Error? {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else { return nil }
        let byName: [String: WeightFormat] = ["safetensors": .safetensors, "gguf": .gguf, "npy": .npy, "npz": .npz, "pt": .torch, "pth": .torch]
        do {
            let file = try MappedFile(path: path)
            switch WeightFormat.detect(file) ?? byName[URL(fileURLWithPath: path).pathExtension.lowercased()] {
            case .safetensors?: _ = try SafetensorsFile(file: file)
            case .gguf?: _ = try GGUFFile(file: file)
            case .npy?: _ = try NpyFile(file: file)
            case .npz?: _ = try NpzFile(file: file)
            case .torch?: _ = try TorchFile(file: file)
            case nil: return nil
            }
        } catch {
            return error
        }
        return nil
    }

    /// The first format that claims the file or folder at `path` (a cheap look, nothing loaded).
    public static func format(of path: String) -> SAEFormat? {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return nil }
        let url = URL(fileURLWithPath: path)
        return formats.first { $0.claims(url, isFolder.boolValue) }
    }
}

// Helpers every loader shares.
extension SAEError {
    /// Wraps a tensor-file error so the message names the SAE file.
    static func from(_ error: Error, path: String) -> Error {
        error is SAEError ? error : SAEError.unknownFormat(path: path, reason: "\(error)")
    }
}

/// A tensor's float values, after checking it has `shape` (row-major, outermost first).
func floats(_ tensor: Tensor, shape: [Int], path: String) throws -> [Float] {
    guard tensor.shape == shape else {
        throw SAEError.badShape(path: path, tensor: tensor.name, reason: "has shape \(tensor.shape), expected \(shape)")
    }
    return try tensor.floats()
}

/// The transpose of a (rows, cols) row-major matrix, in blocks so both sides stay in cache.
func transposed(_ m: [Float], rows: Int, cols: Int) -> [Float] {
    var out = [Float](repeating: 0, count: m.count)
    let block = 32
    m.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for r0 in stride(from: 0, to: rows, by: block) {
                for c0 in stride(from: 0, to: cols, by: block) {
                    for r in r0..<min(r0 + block, rows) {
                        for c in c0..<min(c0 + block, cols) { dst[c * rows + r] = src[r * cols + c] }
                    }
                }
            }
        }
    }
    return out
}

/// The tensor called `name` among `tensors`, or a `missingTensor` error naming `path`.
func tensor(_ name: String, in tensors: [Tensor], path: String) throws -> Tensor {
    guard let tensor = tensors.first(where: { $0.name == name }) else {
        throw SAEError.missingTensor(path: path, tensor: name)
    }
    return tensor
}

/// A JSON config file as a dictionary; a missing file or bad JSON is a `badConfig` naming it.
func readJSONConfig(_ url: URL) throws -> [String: Any] {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
        throw SAEError.badConfig(path: url.path, reason: "cannot read it (\(error.localizedDescription))")
    }
    guard let object = try? JSONSerialization.jsonObject(with: data), let dict = object as? [String: Any] else {
        throw SAEError.badConfig(path: url.path, reason: "it is not a JSON object")
    }
    return dict
}

/// Whether `url` is a folder holding every file in `names`.
func folder(_ url: URL, holds names: [String]) -> Bool {
    names.allSatisfy { FileManager.default.fileExists(atPath: url.appendingPathComponent($0).path) }
}

/// Config values as the strings `Info.metadata` keeps: scalars only, nested values skipped.
func metadataStrings(_ config: [String: Any], keys: [String]) -> [String: String] {
    var result: [String: String] = [:]
    for key in keys {
        switch config[key] {
        case let s as String: result[key] = s
        case let n as NSNumber: result[key] = jsonBool(n).map { $0 ? "true" : "false" } ?? n.stringValue
        default: break
        }
    }
    return result
}

/// A JSON boolean (JSONSerialization gives booleans as NSNumbers of type "c").
func jsonBool(_ value: Any?) -> Bool? {
    guard let n = value as? NSNumber, String(cString: n.objCType) == "c" else { return nil }
    return n.boolValue
}

/// A JSON integer (not a boolean, not a fraction).
func jsonInt(_ value: Any?) -> Int? {
    guard let n = value as? NSNumber, jsonBool(n) == nil else { return nil }
    let d = n.doubleValue
    guard d.rounded() == d, abs(d) < 1e15 else { return nil }
    return Int(d)
}

/// Whether `url` names an existing folder.
func isDirectory(_ url: URL) -> Bool {
    var isFolder: ObjCBool = false
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue
}
