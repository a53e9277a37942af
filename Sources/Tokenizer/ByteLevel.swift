/// GPT-2's byte-level alphabet: every byte is spelled as one printable Unicode scalar, so that a
/// vocabulary of byte strings can be written as text (`Ġthe` is the bytes of " the").
///
/// Printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves; the other 68 bytes,
/// in increasing order, take the scalars from U+0100 on (space 0x20 → `Ġ` U+0120, `\n` → `Ċ`).
public enum ByteLevel {
    /// The scalar that spells each byte.
    public static let scalarForByte: [Unicode.Scalar] = {
        var next: UInt32 = 0x100
        return (0...255).map { (byte: Int) -> Unicode.Scalar in
            if (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte) {
                return Unicode.Scalar(UInt8(byte))
            }
            defer { next += 1 }
            return Unicode.Scalar(next) ?? "?"  // 0x100…0x143 are all valid scalars
        }
    }()

    /// The byte each scalar below U+0144 spells, or -1.
    private static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in scalarForByte.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    /// The byte a scalar spells, or nil when it is not in the alphabet.
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let v = Int(scalar.value)
        guard v < byteForScalar.count, byteForScalar[v] >= 0 else { return nil }
        return UInt8(byteForScalar[v])
    }

    /// Spells bytes in the alphabet: `[0x20, 0x61]` → `"Ġa"`.
    public static func spell<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(scalarForByte[Int(b)]) }
        return String(s)
    }

    /// The bytes a token spelled in the alphabet stands for; nil if a scalar is outside it.
    public static func bytes(spelledBy token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let b = byte(for: scalar) else { return nil }
            out.append(b)
        }
        return out
    }
}
