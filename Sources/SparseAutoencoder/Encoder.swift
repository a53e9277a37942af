// Encoding: activations (T, D) → sparse latents per token.
// Legend: T tokens, D input width, N latents, k latents kept per token (TopK).
import CPointwise
import Foundation
import Kernels

/// Sparse latents of T tokens in compressed rows: token t's latents are
/// `ids[rowStarts[t]..<rowStarts[t+1]]`, strongest first (ties: lower id first), zeros omitted.
public struct SparseCodes: Sendable, Equatable {
    public private(set) var rowStarts: [Int] = [0]
    public private(set) var ids: [Int32] = []
    public private(set) var values: [Float] = []

    public init() {}

    public var tokenCount: Int { rowStarts.count - 1 }

    /// Token t's latents, strongest first.
    public func row(_ t: Int) -> (ids: ArraySlice<Int32>, values: ArraySlice<Float>) {
        let range = rowStarts[t]..<rowStarts[t + 1]
        return (ids[range], values[range])
    }

    /// Latent `latent`'s value at token t (0 where it is not active).
    public func value(token t: Int, latent: Int) -> Float {
        for i in rowStarts[t]..<rowStarts[t + 1] where Int(ids[i]) == latent { return values[i] }
        return 0
    }

    /// Appends one token's latents (already ordered strongest first).
    public mutating func appendRow(ids newIDs: some Collection<Int32>, values newValues: some Collection<Float>) {
        precondition(newIDs.count == newValues.count)
        ids.append(contentsOf: newIDs)
        values.append(contentsOf: newValues)
        rowStarts.append(ids.count)
    }

    mutating func append(_ other: SparseCodes) {
        let base = ids.count
        ids.append(contentsOf: other.ids)
        values.append(contentsOf: other.values)
        rowStarts.append(contentsOf: other.rowStarts.dropFirst().map { $0 + base })
    }
}

extension SparseAutoencoder {
    /// Pre-activation rows are computed this many floats at a time (64 MiB: 128 tokens of a
    /// 131,072-latent SAE in one product, which reads the weights once), so memory stays
    /// bounded for long texts and large SAEs.
    static let scratchFloats = 16 << 20

    /// Encodes T tokens of activations (T, D), row-major. One product per chunk of tokens, then
    /// per token a linear-time selection; tokens are spread over `threads` threads. With
    /// `packed` the product runs in bfloat16 on AMX and the selection makes the result exact
    /// (`PackedEncoder`): the same latents and float32 values as without it.
    public func encode(_ activations: UnsafeBufferPointer<Float>, tokens: Int, threads: Int = 0,
                       packed: PackedEncoder? = nil) throws -> SparseCodes {
        let d = inputWidth, n = latentCount
        guard tokens >= 0, activations.count == tokens * d else {
            throw SAEError.badInput("\(activations.count) values are not \(tokens) tokens of width \(d)")
        }
        var codes = SparseCodes()
        guard tokens > 0, let base = activations.baseAddress else { return codes }
        let chunk = max(1, min(tokens, Self.scratchFloats / n))
        let input = UnsafeMutablePointer<Float>.allocate(capacity: chunk * d)
        let pre = UnsafeMutablePointer<Float>.allocate(capacity: chunk * n)
        defer { input.deallocate(); pre.deallocate() }
        let workers = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
        var start = 0
        while start < tokens {
            let rows = min(chunk, tokens - start)
            input.update(from: base + start * d, count: rows * d)
            prepareInput(input, rows: rows)
            // pre = input · encoderᵀ + encoderBias: start each row from the bias, accumulate.
            encoderBias.withUnsafeBufferPointer { bias in
                for r in 0..<rows { (pre + r * n).update(from: bias.baseAddress!, count: n) }
            }
            if let packed {
                linear(input, packed.weight, pre, m: rows, accumulate: true)
            } else {
                encoder.withUnsafeBufferPointer { w in
                    linear(input, w.baseAddress!, pre, m: rows, n: n, k: d, accumulate: true)
                }
            }
            codes.append(select(pre, rows: rows, workers: workers, exact: packed.map { ($0, UnsafePointer(input)) }))
            start += rows
        }
        return codes
    }

    /// Convenience for arrays: activations (T, D).
    public func encode(_ activations: [Float], threads: Int = 0, packed: PackedEncoder? = nil) throws -> SparseCodes {
        guard activations.count % inputWidth == 0 else {
            throw SAEError.badInput("\(activations.count) values are not a whole number of rows of width \(inputWidth)")
        }
        return try activations.withUnsafeBufferPointer {
            try encode($0, tokens: activations.count / inputWidth, threads: threads, packed: packed)
        }
    }

