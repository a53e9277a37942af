/// A numpy `.npy` array (format versions 1, 2 and 3): magic `\x93NUMPY`, version, header length
/// (u16 for v1, u32 for v2/v3), a Python-literal dict `{'descr': '<f4', 'fortran_order': False,
/// 'shape': (3, 4), }`, then the data in C order.
///
/// Supported `descr`s: `<f4`, `<f2`, `<f8`, `<i2`, `<i4`, `<i8`, `|i1`, `|u1`, `|b1`.
/// Fortran-order arrays and big-endian data throw `unsupported`.
public struct NpyFile: Sendable {
    /// The array (name: the file name without `.npy`, or the npz member name).
    public let tensor: Tensor
    /// The format version (1, 2 or 3).
    public let version: Int
    /// The header's `descr`, e.g. `<f4`.
    public let descr: String

    /// Maps and parses the file at `path`.
    public init(path: String) throws {
        let file = try MappedFile(path: path)
        let base = path.split(separator: "/").last.map(String.init) ?? path
        try self.init(file: file, name: base.hasSuffix(".npy") ? String(base.dropLast(4)) : base)
    }

    /// Parses an npy file from bytes already in memory (the pure entry point fuzzers use).
    public init(file: MappedFile, name: String = "array") throws {
        try self.init(file: file, range: 0..<file.count, name: name)
    }

    /// Parses the npy bytes in `range` of `file` (an npz member stored without compression).
    init(file: MappedFile, range: Range<Int>, name: String) throws {
        let bytes = UnsafeRawBufferPointer(rebasing: file.bytes[range])
        var reader = ByteReader(bytes, file: file.name)
        reader.context = name
        let magic = try reader.readBytes(6, "the magic string")
        guard magic.elementsEqual([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) else {
            throw TensorFileError(.corrupt, file: file.name, item: name, "is not an npy array (it does not start with \\x93NUMPY).")
        }
        let major = try reader.read(UInt8.self, "the version")
        _ = try reader.read(UInt8.self, "the minor version")
        let headerLength: Int
        switch major {
        case 1: headerLength = Int(try reader.read(UInt16.self, "the header length"))
        case 2, 3: headerLength = Int(try reader.read(UInt32.self, "the header length"))
        default:
            throw TensorFileError(.unsupported, file: file.name, item: name, "is npy format version \(major); only 1, 2 and 3 are supported.")
        }
        let headerBytes = try reader.readBytes(headerLength, "the header")
        var parser = PythonDictParser(headerBytes, file: file.name, item: name)
        let header = try parser.parse()

        guard case .string(let descr)? = header["descr"] else {
            throw TensorFileError(.corrupt, file: file.name, item: name, "its header has no 'descr' string.")
        }
        guard case .bool(let fortranOrder)? = header["fortran_order"] else {
            throw TensorFileError(.corrupt, file: file.name, item: name, "its header has no 'fortran_order' True/False.")
        }
        guard case .tuple(let shape)? = header["shape"] else {
            throw TensorFileError(.corrupt, file: file.name, item: name, "its header has no 'shape' tuple.")
        }
        guard !fortranOrder else {
            throw TensorFileError(.unsupported, file: file.name, item: name,
                                  "is stored in Fortran order; save it in C order (np.ascontiguousarray) and try again.")
        }
        guard let dtype = Self.dtype(descr) else {
            throw TensorFileError(.unsupported, file: file.name, item: name,
                                  "has dtype '\(descr)'; supported are <f4, <f2, <f8, <i2, <i4, <i8, |i1, |u1, |b1 (little-endian).")
        }
        let dataStart = range.lowerBound + reader.position
        guard let count = checkedProduct(shape), let expected = dtype.byteCount(elements: count) else {
            throw TensorFileError(.tooLarge, file: file.name, item: name, "its shape \(shape) is absurdly large.")
        }
        guard expected == reader.remaining else {
            throw TensorFileError(expected > reader.remaining ? .truncated : .sizeMismatch, file: file.name, item: name,
                                  "shape \(shape) of '\(descr)' needs \(expected) bytes of data but \(reader.remaining) follow the header.")
        }
        tensor = try Tensor(name: name, dtype: dtype, shape: shape, file: file, offset: dataStart, byteCount: expected)
        version = Int(major)
        self.descr = descr
    }

    static func dtype(_ descr: String) -> DType? {
        switch descr {
        case "<f4": .f32
        case "<f2": .f16
        case "<f8": .f64
        case "<i2": .i16
        case "<i4": .i32
        case "<i8": .i64
        case "|i1", "<i1", "=i1": .i8
        case "|u1", "<u1", "=u1": .u8
        case "|b1", "<b1", "=b1": .bool
        default: nil
        }
    }
}

/// The Python literals an npy header uses: strings, True/False, integers and tuples of integers.
enum PythonLiteral: Equatable {
    case string(String)
    case bool(Bool)
    case int(Int)
    case tuple([Int])
}

/// Parses the one-line Python dict of an npy header, strictly and without recursion.
struct PythonDictParser {
    let bytes: [UInt8]
    let file: String
    let item: String
    var position = 0

