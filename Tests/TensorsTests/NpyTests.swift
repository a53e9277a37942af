import XCTest
@testable import Tensors

/// npy fixtures written by np.save / np.lib.format.write_array; npz by np.savez (stored),
/// np.savez_compressed (deflated) and a hand-built zip64 archive that numpy loads.
final class NpyTests: XCTestCase {
    /// (np.arange(12).reshape(3, 4) * 0.25 - 1) as float32.
    let base: [Float] = (0..<12).map { Float($0) * 0.25 - 1 }

    func testDtypesAndVersions() throws {
        for name in ["f4", "f2", "f8", "v2", "v3"] {
            let npy = try NpyFile(path: fixturePath("\(name).npy"))
            XCTAssertEqual(npy.tensor.shape, [3, 4], name)
            XCTAssertEqual(npy.tensor.name, name)
            assertFloats(try npy.tensor.floats(), base, name)
        }
        XCTAssertEqual(try NpyFile(path: fixturePath("v2.npy")).version, 2)
        XCTAssertEqual(try NpyFile(path: fixturePath("v3.npy")).version, 3)
        XCTAssertEqual(try NpyFile(path: fixturePath("f2.npy")).tensor.dtype, .f16)
        XCTAssertEqual(try NpyFile(path: fixturePath("i4.npy")).tensor.integers(), [-3, -2, -1, 0, 1, 2])
        XCTAssertEqual(try NpyFile(path: fixturePath("i8.npy")).tensor.integers(), [-(1 << 40), 5])
        let scalar = try NpyFile(path: fixturePath("scalar.npy")).tensor
        XCTAssertEqual(scalar.shape, [])
        assertFloats(try scalar.floats(), [4.5], "scalar")
    }

    func testFortranOrderIsAClearError() throws {
        let error = assertThrows(.unsupported, try NpyFile(path: fixturePath("fortran.npy")))
        XCTAssertEqual(error?.message.contains("Fortran order"), true)
    }

    func testNpzStoredDeflatedAndZip64() throws {
        for (name, method) in [("stored", 0), ("compressed", 8), ("zip64", 0)] {
            let npz = try NpzFile(path: fixturePath("\(name).npz"))
            XCTAssertEqual(npz.arrays.map(\.tensor.name), ["W_enc", "b_enc", "threshold"], name)
            XCTAssertEqual(npz.methods, [method, method, method], name)
            let wEnc = try npz.tensor("W_enc")
            XCTAssertEqual(wEnc.shape, [4, 3])
            assertFloats(try wEnc.floats(), (0..<12).map { Float($0) * 0.5 - 2 }, "\(name) W_enc")
            assertFloats(try npz.tensor("b_enc").floats(), [0.25, -0.5, 1.0], "\(name) b_enc")
            XCTAssertEqual(try npz.tensor("threshold").dtype, .f64)
            assertFloats(try npz.tensor("threshold").floats(), [0.125, 0.125, 0.125], "\(name) threshold")
            assertThrows(.notFound, try npz.tensor("W_dec"))
        }
    }

    func testCorruptDeflateIsCaught() throws {
        var bytes = try fixtureBytes("compressed.npz")
        // The first member's deflated data starts after its local header; damage it.
        let nameLength = Int(bytes[26]) | Int(bytes[27]) << 8, extraLength = Int(bytes[28]) | Int(bytes[29]) << 8
        let start = 30 + nameLength + extraLength
        for i in start..<(start + 8) { bytes[i] ^= 0xA5 }
        let error = assertThrows(.corrupt, try NpzFile(file: MappedFile(copying: bytes, name: "bad.npz")))
        XCTAssertEqual(error?.item, "W_enc")
    }

    func testHeaderParser() throws {
        func parse(_ text: String) throws -> [String: PythonLiteral] {
            try Array(text.utf8).withUnsafeBytes { raw in
                var parser = PythonDictParser(raw, file: "x.npy", item: "x")
                return try parser.parse()
            }
        }
        XCTAssertEqual(try parse("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }   \n"),
                       ["descr": .string("<f4"), "fortran_order": .bool(false), "shape": .tuple([3, 4])])
        XCTAssertEqual(try parse("{'shape': (7,), 'x': 3L}")["shape"], .tuple([7]))
        XCTAssertEqual(try parse("{'shape': ()}")["shape"], .tuple([]))
        for bad in ["", "{", "{'a': }", "{'shape': (3, 4}", "{'a': 99999999999999999999999}", "{'a': Tru}", "{1: 2}", "{} x"] {
            XCTAssertThrowsError(try parse(bad), bad)
        }
    }
}
