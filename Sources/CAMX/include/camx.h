// Matrix products on Intel AMX tiles in bfloat16 with float32 accumulation.
// Legend: M rows of the left operand (tokens), K the shared dimension, N output columns.
#ifndef SAESCOPE_CAMX_H
#define SAESCOPE_CAMX_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has AMX-BF16 tiles and the kernel lets this process use them, else 0.
/// Asks the kernel for permission on the first call (Linux 5.16+); cheap afterwards.
int camx_available(void);

/// Elements (uint16 bfloat16) of a packed (N, K) weight: N rounded up to 32, K to 32.
size_t camx_packed_count(int n, int k);

/// Packs w (N, K) float32, row-major (a linear layer's (out, in) weight), into AMX's tile
/// layout in bfloat16 (rounded to nearest even), zero-padded; `packed` holds camx_packed_count.
void camx_pack(const float *w, int n, int k, uint16_t *packed);

/// Elements (uint16 bfloat16) of a converted left operand: M rounded up to 32, K to 32.
size_t camx_converted_count(int m, int k);

/// Rows [row_begin, row_end) of a (M, K) float32 in bfloat16 (rounded to nearest even), in
/// AMX's tile order (camx.c), zero-padded to camx_converted_count's shape: rows at or past M
/// are zeros, so row_end may reach M rounded up to 32. Threads may convert disjoint rows.
void camx_convert(const float *a, int m, int k, int row_begin, int row_end, uint16_t *converted);

/// c (M, N) = a (M, K) · wᵀ (+ c when accumulate), with a converted by camx_convert and w
/// packed by camx_pack, computing output columns [n_begin, n_end) only (n_begin a multiple of
/// 32), so that threads can share one product. Products are summed in float32. Call only when
/// camx_available() returned 1.
void camx_linear(const uint16_t *a, const uint16_t *packed, float *c, int m, int n, int k,
                 int n_begin, int n_end, int accumulate);

#endif
