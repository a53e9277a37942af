import CZlib
import Foundation

// The text an index is built from: `.txt` files (one document each), `.jsonl` files (one
// document per line, its text in a string field), either gzip-compressed (`.txt.gz`,
// `.jsonl.gz`), and folders of them, searched recursively. Files are read in sorted path
// order, so every build over the same inputs sees the same documents in the same order, and
// `--shard i/n` takes documents i, i + n, i + 2n, … of that one sequence.

public enum CorpusError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case unreadable(String, String)
    case empty([String])

    public var description: String {
        switch self {
        case .missing(let path): return "corpus input \(path) does not exist"
        case .unreadable(let path, let why): return "cannot read corpus file \(path): \(why)"
        case .empty(let paths):
            return "the corpus (\(paths.joined(separator: ", "))) holds no .txt, .jsonl, .txt.gz or .jsonl.gz files with text in them"
        }
    }
}

/// One record of the corpus stream: a document, or a line that could not be read as one.
public enum CorpusRecord: Equatable {
    case document(String)
    /// File, 1-based line number, what is wrong.
    case bad(String, Int, String)
}

/// The corpus inputs, resolved to a sorted list of files.
public struct Corpus: Sendable {
    public let inputs: [String]
    public let files: [String]
    /// The JSONL field that holds the text.
    public let textField: String

