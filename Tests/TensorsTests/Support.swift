import Foundation
import XCTest
@testable import Tensors

/// The path of a committed fixture.
func fixturePath(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
        XCTFail("missing fixture \(name)", file: file, line: line)
        throw XCTSkip("missing fixture \(name)")
    }
    return url.path
}

/// The bytes of a committed fixture.
func fixtureBytes(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath(name))))
}

/// Compares floats exactly (or within `tolerance`), reporting the largest difference and where.
func assertFloats(_ actual: [Float], _ expected: [Float], tolerance: Float = 0, _ label: String,
                  file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("\(label): \(actual.count) values, expected \(expected.count)", file: file, line: line)
        return
    }
    var worst: Float = 0
    var worstIndex = -1
    for i in actual.indices {
        let difference = abs(actual[i] - expected[i])
        let same = actual[i] == expected[i] || (actual[i].isNaN && expected[i].isNaN)
        if !same && (difference > worst || difference.isNaN || worstIndex < 0) {
            worst = difference
            worstIndex = i
        }
    }
    if worstIndex >= 0 && !(worst <= tolerance) {
        XCTFail("\(label): largest difference \(worst) at index \(worstIndex) (got \(actual[worstIndex]), expected \(expected[worstIndex])), tolerance \(tolerance)",
                file: file, line: line)
    }
}

/// Asserts that `body` throws a `TensorFileError` of `kind`, and returns it.
@discardableResult
func assertThrows<T>(_ kind: TensorFileError.Kind, _ body: @autoclosure () throws -> T,
                     file: StaticString = #filePath, line: UInt = #line) -> TensorFileError? {
    do {
        _ = try body()
        XCTFail("expected a \(kind) error, got success", file: file, line: line)
    } catch let error as TensorFileError {
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected a TensorFileError, got \(error)", file: file, line: line)
    }
    return nil
}

/// Little-endian floats from raw bytes.
func littleEndianFloats(_ bytes: [UInt8]) -> [Float] {
    stride(from: 0, to: bytes.count - 3, by: 4).map { i in
        Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
    }
}
