/// A value read from a Python pickle by `PickleReader`: the plain data types a PyTorch state
/// dict holds, plus the torch objects `torch.save` writes for tensors (as references into the
/// archive, resolved by `TorchFile`). Nothing in a pickle is ever executed: the few Python
/// callables a state dict needs are recognised by name and built here.
public indirect enum PickleValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([PickleValue])
    case tuple([PickleValue])
    /// A dict or `collections.OrderedDict`, in insertion order.
    case dict([Entry])
    /// A reference to a Python class or function (`module.name`), never called.
    case global(module: String, name: String)
    /// A torch storage: a persistent id `('storage', torch.FloatStorage, key, location, numel)`.
    case storage(TorchStorage)
    /// A tensor rebuilt by `torch._utils._rebuild_tensor_v2` (or a parameter wrapping one).
    case tensor(TorchTensorReference)

    public struct Entry: Sendable, Equatable {
        public var key: PickleValue
        public var value: PickleValue
        public init(key: PickleValue, value: PickleValue) {
            self.key = key
            self.value = value
        }
    }

    /// The value stored under the string key `key`, if this is a dict holding one.
    public subscript(key: String) -> PickleValue? {
        guard case .dict(let entries) = self else { return nil }
        return entries.last(where: { $0.key == .string(key) })?.value
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var int: Int? {
        if case .int(let i) = self { return Int(exactly: i) }
        return nil
    }

    /// Whether a tensor is inside this value (bounded by the reader's nesting limit).
    public var containsTensor: Bool {
        switch self {
        case .tensor: true
        case .list(let items), .tuple(let items): items.contains { $0.containsTensor }
        case .dict(let entries): entries.contains { $0.value.containsTensor }
        default: false
        }
    }

    /// A short description of what kind of value this is, for error messages.
    public var kindName: String {
        switch self {
        case .none: "None"
        case .bool: "a bool"
        case .int: "an int"
        case .float: "a float"
        case .string: "a string"
        case .bytes: "bytes"
        case .list: "a list"
        case .tuple: "a tuple"
        case .dict: "a dict"
        case .global(let module, let name): "the Python object \(module).\(name)"
        case .storage: "a torch storage"
        case .tensor: "a tensor"
        }
    }
}

/// A storage that a `.pt` archive keeps as the raw member `<archive>/data/<key>`.
public struct TorchStorage: Sendable, Equatable {
    /// The element type (from `torch.FloatStorage`, `torch.HalfStorage`, …).
    public let dtype: DType
    /// The storage class name as the pickle gives it, e.g. `FloatStorage`.
    public let typeName: String
    /// The member key: the storage's bytes are `<archive>/data/<key>`.
    public let key: String
    /// Where it lived when saved (`cpu`, `cuda:0`); ignored when reading.
    public let location: String
    /// The number of elements in the storage.
    public let count: Int

    /// Torch storage classes and their element types.
    static let types: [String: DType] = [
        "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16, "DoubleStorage": .f64,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool,
    ]
}

/// A tensor as `_rebuild_tensor_v2` describes it: a view of `storage` starting at element
/// `offset`, with `shape` and `stride` (in elements, outermost first).
public struct TorchTensorReference: Sendable, Equatable {
    public let storage: TorchStorage
    public let offset: Int
    public let shape: [Int]
    public let stride: [Int]
}

/// A pickle virtual machine for the subset of protocol 2 (plus the few protocol 3–5 opcodes a
/// newer pickler may add, such as FRAME and MEMOIZE) that `torch.save` writes for a state dict.
///
/// Strict and bounded, because it reads untrusted files: every read is bounds-checked, values
/// nest at most `maxDepth` deep and hold at most `maxNodes` values in all (so memo references
/// cannot build a value too large to walk), unknown opcodes and Python objects throw
/// `unsupported` naming them, and nothing is ever executed.
struct PickleReader {
    static let maxDepth = 64
    static let maxNodes = 1 << 22

    /// A value on the stack or in the memo, with how deep it nests and how many values it holds.
    private struct Item {
        var value: PickleValue
        var depth: Int
        var nodes: Int
    }

    private var reader: ByteReader
    private let file: String
    private let item: String
    private var stack: [Item] = []
    private var marks: [Int] = []
    private var memo: [Int: Item] = [:]

    /// Reads the pickle in `bytes`; errors name `file` and `item` (the pickle's member name).
    init(_ bytes: UnsafeRawBufferPointer, file: String, item: String) {
        reader = ByteReader(bytes, file: file)
        reader.context = item
        self.file = file
        self.item = item
    }

