// AMX bfloat16 matrix products (see include/camx.h).
//
// TDPBF16PS multiplies an A tile (16 rows × 32 bf16) by a B tile (16 rows × 16 pairs of bf16,
// "VNNI" order: row r holds, for each of 16 output columns, the weights of k = 2r and 2r + 1)
// into a C tile (16 × 16 float32). The loops below hold a 32 × 32 block of C in four tiles,
// reading two A tiles and two B tiles per step of 32 along K.
#include "camx.h"

#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <immintrin.h>

#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

static int amx_state = -1;  // -1 not checked yet, 0 no, 1 yes

int camx_available(void) {
    int state = __atomic_load_n(&amx_state, __ATOMIC_ACQUIRE);
    if (state >= 0) return state;
    unsigned eax, ebx, ecx, edx;
    int ok = 0;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
        int tile = (edx >> 24) & 1, bf16 = (edx >> 22) & 1;
        // The OS must also save tile state (OSXSAVE, then XCR0 bits 17 and 18).
        unsigned xcr0_lo = 0, xcr0_hi = 0;
        if (tile && bf16 && __get_cpuid(1, &eax, &ebx, &ecx, &edx) && ((ecx >> 27) & 1)) {
            __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
            if ((xcr0_lo & (3u << 17)) == (3u << 17))
                ok = syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
        }
    }
    __atomic_store_n(&amx_state, ok, __ATOMIC_RELEASE);
    return ok;
}
#else
int camx_available(void) { return 0; }
#endif

static inline int round_up(int x, int to) { return (x + to - 1) / to * to; }

/// float32 → bfloat16, rounded to nearest even; NaN stays NaN.
static inline uint16_t to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

size_t camx_packed_count(int n, int k) { return (size_t)round_up(n, 32) * (size_t)round_up(k, 32); }

// Packed order: for each block of 16 columns, for each block of 32 along K, one B tile of
// 16 rows × 32 bf16 (row r: column j's k = 2r, 2r + 1 for j = 0 ..< 16).
void camx_pack(const float *w, int n, int k, uint16_t *packed) {
    int np = round_up(n, 32), kp = round_up(k, 32), kb_count = kp / 32;
    for (int jb = 0; jb < np / 16; jb++) {
        for (int kb = 0; kb < kb_count; kb++) {
            uint16_t *tile = packed + ((size_t)jb * kb_count + kb) * 512;
            for (int r = 0; r < 16; r++) {
                for (int j = 0; j < 16; j++) {
                    for (int p = 0; p < 2; p++) {
                        int row = jb * 16 + j, col = kb * 32 + 2 * r + p;
                        tile[r * 32 + j * 2 + p] = row < n && col < k ? to_bf16(w[(size_t)row * k + col]) : 0;
                    }
                }
            }
        }
    }
}

size_t camx_converted_count(int m, int k) { return (size_t)round_up(m, 32) * (size_t)round_up(k, 32); }

#if defined(__x86_64__) && defined(__linux__)
typedef struct {
    uint8_t palette, start_row;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} tile_config;

// Converted order: for each block of 16 rows, for each block of 32 along K, one A tile of
// 16 rows × 32 bf16, 1 KiB contiguous. A row block's tiles follow each other along K, so the
// kernel reads them sequentially (rows of a row-major bf16 copy lie 2·K bytes apart, one cache
// line per tile row: the tile loads waited on L2 and the kernel ran at half the speed).

/// src[0 ..< k] in bf16 (rounded to nearest even, as to_bf16), zeros up to K rounded to 32,
/// in pieces of 32 written 512 elements apart: one row of each of a row block's A tiles.
/// Every CPU with AMX-BF16 has AVX512-BF16's converting instruction.
__attribute__((target("avx512f,avx512bf16,avx512vl")))
static void convert_row(const float *src, int k, uint16_t *tiles) {
    int p = 0;
    for (; p + 16 <= k; p += 16) {
        __m256bh v = _mm512_cvtneps_pbh(_mm512_loadu_ps(src + p));
        _mm256_storeu_si256((__m256i *)(tiles + (size_t)(p / 32) * 512 + p % 32), (__m256i)v);
    }
    for (; p < round_up(k, 32); p++) tiles[(size_t)(p / 32) * 512 + p % 32] = p < k ? to_bf16(src[p]) : 0;
}

void camx_convert(const float *a, int m, int k, int row_begin, int row_end, uint16_t *converted) {
    int kb_count = round_up(k, 32) / 32;
    for (int i = row_begin; i < row_end; i++) {
        uint16_t *tiles = converted + (size_t)(i / 16) * kb_count * 512 + (i % 16) * 32;
        if (i < m) convert_row(a + (size_t)i * k, k, tiles);
        else for (int kb = 0; kb < kb_count; kb++) memset(tiles + (size_t)kb * 512, 0, 64);
    }
}

