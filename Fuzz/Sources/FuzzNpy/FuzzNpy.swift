import FuzzSupport
import Tensors

/// Any bytes as a .npy file: parsing either throws or gives one tensor inside the file that
/// reads back whole.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNpy(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let file = MappedFile(copying: UnsafeBufferPointer(start: data, count: size), name: "fuzz.npy")
    guard let npy = try? NpyFile(file: file) else { return 0 }
    require(npy.version >= 1 && npy.version <= 3, "npy version \(npy.version)")
    readEveryTensor([npy.tensor])
    return 0
}

@_cdecl("FuzzNpy_main")
public func fuzzNpyMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzNpy)
}
