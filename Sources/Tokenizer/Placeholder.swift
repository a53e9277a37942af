// The Tokenizer module: byte-level BPE (see DESIGN.md "Modules").
enum TokenizerPlaceholder {}
