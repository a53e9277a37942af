// See include/cpointwise.h. Every exported function is compiled three times (target_clones);
// the loops are written so that clang vectorises each version for its width: element-wise maps
// as plain loops, reductions with explicit vector accumulators (a float sum in a plain loop is
// never vectorised: that would reorder the additions).
#include "cpointwise.h"

#include <math.h>
#include <string.h>
#include <stdint.h>

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
#define CLONES __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

// e^x = 2^n · e^r, n = round(x / ln 2) by the 1.5 · 2^23 trick (no float-to-int conversion),
// r = x − n · ln 2 with ln 2 in two parts so r is exact, |r| ≤ ln 2 / 2; e^r by its degree-7
// Taylor polynomial; 2^n built in the exponent bits (−126 ≤ n ≤ 127 after the clamp).
static inline float exp_approx(float x) {
    const float low = -87.33654f, high = 88.0f, magic = 12582912.0f;
    float v = x < low ? low : (x > high ? high : x);
    float shifted = v * 1.44269504f + magic;
    float n = shifted - magic;
    float r = v - n * 0.693359375f;
    r = r - n * -2.1219444e-4f;
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t s, m;
    memcpy(&s, &shifted, 4);
    memcpy(&m, &magic, 4);
    int32_t bits = (s - m + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return x < low ? 0.0f : p * scale;
}

typedef float f16 __attribute__((ext_vector_type(16)));
typedef double d8 __attribute__((ext_vector_type(8)));


// Σ (x[i] − shift)^power in double (power 1 or 2), eight lanes at a time.
static inline double sum_powers(const float *x, long n, double shift, int power) {
    d8 acc = 0;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        float f[8];
        memcpy(f, x + i, sizeof f);
        d8 v = { f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7] };
        v -= shift;
        acc += power == 2 ? v * v : v;
    }
    double sum = 0;
    for (int l = 0; l < 8; l++) sum += acc[l];
    for (; i < n; i++) {
        double v = (double)x[i] - shift;
        sum += power == 2 ? v * v : v;
    }
    return sum;
}

CLONES void cp_exp(const float *x, float *out, long n) {
    for (long i = 0; i < n; i++) out[i] = exp_approx(x[i]);
}

CLONES void cp_softmax(float *x, long n) {
    if (n <= 0) return;
    f16 mv = x[0];
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        f16 v;
        memcpy(&v, x + i, sizeof v);
        mv = __builtin_elementwise_max(mv, v);
    }
    float maximum = __builtin_reduce_max(mv);
    for (; i < n; i++) if (x[i] > maximum) maximum = x[i];
    f16 sv = 0;
    i = 0;
    for (; i + 16 <= n; i += 16) {
        float e[16];
        for (int l = 0; l < 16; l++) e[l] = exp_approx(x[i + l] - maximum);
        memcpy(x + i, e, sizeof e);
        f16 v;
        memcpy(&v, e, sizeof v);
        sv += v;
    }
    float sum = 0;
    for (int l = 0; l < 16; l++) sum += sv[l];
    for (; i < n; i++) {
        x[i] = exp_approx(x[i] - maximum);
        sum += x[i];
    }
    float inv = 1 / sum;
    for (i = 0; i < n; i++) x[i] *= inv;
}

CLONES void cp_swiglu(const float *gate, const float *up, float *out, long n) {
    for (long i = 0; i < n; i++) {
        float g = gate[i];
        out[i] = g / (1 + exp_approx(-g)) * up[i];
    }
}

CLONES void cp_silu(float *x, long n) {
    for (long i = 0; i < n; i++) x[i] = x[i] / (1 + exp_approx(-x[i]));
}

CLONES void cp_gelu_tanh(float *x, long n) {
    const float k = 0.79788456f;  // √(2/π)
    for (long i = 0; i < n; i++) {
        float v = x[i];
        x[i] = v / (1 + exp_approx(-2 * k * (v + 0.044715f * v * v * v)));
    }
}

CLONES void cp_add(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] += x[i];
}

CLONES void cp_rms_norm(const float *x, float *out, long t, long c, const float *weight, float eps) {
    for (long row = 0; row < t; row++) {
        const float *xr = x + row * c;
        float *o = out + row * c;
        float inv = (float)(1 / sqrt(sum_powers(xr, c, 0, 2) / c + eps));
        for (long j = 0; j < c; j++) o[j] = xr[j] * inv * weight[j];
    }
}

CLONES void cp_layer_norm(const float *x, float *out, long t, long c, const float *weight, const float *bias, float eps) {
    for (long row = 0; row < t; row++) {
        const float *xr = x + row * c;
        float *o = out + row * c;
        double mean = sum_powers(xr, c, 0, 1) / c;
        float inv = (float)(1 / sqrt(sum_powers(xr, c, mean, 2) / c + eps));
        float m = (float)mean;
        if (bias) for (long j = 0; j < c; j++) o[j] = (xr[j] - m) * inv * weight[j] + bias[j];
        else for (long j = 0; j < c; j++) o[j] = (xr[j] - m) * inv * weight[j];
    }
}

CLONES void cp_rotary(float *x, long t, long heads, long d, const float *cos, const float *sin, int interleaved) {
    long half = d / 2;
    for (long token = 0; token < t; token++) {
        const float *c = cos + token * half, *s = sin + token * half;
        for (long h = 0; h < heads; h++) {
            float *v = x + (token * heads + h) * d;
            if (interleaved) {
                for (long i = 0; i < half; i++) {
                    float x0 = v[2 * i], x1 = v[2 * i + 1];
                    v[2 * i] = x0 * c[i] - x1 * s[i];
                    v[2 * i + 1] = x0 * s[i] + x1 * c[i];
                }
            } else {
                for (long i = 0; i < half; i++) {
                    float x0 = v[i], x1 = v[i + half];
                    v[i] = x0 * c[i] - x1 * s[i];
                    v[i + half] = x0 * s[i] + x1 * c[i];
                }
            }
        }
    }
}

