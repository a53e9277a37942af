import XCTest
@testable import Kernels

/// Deterministic values in [-1, 1), for this target's tests.
func deterministicValues(_ n: Int, seed: UInt64) -> [Float] {
    var state = seed
    return (0..<n).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
    }
}

/// Runs `body` with `BLASRuntime.threads` set to `n` (more than this machine's cores is fine:
/// the point is to split products into that many parts), then restores the default.
func withThreads(_ n: Int, _ body: () -> Void) {
    BLASRuntime.setThreads(n)
    defer { BLASRuntime.setThreads(ProcessInfo.processInfo.activeProcessorCount) }
    body()
}

/// Each fast kernel against its naive reference or closed-form values.
final class KernelsTests: XCTestCase {
    func random(_ n: Int, seed: UInt64) -> [Float] {
        deterministicValues(n, seed: seed)
    }

    func assertClose(_ a: [Float], _ b: [Float], tolerance: Float, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "largest difference \(worst)", file: file, line: line)
    }

    func testLinearMatchesReferenceForManyShapes() {
        // The last shapes are large enough to be split between three threads, unevenly.
        withThreads(3) {
            for (m, n, k) in [(1, 7, 5), (3, 4, 9), (17, 33, 65), (128, 64, 96), (1, 1001, 600), (96, 301, 96)] {
                let a = random(m * k, seed: 1), w = random(n * k, seed: 2)
                var c = [Float](repeating: 0, count: m * n)
                linear(a, w, &c, m: m, n: n, k: k)
                assertClose(c, referenceLinear(a, w, m: m, n: n, k: k), tolerance: 1e-4)
                linear(a, w, &c, m: m, n: n, k: k, accumulate: true)
                assertClose(c, referenceLinear(a, w, m: m, n: n, k: k).map { $0 * 2 }, tolerance: 2e-4)
            }
        }
    }

    func testMatmulWithInOutWeightsEqualsLinearWithTheTranspose() {
        withThreads(3) {
            for (m, n, k) in [(1, 6, 4), (5, 6, 4), (9, 31, 12), (1, 1001, 600), (96, 301, 96)] {
                let a = random(m * k, seed: 3), b = random(k * n, seed: 4)  // b (K, N)
                var wT = [Float](repeating: 0, count: n * k)  // (N, K)
                for i in 0..<k { for j in 0..<n { wT[j * k + i] = b[i * n + j] } }
                var c = [Float](repeating: 0, count: m * n)
                matmul(a, b, &c, m: m, n: n, k: k)
                assertClose(c, referenceLinear(a, wT, m: m, n: n, k: k), tolerance: 1e-4)
            }
        }
    }

    func testLayerNormAgainstTheDefinition() {
        // 67 channels: the vector loops and their tails.
        for c in [8, 67] {
        let t = 3
        let x = random(t * c, seed: 5).map { $0 * 10 + 3 }, w = random(c, seed: 6), b = random(c, seed: 7)
        var out = [Float](repeating: 0, count: t * c)
        layerNorm(x, &out, t: t, c: c, weight: w, bias: b, eps: 1e-5)
        for row in 0..<t {
            let xs = x[(row * c)..<((row + 1) * c)].map(Double.init)
            let mean = xs.reduce(0, +) / Double(c)
            let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(c)
            let expected = (0..<c).map { Float((xs[$0] - mean) / (variance + 1e-5).squareRoot()) * w[$0] + b[$0] }
            assertClose(Array(out[(row * c)..<((row + 1) * c)]), expected, tolerance: 1e-5)
        }
        }
    }

    func testRMSNormAgainstTheDefinitionInPlace() {
        for c in [6, 67] {
        let t = 2
        var x = random(t * c, seed: 8)
        let original = x, w = random(c, seed: 9)
        x.withUnsafeMutableBufferPointer { p in
            rmsNorm(p.baseAddress!, p.baseAddress!, t: t, c: c, weight: w, eps: 1e-5)
        }
        for row in 0..<t {
            let xs = original[(row * c)..<((row + 1) * c)]
            let rms = (xs.map { Double($0 * $0) }.reduce(0, +) / Double(c) + 1e-5).squareRoot()
            assertClose(Array(x[(row * c)..<((row + 1) * c)]), zip(xs, w).map { Float(Double($0) / rms) * $1 }, tolerance: 1e-6)
        }
        }
    }

    func testActivationsAtKnownValues() {
        var g: [Float] = [0, 1, -1, 3]
        geluTanh(&g, count: 4)
        assertClose(g, [0, 0.841_192, -0.158_808, 2.996_363], tolerance: 1e-5)
        // Against the tanh form over a wide range, including where exp overflows.
        let inputs = stride(from: -60.0, through: 60.0, by: 0.013).map { Float($0) }
        var fast = inputs
        geluTanh(&fast, count: fast.count)
        for (x, y) in zip(inputs, fast) {
            let u = 0.797_884_560_802_865 * (Double(x) + 0.044715 * Double(x) * Double(x) * Double(x))
            let expected = 0.5 * Double(x) * (1 + tanh(u))
            XCTAssertEqual(Double(y), expected, accuracy: 1e-6 * max(1, abs(expected)), "gelu(\(x))")
        }
        var s: [Float] = [0, 1, -2]
        silu(&s, count: 3)
        assertClose(s, [0, 0.731_059, -0.238_406], tolerance: 1e-5)
        var out: [Float] = [0, 0]
        swiGLU(gate: [1, -2], up: [2, 3], into: &out, count: 2)
        assertClose(out, [1.462_117, -0.715_218], tolerance: 1e-5)
        // 37 values: a vector loop and its tail.
        let gate = random(37, seed: 20).map { $0 * 8 }, up = random(37, seed: 21)
        var long = [Float](repeating: 0, count: 37)
        swiGLU(gate: gate, up: up, into: &long, count: 37)
        assertClose(long, zip(gate, up).map { g, u in Float(Double(g) / (1 + Foundation.exp(-Double(g))) * Double(u)) }, tolerance: 1e-6)
    }

    func testSoftmaxIsStableAndSumsToOne() {
        var x: [Float] = [1000, 1001, 999]
        softmax(&x, count: 3)
        XCTAssertEqual(x.reduce(0, +), 1, accuracy: 1e-6)
        assertClose(x, [0.244_728, 0.665_241, 0.090_031], tolerance: 1e-5)
        let row = random(37, seed: 22).map { $0 * 20 }
        var long = row
        softmax(&long, count: 37)
        let exps = row.map { Foundation.exp(Double($0 - row.max()!)) }
        assertClose(long, exps.map { Float($0 / exps.reduce(0, +)) }, tolerance: 1e-6)
    }

    func testRotaryRotatesPairsByPositionAngles() {
        let heads = 2, t = 3, base = 10_000.0
        // SmolLM2's head dimension (64) runs the vector loops; 8 only their tails.
        for d in [8, 64] {
        for layout in [RotaryLayout.interleaved, .halves] {
            let rotary = RotaryEmbedding(headDim: d, base: base, maxPositions: 16, layout: layout)
            var x = random(t * heads * d, seed: 10)
            let original = x
            x.withUnsafeMutableBufferPointer { rotary.apply($0.baseAddress!, t: t, heads: heads, start: 5) }
            for token in 0..<t {
                for h in 0..<heads {
                    let o = (token * heads + h) * d
                    for i in 0..<(d / 2) {
                        let (a, b) = layout == .interleaved ? (2 * i, 2 * i + 1) : (i, i + d / 2)
                        let angle = Double(5 + token) * pow(base, -2 * Double(i) / Double(d))
                        let x0 = Double(original[o + a]), x1 = Double(original[o + b])
                        XCTAssertEqual(Double(x[o + a]), x0 * cos(angle) - x1 * sin(angle), accuracy: 1e-5)
                        XCTAssertEqual(Double(x[o + b]), x0 * sin(angle) + x1 * cos(angle), accuracy: 1e-5)
                    }
                }
            }
        }
        }
    }

    func testAttentionMatchesReferenceWithGroupedHeads() {
        // The last shape's heads are shared between three threads.
        withThreads(3) {
            for (t, heads, kvHeads, d) in [(1, 2, 1, 4), (5, 4, 2, 8), (13, 9, 3, 64), (40, 9, 3, 64)] {
                let q = random(t * heads * d, seed: 11), k = random(t * kvHeads * d, seed: 12), v = random(t * kvHeads * d, seed: 13)
                var out = [Float](repeating: 0, count: t * heads * d)
                let scale = 1 / Float(d).squareRoot()
                causalAttention(q: q, k: k, v: v, out: &out, t: t, heads: heads, kvHeads: kvHeads, headDim: d, scale: scale)
                assertClose(out, referenceCausalAttention(q: q, k: k, v: v, t: t, heads: heads, kvHeads: kvHeads, headDim: d, scale: scale),
                            tolerance: 1e-5)
            }
        }
    }

    func testTheFirstTokenAttendsOnlyToItself() {
        let d = 4
        let q = random(2 * d, seed: 14), k = random(2 * d, seed: 15), v: [Float] = [1, 2, 3, 4, 100, 100, 100, 100]
        var out = [Float](repeating: 0, count: 2 * d)
        causalAttention(q: q, k: k, v: v, out: &out, t: 2, heads: 1, kvHeads: 1, headDim: d, scale: 0.5)
        XCTAssertEqual(Array(out[0..<4]), [1, 2, 3, 4])
    }

    func testBLASReportsItsKernel() {
        XCTAssertFalse(BLASRuntime.coreName.isEmpty)
    }
}