    /// Resolves `inputs` (files and folders) to the files to read; throws when an input is
    /// missing or nothing readable is found.
    public init(_ inputs: [String], textField: String = "text") throws {
        var files: [String] = []
        for input in inputs {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isFolder) else { throw CorpusError.missing(input) }
            if isFolder.boolValue {
                guard let walker = FileManager.default.enumerator(atPath: input) else { throw CorpusError.unreadable(input, "cannot list the folder") }
                var found: [String] = []
                for case let relative as String in walker where Corpus.kind(of: relative) != nil {
                    found.append((input as NSString).appendingPathComponent(relative))
                }
                files += found.sorted()
            } else {
                files.append(input)
            }
        }
        guard !files.isEmpty else { throw CorpusError.empty(inputs) }
        self.inputs = inputs
        self.files = files
        self.textField = textField
    }

    enum Kind { case text, jsonl }

    /// What a file holds, by its name; nil for files a folder walk skips. A file named
    /// directly is read as text unless its name says JSONL.
    static func kind(of path: String) -> (Kind, gzip: Bool)? {
        var name = path.lowercased()
        let gzip = name.hasSuffix(".gz")
        if gzip { name.removeLast(3) }
        if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") { return (.jsonl, gzip) }
        if name.hasSuffix(".txt") { return (.text, gzip) }
        return nil
    }

    /// Bytes of all files as stored (compressed sizes for .gz): the measure of progress.
    public var totalBytes: Int {
        files.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
    }

    /// Calls `body` with every record in order and the stored bytes read so far; `body` returns
    /// false to stop.
    public func forEachRecord(_ body: (CorpusRecord, _ bytesRead: Int) throws -> Bool) throws {
        var before = 0
        for file in files {
            let (kind, gzip) = Corpus.kind(of: file) ?? (.text, false)
            let reader = try ChunkReader(path: file, gzip: gzip)
            let offset = before
            let finished = try Corpus.forEachRecord(in: reader, kind: kind, textField: textField) { record in
                try body(record, offset + reader.storedBytesRead)
            }
            if !finished { return }
            before += reader.storedBytesRead
        }
    }

    /// Every record of one corpus file whose bytes are already in memory, read `chunkSize` bytes
    /// at a time exactly as files are: the pure entry point fuzzers and tests use. `name` says
    /// what the bytes hold, as a file name would (`.jsonl`, `.ndjson`, else text; `.gz` for
    /// gzip, or pass `gzip`), and names them in records and errors.
    public static func records(inContents contents: [UInt8], name: String, gzip: Bool? = nil, textField: String = "text",
                               chunkSize: Int = 1 << 20) throws -> [CorpusRecord] {
        let (kind, gzipName) = Corpus.kind(of: name) ?? (.text, name.lowercased().hasSuffix(".gz"))
        let reader = try ChunkReader(contents: contents, name: name, gzip: gzip ?? gzipName, chunkSize: max(chunkSize, 1))
        var records: [CorpusRecord] = []
        _ = try forEachRecord(in: reader, kind: kind, textField: textField) { records.append($0); return true }
        return records
    }

    /// The records of one file; false when `body` asked to stop.
    private static func forEachRecord(in reader: ChunkReader, kind: Kind, textField: String,
                                      _ body: (CorpusRecord) throws -> Bool) throws -> Bool {
        let file = reader.path
        switch kind {
        case .text:
            var bytes: [UInt8] = []
            while let chunk = try reader.next() { bytes += chunk }
            if let text = String(validating: bytes, as: UTF8.self) { return try body(.document(text)) }
            // Not UTF-8 (Latin-1, UTF-16, binary): decoding would index U+FFFD in place of every
            // odd byte, so the file is left out and reported, as a malformed JSONL line is.
            let at = firstInvalidUTF8(bytes) ?? 0
            let line = bytes[..<at].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            let column = at - (bytes[..<at].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
            return try body(.bad(file, line, "not valid UTF-8 (byte \(hex(bytes[at])) at column \(column)); the whole file is left out"))
        case .jsonl:
            var pending: [UInt8] = []
            var line = 0
            func emit(_ bytes: ArraySlice<UInt8>) throws -> Bool {
                line += 1
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { return true }  // blank lines are not records
                return try body(jsonlRecord(bytes, file: file, line: line, textField: textField))
            }
            while let chunk = try reader.next() {
                pending += chunk
                var start = 0
                while let newline = pending[start...].firstIndex(of: 0x0A) {
                    if !(try emit(pending[start..<newline])) { return false }
                    start = newline + 1
                }
                pending.removeFirst(start)
            }
            if !pending.isEmpty, !(try emit(pending[...])) { return false }
            return true
        }
    }

    /// A JSONL line as a document, or why it is not one.
    static func jsonlRecord(_ bytes: ArraySlice<UInt8>, file: String, line: Int, textField: String) -> CorpusRecord {
        if let at = firstInvalidUTF8(bytes) {
            return .bad(file, line, "not valid UTF-8 (byte \(hex(bytes[bytes.startIndex + at])) at column \(at + 1))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) else { return .bad(file, line, "not valid JSON") }
        guard let fields = object as? [String: Any] else { return .bad(file, line, "not a JSON object") }
        guard let value = fields[textField] else { return .bad(file, line, "no '\(textField)' field") }
        guard let text = value as? String else { return .bad(file, line, "the '\(textField)' field is not a string") }
        return .document(text)
    }
}

/// The offset of the first byte of `bytes` that is not part of well-formed UTF-8, or nil when
/// every byte is.
func firstInvalidUTF8<C: Collection<UInt8>>(_ bytes: C) -> Int? {
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var offset = 0
    while true {
        switch parser.parseScalar(from: &iterator) {
        case .valid(let scalar): offset += scalar.count
        case .error: return offset
        case .emptyInput: return nil
        }
    }
}

/// A byte as 0xNN.
func hex(_ byte: UInt8) -> String { String(format: "0x%02X", byte) }

/// Reads a file (or bytes in memory) in chunks, inflating gzip on the way, so a large corpus
/// file never sits in memory whole.
final class ChunkReader {
    let path: String
    private enum Source {
        case file(FileHandle)
        case memory([UInt8], position: Int)
    }
    private var source: Source
    private let chunkSize: Int
    /// zlib keeps a pointer back to its stream, so the stream lives at one address.
    private var stream: UnsafeMutablePointer<z_stream>?
    private var finished = false
    /// Bytes of the file (as stored) consumed so far.
    private(set) var storedBytesRead = 0
    static let chunkSize = 1 << 20

    convenience init(path: String, gzip: Bool) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CorpusError.unreadable(path, "cannot open it") }
        try self.init(source: .file(handle), name: path, gzip: gzip, chunkSize: ChunkReader.chunkSize)
    }

    convenience init(contents: [UInt8], name: String, gzip: Bool, chunkSize: Int) throws {
        try self.init(source: .memory(contents, position: 0), name: name, gzip: gzip, chunkSize: chunkSize)
    }

    private init(source: Source, name: String, gzip: Bool, chunkSize: Int) throws {
        self.path = name
        self.source = source
        self.chunkSize = chunkSize
        if gzip {
            let s = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            s.initialize(to: z_stream())
            // 16 + MAX_WBITS: a gzip header and trailer around the deflate data.
            guard inflateInit2_(s, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                s.deallocate()
                throw CorpusError.unreadable(name, "zlib could not start")
            }
            stream = s
        }
    }

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
        if case .file(let handle) = source { try? handle.close() }
    }

    /// Up to `chunkSize` stored bytes; empty at the end.
    private func readStored() -> [UInt8] {
        let bytes: [UInt8]
        switch source {
        case .file(let handle):
            bytes = [UInt8](handle.readData(ofLength: chunkSize))
        case .memory(let contents, let position):
            let end = min(contents.count, position + chunkSize)
            bytes = Array(contents[position..<end])
            source = .memory(contents, position: end)
        }
        storedBytesRead += bytes.count
        return bytes
    }

    /// The next chunk of content, or nil at the end.
    func next() throws -> [UInt8]? {
        guard !finished else { return nil }
        guard let stream else {
            let data = readStored()
            if data.isEmpty { finished = true; return nil }
            return data
        }
        var out: [UInt8] = []
        while out.isEmpty {
            let input = readStored()
            if input.isEmpty {
                finished = true
                throw CorpusError.unreadable(path, "the gzip data ends early, after \(storedBytesRead) bytes: the file is cut short")
            }
            var done = false
            try input.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: raw.bindMemory(to: Bytef.self).baseAddress)
                stream.pointee.avail_in = uInt(raw.count)
                var buffer = [UInt8](repeating: 0, count: 4 * chunkSize)
                while stream.pointee.avail_in > 0 && !done {
                    let produced: Int = try buffer.withUnsafeMutableBufferPointer { b in
                        stream.pointee.next_out = b.baseAddress
                        stream.pointee.avail_out = uInt(b.count)
                        let rc = inflate(stream, Z_NO_FLUSH)
                        if rc == Z_STREAM_END {
                            done = true
                        } else if rc != Z_OK && rc != Z_BUF_ERROR {
                            let at = storedBytesRead - Int(stream.pointee.avail_in)
                            let why = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                            throw CorpusError.unreadable(path, "corrupt gzip data near byte \(at) (\(why))")
                        }
                        return b.count - Int(stream.pointee.avail_out)
                    }
                    out += buffer[..<produced]
                    if produced == 0 && stream.pointee.avail_in > 0 && !done { break }
                }
            }
            if done {
                finished = true
                return out.isEmpty ? nil : out
            }
        }
        return out
    }
}
