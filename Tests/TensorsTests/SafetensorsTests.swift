import XCTest
@testable import Tensors

/// dtypes.safetensors: written by safetensors.torch.save_file, one tensor per dtype.
final class SafetensorsTests: XCTestCase {
    func testEveryDtypeReadsAsWritten() throws {
        let file = try SafetensorsFile(path: fixturePath("dtypes.safetensors"))
        XCTAssertEqual(file.metadata, ["format": "pt", "note": "golden"])
        XCTAssertEqual(Set(file.tensors.map(\.name)),
                       ["f32", "f16", "bf16", "f64", "i64", "i32", "i16", "i8", "u8", "bool", "scalar"])
        let f32 = try file.tensor("f32")
        XCTAssertEqual(f32.shape, [2, 3])
        assertFloats(try f32.floats(), [0.5, -1.25, 3.0, 1e-3, -0.0, 65504.0], "f32")
        assertFloats(try file.tensor("f16").floats(), [0.5, -1.25, 3.0, 65504.0], "f16")
        // 1e30 is not a bfloat16; torch rounds it to nearest (bits 0x714A).
        assertFloats(try file.tensor("bf16").floats(), [0.5, -1.25, 3.0, Float(bitPattern: 0x714A_0000)], "bf16")
        assertFloats(try file.tensor("f64").floats(), [0.1, -2.5, .infinity], "f64")  // 1e300 overflows Float
        XCTAssertEqual(try file.tensor("i64").integers(), [-(1 << 40), 7])
        XCTAssertEqual(try file.tensor("i32").integers(), [-5, 2_147_483_647])
        XCTAssertEqual(try file.tensor("i16").integers(), [-300, 300])
        XCTAssertEqual(try file.tensor("i8").integers(), [-128, 127])
        XCTAssertEqual(try file.tensor("u8").integers(), [0, 255])
        XCTAssertEqual(try file.tensor("bool").integers(), [1, 0, 1])
        assertFloats(try file.tensor("bool").floats(), [1, 0, 1], "bool")
        assertFloats(try file.tensor("i16").floats(), [-300, 300], "i16 as float")
        let scalar = try file.tensor("scalar")
        XCTAssertEqual(scalar.shape, [])
        assertFloats(try scalar.floats(), [2.5], "scalar")
    }

    func testF32ViewIsZeroCopyWhenAligned() throws {
        let file = try SafetensorsFile(path: fixturePath("dtypes.safetensors"))
        let f32 = try file.tensor("f32")
        let viewed = try f32.withFloats { $0.baseAddress.map(UnsafeRawPointer.init) }
        if f32.offset % 4 == 0 { XCTAssertEqual(viewed, f32.bytes.baseAddress) }
    }

    /// Builds a safetensors file from a JSON header and data bytes.
    static func make(_ header: String, data: [UInt8]) -> MappedFile {
        let json = Array(header.utf8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
        return MappedFile(copying: bytes + json + data, name: "made.safetensors")
    }

    func testLyingHeadersThrowNamingTheTensor() {
        let data = [UInt8](repeating: 0, count: 16)
        let lying = assertThrows(.sizeMismatch, try SafetensorsFile(file: Self.make(
            #"{"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 16]}}"#, data: data)))
        XCTAssertEqual(lying?.item, "w")
        XCTAssertEqual(lying?.description.hasPrefix("made.safetensors: 'w': shape [2, 3] of F32 needs 24 bytes"), true)
        assertThrows(.truncated, try SafetensorsFile(file: Self.make(
            #"{"w": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}}"#, data: data)))
        assertThrows(.unsupported, try SafetensorsFile(file: Self.make(
            #"{"w": {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [0, 4]}}"#, data: data)))
        assertThrows(.tooLarge, try SafetensorsFile(file: Self.make(
            #"{"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], "data_offsets": [0, 16]}}"#, data: data)))
        assertThrows(.corrupt, try SafetensorsFile(file: Self.make(
            #"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}"#, data: data)))
        assertThrows(.corrupt, try SafetensorsFile(file: Self.make(
            #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#, data: data)))
        assertThrows(.corrupt, try SafetensorsFile(file: Self.make(#"{"w": "#, data: data)))
        assertThrows(.corrupt, try SafetensorsFile(file: Self.make(#"[1, 2]"#, data: data)))
        // A header length of 2^63 must not allocate or crash.
        var huge: [UInt8] = []
        withUnsafeBytes(of: (UInt64(1) << 63).littleEndian) { huge += $0 }
        assertThrows(.truncated, try SafetensorsFile(file: MappedFile(copying: huge + [0x7B], name: "huge")))
    }
}
