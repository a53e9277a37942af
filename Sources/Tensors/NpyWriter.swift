#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes float32 arrays as numpy `.npy` files (format 1.0, C order), byte for byte as
/// `np.save` writes them, so numpy and every npy reader load them.
public enum NpyWriter {
    /// The bytes of an npy file holding `values` with `shape` (row-major, outermost first, e.g.
    /// `[T, d]` for one d-dimensional activation vector per token).
    public static func encode(_ values: UnsafeBufferPointer<Float>, shape: [Int]) throws -> [UInt8] {
        guard let count = checkedProduct(shape), count == values.count else {
            throw TensorFileError(.sizeMismatch, file: "npy", "shape \(shape) does not hold the \(values.count) values given.")
        }
        var header = Array(headerText(shape: shape).utf8)
        var result: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        let length = header.count + 1
        let padding = 64 - (10 + length) % 64  // numpy pads to 64, a full 64 when already aligned
        header += [UInt8](repeating: 0x20, count: padding) + [0x0A]
        guard header.count <= Int(UInt16.max) else {
            throw TensorFileError(.tooLarge, file: "npy", "the header for shape \(shape) is too long for npy format 1.0.")
        }
        result += [UInt8(header.count & 0xFF), UInt8(header.count >> 8)]
        result += header
        result.reserveCapacity(result.count + 4 * count)
        #if _endian(little)
        result += UnsafeRawBufferPointer(values)
        #else
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { result += $0 } }
        #endif
        return result
    }

    /// Writes `values` with `shape` to `path` as an npy file, replacing any file there.
    public static func write(_ values: [Float], shape: [Int], to path: String) throws {
        let bytes = try values.withUnsafeBufferPointer { try encode($0, shape: shape) }
        try writeFile(bytes, to: path)
    }

    /// numpy's header dict, with the spare spaces numpy leaves so the outer dimension can grow.
    static func headerText(shape: [Int]) -> String {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var text = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        if let first = shape.first { text += String(repeating: " ", count: max(0, 21 - String(first).count)) }
        return text
    }

    private static func writeFile(_ bytes: [UInt8], to path: String) throws {
        guard let handle = fopen(path, "wb") else {
            throw TensorFileError(.io, file: path, "cannot create it: \(String(cString: strerror(errno))).")
        }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
        let closed = fclose(handle)
        guard written == bytes.count, closed == 0 else {
            throw TensorFileError(.io, file: path, "could not write all of it: \(String(cString: strerror(errno))).")
        }
    }
}
