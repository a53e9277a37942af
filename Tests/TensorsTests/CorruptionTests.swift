import XCTest
@testable import Tensors

/// Damaged files must give a typed error naming the file, never a crash or a huge allocation.
final class CorruptionTests: XCTestCase {
    /// Parses `bytes` as whatever format `name` is, returning the tensors' names and shapes.
    func parse(_ bytes: [UInt8], as name: String) throws -> [String] {
        let file = MappedFile(copying: bytes, name: name)
        let tensors: [Tensor]
        switch name.split(separator: ".").last {
        case "gguf": tensors = try GGUFFile(file: file).tensors
        case "safetensors": tensors = try SafetensorsFile(file: file).tensors
        case "npy": tensors = [try NpyFile(file: file).tensor]
        default: tensors = try NpzFile(file: file).tensors
        }
        // Reading every tensor must be safe too.
        for tensor in tensors { _ = try tensor.floats() }
        return tensors.map { "\($0.name) \($0.shape) \($0.dtype)" }
    }

    let fixtures = ["quants.gguf", "dtypes.safetensors", "f4.npy", "v3.npy", "stored.npz", "compressed.npz", "zip64.npz"]

    func testTruncatedAtEveryOffset() throws {
        for name in fixtures {
            let bytes = try fixtureBytes(name)
            let whole = try parse(bytes, as: name)
            // Every offset through the headers, then every 7th through the data.
            for length in Array(0..<min(bytes.count, 2048)) + Array(stride(from: 2048, to: bytes.count, by: 7)) {
                do {
                    // GGUF may end in alignment padding; a prefix that still holds every
                    // tensor may parse, but only to the same tensors.
                    let parsed = try parse(Array(bytes[0..<length]), as: name)
                    XCTAssertEqual(parsed, whole, "\(name) cut to \(length) bytes")
                } catch let error as TensorFileError {
                    XCTAssertEqual(error.file, name)
                } catch {
                    XCTFail("\(name) cut to \(length) bytes: untyped error \(error)")
                }
            }
        }
    }

    func testFlippedHeaderBytes() throws {
        for name in fixtures {
            let bytes = try fixtureBytes(name)
            for position in 0..<min(bytes.count, 2048) {
                // One of three damages per byte: all bits, the lowest, the highest.
                for mask: UInt8 in [[0xFF, 0x01, 0x80][position % 3]] {
                    var damaged = bytes
                    damaged[position] ^= mask
                    do {
                        _ = try parse(damaged, as: name)
                    } catch is TensorFileError {
                    } catch {
                        XCTFail("\(name) with byte \(position) ^ \(mask): untyped error \(error)")
                    }
                }
            }
        }
    }

    /// A GGUF header: magic, version 3, counts, then `rest`.
    func gguf(tensors: UInt64, metadata: UInt64, _ rest: [UInt8] = []) -> MappedFile {
        var bytes = Array("GGUF".utf8) + [3, 0, 0, 0]
        withUnsafeBytes(of: tensors.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: metadata.littleEndian) { bytes += $0 }
        return MappedFile(copying: bytes + rest + [UInt8](repeating: 0, count: 64), name: "made.gguf")
    }

    func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