CLONES float cp_dot(const float *x, const float *y, long n) {
    f16 acc = 0;
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        f16 a, b;
        memcpy(&a, x + i, sizeof a);
        memcpy(&b, y + i, sizeof b);
        acc += a * b;
    }
    float sum = 0;
    for (int l = 0; l < 16; l++) sum += acc[l];
    for (; i < n; i++) sum += x[i] * y[i];
    return sum;
}

// The maximum of row[i] − margin(i) over [lo, hi).
static inline float block_max(const float *row, const float *norms, float scale, float tiny, long lo, long hi) {
    f16 best = -INFINITY;
    long i = lo;
    if (norms) {
        for (; i + 16 <= hi; i += 16) {
            f16 v, w;
            memcpy(&v, row + i, sizeof v);
            memcpy(&w, norms + i, sizeof w);
            best = __builtin_elementwise_max(best, v - (scale * w + tiny));
        }
    } else {
        for (; i + 16 <= hi; i += 16) {
            f16 v;
            memcpy(&v, row + i, sizeof v);
            best = __builtin_elementwise_max(best, v);
        }
    }
    float m = __builtin_reduce_max(best);
    for (; i < hi; i++) {
        float v = row[i] - (norms ? scale * norms[i] + tiny : 0);
        if (v > m) m = v;
    }
    return m;
}

CLONES float cp_topk_floor(const float *row, const float *norms, float scale, float tiny, long n, long k) {
    if (k <= 0 || n < k) return -INFINITY;
    long width = n / k;
    float floor = INFINITY;
    for (long b = 0; b < k; b++) {
        long lo = b * width, hi = b == k - 1 ? n : lo + width;
        float m = block_max(row, norms, scale, tiny, lo, hi);
        if (m < floor) floor = m;
    }
    return floor;
}

CLONES long cp_candidates(const float *row, const float *norms, float scale, float tiny, long n, float limit, int *ids) {
    long count = 0, i = 0;
    for (; i + 16 <= n; i += 16) {
        f16 v;
        memcpy(&v, row + i, sizeof v);
        if (norms) {
            f16 w;
            memcpy(&w, norms + i, sizeof w);
            v += scale * w + tiny;
        }
        if (!__builtin_reduce_or(v >= limit)) continue;
        for (int l = 0; l < 16; l++) if (v[l] >= limit) ids[count++] = (int)(i + l);
    }
    for (; i < n; i++) {
        float upper = row[i] + (norms ? scale * norms[i] + tiny : 0);
        if (upper >= limit) ids[count++] = (int)i;
    }
    return count;
}

// XXH3's accumulation: eight 64-bit lanes over 64-byte blocks, each adding the product of the
// two 32-bit halves of its word mixed with a key (one vpmuludq for all lanes) and the
// neighbouring lane's word as is, so every bit of the input reaches a sum. The keys differ per
// lane and change from block to block, so that reordered blocks hash differently. The lanes,
// then the last 0-63 bytes, are folded with a 64-bit multiply-xorshift; a final avalanche follows.
typedef unsigned long long u64x8 __attribute__((ext_vector_type(8)));

static inline uint64_t hash_mix(uint64_t hash, uint64_t word) {
    hash ^= word * 0xC2B2AE3D27D4EB4FULL;
    hash = (hash << 31) | (hash >> 33);
    return hash * 0x9E3779B185EBCA87ULL;
}

CLONES unsigned long long cp_hash64(const unsigned char *bytes, long n) {
    const u64x8 keys = {0xBE4BA423396CFEB8ULL, 0x1CAD21F72C81017CULL, 0xDB979083E96DD4DEULL, 0x1F67B3B7A4A44072ULL,
                        0x78E5C0CC4EE679CBULL, 0x2172FFCC7DD05A82ULL, 0x8E2443F7744608B8ULL, 0x4C263A81E69035E0ULL};
    u64x8 acc = keys ^ (uint64_t)n, key = keys;
    long i = 0;
    for (; i + 64 <= n; i += 64, key += 0x9E3779B97F4A7C15ULL) {
        u64x8 word;
        memcpy(&word, bytes + i, sizeof word);
        u64x8 mixed = word ^ key;
        acc += (mixed & 0xFFFFFFFFULL) * (mixed >> 32);
        acc += __builtin_shufflevector(word, word, 1, 0, 3, 2, 5, 4, 7, 6);
    }
    uint64_t hash = 0x27D4EB2F165667C5ULL ^ ((uint64_t)n * 0x9E3779B185EBCA87ULL);
    for (int lane = 0; lane < 8; lane++) hash = hash_mix(hash, acc[lane]);
    for (; i + 8 <= n; i += 8) {
        uint64_t word;
        memcpy(&word, bytes + i, 8);
        hash = hash_mix(hash, word);
    }
    uint64_t tail = 0;
    for (int shift = 0; i < n; i++, shift += 8) tail |= (uint64_t)bytes[i] << shift;
    hash = hash_mix(hash, tail);
    hash ^= hash >> 33;
    hash *= 0xC2B2AE3D27D4EB4FULL;
    hash ^= hash >> 29;
    return hash;
}
