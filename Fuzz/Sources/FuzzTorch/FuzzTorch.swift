import FuzzSupport
import Tensors

/// Any bytes as a PyTorch .pt archive (zip + pickle): parsing either throws or gives tensors
/// that lie inside the file and read back whole.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorch(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let file = MappedFile(copying: UnsafeBufferPointer(start: data, count: size), name: "fuzz.pt")
    _ = TorchFile.looksLikeTorchZip(file)
    guard let torch = try? TorchFile(file: file) else { return 0 }
    readEveryTensor(torch.tensors)
    _ = torch.root.description
    return 0
}

@_cdecl("FuzzTorch_main")
public func fuzzTorchMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzTorch)
}
