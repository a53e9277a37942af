import FuzzSupport
import Tensors
import Tokenizer

/// Any bytes as a GGUF file: parsing either throws or gives metadata and tensors; every tensor
/// is dequantised (bounded in total size), every metadata value is read through the typed
/// accessors, and a tokenizer described by the metadata is built and run on a short text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let file = MappedFile(copying: UnsafeBufferPointer(start: data, count: size), name: "fuzz.gguf")
    guard let gguf = try? GGUFFile(file: file) else { return 0 }
    require(gguf.alignment > 0, "alignment \(gguf.alignment)")
    require(gguf.dataOffset >= 0 && gguf.dataOffset <= file.count, "data offset \(gguf.dataOffset) outside \(file.count) bytes")
    readEveryTensor(gguf.tensors)
    for tensor in gguf.tensors {
        require(gguf.dimensions(of: tensor) == tensor.shape.reversed(), "dimensions of \(tensor.name)")
    }
    for (key, _) in gguf.metadata {
        _ = try? gguf.string(key)
        _ = try? gguf.int(key)
        _ = try? gguf.double(key)
        _ = try? gguf.strings(key)
    }
    if let tokenizer = try? BPETokenizer(gguf: gguf) {
        let text = "Hello world, 123 fuzz! <|endoftext|> é"
        let ids = tokenizer.encode(text)
        _ = try? tokenizer.decode(ids)
    }
    return 0
}

@_cdecl("FuzzGGUF_main")
public func fuzzGGUFMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzGGUF)
}