    private func corrupt(_ message: String) -> TensorFileError {
        TensorFileError(.corrupt, file: file, item: item, message)
    }

    private func unsupported(_ message: String) -> TensorFileError {
        TensorFileError(.unsupported, file: file, item: item, message)
    }

    /// Runs the pickle to its STOP opcode and returns the value it leaves.
    mutating func read() throws -> PickleValue {
        while true {
            let at = reader.position
            let opcode = try reader.read(UInt8.self, "a pickle opcode")
            switch opcode {
            case 0x80:  // PROTO
                let version = try reader.read(UInt8.self, "the pickle protocol")
                guard version <= 5 else { throw unsupported("it is pickle protocol \(version); protocols up to 5 are supported.") }
            case 0x95:  // FRAME: a length hint only
                _ = try reader.read(UInt64.self, "a pickle frame length")
            case UInt8(ascii: "."):  // STOP
                let result = try pop("STOP")
                return result.value
            case UInt8(ascii: "("): marks.append(stack.count)  // MARK
            case UInt8(ascii: "0"): _ = try pop("POP")
            case UInt8(ascii: "1"): _ = try popToMark("POP_MARK")
            case UInt8(ascii: "2"):  // DUP
                guard let top = stack.last else { throw corrupt("DUP at byte \(at) finds an empty stack.") }
                stack.append(top)
            case UInt8(ascii: ")"): push(.tuple([]))
            case UInt8(ascii: "]"): push(.list([]))
            case UInt8(ascii: "}"): push(.dict([]))
            case UInt8(ascii: "N"): push(.none)
            case 0x88: push(.bool(true))
            case 0x89: push(.bool(false))
            case UInt8(ascii: "K"): push(.int(Int64(try reader.read(UInt8.self, "BININT1"))))
            case UInt8(ascii: "M"): push(.int(Int64(try reader.read(UInt16.self, "BININT2"))))
            case UInt8(ascii: "J"): push(.int(Int64(try reader.read(Int32.self, "BININT"))))
            case 0x8A: try readLong(length: Int(try reader.read(UInt8.self, "LONG1")))
            case 0x8B:
                let length = try reader.read(Int32.self, "LONG4")
                guard length >= 0 else { throw corrupt("LONG4 at byte \(at) has a negative length.") }
                try readLong(length: Int(length))
            case UInt8(ascii: "G"):  // BINFLOAT: big-endian double
                push(.float(Double(bitPattern: try reader.read(UInt64.self, "BINFLOAT").byteSwapped)))
            case UInt8(ascii: "X"): push(.string(try readText(UInt64(try reader.read(UInt32.self, "BINUNICODE")), "BINUNICODE")))
            case 0x8C: push(.string(try readText(UInt64(try reader.read(UInt8.self, "SHORT_BINUNICODE")), "SHORT_BINUNICODE")))
            case 0x8D: push(.string(try readText(try reader.read(UInt64.self, "BINUNICODE8"), "BINUNICODE8")))
            case UInt8(ascii: "U"): push(.string(try readText(UInt64(try reader.read(UInt8.self, "SHORT_BINSTRING")), "SHORT_BINSTRING")))
            case UInt8(ascii: "T"):
                let length = try reader.read(Int32.self, "BINSTRING")
                guard length >= 0 else { throw corrupt("BINSTRING at byte \(at) has a negative length.") }
                push(.string(try readText(UInt64(length), "BINSTRING")))
            case UInt8(ascii: "C"): push(.bytes(try readRaw(UInt64(try reader.read(UInt8.self, "SHORT_BINBYTES")), "SHORT_BINBYTES")))
            case UInt8(ascii: "B"): push(.bytes(try readRaw(UInt64(try reader.read(UInt32.self, "BINBYTES")), "BINBYTES")))
            case 0x8E: push(.bytes(try readRaw(try reader.read(UInt64.self, "BINBYTES8"), "BINBYTES8")))
            case UInt8(ascii: "t"):
                let items = try popToMark("TUPLE")
                try pushContainer(.tuple(items.map(\.value)), children: items)
            case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
                let count = Int(opcode - 0x84)
                guard stack.count - (marks.last ?? 0) >= count else { throw corrupt("TUPLE\(count) at byte \(at) finds too few values on the stack.") }
                let items = Array(stack.suffix(count))
                stack.removeLast(count)
                try pushContainer(.tuple(items.map(\.value)), children: items)
            case UInt8(ascii: "l"):
                let items = try popToMark("LIST")
                try pushContainer(.list(items.map(\.value)), children: items)
            case UInt8(ascii: "d"):
                let items = try popToMark("DICT")
                try pushContainer(.dict(try pairs(items, "DICT")), children: items)
            case UInt8(ascii: "a"):  // APPEND
                let value = try pop("APPEND")
                try extendTop(with: [value], "APPEND")
            case UInt8(ascii: "e"): try extendTop(with: try popToMark("APPENDS"), "APPENDS")
            case UInt8(ascii: "s"):  // SETITEM
                let value = try pop("SETITEM"), key = try pop("SETITEM")
                try extendTop(with: [key, value], "SETITEM")
            case UInt8(ascii: "u"): try extendTop(with: try popToMark("SETITEMS"), "SETITEMS")
            case UInt8(ascii: "q"): try put(Int(try reader.read(UInt8.self, "BINPUT")))
            case UInt8(ascii: "r"): try put(Int(try reader.read(UInt32.self, "LONG_BINPUT")))
            case 0x94: try put(memo.count)  // MEMOIZE
            case UInt8(ascii: "h"): try get(Int(try reader.read(UInt8.self, "BINGET")), at: at)
            case UInt8(ascii: "j"): try get(Int(try reader.read(UInt32.self, "LONG_BINGET")), at: at)
            case UInt8(ascii: "c"):  // GLOBAL: "module\nname\n"
                let module = try readLine("GLOBAL"), name = try readLine("GLOBAL")
                try pushGlobal(module: module, name: name)
            case 0x93:  // STACK_GLOBAL
                let name = try pop("STACK_GLOBAL"), module = try pop("STACK_GLOBAL")
                guard let moduleName = module.value.string, let objectName = name.value.string else {
                    throw corrupt("STACK_GLOBAL at byte \(at) needs two strings on the stack.")
                }
                try pushGlobal(module: moduleName, name: objectName)
            case UInt8(ascii: "Q"):  // BINPERSID
                let id = try pop("BINPERSID")
                push(.storage(try storage(id.value)))
            case UInt8(ascii: "R"):  // REDUCE
                let arguments = try pop("REDUCE"), callable = try pop("REDUCE")
                let result = try reduce(callable.value, arguments.value)
                try pushContainer(result, children: [arguments])
            case UInt8(ascii: "b"):  // BUILD
                let state = try pop("BUILD")
                guard let top = stack.last else { throw corrupt("BUILD at byte \(at) finds an empty stack.") }
                // A state dict's OrderedDict carries `_metadata` as an attribute; attributes
                // are not data, so the state is dropped.
                guard case .dict = top.value else {
                    throw unsupported("it sets the state of \(top.value.kindName) (BUILD with \(state.value.kindName)); only dicts are supported.")
                }
            default:
                throw unsupported("it uses pickle opcode \(Self.opcodeName(opcode)) at byte \(at), which saescope does not read.")
            }
        }
    }

