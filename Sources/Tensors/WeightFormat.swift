/// The weight-file formats saescope reads, told apart by their first bytes.
public enum WeightFormat: String, Sendable {
    case gguf = "GGUF"
    case safetensors
    case npy
    case npz
    /// A PyTorch `.pt` file in torch.save's zip format (first member `<archive>/data.pkl`).
    case torch

    /// The format of `file` from its magic bytes, or nil when it is none of them.
    /// safetensors has no magic; a u64 header length followed by `{` counts as one.
    /// Zip archives are `.pt` files when their first member is `<archive>/data.pkl`, else npz.
    public static func detect(_ file: MappedFile) -> WeightFormat? {
        let bytes = file.bytes
        if bytes.starts(with: Array("GGUF".utf8)) { return .gguf }
        if bytes.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) { return .npy }
        if TorchFile.looksLikeTorchZip(file) || bytes.starts(with: TorchFile.legacyMagic) { return .torch }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .npz }
        if bytes.count >= 9, bytes[8] == UInt8(ascii: "{") { return .safetensors }
        return nil
    }
}