    func testAbsurdCountsAndUnknownTypes() throws {
        assertThrows(.tooLarge, try GGUFFile(file: gguf(tensors: 1 << 60, metadata: 0)))
        assertThrows(.tooLarge, try GGUFFile(file: gguf(tensors: 0, metadata: 1 << 60)))
        // An array claiming 2^60 strings.
        let array = le(UInt64(1)) + Array("k".utf8) + le(UInt32(9)) + le(UInt32(8)) + le(UInt64(1 << 60))
        let error = assertThrows(.tooLarge, try GGUFFile(file: gguf(tensors: 0, metadata: 1, array)))
        XCTAssertEqual(error?.item, "k")
        // An unknown value type.
        assertThrows(.unsupported, try GGUFFile(file: gguf(tensors: 0, metadata: 1, le(UInt64(1)) + Array("k".utf8) + le(UInt32(13)))))
        // A string longer than the file.
        assertThrows(.truncated, try GGUFFile(file: gguf(tensors: 0, metadata: 1, le(UInt64(1 << 62)))))

        func tensorInfo(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) -> [UInt8] {
            le(UInt64(name.utf8.count)) + Array(name.utf8) + le(UInt32(dims.count)) + dims.flatMap(le) + le(type) + le(offset)
        }
        let q2K = assertThrows(.unsupported, try GGUFFile(file: gguf(tensors: 1, metadata: 0, tensorInfo("w", dims: [256], type: 10, offset: 0))))
        XCTAssertEqual(q2K?.description, "made.gguf: 'w': has GGML type 10 (Q2_K), which saescope cannot read yet.")
        assertThrows(.unsupported, try GGUFFile(file: gguf(tensors: 1, metadata: 0, tensorInfo("w", dims: [4], type: 99, offset: 0))))
        assertThrows(.truncated, try GGUFFile(file: gguf(tensors: 1, metadata: 0, tensorInfo("w", dims: [4], type: 0, offset: 1 << 40))))
        assertThrows(.truncated, try GGUFFile(file: gguf(tensors: 1, metadata: 0, tensorInfo("w", dims: [1 << 20], type: 0, offset: 0))))
        assertThrows(.sizeMismatch, try GGUFFile(file: gguf(tensors: 1, metadata: 0, tensorInfo("w", dims: [33], type: 8, offset: 0))))
        assertThrows(.sizeMismatch, try GGUFFile(file: gguf(tensors: 1, metadata: 0, tensorInfo("w", dims: [1 << 40, 1 << 40], type: 0, offset: 0))))
        assertThrows(.corrupt, try GGUFFile(file: gguf(tensors: 1, metadata: 0, tensorInfo("w", dims: [4], type: 0, offset: 3))))
        assertThrows(.corrupt, try GGUFFile(file: gguf(tensors: 1, metadata: 0, tensorInfo("w", dims: Array(repeating: 1, count: 9), type: 0, offset: 0))))
        assertThrows(.corrupt, try GGUFFile(file: MappedFile(copying: Array("GGUX".utf8) + [3, 0, 0, 0], name: "x.gguf")))
        assertThrows(.truncated, try GGUFFile(file: MappedFile(copying: [], name: "empty.gguf")))
    }

    /// Shapes whose element or byte counts overflow Int are refused as too large, in every
    /// reader that multiplies a shape out (GGUF and safetensors: testAbsurdCountsAndUnknownTypes,
    /// SafetensorsTests.testLyingHeadersThrowNamingTheTensor).
    func testNpyShapesThatOverflowAreTooLarge() throws {
        func npy(shape: String, descr: String = "<f4", data: [UInt8] = [0, 0, 0, 0]) -> MappedFile {
            var header = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }".utf8)
            header += [UInt8](repeating: 0x20, count: (64 - (10 + header.count + 1) % 64) % 64) + [0x0A]
            let bytes = [0x93] + Array("NUMPY".utf8) + [1, 0] + le(UInt16(header.count)) + header + data
            return MappedFile(copying: bytes, name: "shape.npy")
        }
        XCTAssertNoThrow(try NpyFile(file: npy(shape: "(1,)")))
        for shape in ["(4294967296, 4294967296, 4294967296)", "(9223372036854775807, 2)", "(3037000500, 3037000500)"] {
            assertThrows(.tooLarge, try NpyFile(file: npy(shape: shape)))
        }
        // The element count fits but the bytes (× 8) do not.
        assertThrows(.tooLarge, try NpyFile(file: npy(shape: "(2305843009213693952,)", descr: "<f8")))
        XCTAssertThrowsError(try NpyFile(file: npy(shape: "(-1, 4)")))
        XCTAssertThrowsError(try NpyFile(file: npy(shape: "(99999999999999999999,)")))
    }

    func testLyingNpyAndNpzHeaders() throws {
        var npy = try fixtureBytes("f4.npy")
        // Rewrite the shape (3, 4) as (3, 5): the data no longer matches.
        let at = try XCTUnwrap(npy.indices.first { Array(npy[$0..<min($0 + 6, npy.count)]) == Array("(3, 4)".utf8) })
        npy[at + 4] = UInt8(ascii: "5")
        assertThrows(.truncated, try NpyFile(file: MappedFile(copying: npy, name: "lying.npy")))
        npy = try fixtureBytes("f4.npy") + [0, 0, 0, 0]
        assertThrows(.sizeMismatch, try NpyFile(file: MappedFile(copying: npy, name: "long.npy")))
        var descr = try fixtureBytes("f4.npy")
        descr[try XCTUnwrap(descr.firstIndex(of: UInt8(ascii: "<")))] = UInt8(ascii: ">")
        assertThrows(.unsupported, try NpyFile(file: MappedFile(copying: descr, name: "big-endian.npy")))

        // A deflated member claiming to inflate to 2^40 bytes.
        var npz = try fixtureBytes("compressed.npz")
        let central = try XCTUnwrap(npz.indices.first { i in i + 4 <= npz.count && Array(npz[i..<(i + 4)]) == [0x50, 0x4B, 0x01, 0x02] })
        npz[central + 24] = 0xFF; npz[central + 25] = 0xFF; npz[central + 26] = 0xFF; npz[central + 27] = 0x7F
        assertThrows(.tooLarge, try NpzFile(file: MappedFile(copying: npz, name: "bomb.npz")))
    }
}