__attribute__((target("amx-tile,amx-bf16")))
void camx_linear(const uint16_t *abf, const uint16_t *packed, float *c, int m, int n, int k,
                 int n_begin, int n_end, int accumulate) {
    int mp = round_up(m, 32), kp = round_up(k, 32), kb_count = kp / 32;
    if (n_end > n) n_end = n;
    if (n_begin >= n_end) return;
    // A 32 × 32 block of c at the edges goes through here.
    float block[32 * 32] __attribute__((aligned(64)));

    tile_config config;
    memset(&config, 0, sizeof config);
    config.palette = 1;
    for (int t = 0; t < 8; t++) { config.rows[t] = 16; config.colsb[t] = 64; }
    _tile_loadconfig(&config);

    const size_t c_stride = (size_t)n * 4;  // bytes
    const int row_blocks = mp / 32;
    for (int j0 = n_begin; j0 < n_end; j0 += 32) {
        const uint16_t *b0 = packed + (size_t)(j0 / 16) * kb_count * 512;
        const uint16_t *b1 = b0 + (size_t)kb_count * 512;
        // The next column block's weights (2 KiB per step along K), fetched while this block
        // computes, spread evenly over its row blocks: the first tile loads of a block that
        // miss every cache otherwise stall, and the hardware prefetcher does not run ahead.
        const char *next = (const char *)(b0 + (size_t)2 * kb_count * 512);
        const int next_lines = j0 + 32 < n_end ? kb_count * 32 : 0;
        const int lines_per_block = (next_lines + row_blocks - 1) / row_blocks;
        const int lines_per_step = (lines_per_block + kb_count - 1) / kb_count;
        for (int i0 = 0; i0 < mp; i0 += 32) {
            int rows = m - i0 < 32 ? m - i0 : 32, cols = n_end - j0 < 32 ? n_end - j0 : 32;
            // A whole 32 × 32 block of c is read and written by the tiles themselves; a block
            // at the edges goes through `block`.
            int whole = rows == 32 && cols == 32;
            float *c_block = c + (size_t)i0 * n + j0;
            if (whole && accumulate) {
                _tile_loadd(0, c_block, c_stride);
                _tile_loadd(1, c_block + 16, c_stride);
                _tile_loadd(2, c_block + (size_t)16 * n, c_stride);
                _tile_loadd(3, c_block + (size_t)16 * n + 16, c_stride);
            } else {
                _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
            }
            const uint16_t *a0 = abf + (size_t)(i0 / 16) * kb_count * 512, *a1 = a0 + (size_t)kb_count * 512;
            int line = (i0 / 32) * lines_per_block, line_end = line + lines_per_block;
            if (line_end > next_lines) line_end = next_lines;
            for (int kb = 0; kb < kb_count; kb++) {
                for (int q = 0; q < lines_per_step && line < line_end; q++, line++)
                    _mm_prefetch(next + (size_t)line * 64, _MM_HINT_T0);
                _tile_loadd(4, a0 + (size_t)kb * 512, 64);
                _tile_loadd(5, a1 + (size_t)kb * 512, 64);
                _tile_loadd(6, b0 + (size_t)kb * 512, 64);
                _tile_loadd(7, b1 + (size_t)kb * 512, 64);
                _tile_dpbf16ps(0, 4, 6);
                _tile_dpbf16ps(1, 4, 7);
                _tile_dpbf16ps(2, 5, 6);
                _tile_dpbf16ps(3, 5, 7);
            }
            if (whole) {
                _tile_stored(0, c_block, c_stride);
                _tile_stored(1, c_block + 16, c_stride);
                _tile_stored(2, c_block + (size_t)16 * n, c_stride);
                _tile_stored(3, c_block + (size_t)16 * n + 16, c_stride);
                continue;
            }
            // block (32 × 32): tiles 0 1 on top, 2 3 below.
            _tile_stored(0, block, 128);
            _tile_stored(1, block + 16, 128);
            _tile_stored(2, block + 16 * 32, 128);
            _tile_stored(3, block + 16 * 32 + 16, 128);
            for (int i = 0; i < rows; i++) {
                float *dst = c_block + (size_t)i * n;
                const float *src = block + i * 32;
                if (accumulate) for (int j = 0; j < cols; j++) dst[j] += src[j];
                else memcpy(dst, src, (size_t)cols * 4);
            }
        }
    }
    _tile_release();
}
#else
void camx_convert(const float *a, int m, int k, int row_begin, int row_end, uint16_t *converted) {
    (void)a; (void)m; (void)k; (void)row_begin; (void)row_end; (void)converted;
}

void camx_linear(const uint16_t *abf, const uint16_t *packed, float *c, int m, int n, int k,
                 int n_begin, int n_end, int accumulate) {
    (void)abf; (void)packed; (void)c; (void)m; (void)n; (void)k; (void)n_begin; (void)n_end; (void)accumulate;
}
#endif
