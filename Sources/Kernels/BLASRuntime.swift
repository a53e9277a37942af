import Dispatch
import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// The BLAS library's settings: threads, and on Linux the OpenBLAS kernel in use.
public enum BLASRuntime {
    /// OpenBLAS's name for the kernel it chose ("SkylakeX", "Haswell", "Prescott" …).
    public static var coreName: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
        #endif
    }

    /// Threads one product (or one attention) may use. saescope splits products between threads
    /// itself (`parallel`), each part a single-threaded BLAS call: OpenBLAS's own threads spun
    /// in sched_yield between calls, taking a core from the AMX products and the element-wise
    /// work, and its threading of the small attention products cost more than it gained.
    public static func setThreads(_ n: Int) {
        singleThreadedBLAS()
        threadCount = max(1, n)
    }

    /// Set at start-up (commands call `setThreads` before any work), read by every product.
    nonisolated(unsafe) private static var threadCount = ProcessInfo.processInfo.activeProcessorCount
    public static var threads: Int {
        singleThreadedBLAS()
        return threadCount
    }

    /// OpenBLAS to one thread, once, before the first product.
    private static let singleThreaded: Void = {
        #if !canImport(Accelerate)
        openblas_set_num_threads(1)
        #endif
    }()
    private static func singleThreadedBLAS() { singleThreaded }

    /// Kernels that use AVX-512; OpenBLAS picks one of these itself on the CPUs it knows.
    static let avx512Cores: Set<String> = ["SkylakeX", "Cooperlake", "SapphireRapids"]

    /// Debian's OpenBLAS does not recognise some AVX-512 CPUs (recent AMD EPYC among them) and
    /// falls back to a kernel several times slower (DESIGN.md, performance notes). OpenBLAS reads
    /// OPENBLAS_CORETYPE only when it loads, so the process starts itself again with the
    /// variable set. Call first thing in `main`; returns when nothing needs doing.
    public static func ensureFastKernel() {
        #if os(Linux)
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, environment["SAESCOPE_NO_REEXEC"] == nil else { return }
        // The kernel name first: it is cheap, and on most machines it ends the check.
        guard !avx512Cores.contains(coreName), cpuHasAVX512() else { return }
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 1)
        let arguments = CommandLine.arguments
        let cArguments = arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", cArguments)
        // Only reached if execv failed: carry on with the slow kernel rather than not at all.
        unsetenv("OPENBLAS_CORETYPE")
        #endif
    }

    /// Whether /proc/cpuinfo lists the AVX-512 subsets OpenBLAS's SkylakeX kernel uses.
    static func cpuHasAVX512() -> Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        return ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains)
    }
}

/// Runs `body(0) … body(parts − 1)` on up to `parts` threads and returns when all are done;
/// on the calling thread alone when `parts` is 1.
@inlinable
public func parallel(_ parts: Int, _ body: @Sendable (Int) -> Void) {
    if parts <= 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: body) }
}

/// A pointer handed to the parts of `parallel` (or `concurrentPerform`): the caller keeps the
/// memory alive until they return, and parts write disjoint elements.
public struct SharedPointer<Pointee>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Pointee>
    public init(_ base: UnsafeMutablePointer<Pointee>) { self.base = base }
    /// For memory the parts only read.
    public init(_ base: UnsafePointer<Pointee>) { self.base = UnsafeMutablePointer(mutating: base) }
}

/// How many threads a product of m·n·k multiply-adds is worth: one per 2^18 of them (below
/// that, waking a thread costs more than it saves), at most `BLASRuntime.threads`, at most `limit`.
@inlinable
public func partsFor(work: Int, limit: Int) -> Int {
    max(1, min(BLASRuntime.threads, limit, work / (1 << 18) + 1))
}
