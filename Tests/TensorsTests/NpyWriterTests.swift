import Foundation
import XCTest
@testable import Tensors

final class NpyWriterTests: XCTestCase {
    /// (np.arange(15).reshape(3, 5) * 0.1 - 0.7) as float32: np.save wrote writer_expected.npy.
    let values: [Float] = (0..<15).map { Float(Double($0) * 0.1 - 0.7) }

    func testWriterMatchesNumpyByteForByte() throws {
        let expected = try fixtureBytes("writer_expected.npy")
        let numpyValues = try NpyFile(path: fixturePath("writer_expected.npy")).tensor.floats()
        let written = try numpyValues.withUnsafeBufferPointer { try NpyWriter.encode($0, shape: [3, 5]) }
        XCTAssertEqual(written, expected)
    }

    func testRoundTripAndHeaderAlignment() throws {
        let directory = ProcessInfo.processInfo.environment["SAESCOPE_NPY_WRITER_OUT"] ?? NSTemporaryDirectory()
        let path = (directory as NSString).appendingPathComponent("activations.npy")
        let numpyValues = try NpyFile(path: fixturePath("writer_expected.npy")).tensor.floats()
        try NpyWriter.write(numpyValues, shape: [3, 5], to: path)
        let back = try NpyFile(path: path)
        XCTAssertEqual(back.tensor.shape, [3, 5])
        assertFloats(try back.tensor.floats(), numpyValues, "round trip")
        for shape in [[0, 576], [1], [7], [100_000, 4096], [12_345_678_901, 1]] {
            let header = NpyWriter.headerText(shape: shape)
            XCTAssertEqual((10 + header.utf8.count + 1 + (64 - (10 + header.utf8.count + 1) % 64)) % 64, 0)
        }
        let empty = try [Float]().withUnsafeBufferPointer { try NpyWriter.encode($0, shape: [0, 576]) }
        XCTAssertEqual(try NpyFile(file: MappedFile(copying: empty, name: "empty.npy")).tensor.shape, [0, 576])
        assertThrows(.sizeMismatch, try values.withUnsafeBufferPointer { try NpyWriter.encode($0, shape: [4, 5]) })
        assertThrows(.io, try NpyWriter.write(values, shape: [3, 5], to: "/no/such/dir/x.npy"))
    }
}
