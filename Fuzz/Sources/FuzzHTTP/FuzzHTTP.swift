import FuzzSupport
import HTTP

// Small limits, so the fuzzer reaches every limit with short inputs.
let limits = RequestParser.Limits(maxRequestLine: 200, maxHeaderBytes: 400, maxBodyBytes: 300)

/// Any bytes as what a client sends on one connection, fed to the parser in random-sized pieces
/// (the sizes drawn from the input, so a crash replays) and drained after each piece as the
/// server does. Checks:
/// - never more buffered than one request line + header section, or one body, under the limits;
/// - the events are the same as parsing all the bytes at once (`RequestParser.parse`), apart
///   from `100 Continue` prompts, which depend on where the body was cut;
/// - after a failure the parser yields nothing more, whatever arrives;
/// - every request's body is exactly its Content-Length, and no request has a body over the limit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var random = InputRandom(seed: bytes.prefix(16))
    let maxPiece = [1, 3, 17, 64, 4096][random.int(in: 0...4)]

    var parser = RequestParser(limits: limits)
    var events: [String] = []
    var failed = false
    var position = 0
    while position < bytes.count {
        let end = min(bytes.count, position + random.int(in: 1...maxPiece))
        parser.append(contentsOf: bytes[position..<end])
        position = end
        while let event = parser.next() {
            require(!failed, "an event after a failure: \(describe(event))")
            if case .failure = event { failed = true }
            if case .expectContinue = event { continue }
            check(event)
            events.append(describe(event))
        }
        if !failed {
            let headLimit = limits.maxRequestLine + 2 + limits.maxHeaderBytes
            require(parser.isReadingBody ? parser.bufferedByteCount < limits.maxBodyBytes : parser.bufferedByteCount <= headLimit,
                    "\(parser.bufferedByteCount) bytes buffered (reading a body: \(parser.isReadingBody))")
        }
    }
    if failed {
        parser.append(contentsOf: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        require(parser.next() == nil, "the parser produced an event after a failure")
    }
    let whole = RequestParser.parse(bytes, limits: limits).filter {
        if case .expectContinue = $0 { return false }
        return true
    }.map(describe)
    require(whole == events, "pieces of at most \(maxPiece) bytes gave\n\(events)\nbut the whole input gave\n\(whole)")
    return 0
}

func check(_ event: RequestParser.Event) {
    guard case .request(let request, _) = event else { return }
    let length = request.headers["Content-Length"].map { $0.split(separator: ",").first.map(String.init) ?? $0 }
    let declared = length.flatMap { Int(String($0.filter { $0 != " " && $0 != "\t" })) } ?? 0
    require(request.body.count == declared, "a body of \(request.body.count) bytes for Content-Length \(length ?? "none")")
    require(request.body.count <= limits.maxBodyBytes, "a body of \(request.body.count) bytes")
    require(request.method.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "method \(request.method)")
    require(request.target.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "target \(request.target)")
    for (name, value) in request.headers {
        require(!name.isEmpty && !name.utf8.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: ":") }), "header name \(name.debugDescription)")
        require(!value.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }), "header value \(value.debugDescription)")
    }
}

func describe(_ event: RequestParser.Event) -> String {
    switch event {
    case .request(let request, let keepAlive):
        return "\(request.method) \(request.target) \(request.version) keepAlive=\(keepAlive) [\(request.headers)] body=\(request.body)"
    case .expectContinue:
        return "100-continue"
    case .failure(let error):
        return "failure \(error.status)"
    }
}

@_cdecl("FuzzHTTP_main")
public func fuzzHTTPMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzHTTP)
}
