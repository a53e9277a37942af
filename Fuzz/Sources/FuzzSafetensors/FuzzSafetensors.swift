import FuzzSupport
import Tensors

/// Any bytes as a .safetensors file: parsing either throws or gives tensors that lie inside the
/// file and read back whole.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let file = MappedFile(copying: UnsafeBufferPointer(start: data, count: size), name: "fuzz.safetensors")
    guard let parsed = try? SafetensorsFile(file: file) else { return 0 }
    readEveryTensor(parsed.tensors)
    for tensor in parsed.tensors {
        require((try? parsed.tensor(tensor.name)) != nil, "tensor \(tensor.name) is listed but not found by name")
    }
    _ = parsed.metadata.count
    return 0
}

@_cdecl("FuzzSafetensors_main")
public func fuzzSafetensorsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzSafetensors)
}
