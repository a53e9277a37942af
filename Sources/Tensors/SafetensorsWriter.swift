#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes float tensors as a safetensors file (F32 or F16), with an optional `__metadata__`
/// string map, the way the `safetensors` package lays it out: u64 header length, JSON header
/// padded with spaces to a multiple of 8, then the data in the order added.
/// The file appears complete or not at all: it is written beside the target and renamed.
public struct SafetensorsWriter {
    /// How a tensor's values are stored.
    public enum StoredType: String, Sendable { case f32 = "F32", f16 = "F16" }

    private struct Entry { let name: String; let type: StoredType; let shape: [Int]; let values: [Float] }
    private var entries: [Entry] = []
    public var metadata: [String: String]

    public init(metadata: [String: String] = [:]) { self.metadata = metadata }

    /// Adds a tensor; `values` is row-major with `shape` (outermost first).
    public mutating func add(_ name: String, shape: [Int], values: [Float], as type: StoredType = .f32) throws {
        guard name != "__metadata__", !entries.contains(where: { $0.name == name }) else {
            throw TensorFileError(.corrupt, file: "safetensors", item: name, "a tensor name may appear only once and may not be __metadata__.")
        }
        guard let count = checkedProduct(shape), count == values.count else {
            throw TensorFileError(.sizeMismatch, file: "safetensors", item: name, "shape \(shape) does not hold the \(values.count) values given.")
        }
        entries.append(Entry(name: name, type: type, shape: shape, values: values))
    }

    /// Writes the file to `path` (through `path.partial`, then a rename).
    public func write(to path: String) throws {
        var header: [String: Any] = [:]
        var offset = 0
        for entry in entries {
            let size = entry.values.count * (entry.type == .f32 ? 4 : 2)
            header[entry.name] = ["dtype": entry.type.rawValue, "shape": entry.shape, "data_offsets": [offset, offset + size]] as [String: Any]
            offset += size
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))

        let partial = path + ".partial"
        guard let handle = fopen(partial, "wb") else {
            throw TensorFileError(.io, file: path, "cannot create it: \(String(cString: strerror(errno))).")
        }
        var ok = true
        func put(_ bytes: UnsafeRawBufferPointer) {
            if ok, bytes.count > 0 { ok = fwrite(bytes.baseAddress, 1, bytes.count, handle) == bytes.count }
        }
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { put($0) }
        json.withUnsafeBytes { put($0) }
        for entry in entries {
            switch entry.type {
            case .f32:
                #if _endian(little)
                entry.values.withUnsafeBytes { put($0) }
                #else
                let bits = entry.values.map { $0.bitPattern.littleEndian }
                bits.withUnsafeBytes { put($0) }
                #endif
            case .f16:
                let halves = entry.values.map { halfFromFloat($0).littleEndian }
                halves.withUnsafeBytes { put($0) }
            }
        }
        let closed = fclose(handle) == 0
        guard ok, closed, rename(partial, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(partial)
            throw TensorFileError(.io, file: path, "could not write all of it: \(reason).")
        }
    }
}