    // MARK: - Stack

    private mutating func push(_ value: PickleValue) {
        stack.append(Item(value: value, depth: 1, nodes: 1))
    }

    /// Pushes a container built from `children`, after checking the nesting and size limits.
    private mutating func pushContainer(_ value: PickleValue, children: [Item]) throws {
        stack.append(try Self.measure(value, children: children, base: Item(value: .none, depth: 1, nodes: 1), file: file, item: item))
    }

    private static func measure(_ value: PickleValue, children: [Item], base: Item, file: String, item: String) throws -> Item {
        var result = base
        result.value = value
        for child in children {
            result.depth = max(result.depth, child.depth + 1)
            result.nodes += child.nodes
            guard result.depth <= maxDepth else {
                throw TensorFileError(.tooLarge, file: file, item: item, "its values nest more than \(maxDepth) deep.")
            }
            guard result.nodes <= maxNodes else {
                throw TensorFileError(.tooLarge, file: file, item: item, "it builds a value of more than \(maxNodes) parts.")
            }
        }
        return result
    }

    private mutating func pop(_ opcode: String) throws -> Item {
        guard let top = stack.last, stack.count > (marks.last ?? 0) else {
            throw corrupt("\(opcode) at byte \(reader.position - 1) finds no value on the stack.")
        }
        stack.removeLast()
        return top
    }

