import Foundation
import XCTest
@testable import Tensors

/// PyTorch `.pt` files: a state dict written by torch.save (scripts/sae/make_goldens.py), and
/// hand-built pickles for the opcodes and the refusals.
final class TorchFileTests: XCTestCase {
    func testStateDictFromTorchSave() throws {
        let path = try fixturePath("state_dict.pt")
        let torch = try TorchFile(path: path)
        XCTAssertEqual(WeightFormat.detect(torch.file), .torch)
        XCTAssertEqual(torch.archiveName, "state_dict")
        XCTAssertEqual(torch.tensors.map(\.name), ["f32", "f16", "bf16", "i64", "row", "scalar", "nested.inner.w"])
        let expected = try JSONDecoder().decode([String: [Float]].self, from: Data(contentsOf: URL(fileURLWithPath: fixturePath("state_dict.expected.json"))))
        for tensor in torch.tensors {
            assertFloats(try tensor.floats(), expected[tensor.name] ?? [], tensor.name)
        }
        XCTAssertEqual(try torch.tensor("f32").shape, [3, 4])
        XCTAssertEqual(try torch.tensor("f16").dtype, .f16)
        XCTAssertEqual(try torch.tensor("bf16").dtype, .bf16)
        XCTAssertEqual(try torch.tensor("i64").integers(), [-3, -2, -1, 0, 1, 2])
        XCTAssertEqual(try torch.tensor("scalar").shape, [])
        // "row" is a view of f32's storage: same bytes, 4 elements in.
        XCTAssertEqual(try torch.tensor("row").offset, try torch.tensor("f32").offset + 16)
        XCTAssertEqual(torch.root["nested"]?["name"], .string("TopK"))
        XCTAssertEqual(torch.root["nested"]?["k"]?.int, 32)
        XCTAssertEqual(torch.root["list"], .list([.int(1), .int(-2), .float(3.5), .none, .bool(true), .string("s")]))
        XCTAssertEqual(torch.root["big"], .int(1 << 40))
        XCTAssertEqual(torch.root["neg"], .int(-70000))
    }

    func testNonContiguousTensorIsRefusedByName() throws {
        let error = assertThrows(.unsupported, try TorchFile(path: fixturePath("transposed.pt")))
        XCTAssertEqual(error?.item, "t")
        XCTAssertTrue(error?.message.contains("not contiguous (shape [4, 3], stride [1, 4])") == true, "\(String(describing: error))")
    }

    func testTruncatedAtEveryOffsetIsATypedError() throws {
        let bytes = try fixtureBytes("state_dict.pt")
        for length in 0..<bytes.count {
            do {
                let torch = try TorchFile(file: MappedFile(copying: bytes[0..<length], name: "cut.pt"))
                XCTFail("\(length) bytes parsed to \(torch.tensors.count) tensors")
            } catch let error as TensorFileError {
                XCTAssertEqual(error.file, "cut.pt")
            }
        }
    }

    func testEveryFlippedByteIsATypedErrorOrAFile() throws {
        let bytes = try fixtureBytes("state_dict.pt")
        for i in 0..<bytes.count {
            var damaged = bytes
            damaged[i] ^= 0xA5
            do {
                let torch = try TorchFile(file: MappedFile(copying: damaged, name: "flip.pt"))
                for tensor in torch.tensors { _ = try tensor.floats() }
            } catch let error as TensorFileError {
                XCTAssertEqual(error.file, "flip.pt")
            }
        }
    }

    func testLegacyFormatIsExplained() throws {
        let error = assertThrows(.unsupported, try TorchFile(file: MappedFile(copying: TorchFile.legacyMagic + [0x2E], name: "old.pt")))
        XCTAssertTrue(error?.message.contains("legacy") == true)
        XCTAssertEqual(WeightFormat.detect(MappedFile(copying: TorchFile.legacyMagic, name: "old.pt")), .torch)
    }

    // MARK: - The pickle VM on hand-built pickles

    func unpickle(_ bytes: [UInt8]) throws -> PickleValue {
        try bytes.withUnsafeBytes { raw in
            var reader = PickleReader(raw, file: "test.pkl", item: "data.pkl")
            return try reader.read()
        }
    }