    /// Applies the input normalisation and the decoder-bias subtraction in place; x: (rows, D).
    func prepareInput(_ x: UnsafeMutablePointer<Float>, rows: Int) {
        let d = inputWidth
        for r in 0..<rows {
            let row = x + r * d
            switch normalization {
            case .none: break
            case .layerNorm(let eps):
                var sum: Double = 0
                for j in 0..<d { sum += Double(row[j]) }
                let mean = sum / Double(d)
                var squares: Double = 0
                for j in 0..<d { let c = Double(row[j]) - mean; squares += c * c }
                let std = d > 1 ? (squares / Double(d - 1)).squareRoot() : 0
                let inv = 1 / (std + Double(eps))
                for j in 0..<d { row[j] = Float((Double(row[j]) - mean) * inv) }
            case .constantNormRescale:
                var squares: Double = 0
                for j in 0..<d { squares += Double(row[j]) * Double(row[j]) }
                let norm = squares.squareRoot()
                if norm > 0 {
                    let s = Float(Double(d).squareRoot() / norm)
                    for j in 0..<d { row[j] *= s }
                }
            case .scale(let s):
                for j in 0..<d { row[j] *= s }
            }
            if subtractsDecoderBias {
                decoderBias.withUnsafeBufferPointer { b in
                    for j in 0..<d { row[j] -= b[j] }
                }
            }
        }
    }

    /// Turns pre-activation rows (rows, N) into sparse codes, rows spread over `workers` threads.
    /// `exact`: the rows came from the packed encoder and these prepared inputs (rows, D).
    func select(_ pre: UnsafeMutablePointer<Float>, rows: Int, workers: Int,
                exact: (encoder: PackedEncoder, input: UnsafePointer<Float>)? = nil) -> SparseCodes {
        let stripes = max(1, min(workers, rows))
        let parts = UnsafeMutableBufferPointer<SparseCodes>.allocate(capacity: stripes)
        parts.initialize(repeating: SparseCodes())
        defer { parts.deinitialize(); parts.deallocate() }
        let pre = SharedPointer(pre), out = SharedPointer(parts.baseAddress!)
        let packed = exact?.encoder, input = exact.map { SharedPointer($0.input) }
        let sae = self
        // Stripe s holds the contiguous rows [s·rows/stripes, (s+1)·rows/stripes), so the parts
        // concatenate in token order.
        let work: @Sendable (Int) -> Void = { stripe in
            var selector = LatentSelector()
            for r in stripe * rows / stripes..<(stripe + 1) * rows / stripes {
                let row = pre.base + r * sae.latentCount
                let (ids, values) = if let packed, let input {
                    selector.selectExact(sae, approximate: row, input: input.base + r * sae.inputWidth, packed)
                } else {
                    selector.select(sae, row: row)
                }
                out.base[stripe].appendRow(ids: ids, values: values)
            }
        }
        parallel(stripes, work)
        var codes = SparseCodes()
        for part in parts { codes.append(part) }
        return codes
    }
}

/// Per-thread scratch for choosing a token's latents.
struct LatentSelector {
    private var candidateValues: [Float] = []
    private var candidateIDs: [Int32] = []
    private var lowerBounds: [Float] = []
    /// The candidate scan's output (room for a whole row).
    private var scanned: [Int32] = []

    /// The active latents of one pre-activation row (N), strongest first.
    mutating func select(_ sae: SparseAutoencoder, row: UnsafePointer<Float>) -> (ArraySlice<Int32>, ArraySlice<Float>) {
        let n = sae.latentCount
        candidateValues.removeAll(keepingCapacity: true)
        candidateIDs.removeAll(keepingCapacity: true)
        switch sae.activation {
        case .topK(let k):
            // ReLU after selection: only positive values survive, so candidates are positive.
            appendCandidates(row, count: n, .none, above: topKFloor(row, count: n, k: k, .none))
            let kept = min(k, candidateValues.count)
            if candidateValues.count > k { partialSelect(k) }
            sortStrongestFirst(kept)
            return (candidateIDs[..<kept], candidateValues[..<kept])
        case .relu, .jumpReLU:
            appendCandidates(row, count: n, .none, aboveThresholds: sae.threshold)
            sortStrongestFirst(candidateValues.count)
            return (candidateIDs[...], candidateValues[...])
        }
    }

