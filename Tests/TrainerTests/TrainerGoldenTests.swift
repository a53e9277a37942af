import XCTest
import Tensors
@testable import Trainer

/// Two training steps of a tiny SAE (D 8, N 32, k 4, k_aux 6, B 16, three latents dead) against
/// torch autograd + torch.optim.Adam in float64: scripts/train/reference_step.py wrote the fixture.
final class TrainerGoldenTests: XCTestCase {
    func fixture() throws -> NpzFile {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent("two_steps.npz")
        return try NpzFile(path: url.path)
    }

    /// Largest |a − b| relative to the largest |b| (printed when it fails).
    func assertClose(_ a: [Float], _ b: [Float], tolerance: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let scale = max(b.map { abs($0) }.max() ?? 0, 1e-6)
        var worst: Float = 0, at = 0
        for i in 0..<min(a.count, b.count) where abs(a[i] - b[i]) > worst { worst = abs(a[i] - b[i]); at = i }
        XCTAssertLessThanOrEqual(worst / scale, tolerance,
                                 "\(what): max |Δ| \(worst) at \(at) (ours \(a[at]), torch \(b[at])), relative to max |ref| \(scale)",
                                 file: file, line: line)
    }

    func testTwoStepsMatchTorch() throws {
        let npz = try fixture()
        func array(_ name: String) throws -> [Float] { try npz.tensor(name).floats() }
        let configuration = TopKTrainer.Configuration(inputWidth: 8, latentCount: 32, k: 4, auxK: 6, auxCoefficient: 1.0 / 32,
                                                      deadAfterTokens: 40)
        let initial = SAEParameters(encoder: try array("enc0"), encoderBias: try array("b_enc0"),
                                    decoder: try array("dec0"), decoderBias: try array("b_dec0"))
        var trainer = try TopKTrainer(configuration: configuration, parameters: initial,
                                      adam: AdamState(parameters: initial), tokensSinceActive: try array("counters0").map { Int($0) })

        // Step 1's raw gradients (before the decoder's parallel component is removed).
        var probe = trainer
        var gradients = SAEParameters.zeros(like: initial)
        let x1 = try array("x1")
        let probeStats = try x1.withUnsafeBufferPointer { try probe.lossAndGradients($0, tokens: 16, into: &gradients) }
        let expected1 = try array("loss1")
        assertClose([probeStats.loss, probeStats.fvu, probeStats.auxLoss, probeStats.l0, probeStats.deadFraction], expected1, tolerance: 1e-5, "step 1 loss, fvu, aux, l0, dead")
        XCTAssertGreaterThan(probeStats.auxLoss, 0, "the fixture has dead latents, so AuxK must be exercised")
        assertClose(gradients.encoder, try array("grad_enc1"), tolerance: 1e-5, "step 1 encoder gradient")
        assertClose(gradients.encoderBias, try array("grad_b_enc1"), tolerance: 1e-5, "step 1 encoder bias gradient")
        assertClose(gradients.decoder, try array("grad_dec1"), tolerance: 1e-5, "step 1 decoder gradient")
        assertClose(gradients.decoderBias, try array("grad_b_dec1"), tolerance: 1e-5, "step 1 decoder bias gradient")

        let s1 = try trainer.step(x1, learningRate: 1e-2)
        XCTAssertEqual(s1.loss, expected1[0], accuracy: 1e-5)
        XCTAssertEqual(trainer.tokensSinceActive.map(Float.init), try array("counters1"))
        let s2 = try trainer.step(try array("x2"), learningRate: 1e-2)
        assertClose([s2.loss, s2.fvu, s2.auxLoss, s2.l0, s2.deadFraction], try array("loss2"), tolerance: 1e-5, "step 2 loss, fvu, aux, l0, dead")
        XCTAssertEqual(trainer.tokensSinceActive.map(Float.init), try array("counters2"))
        // Adam's first steps move each weight by about lr whatever the gradient's size, so this
        // checks the update, not just the starting point.
        assertClose(trainer.parameters.encoder, try array("enc2"), tolerance: 2e-5, "encoder after two steps")
        assertClose(trainer.parameters.encoderBias, try array("b_enc2"), tolerance: 2e-5, "encoder bias after two steps")
        assertClose(trainer.parameters.decoder, try array("dec2"), tolerance: 2e-5, "decoder after two steps")
        assertClose(trainer.parameters.decoderBias, try array("b_dec2"), tolerance: 2e-5, "decoder bias after two steps")
        XCTAssertNotEqual(trainer.parameters.encoder, initial.encoder)
    }
}
