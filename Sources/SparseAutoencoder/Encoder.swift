// Encoding: activations (T, D) → sparse latents per token.
// Legend: T tokens, D input width, N latents, k latents kept per token (TopK).
import Dispatch
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
    /// Pre-activation rows are computed this many floats at a time (32 MiB), so memory stays
    /// bounded for long texts and large SAEs.
    static let scratchFloats = 8 << 20

    /// Encodes T tokens of activations (T, D), row-major. One BLAS product per chunk of tokens,
    /// then per token a linear-time selection; tokens are spread over `threads` threads.
    public func encode(_ activations: UnsafeBufferPointer<Float>, tokens: Int, threads: Int = 0) throws -> SparseCodes {
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
            encoder.withUnsafeBufferPointer { w in
                linear(input, w.baseAddress!, pre, m: rows, n: n, k: d, accumulate: true)
            }
            codes.append(select(pre, rows: rows, workers: workers))
            start += rows
        }
        return codes
    }

    /// Convenience for arrays: activations (T, D).
    public func encode(_ activations: [Float], threads: Int = 0) throws -> SparseCodes {
        guard activations.count % inputWidth == 0 else {
            throw SAEError.badInput("\(activations.count) values are not a whole number of rows of width \(inputWidth)")
        }
        return try activations.withUnsafeBufferPointer {
            try encode($0, tokens: activations.count / inputWidth, threads: threads)
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
    func select(_ pre: UnsafeMutablePointer<Float>, rows: Int, workers: Int) -> SparseCodes {
        let stripes = max(1, min(workers, rows))
        let parts = UnsafeMutableBufferPointer<SparseCodes>.allocate(capacity: stripes)
        parts.initialize(repeating: SparseCodes())
        defer { parts.deinitialize(); parts.deallocate() }
        let preAddress = UInt(bitPattern: pre), partsAddress = UInt(bitPattern: parts.baseAddress!)
        let sae = self
        // Stripe s holds the contiguous rows [s·rows/stripes, (s+1)·rows/stripes), so the parts
        // concatenate in token order.
        let work: @Sendable (Int) -> Void = { stripe in
            let pre = UnsafeMutablePointer<Float>(bitPattern: preAddress)!
            let out = UnsafeMutablePointer<SparseCodes>(bitPattern: partsAddress)! + stripe
            var selector = LatentSelector()
            for r in stripe * rows / stripes..<(stripe + 1) * rows / stripes {
                let (ids, values) = selector.select(sae, row: pre + r * sae.latentCount)
                out.pointee.appendRow(ids: ids, values: values)
            }
        }
        if stripes == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: stripes, execute: work) }
        var codes = SparseCodes()
        for part in parts { codes.append(part) }
        return codes
    }
}

/// Per-thread scratch for choosing a token's latents.
struct LatentSelector {
    private var candidateValues: [Float] = []
    private var candidateIDs: [Int32] = []

    /// The active latents of one pre-activation row (N), strongest first.
    mutating func select(_ sae: SparseAutoencoder, row: UnsafePointer<Float>) -> (ArraySlice<Int32>, ArraySlice<Float>) {
        let n = sae.latentCount
        candidateValues.removeAll(keepingCapacity: true)
        candidateIDs.removeAll(keepingCapacity: true)
        switch sae.activation {
        case .topK(let k):
            // The smallest of k disjoint blocks' maxima is ≤ the k-th largest value (k distinct
            // values reach it), so only values ≥ it can be among the k: one vectorisable pass
            // for the bound, one for the candidates, then quickselect on the few left.
            var bound = -Float.infinity
            if n >= 4 * k {
                let width = n / k
                bound = .infinity
                for b in 0..<k {
                    let lo = b * width, hi = b == k - 1 ? n : lo + width
                    var best = -Float.infinity
                    for i in lo..<hi where row[i] > best { best = row[i] }
                    if best < bound { bound = best }
                }
            }
            // ReLU after selection: only positive values survive, so the bound can start at 0⁺.
            for i in 0..<n where row[i] >= bound && row[i] > 0 {
                candidateValues.append(row[i])
                candidateIDs.append(Int32(i))
            }
            let kept = min(k, candidateValues.count)
            if candidateValues.count > k { partialSelect(k) }
            sortStrongestFirst(kept)
            return (candidateIDs[..<kept], candidateValues[..<kept])
        case .relu, .jumpReLU:
            if let threshold = sae.threshold {
                for i in 0..<n where row[i] > threshold[i] && row[i] > 0 {
                    candidateValues.append(row[i])
                    candidateIDs.append(Int32(i))
                }
            } else {
                for i in 0..<n where row[i] > 0 {
                    candidateValues.append(row[i])
                    candidateIDs.append(Int32(i))
                }
            }
            sortStrongestFirst(candidateValues.count)
            return (candidateIDs[...], candidateValues[...])
        }
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
