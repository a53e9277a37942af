import CAMX

// Linear layers in bfloat16 on Intel AMX tiles (Sources/CAMX), with float32 sums.
// Legend as in Matmul.swift: M rows (tokens), K the shared dimension, N output columns.

/// How a model's linear layers multiply.
public enum MatmulPrecision: String, Sendable, CaseIterable, CustomStringConvertible {
    /// OpenBLAS sgemm: the reference numbers.
    case float32 = "f32"
    /// Inputs and weights rounded to bfloat16, products summed in float32, on AMX tiles: several
    /// times faster where the CPU has them, relative error about 1e-3 per product.
    case bfloat16 = "bf16"

    public var description: String { rawValue }

    /// Whether this CPU (and the operating system) lets saescope multiply in AMX tiles.
    public static var bfloat16IsAvailable: Bool { camx_available() == 1 }

    /// bfloat16 where the CPU has AMX, float32 elsewhere.
    public static var fastest: MatmulPrecision { bfloat16IsAvailable ? .bfloat16 : .float32 }
}

/// A linear layer's weight (N, K): float32 rows, or only their AMX packing when the layer runs
/// in bfloat16.
public struct LinearWeight: @unchecked Sendable {  // points into storage its owner keeps alive
    public let n: Int
    public let k: Int
    let float32: UnsafePointer<Float>?  // (N, K), when the layer multiplies in float32
    let packed: UnsafePointer<UInt16>?  // when it multiplies in bfloat16
}

/// Makes the `LinearWeight`s of one model and owns their packed copies. Written while the model
/// loads, read-only afterwards.
public final class LinearWeights: @unchecked Sendable {
    public let precision: MatmulPrecision
    private var allocations: [UnsafeMutablePointer<UInt16>] = []

    /// Asking for bfloat16 on a CPU without AMX throws.
    public init(precision: MatmulPrecision) throws {
        if precision == .bfloat16 && !MatmulPrecision.bfloat16IsAvailable {
            throw PrecisionError.unavailable
        }
        self.precision = precision
    }

    deinit { for a in allocations { a.deallocate() } }

    /// `weight` (N, K): in float32 the layer reads it (keep it alive); in bfloat16 it is packed
    /// into memory this object owns and not read again.
    public func linear(_ weight: UnsafePointer<Float>, n: Int, k: Int) -> LinearWeight {
        guard precision == .bfloat16 else { return LinearWeight(n: n, k: k, float32: weight, packed: nil) }
        let packed = UnsafeMutablePointer<UInt16>.allocate(capacity: camx_packed_count(Int32(n), Int32(k)))
        camx_pack(weight, Int32(n), Int32(k), packed)
        allocations.append(packed)
        return LinearWeight(n: n, k: k, float32: nil, packed: UnsafePointer(packed))
    }
}

public enum PrecisionError: Error, CustomStringConvertible {
    case unavailable
    public var description: String {
        "bf16 needs a CPU with AMX-BF16 tiles (Intel Xeon Sapphire Rapids or later) and Linux 5.16+; this one has none: use f32"
    }
}

/// c (M, N) = a (M, K) · wᵀ + (c if `accumulate`): in bfloat16 on AMX when `w` is packed, else
/// through BLAS. Output columns are split between `BLASRuntime.threads` threads.
public func linear(_ a: UnsafePointer<Float>, _ w: LinearWeight, _ c: UnsafeMutablePointer<Float>, m: Int,
                   accumulate: Bool = false) {
    guard let packed = w.packed else {
        guard let weight = w.float32 else { preconditionFailure("a LinearWeight holds one of its two forms") }
        return linear(a, weight, c, m: m, n: w.n, k: w.k, accumulate: accumulate)
    }
    let (n, k) = (w.n, w.k)
    // a in bfloat16 once, its rows shared between the threads, then the product's columns.
    let converted = UnsafeMutablePointer<UInt16>.allocate(capacity: camx_converted_count(Int32(m), Int32(k)))
    defer { converted.deallocate() }
    let rowBlocks = (m + 31) / 32
    let convertParts = partsFor(work: m * k * 16, limit: rowBlocks)
    let (a, abf) = (SharedPointer(a), SharedPointer(converted))
    parallel(convertParts) { p in
        camx_convert(a.base, Int32(m), Int32(k), Int32(rowBlocks * p / convertParts * 32),
                     Int32(rowBlocks * (p + 1) / convertParts * 32), abf.base)
    }
    let blocks = (n + 31) / 32
    let parts = partsFor(work: m * n * k, limit: blocks)
    let (tiles, c) = (SharedPointer(packed), SharedPointer(c))
    parallel(parts) { p in
        let begin = blocks * p / parts * 32, end = min(blocks * (p + 1) / parts * 32, n)
        camx_linear(abf.base, tiles.base, c.base, Int32(m), Int32(n), Int32(k), Int32(begin), Int32(end),
                    accumulate ? 1 : 0)
    }
}
