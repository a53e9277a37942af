#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Read-only bytes of a weight file: a private read-only `mmap` of a file, or a heap buffer
/// (an in-memory file for tests and fuzzing, or an inflated npz member).
///
/// The bytes stay valid, and never change, for as long as this object lives; every `Tensor`
/// read from it keeps it alive.
public final class MappedFile: @unchecked Sendable {
    /// The file's path, or the name given to an in-memory buffer; used in error messages.
    public let name: String
    /// All of the bytes.
    public let bytes: UnsafeRawBufferPointer

    private enum Owner { case mapping, heap(UnsafeMutableRawPointer), none }
    private let owner: Owner

    /// Maps the file at `path` read-only.
    public init(path: String) throws {
        name = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw TensorFileError(.io, file: path, "cannot open it: \(String(cString: strerror(errno))).")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw TensorFileError(.io, file: path, "cannot stat it: \(String(cString: strerror(errno))).")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw TensorFileError(.io, file: path, "is not a regular file.")
        }
        let size = Int(info.st_size)
        if size == 0 {
            // mmap refuses length 0; an empty file is simply no bytes.
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            owner = .none
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw TensorFileError(.io, file: path, "cannot map it into memory: \(String(cString: strerror(errno))).")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
        owner = .mapping
    }

    /// Copies `contents` into a heap buffer named `name`: the pure, in-memory entry point that
    /// every reader accepts (tests and fuzzers use it).
    public init(copying contents: some Collection<UInt8>, name: String) {
        self.name = name
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(contents.count, 1), alignment: 64)
        let count = contents.count
        _ = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]).initializeMemory(as: UInt8.self, from: contents)
        bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        owner = buffer.baseAddress.map { .heap($0) } ?? .none
    }

    /// Takes ownership of `buffer`, which must come from `UnsafeMutableRawBufferPointer.allocate`.
    init(adopting buffer: UnsafeMutableRawBufferPointer, count: Int, name: String) {
        self.name = name
        bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        owner = buffer.baseAddress.map { .heap($0) } ?? .none
    }

    /// The number of bytes.
    public var count: Int { bytes.count }

    deinit {
        switch owner {
        case .mapping: munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        case .heap(let base): base.deallocate()
        case .none: break
        }
    }
}
