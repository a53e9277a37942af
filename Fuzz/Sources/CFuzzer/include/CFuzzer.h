#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver (compiler-rt, LLVM >= 11): parses libFuzzer's flags from argv and runs the
// fuzzing loop with `callback` as LLVMFuzzerTestOneInput. The fuzz targets call it from their
// entry point because SwiftPM links executables with `main` renamed to `<Module>_main`, which
// keeps libFuzzer's own `main` from being used.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
