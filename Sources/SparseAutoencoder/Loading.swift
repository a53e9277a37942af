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
    public static let formats: [SAEFormat] = [.saescope]

    /// Loads an SAE from a file or folder in any known format, told apart by its contents.
    public static func load(_ path: String) throws -> SparseAutoencoder {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw SAEError.unknownFormat(path: path, reason: "no such file or folder")
        }
        let url = URL(fileURLWithPath: path)
        guard let format = formats.first(where: { $0.claims(url, isFolder.boolValue) }) else {
            let names = formats.map(\.name).joined(separator: ", ")
            throw SAEError.unknownFormat(path: path, reason: "it is none of the formats saescope reads (\(names)); see docs/SAE_FORMATS.md")
        }
        return try format.load(url)
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
