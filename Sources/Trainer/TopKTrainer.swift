// A TopK sparse autoencoder trainer, as in Gao et al., "Scaling and evaluating sparse
// autoencoders" (OpenAI, 2024): TopK + ReLU, decoder rows at unit norm, an AuxK loss on dead
// latents, Adam.
// Legend: B tokens in a batch, D input width, N latents, k latents kept per token, A = k_aux.
// Layouts (row-major): encoder (N, D) and decoder (N, D), one row per latent, as in
// `SparseAutoencoder`; batch (B, D).
//
// Forward, for a batch x already normalised (scaled):
//   pre = (x − b_dec) · encoderᵀ + b_enc                     (B, N)   one BLAS product
//   z   = relu(topk_k(pre))                                  (B, k)   sparse
//   x̂   = z · decoder + b_dec                                (B, D)   sparse
//   L_main = Σ‖x − x̂‖² / Σ‖x − mean_B(x)‖²                  (the batch's FVU)
//   e = x − x̂ (held constant); ẑ = relu(topk_A(pre over dead latents)); ê = ẑ · decoder
//   L_aux  = Σ‖ê − e‖² / Σ‖e − mean_B(e)‖²
//   L = L_main + auxCoefficient · L_aux   (both denominators are constants, not differentiated)
// Backward touches only the k + A selected latents of each token: a step costs about one
// dense encoder product plus O(B·(k + A)·D).
import Foundation
import Kernels

/// The weights of a TopK SAE being trained. encoder, decoder: (N, D); encoderBias (N); decoderBias (D).
public struct SAEParameters: Sendable, Equatable {
    public var encoder: [Float]
    public var encoderBias: [Float]
    public var decoder: [Float]
    public var decoderBias: [Float]

    public init(encoder: [Float], encoderBias: [Float], decoder: [Float], decoderBias: [Float]) {
        self.encoder = encoder
        self.encoderBias = encoderBias
        self.decoder = decoder
        self.decoderBias = decoderBias
    }
}

/// What one training step measured on its batch.
public struct StepStatistics: Sendable {
    /// The loss optimised: fvu + auxCoefficient · auxLoss.
    public var loss: Float
    /// Fraction of variance unexplained: Σ‖x − x̂‖² / Σ‖x − mean(x)‖².
    public var fvu: Float
    /// The AuxK loss (0 when no latent is dead).
    public var auxLoss: Float
    /// Mean number of latents > 0 per token.
    public var l0: Float
    /// Share of latents dead after this batch (no activation in the last `deadAfterTokens` tokens).
    public var deadFraction: Float
}

