import XCTest
@testable import Tensors

/// quants.gguf (scripts/tensors/make_goldens.py): one tensor per dtype written by gguf's
/// GGUFWriter, every metadata value type, alignment 64; quants.expected.f32 holds
/// gguf.quants.dequantize of each tensor (except i32), concatenated in file order.
final class GGUFTests: XCTestCase {
    func open() throws -> GGUFFile { try GGUFFile(path: fixturePath("quants.gguf")) }

    func testMetadataOfEveryValueType() throws {
        let gguf = try open()
        XCTAssertEqual(gguf.version, 3)
        XCTAssertEqual(gguf["general.architecture"], .string("testarch"))
        XCTAssertEqual(gguf["test.u8"], .uint8(200))
        XCTAssertEqual(gguf["test.i8"], .int8(-100))
        XCTAssertEqual(gguf["test.u16"], .uint16(60000))
        XCTAssertEqual(gguf["test.i16"], .int16(-30000))
        XCTAssertEqual(gguf["test.u32"], .uint32(4_000_000_000))
        XCTAssertEqual(gguf["test.i32"], .int32(-2_000_000_000))
        XCTAssertEqual(gguf["test.u64"], .uint64(1 << 63 + 5))
        XCTAssertEqual(gguf["test.i64"], .int64(-(1 << 62)))
        XCTAssertEqual(gguf["test.f32"], .float32(1.5))
        XCTAssertEqual(gguf["test.f64"], .float64(3.141592653589793))
        XCTAssertEqual(gguf["test.bool"], .bool(true))
        XCTAssertEqual(try gguf.string("test.string"), "héllo ✓")
        XCTAssertEqual(gguf["test.array_i32"], .array(elementType: 5, [.int32(1), .int32(-2), .int32(3)]))
        XCTAssertEqual(try gguf.strings("test.array_str"), ["a", "bc", ""])
        XCTAssertEqual(gguf["test.nested"], .array(elementType: 9, [
            .array(elementType: 8, [.string("x"), .string("y")]), .array(elementType: 8, [.string("z")]),
        ]))
        XCTAssertEqual(try gguf.int("test.u32"), 4_000_000_000)
        XCTAssertEqual(try gguf.double("test.f32"), 1.5)
        XCTAssertNil(gguf["no.such.key"])
        assertThrows(.notFound, try gguf.int("no.such.key"))
        assertThrows(.wrongType, try gguf.int("test.string"))
    }

    func testTensorInfosAlignmentAndShapes() throws {
        let gguf = try open()
        XCTAssertEqual(gguf.alignment, 64)
        XCTAssertEqual(gguf.dataOffset % 64, 0)
        XCTAssertEqual(gguf.tensors.map(\.name),
                       ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_K", "q5_K", "q6_K", "i32"])
        XCTAssertEqual(gguf.tensors.map(\.dtype),
                       [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K, .i32])
        // gguf lists dims innermost first ([40, 3]); Tensor.shape is outermost first.
        XCTAssertEqual(try gguf.tensor("f32").shape, [3, 40])
        XCTAssertEqual(gguf.dimensions(of: try gguf.tensor("f32")), [40, 3])
        XCTAssertEqual(try gguf.tensor("q4_K").shape, [3, 512])
        XCTAssertEqual(try gguf.tensor("q4_K").byteCount, 6 * 144)
        for tensor in gguf.tensors { XCTAssertEqual((tensor.offset - gguf.dataOffset) % 64, 0, tensor.name) }
        XCTAssertEqual(try gguf.tensor("i32").integers(), [1, -2, 3, 2_147_483_647])
        assertThrows(.notFound, try gguf.tensor("missing"))
        assertThrows(.wrongType, try gguf.tensor("f32").integers())
    }

    /// Each dtype's dequantised values equal gguf.quants.dequantize's, bit for bit.
    func testDequantisationMatchesGGUFPackage() throws {
        let gguf = try open()
        let expected = littleEndianFloats(try fixtureBytes("quants.expected.f32"))
        var position = 0
        for tensor in gguf.tensors where tensor.dtype != .i32 {
            let want = Array(expected[position..<(position + tensor.count)])
            position += tensor.count
            assertFloats(try tensor.floats(), want, "\(tensor.name) (\(tensor.dtype.rawValue))")
            try tensor.withFloats { assertFloats(Array($0), want, "\(tensor.name) withFloats") }
        }
        XCTAssertEqual(position, expected.count)
    }

    func testVersion2ParsesAndVersion1IsRefused() throws {
        var bytes = try fixtureBytes("quants.gguf")
        bytes[4] = 2
        XCTAssertEqual(try GGUFFile(file: MappedFile(copying: bytes, name: "v2.gguf")).version, 2)
        bytes[4] = 1
        let error = assertThrows(.unsupported, try GGUFFile(file: MappedFile(copying: bytes, name: "v1.gguf")))
        XCTAssertEqual(error?.description.hasPrefix("v1.gguf: is GGUF version 1"), true)
    }
}