    /// The active latents of one row of pre-activations from `packed` (bfloat16 products), the
    /// same as `select` gives for the float32 row: every latent whose value could be selected,
    /// given the rounding bound, is recomputed in float32 from `input` (D), then selected.
    mutating func selectExact(_ sae: SparseAutoencoder, approximate row: UnsafePointer<Float>, input x: UnsafePointer<Float>,
                              _ packed: PackedEncoder) -> (ArraySlice<Int32>, ArraySlice<Float>) {
        let n = sae.latentCount, d = sae.inputWidth
        let squares = Kernels.dot(x, x, count: d)
        // |row[j] − exact[j]| ≤ scale · ‖w_j‖ + tiny (PackedEncoder.errorFactor).
        let scale = packed.errorFactor * squares.squareRoot() * 1.0001
        let tiny = Float.leastNormalMagnitude * Float(d)
        candidateValues.removeAll(keepingCapacity: true)
        candidateIDs.removeAll(keepingCapacity: true)
        packed.rowNorms.withUnsafeBufferPointer { norms in
            let margin = Margin(norms: norms.baseAddress!, scale: scale, tiny: tiny)
            switch sae.activation {
            case .topK(let k):
                // A floor under the k-th largest lower bound (block maxima), then the candidates
                // whose upper bound reaches it and is positive.
                appendCandidates(row, count: n, margin, above: topKFloor(row, count: n, k: k, margin))
                // The k-th largest lower bound among them (every latent with a lower bound that
                // high is a candidate) sharpens the floor; the rest cannot be among the k.
                if candidateValues.count > k {
                    lowerBounds.removeAll(keepingCapacity: true)
                    for (v, id) in zip(candidateValues, candidateIDs) { lowerBounds.append(v - margin[Int(id)]) }
                    let kth = kthLargest(&lowerBounds, k)
                    var kept = 0
                    for c in 0..<candidateValues.count where candidateValues[c] + margin[Int(candidateIDs[c])] >= kth {
                        candidateValues[kept] = candidateValues[c]
                        candidateIDs[kept] = candidateIDs[c]
                        kept += 1
                    }
                    candidateValues.removeLast(candidateValues.count - kept)
                    candidateIDs.removeLast(candidateIDs.count - kept)
                }
            case .relu, .jumpReLU:
                appendCandidates(row, count: n, margin, aboveThresholds: sae.threshold)
            }
        }
        // The candidates' float32 values; then the selection `select` makes.
        var kept = 0
        sae.encoder.withUnsafeBufferPointer { w in
            sae.encoderBias.withUnsafeBufferPointer { bias in
                candidateIDs.withUnsafeMutableBufferPointer { ids in
                    candidateValues.withUnsafeMutableBufferPointer { values in
                        let (w, bias) = (w.baseAddress!, bias.baseAddress!)
                        for c in 0..<ids.count {
                            let id = Int(ids[c])
                            let value = bias[id] + Kernels.dot(x, w + id * d, count: d)
                            guard value > 0, value > (sae.threshold?[id] ?? 0) else { continue }
                            values[kept] = value
                            ids[kept] = ids[c]
                            kept += 1
                        }
                    }
                }
            }
        }
        candidateValues.removeLast(candidateValues.count - kept)
        candidateIDs.removeLast(candidateIDs.count - kept)
        if case .topK(let k) = sae.activation, kept > k {
            partialSelect(k)
            kept = k
        }
        sortStrongestFirst(kept)
        return (candidateIDs[..<kept], candidateValues[..<kept])
    }

    /// A floor under the k-th largest of row[i] − margin[i]: the smallest of k disjoint blocks'
    /// maxima (k distinct values reach it); −∞ when there are too few latents for blocks.
    private func topKFloor(_ row: UnsafePointer<Float>, count n: Int, k: Int, _ margin: Margin) -> Float {
        guard n >= 4 * k else { return -.infinity }
        return cp_topk_floor(row, margin.norms, margin.scale, margin.tiny, n, k)
    }

    /// Appends every i < n whose row[i] + margin[i] is ≥ `floor` and > 0.
    private mutating func appendCandidates(_ row: UnsafePointer<Float>, count n: Int, _ margin: Margin, above floor: Float) {
        if scanned.count < n { scanned = [Int32](repeating: 0, count: n) }
        let found = scanned.withUnsafeMutableBufferPointer { ids in
            cp_candidates(row, margin.norms, margin.scale, margin.tiny, n, max(floor, .leastNonzeroMagnitude), ids.baseAddress!)
        }
        for id in scanned[..<found] {
            candidateValues.append(row[Int(id)])
            candidateIDs.append(id)
        }
    }

    /// Appends every i < n whose row[i] + margin[i] is > 0 and > thresholds[i] (if any).
    private mutating func appendCandidates(_ row: UnsafePointer<Float>, count n: Int, _ margin: Margin,
                                           aboveThresholds thresholds: [Float]?) {
        for i in 0..<n {
            let upper = row[i] + margin[i]
            if upper > 0 && upper > (thresholds?[i] ?? 0) {
                candidateValues.append(row[i])
                candidateIDs.append(Int32(i))
            }
        }
    }

