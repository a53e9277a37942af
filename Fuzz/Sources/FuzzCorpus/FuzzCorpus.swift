import CZlib
import FuzzSupport
import Indexer

/// One chunk for the whole input (scripts/fuzz.sh caps inputs at 4 KiB). The reader's default
/// of 1 MiB would zero a 4 MiB inflate buffer per call and slow the fuzzer twentyfold.
let wholeChunk = 1 << 13

/// Any bytes as a corpus file, read through the same chunked reader as files on disk with a
/// chunk size drawn from the input (1 byte to 4 KiB, so chunk edges fall everywhere):
/// - as `.jsonl` and as `.txt`: never throws, and gives the same records as one chunk (a `.txt`
///   file is one document when it is UTF-8, else one bad record);
/// - gzip-compressed by the harness: the same records as the plain bytes;
/// - the raw bytes as gzipped JSONL: either throws or gives what one chunk gives.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCorpus(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var random = InputRandom(seed: bytes.suffix(8))
    let chunk = [1, 2, 7, 64, 4096][random.int(in: 0...4)]
    do {
        let whole = try Corpus.records(inContents: bytes, name: "fuzz.jsonl", chunkSize: wholeChunk)
        let chunked = try Corpus.records(inContents: bytes, name: "fuzz.jsonl", chunkSize: chunk)
        require(whole == chunked, "jsonl in chunks of \(chunk) gave \(chunked), whole gave \(whole)")
        let text = try Corpus.records(inContents: bytes, name: "fuzz.txt", chunkSize: chunk)
        if let valid = String(validating: bytes, as: UTF8.self) {
            require(text == [.document(valid)], "UTF-8 text in chunks of \(chunk) gave \(text)")
        } else {
            var leftOut = false
            if text.count == 1, case .bad("fuzz.txt", _, _) = text[0] { leftOut = true }
            require(leftOut, "text that is not UTF-8, in chunks of \(chunk), gave \(text)")
        }

        let gzipped = gzip(bytes, level: random.int(in: 0...9))
        let unzipped = try Corpus.records(inContents: gzipped, name: "fuzz.jsonl", gzip: true, chunkSize: chunk)
        require(unzipped == whole, "gzipped jsonl in chunks of \(chunk) gave \(unzipped), plain gave \(whole)")
    } catch {
        require(false, "reading plain or freshly gzipped bytes threw: \(error)")
    }
    let raw = try? Corpus.records(inContents: bytes, name: "fuzz.jsonl", gzip: true, chunkSize: chunk)
    let rawWhole = try? Corpus.records(inContents: bytes, name: "fuzz.jsonl", gzip: true, chunkSize: wholeChunk)
    require(raw == rawWhole, "raw gzip in chunks of \(chunk) gave \(String(describing: raw)), whole gave \(String(describing: rawWhole))")
    return 0
}

/// `bytes` as one gzip member (zlib's deflate with a gzip wrapper).
func gzip(_ bytes: [UInt8], level: Int) -> [UInt8] {
    var stream = z_stream()
    guard deflateInit2_(&stream, Int32(level), Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY,
                        ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { fatalError("deflateInit2 failed") }
    defer { deflateEnd(&stream) }
    var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 64)
    var input = bytes
    let produced = input.withUnsafeMutableBufferPointer { inBuffer in
        out.withUnsafeMutableBufferPointer { outBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(inBuffer.count)
            stream.next_out = outBuffer.baseAddress
            stream.avail_out = uInt(outBuffer.count)
            let rc = deflate(&stream, Z_FINISH)
            if rc != Z_STREAM_END { fatalError("deflate returned \(rc)") }
            return outBuffer.count - Int(stream.avail_out)
        }
    }
    return Array(out[..<produced])
}

@_cdecl("FuzzCorpus_main")
public func fuzzCorpusMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzCorpus)
}