    private mutating func popToMark(_ opcode: String) throws -> [Item] {
        guard let mark = marks.popLast() else { throw corrupt("\(opcode) at byte \(reader.position - 1) has no MARK before it.") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    /// Appends values to the list, or key/value pairs to the dict, on top of the stack.
    private mutating func extendTop(with items: [Item], _ opcode: String) throws {
        guard var top = stack.popLast() else { throw corrupt("\(opcode) at byte \(reader.position - 1) finds an empty stack.") }
        switch top.value {
        case .list(var values):
            top.value = .none  // release the old array so the append does not copy it
            values.append(contentsOf: items.map(\.value))
            top = try Self.measure(.list(values), children: items, base: top, file: file, item: item)
        case .dict(var entries):
            top.value = .none
            entries.append(contentsOf: try pairs(items, opcode))
            top = try Self.measure(.dict(entries), children: items, base: top, file: file, item: item)
        default:
            throw corrupt("\(opcode) at byte \(reader.position - 1) adds to \(top.value.kindName), not a list or dict.")
        }
        stack.append(top)
    }

    private func pairs(_ items: [Item], _ opcode: String) throws -> [PickleValue.Entry] {
        guard items.count % 2 == 0 else { throw corrupt("\(opcode) has an odd number of keys and values.") }
        return stride(from: 0, to: items.count, by: 2).map { PickleValue.Entry(key: items[$0].value, value: items[$0 + 1].value) }
    }

    private mutating func put(_ index: Int) throws {
        guard let top = stack.last else { throw corrupt("a memo PUT at byte \(reader.position - 1) finds an empty stack.") }
        memo[index] = top
    }

    private mutating func get(_ index: Int, at: Int) throws {
        guard let value = memo[index] else { throw corrupt("a memo GET at byte \(at) asks for entry \(index), which was never stored.") }
        stack.append(value)
    }

    // MARK: - Operands

    /// A little-endian two's-complement integer of `length` bytes (LONG1, LONG4).
    private mutating func readLong(length: Int) throws {
        guard length <= 8 else { throw unsupported("it holds an integer of \(length) bytes; at most 8 are supported.") }
        let raw = try reader.readBytes(length, "a long integer")
        var value: UInt64 = 0
        for (i, byte) in raw.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        if length > 0 && length < 8 && raw[length - 1] & 0x80 != 0 { value |= ~0 << (8 * UInt64(length)) }  // sign-extend
        push(.int(Int64(bitPattern: value)))
    }

    private mutating func readText(_ count: UInt64, _ opcode: String) throws -> String {
        try reader.readString(count: count, "a \(opcode) string of \(count) bytes")
    }

    private mutating func readRaw(_ count: UInt64, _ opcode: String) throws -> [UInt8] {
        guard count <= UInt64(reader.remaining) else { throw reader.truncated("\(opcode) data of \(count) bytes") }
        return Array(try reader.readBytes(Int(count), opcode))
    }

    /// A newline-terminated ASCII line (GLOBAL's module and name), at most 256 bytes.
    private mutating func readLine(_ opcode: String) throws -> String {
        var bytes: [UInt8] = []
        while true {
            let byte = try reader.read(UInt8.self, "a \(opcode) name")
            if byte == UInt8(ascii: "\n") { break }
            bytes.append(byte)
            guard bytes.count <= 256 else { throw corrupt("\(opcode) has a name longer than 256 bytes.") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Python objects

    /// The only Python objects a state dict needs; anything else is refused by name.
    private static let knownGlobals: Set<String> = [
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
    ]

    private mutating func pushGlobal(module: String, name: String) throws {
        let full = "\(module).\(name)"
        guard Self.knownGlobals.contains(full) || (module == "torch" && TorchStorage.types[name] != nil) else {
            throw unsupported("it refers to the Python object '\(full)'; saescope reads only tensors, dicts, lists and plain values from .pt files and never runs code from them.")
        }
        push(.global(module: module, name: name))
    }

    /// `('storage', torch.FloatStorage, key, location, numel)`.
    private func storage(_ id: PickleValue) throws -> TorchStorage {
        guard case .tuple(let parts) = id, parts.count == 5, parts[0] == .string("storage") else {
            throw unsupported("it has a persistent id that is not a torch storage: \(Self.describe(id)).")
        }
        guard case .global("torch", let typeName) = parts[1], let dtype = TorchStorage.types[typeName] else {
            throw unsupported("it has a storage of type \(parts[1].kindName); known: \(TorchStorage.types.keys.sorted().joined(separator: ", ")).")
        }
        guard let key = parts[2].string, let location = parts[3].string, let count = parts[4].int, count >= 0 else {
            throw corrupt("its storage id \(Self.describe(id)) needs a key, a location and a non-negative size.")
        }
        return TorchStorage(dtype: dtype, typeName: typeName, key: key, location: location, count: count)
    }

    private func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case .global(let module, let name) = callable, case .tuple(let args) = arguments else {
            throw corrupt("REDUCE needs a Python callable and a tuple of arguments, not \(callable.kindName) and \(arguments.kindName).")
        }
        switch "\(module).\(name)" {
        case "collections.OrderedDict":
            guard args.isEmpty else { throw unsupported("it builds an OrderedDict from arguments; only OrderedDict() is supported.") }
            return .dict([])
        case "torch._utils._rebuild_tensor_v2":
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard args.count >= 4, case .storage(let storage) = args[0], let offset = args[1].int, offset >= 0,
                  let shape = Self.ints(args[2]), let stride = Self.ints(args[3]), shape.count == stride.count,
                  shape.count <= 32, shape.allSatisfy({ $0 >= 0 }) else {
                throw corrupt("a tensor's _rebuild_tensor_v2 arguments are malformed: \(Self.describe(arguments)).")
            }
            return .tensor(TorchTensorReference(storage: storage, offset: offset, shape: shape, stride: stride))
        case "torch._utils._rebuild_parameter":
            // (data, requires_grad, backward_hooks): a Parameter is its tensor here.
            guard let data = args.first, case .tensor = data else {
                throw corrupt("an nn.Parameter's _rebuild_parameter arguments do not start with a tensor.")
            }
            return data
        default:
            throw unsupported("it calls the Python object '\(module).\(name)'; saescope never runs code from a file.")
        }
    }

    private static func ints(_ value: PickleValue) -> [Int]? {
        guard case .tuple(let items) = value else { return nil }
        var result: [Int] = []
        for item in items {
            guard let i = item.int else { return nil }
            result.append(i)
        }
        return result
    }

    /// A short rendering of a value for error messages (never more than a few hundred characters).
    static func describe(_ value: PickleValue, depth: Int = 0) -> String {
        guard depth < 3 else { return "…" }
        func list(_ items: [PickleValue], _ open: String, _ close: String) -> String {
            let shown = items.prefix(6).map { describe($0, depth: depth + 1) }
            return open + shown.joined(separator: ", ") + (items.count > 6 ? ", …" : "") + close
        }
        switch value {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .float(let f): return String(f)
        case .string(let s): return "'" + (s.count > 40 ? s.prefix(40) + "…" : s) + "'"
        case .bytes(let b): return "<\(b.count) bytes>"
        case .list(let items): return list(items, "[", "]")
        case .tuple(let items): return list(items, "(", ")")
        case .dict(let entries):
            let shown = entries.prefix(6).map { describe($0.key, depth: depth + 1) + ": " + describe($0.value, depth: depth + 1) }
            return "{" + shown.joined(separator: ", ") + (entries.count > 6 ? ", …" : "") + "}"
        case .global(let module, let name): return "\(module).\(name)"
        case .storage(let s): return "torch.\(s.typeName)('\(s.key)', \(s.count))"
        case .tensor(let t): return "tensor\(t.shape) of \(t.storage.dtype.rawValue)"
        }
    }

    static func opcodeName(_ opcode: UInt8) -> String {
        let names: [UInt8: String] = [
            0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x8F: "EMPTY_SET",
            0x90: "ADDITEMS", 0x91: "FROZENSET", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
            UInt8(ascii: "i"): "INST", UInt8(ascii: "o"): "OBJ", UInt8(ascii: "I"): "INT", UInt8(ascii: "L"): "LONG",
            UInt8(ascii: "F"): "FLOAT", UInt8(ascii: "S"): "STRING", UInt8(ascii: "V"): "UNICODE", UInt8(ascii: "p"): "PUT",
            UInt8(ascii: "g"): "GET", UInt8(ascii: "P"): "PERSID",
        ]
        let hex = "0x" + String(opcode, radix: 16, uppercase: true)
        return names[opcode].map { "\($0) (\(hex))" } ?? hex
    }
}

extension PickleValue: CustomStringConvertible {
    /// A short Python-like rendering (long containers cut), for messages and `saescope inspect`.
    public var description: String { PickleReader.describe(self) }
}
