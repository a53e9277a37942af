// The Tensors module: memory-mapped weight files (see DESIGN.md "Modules").
enum TensorsPlaceholder {}
