/// How a tensor's elements are stored. Plain types hold one little-endian value per element;
/// the GGML block types hold `blockSize` elements in `blockBytes` bytes (a scale, maybe a
/// minimum, and packed integers), dequantised exactly as ggml / the `gguf` package do.
public enum DType: String, Sendable, CaseIterable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"
    case q4_0 = "Q4_0", q4_1 = "Q4_1", q5_0 = "Q5_0", q5_1 = "Q5_1", q8_0 = "Q8_0"
    case q4_K = "Q4_K", q5_K = "Q5_K", q6_K = "Q6_K"

    /// Elements per block: 1 for plain types, 32 for Q4_0…Q8_0, 256 for the K-quants.
    public var blockSize: Int {
        switch self {
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: 32
        case .q4_K, .q5_K, .q6_K: 256
        default: 1
        }
    }

    /// Bytes per block (per element for plain types).
    public var blockBytes: Int {
        switch self {
        case .f64, .i64: 8
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8, .u8, .bool: 1
        case .q4_0: 18   // f16 d, 16 bytes of nibbles
        case .q4_1: 20   // f16 d, f16 m, 16 bytes of nibbles
        case .q5_0: 22   // f16 d, u32 high bits, 16 bytes of nibbles
        case .q5_1: 24   // f16 d, f16 m, u32 high bits, 16 bytes of nibbles
        case .q8_0: 34   // f16 d, 32 int8
        case .q4_K: 144  // f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles
        case .q5_K: 176  // as Q4_K plus 32 bytes of high bits
        case .q6_K: 210  // 128 bytes low nibbles, 64 bytes high 2 bits, 16 int8 scales, f16 d
        }
    }

    /// Whether the elements are integers (or booleans), readable exactly with `Tensor.integers()`.
    public var isInteger: Bool {
        switch self {
        case .i64, .i32, .i16, .i8, .u8, .bool: true
        default: false
        }
    }

    /// Whether this is a GGML block-quantised type.
    public var isQuantized: Bool { blockSize > 1 }

    /// The bytes `count` elements take, or nil when `count` is not a whole number of blocks or
    /// the size overflows.
    public func byteCount(elements count: Int) -> Int? {
        guard count >= 0, count % blockSize == 0 else { return nil }
        let (bytes, overflow) = (count / blockSize).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }

    /// The dtype of a GGML type id (`ggml_type`), or nil for types this reader cannot dequantise.
    public init?(ggmlType id: UInt32) {
        switch id {
        case 0: self = .f32
        case 1: self = .f16
        case 2: self = .q4_0
        case 3: self = .q4_1
        case 6: self = .q5_0
        case 7: self = .q5_1
        case 8: self = .q8_0
        case 12: self = .q4_K
        case 13: self = .q5_K
        case 14: self = .q6_K
        case 24: self = .i8
        case 25: self = .i16
        case 26: self = .i32
        case 27: self = .i64
        case 28: self = .f64
        case 30: self = .bf16
        default: return nil
        }
    }

    /// The name of a GGML type id, for messages about types this reader does not support.
    static func ggmlTypeName(_ id: UInt32) -> String {
        let names: [UInt32: String] = [
            4: "Q4_2 (removed)", 5: "Q4_3 (removed)", 9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 15: "Q8_K",
            16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S",
            22: "IQ2_S", 23: "IQ4_XS", 29: "IQ1_M", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
        ]
        return names[id] ?? "unknown"
    }
}
