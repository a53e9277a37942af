import FeatureIndex
import Foundation

// The build state on disk: a checkpoint beside the output (`--resume`), or a shard's part for
// `saescope merge`. Layout: magic "SAESCOPE-BUILD\0\0", version, then the fields in order;
// windows are written once and referenced by number from each latent's examples.

extension BuildState {
    static let magic = Array("SAESCOPE-BUILD\0\0".utf8)
    static let version = 1

    /// Writes the state to `path` (beside it first, then renamed: a reader never sees half a file).
    func save(to path: String) throws {
        var body = BinaryWriter()
        encode(into: &body)
        var out = BuildState.magic
        withUnsafeBytes(of: UInt64(BuildState.version).littleEndian) { out += $0 }
        out += body.bytes
        let temporary = path + ".tmp"
        do {
            try Data(out).write(to: URL(fileURLWithPath: temporary))
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: temporary, toPath: path)
        } catch {
            throw BuildError.badState(path, "cannot write it: \(error.localizedDescription)")
        }
    }

    static func load(_ path: String) throws -> BuildState {
        guard let data = FileManager.default.contents(atPath: path) else { throw BuildError.badState(path, "cannot read it") }
        let bytes = [UInt8](data)
        guard bytes.count >= magic.count + 8, Array(bytes[..<magic.count]) == magic else {
            throw BuildError.badState(path, "it is not a saescope build checkpoint or shard part")
        }
        var r = BinaryReader(bytes, path: path, start: magic.count)
        let version = try r.int()
        guard version == BuildState.version else {
            throw BuildError.badState(path, "it is version \(version) of the format; this saescope reads version \(BuildState.version)")
        }
        let state = try decode(&r)
        guard r.atEnd else { throw BuildError.badState(path, "it has bytes after the end") }
        return state
    }

    private func encode(into w: inout BinaryWriter) {
        w.int(latents)
        let p = parameters
        for v in [p.context, p.topExamples, p.intervals, p.examplesPerInterval, p.maxTokens ?? -1, p.shardIndex, p.shardCount] { w.int(v) }
        w.u64(p.seed)
        w.string((try? String(decoding: JSONEncoder().encode(metadata), as: UTF8.self)) ?? "{}")
        w.int(vocabulary.count)
        for t in vocabulary {
            w.raw(t.bytes)
            w.int(t.special ? 1 : 0)
        }
        for v in [nextRecord, documents, tokens, windows, badLines, complete ? 1 : 0] { w.int(v) }
        w.f64(seconds)
        w.array(positives)
        w.floats(maxima)
        w.floats(minima)
        w.array(sums)
        w.array(histogram)

        // Windows once each, then examples as (window number, max, hash, positions, values).
        var numbers: [ObjectIdentifier: Int] = [:]
        var windows: [Window] = []
        func number(_ window: Window) -> Int {
            if let n = numbers[ObjectIdentifier(window)] { return n }
            numbers[ObjectIdentifier(window)] = windows.count
            windows.append(window)
            return windows.count - 1
        }
        var examples = BinaryWriter()
        func candidates(_ list: [Candidate]) {
            examples.int(list.count)
            for c in list {
                examples.int(number(c.window))
                examples.f32(c.maxActivation)
                examples.u64(c.hash)
                examples.array(c.positions)
                examples.floats(c.values)
            }
        }
        for heap in top { candidates(heap.sorted) }
        for bucket in samples { candidates(bucket) }
        w.int(windows.count)
        for window in windows {
            w.int(window.document)
            w.int(window.position)
            w.array(window.tokens)
        }
        w.raw(examples.bytes)

        if let d = decoder {
            w.int(1)
            w.int(d.perLatent)
            w.array(d.topTokens)
            w.floats(d.topValues)
            w.array(d.bottomTokens)
            w.floats(d.bottomValues)
            w.int(d.neighborsPerLatent)
            w.array(d.neighborIDs)
            w.floats(d.neighborCosines)
        } else {
            w.int(0)
        }
    }

    /// Bytes each latent takes in the per-latent arrays (positives, maxima, minima, sums,
    /// histogram): a damaged latent count is refused before anything that large is allocated.
    static let bytesPerLatent = 8 + 4 + 4 + 8 * sumStride + 4 * FineHistogram.bins

    private static func decode(_ r: inout BinaryReader) throws -> BuildState {
        let latents = try r.count(limit: min(IndexWriter.maxLatentID, r.remaining / bytesPerLatent))
        var p = BuildParameters()
        p.context = try r.int()
        p.topExamples = try r.int()
        p.intervals = try r.int()
        p.examplesPerInterval = try r.int()
        let maxTokens = try r.int()
        p.maxTokens = maxTokens < 0 ? nil : maxTokens
        p.shardIndex = try r.int()
        p.shardCount = try r.int()
        p.seed = try r.u64()
        // What `IndexBuilder` accepts; anything else is damage, and would misdirect the merge.
        guard p.context >= 2, p.context <= 1 << 20, (0...1000).contains(p.topExamples),
              (0..<IndexWriter.groupsPerLatent).contains(p.intervals), (0...1000).contains(p.examplesPerInterval),
              p.shardCount >= 1, p.shardCount <= 1 << 20, (0..<p.shardCount).contains(p.shardIndex) else {
            throw BuildError.badState(r.path, "its build settings are impossible (context \(p.context), top \(p.topExamples), "
                                      + "intervals \(p.intervals) × \(p.examplesPerInterval), shard \(p.shardIndex)/\(p.shardCount)): the file is damaged")
        }
        let metadata: IndexMetadata
        do { metadata = try JSONDecoder().decode(IndexMetadata.self, from: Data(try r.string().utf8)) } catch {
            throw BuildError.badState(r.path, "its metadata is not readable: \(error)")
        }
        let vocabularyCount = try r.count()
        var vocabulary: [VocabToken] = []
        for _ in 0..<vocabularyCount { vocabulary.append(VocabToken(bytes: try r.raw(), special: try r.int() != 0)) }
        let state = BuildState(latents: latents, parameters: p, metadata: metadata, vocabulary: vocabulary)
        state.nextRecord = try r.int()
        state.documents = try r.int()
        state.tokens = try r.int()
        state.windows = try r.int()
        state.badLines = try r.int()
        state.complete = try r.int() != 0
        state.seconds = try r.f64()
        func check<T>(_ values: [T], _ count: Int, _ name: String) throws -> [T] {
            guard values.count == count else { throw BuildError.badState(r.path, "\(name) has \(values.count) values, expected \(count)") }
            return values
        }
        state.positives = try check(r.array(Int64.self), latents, "positives")
        state.maxima = try check(r.floats(), latents, "maxima")
        state.minima = try check(r.floats(), latents, "minima")
        state.sums = try check(r.array(UInt64.self), latents * BuildState.sumStride, "sums")
        state.histogram = try check(r.array(UInt32.self), latents * FineHistogram.bins, "histogram")

        let windowCount = try r.count(limit: r.remaining / 24)  // document, position, token count
        var windows: [Window] = []
        windows.reserveCapacity(windowCount)
        for _ in 0..<windowCount {
            windows.append(Window(document: try r.int(), position: try r.int(), tokens: try r.array(UInt32.self)))
        }
        var e = BinaryReader(try r.raw(), path: r.path)
        func candidates() throws -> [Candidate] {
            let n = try e.count(limit: 1 << 20)
            return try (0..<n).map { _ in
                let number = try e.count(limit: windows.count - 1)
                let c = Candidate(maxActivation: try e.f32(), hash: try e.u64(), window: windows[number],
                                  positions: try e.array(UInt16.self), values: try e.floats())
                guard c.positions.count == c.values.count, c.positions.allSatisfy({ Int($0) < c.window.tokens.count }) else {
                    throw BuildError.badState(r.path, "an example's positions do not fit its window")
                }
                return c
            }
        }
        state.top = try (0..<latents).map { _ in TopHeap(sorted: try candidates()) }
        state.samples = try (0..<latents * SampleBuckets.count).map { _ in try candidates() }
        if try r.int() == 1 {
            let perLatent = try r.int()
            let top = try r.array(UInt32.self), topValues = try r.floats()
            let bottom = try r.array(UInt32.self), bottomValues = try r.floats()
            let neighborsPerLatent = try r.int()
            let ids = try r.array(UInt32.self), cosines = try r.floats()
            guard top.count == latents * perLatent, topValues.count == top.count, bottom.count == top.count,
                  bottomValues.count == top.count, ids.count == latents * neighborsPerLatent, cosines.count == ids.count else {
                throw BuildError.badState(r.path, "its logit and neighbour tables do not match its \(latents) latents")
            }
            state.decoder = DecoderFacts(perLatent: perLatent, topTokens: top, topValues: topValues, bottomTokens: bottom,
                                         bottomValues: bottomValues, neighborsPerLatent: neighborsPerLatent,
                                         neighborIDs: ids, neighborCosines: cosines)
        }
        return state
    }
}