    /// Opcode bytes: PROTO 2 … STOP.
    func pickle(_ body: [UInt8]) -> [UInt8] { [0x80, 0x02] + body + [UInt8(ascii: ".")] }
    func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }
    func binunicode(_ s: String) -> [UInt8] {
        let u = Array(s.utf8)
        return [UInt8(ascii: "X"), UInt8(u.count), 0, 0, 0] + u
    }

    func testScalarOpcodes() throws {
        XCTAssertEqual(try unpickle(pickle([UInt8(ascii: "N")])), .none)
        XCTAssertEqual(try unpickle(pickle([0x88])), .bool(true))
        XCTAssertEqual(try unpickle(pickle([0x89])), .bool(false))
        XCTAssertEqual(try unpickle(pickle([UInt8(ascii: "K"), 200])), .int(200))
        XCTAssertEqual(try unpickle(pickle([UInt8(ascii: "M"), 0x34, 0x12])), .int(0x1234))
        XCTAssertEqual(try unpickle(pickle([UInt8(ascii: "J"), 0xFE, 0xFF, 0xFF, 0xFF])), .int(-2))
        XCTAssertEqual(try unpickle(pickle([0x8A, 0])), .int(0))
        XCTAssertEqual(try unpickle(pickle([0x8A, 2, 0x00, 0x80])), .int(-32768))
        XCTAssertEqual(try unpickle(pickle([0x8A, 5, 0, 0, 0, 0, 1])), .int(1 << 32))
        XCTAssertEqual(try unpickle(pickle([0x8B, 1, 0, 0, 0, 0xFF])), .int(-1))
        XCTAssertEqual(try unpickle(pickle([UInt8(ascii: "G"), 0x40, 0x09, 0x21, 0xFB, 0x54, 0x44, 0x2D, 0x18])), .float(3.141592653589793))
        XCTAssertEqual(try unpickle(pickle(binunicode("héllo"))), .string("héllo"))
        XCTAssertEqual(try unpickle(pickle([0x8C, 2] + ascii("ok"))), .string("ok"))
        XCTAssertEqual(try unpickle(pickle([UInt8(ascii: "U"), 2] + ascii("py"))), .string("py"))
        XCTAssertEqual(try unpickle(pickle([UInt8(ascii: "C"), 3, 1, 2, 3])), .bytes([1, 2, 3]))
        XCTAssertEqual(try unpickle(pickle([0x95, 3, 0, 0, 0, 0, 0, 0, 0, UInt8(ascii: "K"), 7])), .int(7))  // FRAME
    }

    func testContainersMemoAndStackOpcodes() throws {
        // (1, 2, 3) three ways, a list by APPEND/APPENDS, a dict by SETITEM/SETITEMS and DICT.
        let K = UInt8(ascii: "K")
        XCTAssertEqual(try unpickle(pickle([K, 1, K, 2, K, 3, 0x87])), .tuple([.int(1), .int(2), .int(3)]))
        XCTAssertEqual(try unpickle(pickle([UInt8(ascii: "("), K, 1, K, 2, K, 3, UInt8(ascii: "t")])), .tuple([.int(1), .int(2), .int(3)]))
        XCTAssertEqual(try unpickle(pickle([K, 1, 0x85])), .tuple([.int(1)]))
        XCTAssertEqual(try unpickle(pickle([UInt8(ascii: "]"), K, 1, UInt8(ascii: "a"), UInt8(ascii: "("), K, 2, K, 3, UInt8(ascii: "e")])),
                       .list([.int(1), .int(2), .int(3)]))
        XCTAssertEqual(try unpickle(pickle([UInt8(ascii: "("), K, 4, UInt8(ascii: "l")])), .list([.int(4)]))
        let dict = try unpickle(pickle([UInt8(ascii: "}")] + binunicode("a") + [K, 1, UInt8(ascii: "s"), UInt8(ascii: "(")]
                                       + binunicode("b") + [K, 2] + binunicode("c") + [UInt8(ascii: "N"), UInt8(ascii: "u")]))
        XCTAssertEqual(dict["a"], .int(1))
        XCTAssertEqual(dict["b"], .int(2))
        XCTAssertEqual(dict["c"], PickleValue.none)
        XCTAssertEqual(try unpickle(pickle([UInt8(ascii: "(")] + binunicode("x") + [K, 9, UInt8(ascii: "d")]))["x"], .int(9))
        // BINPUT / BINGET / LONG_BINPUT / LONG_BINGET / MEMOIZE, DUP, POP, POP_MARK.
        XCTAssertEqual(try unpickle(pickle([K, 5, UInt8(ascii: "q"), 0, K, 6, UInt8(ascii: "r"), 9, 0, 0, 0, 0x94,
                                            UInt8(ascii: "h"), 0, UInt8(ascii: "j"), 9, 0, 0, 0, UInt8(ascii: "h"), 2, 0x87])),
                       .tuple([.int(5), .int(6), .int(6)]))
        XCTAssertEqual(try unpickle(pickle([K, 1, UInt8(ascii: "2"), 0x86])), .tuple([.int(1), .int(1)]))
        XCTAssertEqual(try unpickle(pickle([K, 1, K, 2, UInt8(ascii: "0")])), .int(1))
        XCTAssertEqual(try unpickle(pickle([K, 1, UInt8(ascii: "("), K, 2, K, 3, UInt8(ascii: "1")])), .int(1))
    }

    func testOrderedDictWithMetadataAttribute() throws {
        // OrderedDict() then items, then BUILD with {'_metadata': {}} as torch's state_dict() has.
        let body = ascii("ccollections\nOrderedDict\n") + [UInt8(ascii: ")"), UInt8(ascii: "R"), UInt8(ascii: "(")]
            + binunicode("w") + [UInt8(ascii: "K"), 1] + binunicode("v") + [UInt8(ascii: "K"), 2] + [UInt8(ascii: "u")]
            + [UInt8(ascii: "}")] + binunicode("_metadata") + [UInt8(ascii: "}"), UInt8(ascii: "s"), UInt8(ascii: "b")]
        let value = try unpickle(pickle(body))
        XCTAssertEqual(value, .dict([.init(key: .string("w"), value: .int(1)), .init(key: .string("v"), value: .int(2))]))
        // STACK_GLOBAL spells the same class.
        let stacked = binunicode("collections") + binunicode("OrderedDict") + [0x93, UInt8(ascii: ")"), UInt8(ascii: "R")]
        XCTAssertEqual(try unpickle(pickle(stacked)), .dict([]))
    }

    func testRefusals() throws {
        // Unknown globals are named and never called.
        var error = assertThrows(.unsupported, try unpickle(pickle(ascii("cos\nsystem\n"))))
        XCTAssertTrue(error?.message.contains("'os.system'") == true, "\(String(describing: error))")
        error = assertThrows(.unsupported, try unpickle(pickle(ascii("cbuiltins\neval\n"))))
        XCTAssertTrue(error?.message.contains("'builtins.eval'") == true)
        // Unknown opcodes are named.
        error = assertThrows(.unsupported, try unpickle(pickle([0x81])))
        XCTAssertTrue(error?.message.contains("NEWOBJ (0x81)") == true, "\(String(describing: error))")
        error = assertThrows(.unsupported, try unpickle(pickle([0xFF])))
        XCTAssertTrue(error?.message.contains("0xFF") == true)
        // Malformed stacks and memo references are corrupt, not crashes.
        assertThrows(.corrupt, try unpickle(pickle([UInt8(ascii: "a")])))
        assertThrows(.corrupt, try unpickle(pickle([UInt8(ascii: "t")])))
        assertThrows(.corrupt, try unpickle(pickle([UInt8(ascii: "h"), 3])))
        assertThrows(.corrupt, try unpickle(pickle([UInt8(ascii: "K"), 1, UInt8(ascii: "K"), 2, UInt8(ascii: "s")])))
        assertThrows(.truncated, try unpickle([0x80, 0x02]))  // no STOP
        assertThrows(.truncated, try unpickle([0x80, 0x02, UInt8(ascii: "X"), 0xFF, 0xFF, 0xFF, 0x7F, 0x41]))
        assertThrows(.unsupported, try unpickle(pickle([0x8A, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1])))
        // A value that doubles itself through the memo hits the size limit, not the memory.
        var doubling: [UInt8] = [UInt8(ascii: "K"), 1]
        for _ in 0..<40 { doubling += [UInt8(ascii: "q"), 0, UInt8(ascii: "h"), 0, 0x86] }
        assertThrows(.tooLarge, try unpickle(pickle(doubling)))
        // Deep nesting stops at the depth limit.
        let deep: [UInt8] = [UInt8(ascii: "N")] + Array(repeating: 0x85, count: 100)
        assertThrows(.tooLarge, try unpickle(pickle(deep)))
    }

    func testTensorRebuildNeedsAStorage() throws {
        let rebuild = ascii("ctorch._utils\n_rebuild_tensor_v2\n")
        let args: [UInt8] = [UInt8(ascii: "("), UInt8(ascii: "N"), UInt8(ascii: "K"), 0, UInt8(ascii: ")"), UInt8(ascii: ")"), 0x89,
                             UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "R")]
        assertThrows(.corrupt, try unpickle(pickle(rebuild + args)))
        let storageID = [UInt8(ascii: "(")] + binunicode("storage") + ascii("ctorch\nFloatStorage\n") + binunicode("0")
            + binunicode("cpu") + [UInt8(ascii: "K"), 6, UInt8(ascii: "t"), UInt8(ascii: "Q")]
        let good = rebuild + [UInt8(ascii: "(")] + storageID + [UInt8(ascii: "K"), 0, UInt8(ascii: "K"), 2, UInt8(ascii: "K"), 3, 0x86,
                                                               UInt8(ascii: "K"), 3, UInt8(ascii: "K"), 1, 0x86, 0x89, UInt8(ascii: "N"),
                                                               UInt8(ascii: "t"), UInt8(ascii: "R")]
        guard case .tensor(let reference) = try unpickle(pickle(good)) else { return XCTFail("not a tensor") }
        XCTAssertEqual(reference.shape, [2, 3])
        XCTAssertEqual(reference.stride, [3, 1])
        XCTAssertEqual(reference.storage, TorchStorage(dtype: .f32, typeName: "FloatStorage", key: "0", location: "cpu", count: 6))
        let unknownStorage = storageID.map { $0 }  // copy
        let complex = String(decoding: unknownStorage, as: UTF8.self).replacingOccurrences(of: "FloatStorage", with: "ComplexFloatStorage")
        let error = assertThrows(.unsupported, try unpickle(pickle(Array(complex.utf8))))
        XCTAssertTrue(error?.message.contains("torch.ComplexFloatStorage") == true, "\(String(describing: error))")
    }
}
