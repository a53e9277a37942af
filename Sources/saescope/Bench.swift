import App
import ArgumentParser
import FeatureIndex
import Foundation
import HTTP
import Kernels
import Tensors

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks of saescope's own parts (the whole server: scripts/bench-serve.sh).",
        subcommands: [API.self, BLAS.self, Encode.self, IndexBuild.self, Model.self, Weights.self])

    struct Weights: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time opening a GGUF model and dequantising every tensor to float32.")

        @Option(help: "The .gguf file.")
        var model: String

        @Option(help: "Runs; the median is reported.")
        var runs = 5

        func run() throws {
            try reportingErrors {
                var seconds: [Double] = []
                var parameters = 0, tensors = 0
                for _ in 0..<max(1, runs) {
                    let start = DispatchTime.now().uptimeNanoseconds
                    let gguf = try GGUFFile(path: model)
                    let largest = gguf.tensors.map(\.count).max() ?? 0
                    let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: largest)
                    defer { buffer.deallocate() }
                    parameters = 0
                    for tensor in gguf.tensors {
                        try tensor.dequantize(into: UnsafeMutableBufferPointer(rebasing: buffer[0..<tensor.count]))
                        parameters += tensor.count
                    }
                    tensors = gguf.tensors.count
                    seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                }
                seconds.sort()
                say(String(format: "bench weights: %d tensors, %d parameters dequantised in %.3f s (median of %d)",
                           tensors, parameters, seconds[seconds.count / 2], seconds.count))
            }
        }
    }

    struct BLAS: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Matrix-product speed of the BLAS library as saescope runs it (GFLOP/s).")

        @Option(help: "Threads for the matrix products.")
        var threads = ProcessInfo.processInfo.activeProcessorCount

        func run() {
            BLASRuntime.setThreads(threads)
            say("bench blas: kernel \(BLASRuntime.coreName), \(threads) threads")
            // The shapes of a 128-token prompt through SmolLM2 (d_model 576, MLP 1536) and an encoder.
            for (m, n, k) in [(128, 1536, 576), (128, 576, 1536), (128, 16384, 576), (1, 1536, 576)] {
                let a = [Float](repeating: 0.5, count: m * k), w = [Float](repeating: 0.25, count: n * k)
                var c = [Float](repeating: 0, count: m * n)
                var seconds: [Double] = []
                for _ in 0..<max(5, 2_000_000_000 / (2 * m * n * k)) {
                    let start = DispatchTime.now().uptimeNanoseconds
                    linear(a, w, &c, m: m, n: n, k: k)
                    seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                }
                seconds.sort()
                let median = seconds[seconds.count / 2]
                say(String(format: "linear %4d × %5d × %4d: median %8.1f µs, %6.1f GFLOP/s", m, n, k, median * 1e6,
                           2 * Double(m * n * k) / median / 1e9))
            }
        }
    }

    struct API: ParsableCommand {
        /// One line: median and p99 latency, throughput on one thread, response size.
        func report(_ name: String, _ micros: inout [Double], bytes: Int) {
            micros.sort()
            let median = micros[micros.count / 2], p99 = micros[micros.count * 99 / 100]
            say(String(format: "%-34@ median %7.1f µs  p99 %7.1f µs  %7.0f req/s  %6d B/response",
                       name as NSString, median, p99, 1e6 / (micros.reduce(0, +) / Double(micros.count)), bytes))
        }

        static let configuration = CommandConfiguration(
            abstract: "Time API requests in-process, without sockets: the cost of the application alone.")

        @Option(help: "The index to query.")
        var index: String

        @Option(help: "Requests per route.")
        var requests = 5000

        @Option(help: "Only routes whose name contains this text.")
        var route: String?

        func run() throws {
            try reportingErrors {
                let reader = try IndexReader(path: index)
                let app = Application(reader: reader, publicDirectory: try Resources.directory("Public"))
                let responder = try app.responder()
                let n = reader.summary.latents
                var rng = SystemRandomNumberGenerator()
                let routes: [(String, () -> String)] = [
                    ("GET /api/features/{random id}", { "/api/features/\(Int.random(in: 0..<n, using: &rng))" }),
                    ("GET /api/features?sort=density", { "/api/features?sort=density&offset=\(Int.random(in: 0..<1000, using: &rng))" }),
                    ("GET /api/search?q=fires", { "/api/search?q=fires" }),
                    ("GET /assets/app.css", { "/assets/app.css" }),
                ]
                say("bench api: \(index), \(n) latents, \(requests) requests per route, one thread")
                if route.map({ "IndexReader.withLatentPage".contains($0) }) ?? true {
                    // The database part of GET /api/features/{id} alone, to see where the time goes.
                    var micros: [Double] = []
                    for _ in 0..<requests {
                        let start = DispatchTime.now().uptimeNanoseconds
                        guard try reader.withLatentPage(id: Int.random(in: 0..<n, using: &rng), { _ in }) != nil else {
                            throw ValidationError("a latent is missing")
                        }
                        micros.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1000)
                    }
                    report("IndexReader.withLatentPage (no JSON)", &micros, bytes: 0)
                }
                if route.map({ "Application.featureJSON".contains($0) }) ?? true {
                    // The JSON part alone: one latent, rendered again and again.
                    var micros: [Double] = []
                    var bytes = 0
                    let found: Void? = try reader.withLatentPage(id: n / 2) { page in
                        for _ in 0..<requests {
                            let start = DispatchTime.now().uptimeNanoseconds
                            bytes = app.featureJSON(page).count
                            micros.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1000)
                        }
                    }
                    guard found != nil else { throw ValidationError("latent \(n / 2) is missing") }
                    report("Application.featureJSON (no SQL)", &micros, bytes: bytes)
                }
                for (name, target) in routes where route.map({ name.contains($0) }) ?? true {
                    var micros: [Double] = []
                    micros.reserveCapacity(requests)
                    var bytes = 0
                    for _ in 0..<requests {
                        let request = Request(method: "GET", target: target())
                        let start = DispatchTime.now().uptimeNanoseconds
                        let response = responder.response(catchingErrorsFor: request)
                        micros.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1000)
                        guard response.status == 200 else { throw ValidationError("\(request.target) answered \(response.status)") }
                        bytes += response.body.count
                    }
                    report(name, &micros, bytes: bytes / requests)
                }
            }
        }
    }
}
