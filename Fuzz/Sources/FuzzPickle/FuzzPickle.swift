import FuzzSupport
import Tensors

/// Any bytes as the pickle of a .pt archive: the harness wraps them as `archive/data.pkl` in a
/// stored zip with two small storages (`data/0`: 64 bytes, `data/1`: 6 bytes), so the fuzzer
/// spends its time in the pickle VM rather than on zip headers. Parsing either throws or gives
/// tensors inside their storage that read back whole.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let pickle = Array(UnsafeBufferPointer(start: data, count: size))
    let archive = storedZip([
        ("archive/data.pkl", pickle),
        ("archive/byteorder", Array("little".utf8)),
        ("archive/data/0", [UInt8](repeating: 0x3F, count: 64)),
        ("archive/data/1", [UInt8](repeating: 0x01, count: 6)),
    ])
    let file = MappedFile(copying: archive, name: "fuzz.pt")
    guard let torch = try? TorchFile(file: file) else { return 0 }
    readEveryTensor(torch.tensors)
    _ = torch.root.description
    return 0
}

@_cdecl("FuzzPickle_main")
public func fuzzPickleMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzPickle)
}
