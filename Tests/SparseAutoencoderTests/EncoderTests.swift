import Kernels
import XCTest
@testable import SparseAutoencoder

/// The encoder against a naive reference written beside it: dense pre-activations in Double,
/// a full sort, then the activation function.
final class EncoderTests: XCTestCase {
    /// Reference: (id, value) pairs per token, strongest first.
    func reference(_ sae: SparseAutoencoder, _ x: [Float]) -> [[(Int, Float)]] {
        let d = sae.inputWidth, n = sae.latentCount
        return stride(from: 0, to: x.count, by: d).map { start in
            var row = x[start..<start + d].map(Double.init)
            switch sae.normalization {
            case .layerNorm(let eps):
                let mean = row.reduce(0, +) / Double(d)
                let std = (row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d - 1)).squareRoot()
                row = row.map { ($0 - mean) / (std + Double(eps)) }
            case .constantNormRescale:
                let norm = row.map { $0 * $0 }.reduce(0, +).squareRoot()
                row = row.map { $0 * Double(d).squareRoot() / norm }
            case .scale(let s): row = row.map { $0 * Double(s) }
            case .none: break
            }
            if sae.subtractsDecoderBias { row = zip(row, sae.decoderBias).map { $0 - Double($1) } }
            let pre: [(Int, Double)] = (0..<n).map { j in
                var s = Double(sae.encoderBias[j])
                for i in 0..<d { s += row[i] * Double(sae.encoder[j * d + i]) }
                return (j, s)
            }
            var kept: [(Int, Double)]
            switch sae.activation {
            case .topK(let k): kept = Array(pre.sorted { $0.1 > $1.1 }.prefix(k))
            case .relu: kept = pre
            case .jumpReLU: kept = pre.filter { $0.1 > Double(sae.threshold![$0.0]) }
            }
            return kept.filter { $0.1 > 0 }.sorted { $0.1 > $1.1 }.map { ($0.0, Float($0.1)) }
        }
    }

    /// The encoder in float32 and, where the CPU has AMX, with bfloat16 products
    /// (`PackedEncoder`), against the reference: the same latents and values either way.
    func assertMatches(_ sae: SparseAutoencoder, tokens: Int, seed: UInt64 = 7, threads: Int = 0,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        var g = TestGenerator(state: seed)
        let x = g.array(tokens * sae.inputWidth, scale: 2)
        let expected = reference(sae, x)
        for packed in [nil] + (MatmulPrecision.bfloat16IsAvailable ? [try PackedEncoder(sae)] : []) {
            let codes = try sae.encode(x, threads: threads, packed: packed)
            let label = packed == nil ? "f32" : "bf16 products"
            XCTAssertEqual(codes.tokenCount, tokens, file: file, line: line)
            var worst: Float = 0
            for t in 0..<tokens {
                let row = codes.row(t)
                XCTAssertEqual(Array(row.ids.map(Int.init)), expected[t].map(\.0), "\(label), token \(t)", file: file, line: line)
                for (v, e) in zip(row.values, expected[t].map(\.1)) { worst = max(worst, abs(v - e) / max(abs(e), 1e-2)) }
            }
            XCTAssertLessThan(worst, 1e-4, "\(label): largest relative difference \(worst)", file: file, line: line)
        }
    }

    func testTopKMatchesReference() throws {
        try assertMatches(makeSAE(d: 24, n: 512, activation: .topK(8)), tokens: 37)
        try assertMatches(makeSAE(d: 24, n: 512, activation: .topK(8)), tokens: 37, threads: 1)
    }

    /// Latents whose pre-activations differ by far less than bfloat16 can tell apart (rows that
    /// are one vector scaled by 1 + j·10⁻⁴, all rounding to the same bfloat16 row): bf16 products
    /// alone would tie them all, the packed encoder's float32 check ranks them as float32 does.
    func testBFloat16ProductsStillRankNearlyEqualLatents() throws {
        let d = 64, n = 512
        var g = TestGenerator(state: 3)
        let base = g.array(d)
        var encoder = [Float](repeating: 0, count: n * d)
        for j in 0..<n { for i in 0..<d { encoder[j * d + i] = base[i] * (1 + Float((j * 37) % n) * 1e-4) } }
        for activation in [SparseAutoencoder.Activation.topK(8), .relu] {
            let sae = try SparseAutoencoder(
                inputWidth: d, latentCount: n, activation: activation, normalization: .none, subtractsDecoderBias: false,
                encoder: encoder, encoderBias: [Float](repeating: 0, count: n), decoder: encoder,
                decoderBias: [Float](repeating: 0, count: d), info: .init(format: "test", path: "memory"))
            try assertMatches(sae, tokens: 6)
        }
    }

    func testTopKWithFewLatentsAndLargeK() throws {
        // n < 4k takes the path without a block bound; k = n keeps every positive value.
        try assertMatches(makeSAE(d: 8, n: 20, activation: .topK(20)), tokens: 5)
        try assertMatches(makeSAE(d: 8, n: 20, activation: .topK(7)), tokens: 5)
    }

    func testNormalisationsAndBiasSubtraction() throws {
        try assertMatches(makeSAE(d: 16, n: 256, activation: .topK(4), normalization: .layerNorm(epsilon: 1e-5), subtract: true), tokens: 9)
        try assertMatches(makeSAE(d: 16, n: 256, activation: .relu, normalization: .constantNormRescale), tokens: 9)
        try assertMatches(makeSAE(d: 16, n: 256, activation: .jumpReLU, normalization: .scale(0.5)), tokens: 9)
    }

    func testChunkingKeepsTokenOrder() throws {
        // More tokens than one scratch chunk holds (8 Mi floats / 65,536 latents = 128 rows).
        let sae = try makeSAE(d: 4, n: 65_536, activation: .topK(3))
        var g = TestGenerator(state: 3)
        let x = g.array(300 * 4)
        let all = try sae.encode(x)
        let tail = try sae.encode(Array(x[(200 * 4)...]))
        XCTAssertEqual(all.tokenCount, 300)
        for t in 0..<100 {
            XCTAssertEqual(all.row(200 + t).ids, tail.row(t).ids)
            XCTAssertEqual(all.row(200 + t).values, tail.row(t).values)
        }
    }

    func testTiesPreferLowerIDs() throws {
        // Every pre-activation equal: TopK keeps the k lowest ids.
        let sae = try SparseAutoencoder(inputWidth: 2, latentCount: 64, activation: .topK(5), normalization: .none,
                                        subtractsDecoderBias: false, encoder: [Float](repeating: 0, count: 128),
                                        encoderBias: [Float](repeating: 1, count: 64), decoder: [Float](repeating: 0, count: 128),
                                        decoderBias: [0, 0], info: .init(format: "test", path: "memory"))
        let codes = try sae.encode([3, 4])
        XCTAssertEqual(Array(codes.row(0).ids), [0, 1, 2, 3, 4])
        XCTAssertEqual(Array(codes.row(0).values), [1, 1, 1, 1, 1])
    }

    func testBadShapesAndInputsThrow() throws {
        XCTAssertThrowsError(try SparseAutoencoder(inputWidth: 4, latentCount: 8, activation: .topK(2), normalization: .none,
                                                   subtractsDecoderBias: false, encoder: [Float](repeating: 0, count: 31),
                                                   encoderBias: [Float](repeating: 0, count: 8), decoder: [Float](repeating: 0, count: 32),
                                                   decoderBias: [0, 0, 0, 0], info: .init(format: "test", path: "x"))) { error in
            XCTAssertEqual("\(error)", "x: SAE tensor 'encoder' has 31 values, expected [8, 4] = 32")
        }
        XCTAssertThrowsError(try makeSAE(d: 4, n: 8, activation: .topK(9)))
        let sae = try makeSAE(d: 4, n: 8, activation: .topK(2))
        XCTAssertThrowsError(try sae.encode([1, 2, 3]))
        XCTAssertThrowsError(try sae.checkFits(modelWidth: 576, modelName: "SmolLM2")) { error in
            XCTAssertEqual("\(error)", "memory: SAE does not fit the model: the SAE reads 4-wide activations but SmolLM2 has d_model 576")
        }
        XCTAssertEqual(try sae.encode([Float]()).tokenCount, 0)
    }
}