    /// The k-th largest of `values` (1 ≤ k ≤ count); reorders them.
    private func kthLargest(_ values: inout [Float], _ k: Int) -> Float {
        var lo = 0, hi = values.count - 1
        let target = k - 1
        while lo < hi {
            let pivot = values[lo + (hi - lo) / 2]
            var i = lo, j = hi
            while i <= j {
                while values[i] > pivot { i += 1 }
                while values[j] < pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if target <= j { hi = j } else if target >= i { lo = i } else { return values[target] }
        }
        return values[target]
    }

    /// a ranks before b: larger value first, then lower id.
    @inline(__always)
    private func before(_ i: Int, _ j: Int) -> Bool {
        candidateValues[i] > candidateValues[j] || (candidateValues[i] == candidateValues[j] && candidateIDs[i] < candidateIDs[j])
    }

    @inline(__always)
    private mutating func swapAt(_ i: Int, _ j: Int) {
        candidateValues.swapAt(i, j)
        candidateIDs.swapAt(i, j)
    }

    /// Quickselect (median-of-three pivot): afterwards the first k candidates are the k that
    /// rank first, in no particular order. Expected linear time.
    private mutating func partialSelect(_ k: Int) {
        var lo = 0, hi = candidateValues.count - 1
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if before(mid, lo) { swapAt(mid, lo) }
            if before(hi, lo) { swapAt(hi, lo) }
            if before(hi, mid) { swapAt(hi, mid) }
            // Pivot (the median) to hi − 1 is unnecessary here: Lomuto around the value at mid.
            swapAt(mid, hi)
            var store = lo
            for i in lo..<hi where before(i, hi) {
                swapAt(i, store)
                store += 1
            }
            swapAt(store, hi)
            if store == k - 1 || store == k { return }
            if store < k { lo = store + 1 } else { hi = store - 1 }
        }
    }

    /// Sorts the first `count` candidates strongest first (count is k or the few active latents).
    private mutating func sortStrongestFirst(_ count: Int) {
        guard count > 1 else { return }
        var order = Array(0..<count)
        order.sort { before($0, $1) }
        let values = order.map { candidateValues[$0] }, ids = order.map { candidateIDs[$0] }
        for (i, (v, id)) in zip(values, ids).enumerated() {
            candidateValues[i] = v
            candidateIDs[i] = id
        }
    }
}

/// How far a pre-activation may lie from its float32 value: scale · norms[i] + tiny for the
/// packed encoder's rows (`PackedEncoder`), 0 for float32 rows (`.none`).
struct Margin {
    let norms: UnsafePointer<Float>?
    let scale: Float
    let tiny: Float

    static var none: Margin { Margin(norms: nil, scale: 0, tiny: 0) }

    @inline(__always) subscript(i: Int) -> Float { norms.map { scale * $0[i] + tiny } ?? 0 }
}

/// An SAE's encoder packed for bfloat16 products on AMX (Sources/CAMX), for `encode(packed:)`.
///
/// The product is several times faster than float32 but each pre-activation carries a rounding
/// error. It is bounded: inputs and weights are rounded to nearest bfloat16 (relative error
/// ≤ 2⁻⁹ each, so ≤ 2⁻⁸ + 2⁻¹⁸ per product) and summed in float32 (≤ (D + 2) · 2⁻²⁴ of the sum of
/// |products|), so |pre_j − exact_j| ≤ errorFactor · Σᵢ|xᵢ·w_ji| ≤ errorFactor · ‖x‖ · ‖w_j‖
/// (Cauchy–Schwarz). Selection keeps every latent whose interval could reach the chosen ones,
/// recomputes those few in float32 and selects among them: the latents and values are those
/// of the float32 encoder (to float32 rounding), at a fraction of its time.
public final class PackedEncoder: @unchecked Sendable {  // immutable after init
    private let linears: LinearWeights
    let weight: LinearWeight
    /// ‖w_j‖, the norm of each latent's encoder row.
    let rowNorms: [Float]
    /// The bound's factor, as above.
    let errorFactor: Float

    /// Throws where the CPU has no AMX-BF16 (`PrecisionError`).
    public init(_ sae: SparseAutoencoder) throws {
        let (n, d) = (sae.latentCount, sae.inputWidth)
        let linears = try LinearWeights(precision: .bfloat16)
        weight = sae.encoder.withUnsafeBufferPointer { linears.linear($0.baseAddress!, n: n, k: d) }
        self.linears = linears
        rowNorms = sae.encoder.withUnsafeBufferPointer { w in
            (0..<n).map { j in
                var squares: Double = 0
                for i in 0..<d { squares += Double(w[j * d + i]) * Double(w[j * d + i]) }
                return Float(squares.squareRoot())
            }
        }
        errorFactor = 0x1p-8 + 0x1p-18 + Float(d + 2) * 0x1p-24
    }
}
