import FuzzSupport
import Tensors

/// Any bytes as a .npz archive (stored and deflated members, zip64): parsing either throws or
/// gives arrays that read back whole; the cheap name listing agrees with the full parse.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNpz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let file = MappedFile(copying: UnsafeBufferPointer(start: data, count: size), name: "fuzz.npz")
    let names = try? NpzFile.arrayNames(in: file)
    guard let npz = try? NpzFile(file: file) else { return 0 }
    require(names == npz.tensors.map(\.name), "arrayNames \(names ?? []) differ from the parsed arrays \(npz.tensors.map(\.name))")
    require(npz.methods.count == npz.arrays.count && npz.methods.allSatisfy { $0 == 0 || $0 == 8 }, "methods \(npz.methods)")
    readEveryTensor(npz.tensors)
    return 0
}

@_cdecl("FuzzNpz_main")
public func fuzzNpzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzNpz)
}