    init(_ raw: UnsafeRawBufferPointer, file: String, item: String) {
        bytes = Array(raw)
        self.file = file
        self.item = item
    }

    private func error(_ what: String) -> TensorFileError {
        TensorFileError(.corrupt, file: file, item: item, "its header is not a valid npy header dict: \(what) at character \(position).")
    }

    private mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x0A, 0x09, 0x0D].contains(bytes[position]) { position += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws {
        skipSpace()
        guard position < bytes.count, bytes[position] == byte else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
        position += 1
    }

    private mutating func peek() -> UInt8? {
        skipSpace()
        return position < bytes.count ? bytes[position] : nil
    }

    mutating func parse() throws -> [String: PythonLiteral] {
        var dict: [String: PythonLiteral] = [:]
        try expect(UInt8(ascii: "{"))
        while peek() != UInt8(ascii: "}") {
            guard case .string(let key) = try value() else { throw error("a key is not a string") }
            try expect(UInt8(ascii: ":"))
            dict[key] = try value()
            if peek() == UInt8(ascii: ",") { position += 1 } else { break }
        }
        try expect(UInt8(ascii: "}"))
        skipSpace()
        guard position == bytes.count else { throw error("unexpected text after the dict") }
        return dict
    }

    private mutating func value() throws -> PythonLiteral {
        guard let first = peek() else { throw error("the header ends early") }
        switch first {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            position += 1
            let start = position
            while position < bytes.count, bytes[position] != first {
                guard bytes[position] != UInt8(ascii: "\\") else { throw error("escapes in strings are not supported") }
                position += 1
            }
            guard position < bytes.count else { throw error("a string is not closed") }
            let string = String(decoding: bytes[start..<position], as: UTF8.self)
            position += 1
            return .string(string)
        case UInt8(ascii: "T"), UInt8(ascii: "F"):
            for (word, result) in [("True", true), ("False", false)] where bytes[position...].starts(with: word.utf8) {
                position += word.utf8.count
                return .bool(result)
            }
            throw error("expected True or False")
        case UInt8(ascii: "("):
            position += 1
            var values: [Int] = []
            while peek() != UInt8(ascii: ")") {
                guard values.count < 32 else { throw error("a shape has more than 32 dimensions") }
                values.append(try integer())
                if peek() == UInt8(ascii: ",") { position += 1 } else { break }
            }
            try expect(UInt8(ascii: ")"))
            return .tuple(values)
        default:
            return .int(try integer())
        }
    }

    private mutating func integer() throws -> Int {
        skipSpace()
        var value = 0
        let start = position
        while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(bytes[position] - 0x30))
            guard !o1, !o2 else { throw error("an integer is too large") }
            value = sum
            position += 1
        }
        guard position > start else { throw error("expected a non-negative integer") }
        if position < bytes.count, bytes[position] == UInt8(ascii: "L") { position += 1 }  // Python 2 longs
        return value
    }
}
