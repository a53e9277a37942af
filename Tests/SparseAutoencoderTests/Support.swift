import Foundation
import XCTest
import SparseAutoencoder

/// A small deterministic generator so tests need no seeds from the system.
struct TestGenerator {
    var state: UInt64
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
    }
    mutating func array(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in next() * scale } }
}

/// A random SAE of the given shape (weights in ±1, biases smaller).
func makeSAE(d: Int, n: Int, activation: SparseAutoencoder.Activation,
             normalization: SparseAutoencoder.InputNormalization = .none, subtract: Bool = false,
             seed: UInt64 = 1) throws -> SparseAutoencoder {
    var g = TestGenerator(state: seed)
    return try SparseAutoencoder(
        inputWidth: d, latentCount: n, activation: activation, normalization: normalization,
        subtractsDecoderBias: subtract, encoder: g.array(n * d), encoderBias: g.array(n, scale: 0.1),
        decoder: g.array(n * d), decoderBias: g.array(d), threshold: activation == .jumpReLU ? g.array(n, scale: 0.5) : nil,
        info: .init(format: "test", path: "memory"))
}


/// The path of a committed fixture (a file or folder under Fixtures/).
func fixturePath(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
        XCTFail("the Fixtures folder is missing from the test bundle", file: file, line: line)
        throw XCTSkip("missing fixtures")
    }
    let url = root.appendingPathComponent(name)
    guard FileManager.default.fileExists(atPath: url.path) else {
        XCTFail("missing fixture \(name)", file: file, line: line)
        throw XCTSkip("missing fixture \(name)")
    }
    return url.path
}
