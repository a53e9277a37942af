// A text corpus as a list of documents: .txt files (split at blank lines into pieces of at most
// `maxCharacters`), .jsonl files (one JSON object a line, its "text" field), either of them
// gzip-compressed (.gz), and folders of these (searched recursively, in name order).
import CZlib
import Foundation

/// The documents of a corpus, read into memory (a corpus for training on a CPU is megabytes).
public struct Corpus: Sendable {
    /// Every document's text, in file order, then line or piece order.
    public let documents: [String]
    /// The files read, in order.
    public let files: [String]

    /// Reads `paths` (files or folders). Pieces of .txt files hold at most `maxCharacters`.
    public init(paths: [String], maxCharacters: Int = 4000) throws {
        var files: [String] = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw TrainerError.badCorpus(path: path, reason: "no such file or folder")
            }
            if isFolder.boolValue {
                guard let walker = FileManager.default.enumerator(atPath: path) else {
                    throw TrainerError.badCorpus(path: path, reason: "cannot list the folder")
                }
                let found = walker.compactMap { $0 as? String }.filter(Self.isCorpusFile).sorted()
                files += found.map { (path as NSString).appendingPathComponent($0) }
            } else {
                guard Self.isCorpusFile(path) else {
                    throw TrainerError.badCorpus(path: path, reason: "is not a corpus file; saescope reads .txt, .jsonl and either one gzipped (.gz)")
                }
                files.append(path)
            }
        }
        var documents: [String] = []
        for file in files {
            let text = try Self.readText(file)
            if file.hasSuffix(".jsonl") || file.hasSuffix(".jsonl.gz") {
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
                    guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                        throw TrainerError.badCorpus(path: file, reason: "line \(number + 1) is not a JSON object")
                    }
                    guard let body = object["text"] as? String else {
                        throw TrainerError.badCorpus(path: file, reason: "line \(number + 1) has no string field \"text\"")
                    }
                    if !body.isEmpty { documents.append(body) }
                }
            } else {
                documents += Self.pieces(of: text, maxCharacters: maxCharacters)
            }
        }
        guard !documents.isEmpty else {
            throw TrainerError.badCorpus(path: paths.joined(separator: ", "), reason: "holds no documents")
        }
        self.documents = documents
        self.files = files
    }

    static func isCorpusFile(_ name: String) -> Bool {
        [".txt", ".jsonl", ".txt.gz", ".jsonl.gz"].contains { name.hasSuffix($0) }
    }

    /// Splits text at blank lines and packs paragraphs into pieces of at most `maxCharacters`
    /// (a longer paragraph is its own piece).
    static func pieces(of text: String, maxCharacters: Int) -> [String] {
        var pieces: [String] = [], current = ""
        for paragraph in text.components(separatedBy: "\n\n") where !paragraph.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            if !current.isEmpty, current.count + 2 + paragraph.count > maxCharacters {
                pieces.append(current)
                current = ""
            }
            current += current.isEmpty ? paragraph : "\n\n" + paragraph
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    /// A file's text, gunzipped when its name ends in .gz.
    static func readText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainerError.badCorpus(path: path, reason: "cannot read the file")
        }
        guard path.hasSuffix(".gz") else { return String(decoding: data, as: UTF8.self) }
        return String(decoding: try gunzip(data, path: path), as: UTF8.self)
    }

    /// Decompresses gzip data (one or more members) with zlib.
    static func gunzip(_ data: Data, path: String) throws -> [UInt8] {
        var stream = z_stream()
        // 16 + 15: a gzip header and the largest window.
        guard inflateInit2_(&stream, 16 + 15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TrainerError.badCorpus(path: path, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var input = [UInt8](data)
        try input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { buffer -> Int32 in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = UInt32(buffer.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
                if status == Z_STREAM_END {
                    // Another gzip member may follow (files made by concatenation).
                    if stream.avail_in == 0 { break }
                    guard inflateReset(&stream) == Z_OK else { throw TrainerError.badCorpus(path: path, reason: "corrupt gzip data") }
                    continue
                }
                guard status == Z_OK else { throw TrainerError.badCorpus(path: path, reason: "corrupt gzip data (zlib status \(status))") }
                if stream.avail_in == 0 && stream.avail_out != 0 {
                    throw TrainerError.badCorpus(path: path, reason: "the gzip data ends early")
                }
            }
        }
        return output
    }
}
