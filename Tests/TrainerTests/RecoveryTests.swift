import XCTest
@testable import Trainer

/// Training on data made of known sparse features must find them: FVU falls below a bound.
final class RecoveryTests: XCTestCase {
    /// x = Σ of 3 of 48 random unit directions in 64 dimensions (nearly orthogonal) with random positive weights, plus an
    /// offset; an SAE with 64 latents, k = 4 should reconstruct it almost exactly.
    func testRecoversSyntheticSparseFeatures() throws {
        let d = 64, features = 48, active = 3, n = 64, k = 4, batch = 128
        var generator = SeededGenerator(seed: 7)
        var directions = (0..<(features * d)).map { _ in generator.normal() }
        TopKTrainer.normalizeRows(&directions, width: d)
        let offset = (0..<d).map { _ in generator.normal() * 0.5 }
        func sample(_ tokens: Int) -> [Float] {
            var x = [Float](repeating: 0, count: tokens * d)
            for t in 0..<tokens {
                for j in 0..<d { x[t * d + j] = offset[j] }
                for _ in 0..<active {
                    let f = Int(generator.next() % UInt64(features))
                    let weight = 1 + Float(generator.next() % 1000) / 1000
                    for j in 0..<d { x[t * d + j] += weight * directions[f * d + j] }
                }
            }
            return x
        }
        let first = sample(1024)
        let median = DataStatistics.geometricMedian(first, width: d)
        let configuration = TopKTrainer.Configuration(inputWidth: d, latentCount: n, k: k, auxK: 8, deadAfterTokens: 2048)
        var trainer = try TopKTrainer(configuration: configuration,
                                      parameters: .initial(inputWidth: d, latentCount: n, decoderBias: median, seed: 1))
        var firstFVU: Float = 0, lastFVUs: [Float] = []
        for step in 0..<1500 {
            let stats = try trainer.step(sample(batch), learningRate: step < 1200 ? 1e-2 : 2e-3)
            if step == 0 { firstFVU = stats.fvu }
            if step >= 1450 { lastFVUs.append(stats.fvu) }
            XCTAssertTrue(stats.loss.isFinite, "loss at step \(step)")
        }
        let fvu = lastFVUs.reduce(0, +) / Float(lastFVUs.count)
        XCTAssertGreaterThan(firstFVU, 0.5, "a random start should explain little")
        XCTAssertLessThan(fvu, 0.05, "FVU after training: \(fvu) (started at \(firstFVU))")
        // Decoder rows stay at unit norm.
        for i in 0..<n {
            let norm = (0..<d).map { trainer.parameters.decoder[i * d + $0] * trainer.parameters.decoder[i * d + $0] }.reduce(0, +).squareRoot()
            XCTAssertEqual(norm, 1, accuracy: 1e-4)
        }
        // Most true directions have a decoder row pointing the same way.
        var found = 0
        for f in 0..<features {
            var best: Float = -1
            for i in 0..<n {
                var c: Float = 0
                for j in 0..<d { c += directions[f * d + j] * trainer.parameters.decoder[i * d + j] }
                best = max(best, c)
            }
            if best > 0.9 { found += 1 }
        }
        XCTAssertGreaterThanOrEqual(found, features * 3 / 4, "true features with a decoder row at cosine > 0.9: \(found) of \(features)")
    }

    func testTopKSelectorMatchesSort() {
        var generator = SeededGenerator(seed: 3)
        var selector = TopKSelector(capacity: 7)
        for trial in 0..<50 {
            let count = 7 + trial * 3
            var row = (0..<count).map { _ in Float(Int(generator.next() % 20)) }  // many ties
            if trial % 2 == 0 { row = row.map { _ in generator.normal() } }
            row.withUnsafeBufferPointer { selector.select($0.baseAddress!, count: count, k: 7) }
            let expected = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }.prefix(7)
            XCTAssertEqual(selector.ids.prefix(7).map(Int.init), Array(expected), "trial \(trial)")
        }
    }

    func testGeometricMedianResistsAnOutlier() {
        // Four points on a square's corners plus one far away: the median stays near the centre,
        // where the mean does not.
        let x: [Float] = [1, 1, -1, 1, 1, -1, -1, -1, 100, 100]
        let median = DataStatistics.geometricMedian(x, width: 2)
        // (By symmetry it lies on the diagonal, where the pulls balance: at 1/√3.)
        XCTAssertEqual(median[0], Float(1 / 3.0.squareRoot()), accuracy: 1e-4, "median \(median)")
        XCTAssertEqual(median[1], Float(1 / 3.0.squareRoot()), accuracy: 1e-4, "median \(median)")
        XCTAssertEqual(DataStatistics.unitCoordinateScale([3, 4, 0, 0], width: 2), Float((2.0 / 12.5).squareRoot()), accuracy: 1e-6)
    }
}
