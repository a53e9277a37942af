import Foundation
import XCTest
@testable import Kernels

/// The AMX bfloat16 product and the vector exp against references.
final class PackedLinearTests: XCTestCase {
    func random(_ n: Int, seed: UInt64) -> [Float] { deterministicValues(n, seed: seed) }

    /// Each output is within bfloat16's rounding of both inputs (2 × 2^-8 relative per product)
    /// of the exact sum, for shapes that are and aren't multiples of the tile sizes, split over
    /// one and several threads, with and without accumulating.
    func testBFloat16LinearMatchesTheReference() throws {
        guard MatmulPrecision.bfloat16IsAvailable else { throw XCTSkip("this CPU has no AMX-BF16 tiles") }
        let weights = try LinearWeights(precision: .bfloat16)
        for (m, n, k) in [(1, 1, 1), (1, 40, 33), (16, 32, 32), (37, 100, 70), (128, 576, 64), (5, 1000, 300)] {
            let a = random(m * k, seed: UInt64(m * 1000 + k)), w = random(n * k, seed: UInt64(n * 7 + k))
            let expected = referenceLinear(a, w, m: m, n: n, k: k)
            let linear = w.withUnsafeBufferPointer { weights.linear($0.baseAddress!, n: n, k: k) }
            for threads in [1, 3] {
                withThreads(threads) {
                    for accumulate in [false, true] {
                        var c = [Float](repeating: accumulate ? 0.5 : .nan, count: m * n)
                        a.withUnsafeBufferPointer { linear_(a: $0.baseAddress!, linear, &c, m: m, accumulate: accumulate) }
                        for i in 0..<m {
                            for j in 0..<n {
                                var bound: Double = 0
                                for p in 0..<k { bound += abs(Double(a[i * k + p]) * Double(w[j * k + p])) }
                                let want = Double(expected[i * n + j]) + (accumulate ? 0.5 : 0)
                                XCTAssertEqual(Double(c[i * n + j]), want, accuracy: bound * 2 / 256 + 1e-6,
                                               "\(m)×\(n)×\(k) threads \(threads) accumulate \(accumulate) at (\(i), \(j))")
                            }
                        }
                    }
                }
            }
        }
    }

    private func linear_(a: UnsafePointer<Float>, _ w: LinearWeight, _ c: inout [Float], m: Int, accumulate: Bool) {
        c.withUnsafeMutableBufferPointer { linear(a, w, $0.baseAddress!, m: m, accumulate: accumulate) }
    }

    func testFloat32LinearWeightsUseBLAS() throws {
        let weights = try LinearWeights(precision: .float32)
        let (m, n, k) = (3, 5, 7)
        let a = random(m * k, seed: 1), w = random(n * k, seed: 2)
        let linear = w.withUnsafeBufferPointer { weights.linear($0.baseAddress!, n: n, k: k) }
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { linear_(a: $0.baseAddress!, linear, &c, m: m, accumulate: false) }
        for (x, y) in zip(c, referenceLinear(a, w, m: m, n: n, k: k)) { XCTAssertEqual(x, y, accuracy: 1e-5) }
    }

    func testAskingForBFloat16WithoutAMXThrows() {
        if MatmulPrecision.bfloat16IsAvailable {
            XCTAssertEqual(MatmulPrecision.fastest, .bfloat16)
        } else {
            XCTAssertThrowsError(try LinearWeights(precision: .bfloat16))
            XCTAssertEqual(MatmulPrecision.fastest, .float32)
        }
    }

    /// exp within 4 ulp of Foundation's over the range softmax and SiLU use (every vector width's
    /// main loop and tail: the lengths below are not multiples of 16), 0 far below it.
    func testVectorExpAgainstFoundation() {
        let inputs = stride(from: -87.0, to: 88.0, by: 0.0037).map { Float($0) }
        var got = [Float](repeating: 0, count: inputs.count)
        Kernels.exp(inputs, into: &got, count: inputs.count)
        var worst = 0.0
        for (x, y) in zip(inputs, got) {
            let want = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(y) - want) / want)
        }
        XCTAssertLessThan(worst, 4 * Double(Float.ulpOfOne), "largest relative error \(worst)")
        let edges: [Float] = [0, -100, -1e30, 200, 1, -.infinity, .infinity]
        var out = [Float](repeating: -1, count: edges.count)
        Kernels.exp(edges, into: &out, count: edges.count)
        XCTAssertEqual(out[0], 1)
        XCTAssertEqual(out[1], 0)
        XCTAssertEqual(out[2], 0)
        XCTAssertTrue(out[3].isFinite)
        XCTAssertEqual(Double(out[4]), M_E, accuracy: 1e-6)
        XCTAssertEqual(out[5], 0)
        XCTAssertTrue(out[6].isFinite)
    }
}