/// Trains a TopK SAE one batch at a time.
public struct TopKTrainer: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// D
        public var inputWidth: Int
        /// N
        public var latentCount: Int
        /// Latents kept per token.
        public var k: Int
        /// Dead latents used by the AuxK loss per token (the paper: d_model / 2).
        public var auxK: Int
        /// Weight of the AuxK loss (the paper: 1/32).
        public var auxCoefficient: Float
        /// A latent is dead when it has not been active in this many tokens.
        public var deadAfterTokens: Int
        public var beta1: Float
        public var beta2: Float
        public var epsilon: Float

        public init(inputWidth: Int, latentCount: Int, k: Int, auxK: Int? = nil, auxCoefficient: Float = 1.0 / 32,
                    deadAfterTokens: Int = 1_000_000, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 6.25e-10) {
            self.inputWidth = inputWidth
            self.latentCount = latentCount
            self.k = k
            self.auxK = auxK ?? max(1, inputWidth / 2)
            self.auxCoefficient = auxCoefficient
            self.deadAfterTokens = deadAfterTokens
            self.beta1 = beta1
            self.beta2 = beta2
            self.epsilon = epsilon
        }

        /// Throws unless the sizes make sense.
        public func validate() throws {
            guard inputWidth > 0, latentCount > 0 else { throw TrainerError.badConfiguration("the input width and the number of latents must be positive") }
            guard k >= 1, k <= latentCount else { throw TrainerError.badConfiguration("k = \(k) must be between 1 and the \(latentCount) latents") }
            guard auxK >= 1 else { throw TrainerError.badConfiguration("k_aux must be at least 1") }
            guard auxCoefficient >= 0 else { throw TrainerError.badConfiguration("the AuxK coefficient must not be negative") }
            guard deadAfterTokens >= 1 else { throw TrainerError.badConfiguration("the dead-latent window must be at least one token") }
        }
    }

    public let configuration: Configuration
    public private(set) var parameters: SAEParameters
    /// Adam's first and second moments, one pair per parameter array, and its step count.
    public internal(set) var adam: AdamState
    /// Per latent: tokens seen since it was last active (> 0).
    public internal(set) var tokensSinceActive: [Int]

    public init(configuration: Configuration, parameters: SAEParameters) throws {
        try configuration.validate()
        let n = configuration.latentCount, d = configuration.inputWidth
        guard parameters.encoder.count == n * d, parameters.decoder.count == n * d,
              parameters.encoderBias.count == n, parameters.decoderBias.count == d else {
            throw TrainerError.badConfiguration("the parameters do not have the shapes of \(n) latents of width \(d)")
        }
        self.configuration = configuration
        self.parameters = parameters
        self.adam = AdamState(parameters: parameters)
        self.tokensSinceActive = [Int](repeating: 0, count: n)
    }

    /// Restores a trainer's full state (a checkpoint).
    public init(configuration: Configuration, parameters: SAEParameters, adam: AdamState, tokensSinceActive: [Int]) throws {
        try self.init(configuration: configuration, parameters: parameters)
        guard adam.first.encoder.count == parameters.encoder.count, adam.second.decoder.count == parameters.decoder.count,
              tokensSinceActive.count == configuration.latentCount else {
            throw TrainerError.badConfiguration("the optimiser state does not fit the parameters")
        }
        self.adam = adam
        self.tokensSinceActive = tokensSinceActive
    }

    /// The latents counted dead now.
    public var deadLatents: [Int] {
        tokensSinceActive.indices.filter { tokensSinceActive[$0] >= configuration.deadAfterTokens }
    }

    /// One step on a batch x (B, D): loss, gradients, Adam at `learningRate`, decoder rows
    /// renormalised. Returns what the batch measured (before the update).
    public mutating func step(_ x: UnsafeBufferPointer<Float>, tokens b: Int, learningRate: Float) throws -> StepStatistics {
        var gradients = SAEParameters.zeros(like: parameters)
        let stats = try lossAndGradients(x, tokens: b, into: &gradients)
        removeParallelComponent(&gradients.decoder)
        adam.update(&parameters, gradients: gradients, learningRate: learningRate,
                    beta1: configuration.beta1, beta2: configuration.beta2, epsilon: configuration.epsilon)
        normalizeDecoderRows()
        return stats
    }

    /// Convenience for arrays.
    public mutating func step(_ x: [Float], learningRate: Float) throws -> StepStatistics {
        try x.withUnsafeBufferPointer { try step($0, tokens: x.count / configuration.inputWidth, learningRate: learningRate) }
    }

    /// Forward and backward on a batch x (B, D): adds the gradients of L to `gradients` (which
    /// must start at zero) and updates the dead-latent counters. No parameter changes.
    public mutating func lossAndGradients(_ x: UnsafeBufferPointer<Float>, tokens b: Int, into gradients: inout SAEParameters) throws -> StepStatistics {
        let d = configuration.inputWidth, n = configuration.latentCount, k = configuration.k
        guard b > 0, x.count == b * d, let xBase = x.baseAddress else {
            throw TrainerError.badBatch("\(x.count) values are not a non-empty batch of rows of width \(d)")
        }
        // centred = x − b_dec (B, D); pre = centred · encoderᵀ + b_enc (B, N).
        let centred = UnsafeMutablePointer<Float>.allocate(capacity: b * d)
        let pre = UnsafeMutablePointer<Float>.allocate(capacity: b * n)
        let residual = UnsafeMutablePointer<Float>.allocate(capacity: b * d)
        defer { centred.deallocate(); pre.deallocate(); residual.deallocate() }
        parameters.decoderBias.withUnsafeBufferPointer { bDec in
            for t in 0..<b { for j in 0..<d { centred[t * d + j] = xBase[t * d + j] - bDec[j] } }
        }
        parameters.encoderBias.withUnsafeBufferPointer { bEnc in
            for t in 0..<b { (pre + t * n).update(from: bEnc.baseAddress!, count: n) }
        }
        parameters.encoder.withUnsafeBufferPointer { w in
            linear(centred, w.baseAddress!, pre, m: b, n: n, k: d, accumulate: true)
        }

        // Top k per token, then ReLU.
        var ids = [Int32](repeating: 0, count: b * k), values = [Float](repeating: 0, count: b * k)
        var selector = TopKSelector(capacity: k)
        for t in 0..<b {
            selector.select(pre + t * n, count: n, k: k)
            for s in 0..<k {
                ids[t * k + s] = selector.ids[s]
                values[t * k + s] = max(0, selector.values[s])
            }
        }

        // x̂ = z · decoder + b_dec; residual = x − x̂.
        parameters.decoder.withUnsafeBufferPointer { dec in
            parameters.decoderBias.withUnsafeBufferPointer { bDec in
                for t in 0..<b {
                    let r = residual + t * d
                    for j in 0..<d { r[j] = xBase[t * d + j] - bDec[j] }
                    for s in 0..<k where values[t * k + s] > 0 {
                        axpy(-values[t * k + s], dec.baseAddress! + Int(ids[t * k + s]) * d, r, d)
                    }
                }
            }
        }
        let variance = Self.centredSquares(UnsafePointer(xBase), rows: b, width: d)
        var squaredError: Double = 0
        for i in 0..<(b * d) { squaredError += Double(residual[i]) * Double(residual[i]) }
        let fvu = variance > 0 ? squaredError / variance : 0

        // Dead-latent counters see this batch before the AuxK loss picks its latents.
        var firedNow = [Bool](repeating: false, count: n), active = 0
        for i in 0..<(b * k) where values[i] > 0 { firedNow[Int(ids[i])] = true; active += 1 }
        for i in 0..<n { tokensSinceActive[i] = firedNow[i] ? 0 : min(tokensSinceActive[i] + b, Int(Int32.max)) }
        let dead = deadLatents

        // AuxK: the top A dead latents per token reconstruct the residual e (a constant).
        let a = min(configuration.auxK, dead.count)
        var auxIDs: [Int32] = [], auxValues: [Float] = []
        var auxLoss: Double = 0
        let auxGradient = UnsafeMutablePointer<Float>.allocate(capacity: b * d)
        defer { auxGradient.deallocate() }
        let useAux = a > 0 && configuration.auxCoefficient > 0
        if useAux {
            auxIDs = [Int32](repeating: 0, count: b * a)
            auxValues = [Float](repeating: 0, count: b * a)
            var deadSelector = TopKSelector(capacity: a)
            var gathered = [Float](repeating: 0, count: dead.count)
            for t in 0..<b {
                for (p, i) in dead.enumerated() { gathered[p] = pre[t * n + i] }
                gathered.withUnsafeBufferPointer { deadSelector.select($0.baseAddress!, count: dead.count, k: a) }
                for s in 0..<a {
                    auxIDs[t * a + s] = Int32(dead[Int(deadSelector.ids[s])])
                    auxValues[t * a + s] = max(0, deadSelector.values[s])
                }
            }
            // auxGradient holds ê − e for now.
            parameters.decoder.withUnsafeBufferPointer { dec in
                for t in 0..<b {
                    let g = auxGradient + t * d
                    for j in 0..<d { g[j] = -residual[t * d + j] }
                    for s in 0..<a where auxValues[t * a + s] > 0 {
                        axpy(auxValues[t * a + s], dec.baseAddress! + Int(auxIDs[t * a + s]) * d, g, d)
                    }
                }
            }
            let residualVariance = Self.centredSquares(UnsafePointer(residual), rows: b, width: d)
            var auxSquares: Double = 0
            for i in 0..<(b * d) { auxSquares += Double(auxGradient[i]) * Double(auxGradient[i]) }
            auxLoss = residualVariance > 0 ? auxSquares / residualVariance : 0
            // dL/dê = 2·coef·(ê − e) / Var(e)
            let scale = residualVariance > 0 ? Float(2 * Double(configuration.auxCoefficient) / residualVariance) : 0
            for i in 0..<(b * d) { auxGradient[i] *= scale }
        }

        // dL/dx̂ = 2(x̂ − x)/Var(x) = −2·residual/Var(x); reuse `residual` for it.
        let mainScale = variance > 0 ? Float(-2 / variance) : 0
        for i in 0..<(b * d) { residual[i] *= mainScale }
        let outputGradient = residual

        gradients.decoderBias.withUnsafeMutableBufferPointer { gBDec in
            for t in 0..<b { for j in 0..<d { gBDec[j] += outputGradient[t * d + j] } }
        }
        // Through the selected latents only: for latent i of token t with value z and gradient
        // g (of x̂ or ê): dz = g·decoder[i]; dDecoder[i] += z·g; if z > 0: dPre = dz, and
        // dEncoder[i] += dPre·centred_t, dEncoderBias[i] += dPre, dDecoderBias −= dPre·encoder[i].
        parameters.decoder.withUnsafeBufferPointer { dec in
            parameters.encoder.withUnsafeBufferPointer { enc in
                gradients.decoder.withUnsafeMutableBufferPointer { gDec in
                    gradients.encoder.withUnsafeMutableBufferPointer { gEnc in
                        gradients.encoderBias.withUnsafeMutableBufferPointer { gBEnc in
                            gradients.decoderBias.withUnsafeMutableBufferPointer { gBDec in
                                func backward(token t: Int, latent i: Int, value z: Float, gradient g: UnsafeMutablePointer<Float>) {
                                    guard z > 0 else { return }
                                    let row = dec.baseAddress! + i * d, gRow = gDec.baseAddress! + i * d
                                    let dz = dot(g, row, count: d)
                                    axpy(z, g, gRow, d)
                                    axpy(dz, centred + t * d, gEnc.baseAddress! + i * d, d)
                                    gBEnc[i] += dz
                                    axpy(-dz, enc.baseAddress! + i * d, gBDec.baseAddress!, d)
                                }
                                for t in 0..<b {
                                    for s in 0..<k {
                                        backward(token: t, latent: Int(ids[t * k + s]), value: values[t * k + s], gradient: outputGradient + t * d)
                                    }
                                    if useAux {
                                        for s in 0..<a {
                                            backward(token: t, latent: Int(auxIDs[t * a + s]), value: auxValues[t * a + s], gradient: auxGradient + t * d)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let loss = fvu + Double(configuration.auxCoefficient) * auxLoss
        return StepStatistics(loss: Float(loss), fvu: Float(fvu), auxLoss: Float(auxLoss),
                              l0: Float(active) / Float(b), deadFraction: Float(dead.count) / Float(n))
    }

    /// Σ_t ‖x_t − mean(x)‖² over rows (rows, width).
    static func centredSquares(_ x: UnsafePointer<Float>, rows: Int, width: Int) -> Double {
        var mean = [Double](repeating: 0, count: width)
        for t in 0..<rows { for j in 0..<width { mean[j] += Double(x[t * width + j]) } }
        for j in 0..<width { mean[j] /= Double(rows) }
        var total: Double = 0
        for t in 0..<rows { for j in 0..<width { let c = Double(x[t * width + j]) - mean[j]; total += c * c } }
        return total
    }

    /// Removes from each decoder row's gradient its component along the row, so a step moves the
    /// row along the unit sphere (the rows are unit norm). gradient: (N, D).
    func removeParallelComponent(_ gradient: inout [Float]) {
        let d = configuration.inputWidth
        parameters.decoder.withUnsafeBufferPointer { dec in
            gradient.withUnsafeMutableBufferPointer { g in
                for i in 0..<configuration.latentCount {
                    let row = dec.baseAddress! + i * d, gRow = g.baseAddress! + i * d
                    let along = dot(row, gRow, count: d)
                    if along != 0 { axpy(-along, row, gRow, d) }
                }
            }
        }
    }

    /// Rescales every decoder row to unit norm.
    mutating func normalizeDecoderRows() {
        Self.normalizeRows(&parameters.decoder, width: configuration.inputWidth)
    }

    static func normalizeRows(_ m: inout [Float], width d: Int) {
        m.withUnsafeMutableBufferPointer { w in
            for i in 0..<(w.count / d) {
                let row = w.baseAddress! + i * d
                let squares = dot(row, row, count: d)
                guard squares > 0 else { continue }
                let inverse = 1 / squares.squareRoot()
                for j in 0..<d { row[j] *= inverse }
            }
        }
    }
}

extension SAEParameters {
    static func zeros(like p: SAEParameters) -> SAEParameters {
        SAEParameters(encoder: [Float](repeating: 0, count: p.encoder.count), encoderBias: [Float](repeating: 0, count: p.encoderBias.count),
                      decoder: [Float](repeating: 0, count: p.decoder.count), decoderBias: [Float](repeating: 0, count: p.decoderBias.count))
    }
}

/// Adam (Kingma & Ba) with bias correction, as `torch.optim.Adam` computes it.
public struct AdamState: Sendable, Equatable {
    public var first: SAEParameters
    public var second: SAEParameters
    public var steps: Int

    public init(parameters: SAEParameters) {
        first = .zeros(like: parameters)
        second = .zeros(like: parameters)
        steps = 0
    }

    public init(first: SAEParameters, second: SAEParameters, steps: Int) {
        self.first = first
        self.second = second
        self.steps = steps
    }

    mutating func update(_ p: inout SAEParameters, gradients g: SAEParameters, learningRate lr: Float,
                         beta1: Float, beta2: Float, epsilon: Float) {
        steps += 1
        let correction1 = 1 - Float(pow(Double(beta1), Double(steps)))
        let correction2 = 1 - Float(pow(Double(beta2), Double(steps)))
        let stepSize = lr / correction1, root2 = correction2.squareRoot()
        func apply(_ w: inout [Float], _ m: inout [Float], _ v: inout [Float], _ grad: [Float]) {
            w.withUnsafeMutableBufferPointer { w in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        grad.withUnsafeBufferPointer { g in
                            for i in 0..<w.count {
                                let gi = g[i]
                                m[i] = beta1 * m[i] + (1 - beta1) * gi
                                v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
                                w[i] -= stepSize * m[i] / (v[i].squareRoot() / root2 + epsilon)
                            }
                        }
                    }
                }
            }
        }
        apply(&p.encoder, &first.encoder, &second.encoder, g.encoder)
        apply(&p.encoderBias, &first.encoderBias, &second.encoderBias, g.encoderBias)
        apply(&p.decoder, &first.decoder, &second.decoder, g.decoder)
        apply(&p.decoderBias, &first.decoderBias, &second.decoderBias, g.decoderBias)
    }
}

/// The k largest of a row with their positions, largest first (a min-heap of size k).
struct TopKSelector {
    private(set) var values: [Float]
    private(set) var ids: [Int32]

    init(capacity: Int) {
        values = [Float](repeating: 0, count: capacity)
        ids = [Int32](repeating: 0, count: capacity)
    }

    /// Afterwards values[0..<k], ids[0..<k] hold the k largest of row (count), largest first
    /// (ties: lower position first).
    mutating func select(_ row: UnsafePointer<Float>, count: Int, k: Int) {
        precondition(k <= count && k <= values.count)
        values.withUnsafeMutableBufferPointer { heap in
            ids.withUnsafeMutableBufferPointer { heapIDs in
                // heap[0] is the smallest kept; "a ranks below b" = smaller value, or equal and larger id.
                func below(_ i: Int, _ j: Int) -> Bool {
                    heap[i] < heap[j] || (heap[i] == heap[j] && heapIDs[i] > heapIDs[j])
                }
                func siftDown(_ start: Int) {
                    var i = start
                    while true {
                        let l = 2 * i + 1, r = l + 1
                        var m = i
                        if l < k, below(l, m) { m = l }
                        if r < k, below(r, m) { m = r }
                        if m == i { return }
                        heap.swapAt(i, m); heapIDs.swapAt(i, m)
                        i = m
                    }
                }
                for i in 0..<k { heap[i] = row[i]; heapIDs[i] = Int32(i) }
                for i in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(i) }
                for i in k..<count where row[i] > heap[0] {
                    heap[0] = row[i]; heapIDs[0] = Int32(i)
                    siftDown(0)
                }
                // Heap sort in place: the smallest goes last, so the array ends largest first.
                var end = k
                while end > 1 {
                    end -= 1
                    heap.swapAt(0, end); heapIDs.swapAt(0, end)
                    var i = 0
                    while true {
                        let l = 2 * i + 1, r = l + 1
                        var m = i
                        if l < end, below(l, m) { m = l }
                        if r < end, below(r, m) { m = r }
                        if m == i { break }
                        heap.swapAt(i, m); heapIDs.swapAt(i, m)
                        i = m
                    }
                }
            }
        }
    }
}

/// An error in training: one sentence saying what is wrong.
public enum TrainerError: Error, CustomStringConvertible, Equatable, Sendable {
    case badConfiguration(String)
    case badBatch(String)
    case badCheckpoint(path: String, reason: String)
    case badCorpus(path: String, reason: String)

    public var description: String {
        switch self {
        case .badConfiguration(let why): return "bad training configuration: \(why)"
        case .badBatch(let why): return "bad training batch: \(why)"
        case .badCheckpoint(let path, let reason): return "\(path): not a usable checkpoint: \(reason)"
        case .badCorpus(let path, let reason): return "\(path): \(reason)"
        }
    }
}

// Vector helpers for the sparse passes. Plain multiply-add: `addingProduct` becomes a call to
// libm's fmaf when the target has no FMA flag, many times slower than a vectorised loop.

/// y (n) += a · x (n)
@inline(__always)
func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    for j in 0..<n { y[j] += a * x[j] }
}
