import Tensors

extension BPETokenizer {
    /// The tokenizer a GGUF file describes in its `tokenizer.ggml.*` metadata (byte-level BPE,
    /// `tokenizer.ggml.model` = "gpt2", as llama.cpp writes it for GPT-2, SmolLM2 and most
    /// Llama-3-style models).
    public init(gguf: GGUFFile) throws {
        let source = gguf.file.name
        let model = try gguf.string("tokenizer.ggml.model")
        guard model == "gpt2" else {
            throw TokenizerError.unsupported(file: source, field: "tokenizer.ggml.model", value: model)
        }
        let tokens = try gguf.strings("tokenizer.ggml.tokens")
        let merges = try gguf.strings("tokenizer.ggml.merges")
        var types = [Int32](repeating: 1, count: tokens.count)  // all normal unless the file says
        if let listed = gguf["tokenizer.ggml.token_type"]?.array {
            guard listed.count == tokens.count else {
                throw TokenizerError.malformed(file: source, field: "tokenizer.ggml.token_type",
                                               reason: "has \(listed.count) entries for \(tokens.count) tokens")
            }
            types = listed.map { Int32(clamping: $0.int ?? 1) }
        }
        var addBOS = false
        if case .bool(let flag)? = gguf["tokenizer.ggml.add_bos_token"] { addBOS = flag }
        try self.init(tokens: tokens, merges: merges, tokenTypes: types,
                      pre: gguf["tokenizer.ggml.pre"]?.string ?? "gpt2",
                      bosID: gguf["tokenizer.ggml.bos_token_id"]?.int, eosID: gguf["tokenizer.ggml.eos_token_id"]?.int,
                      addBOS: addBOS)
    }
}
