// The element-wise loops of a forward pass (exp, softmax, SiLU, GELU, normalisations, rotary
// embedding, residual adds) in C, each compiled for AVX-512, for AVX2 + FMA and for the
// baseline, the version chosen once at load by the CPU (clang's target_clones). Swift has no
// per-function target: its SIMD types compile for the baseline (SSE2) on x86-64.
// Legend: T tokens, C channels, H heads, D head dimension.
#ifndef SAESCOPE_CPOINTWISE_H
#define SAESCOPE_CPOINTWISE_H

/// out[i] = e^x[i] for i < n (`out` may be `x`): within a few ulp over [-87.3, 88]; 0 below
/// -87.3; inputs above 88 give e^88.
void cp_exp(const float *x, float *out, long n);

/// Softmax of x[0 ..< n] in place, the maximum subtracted first.
void cp_softmax(float *x, long n);

/// out[i] = silu(gate[i]) · up[i] (Llama's SwiGLU); `out` may be `gate`.
void cp_swiglu(const float *gate, const float *up, float *out, long n);

/// x[i] = x[i] · sigmoid(x[i]), in place.
void cp_silu(float *x, long n);

/// x[i] = GELU(x[i]) with the tanh approximation, as x / (1 + e^(-2u)), u = √(2/π)(x + 0.044715x³).
void cp_gelu_tanh(float *x, long n);

/// y[i] += x[i].
void cp_add(const float *x, float *y, long n);

/// out (T, C) = x / sqrt(mean(x²) + eps) · weight per token, sums in double; `out` may be `x`.
void cp_rms_norm(const float *x, float *out, long t, long c, const float *weight, float eps);

/// out (T, C) = (x − mean) / sqrt(var + eps) · weight + bias (bias may be NULL) per token, the
/// biased variance, sums in double; `out` may be `x`.
void cp_layer_norm(const float *x, float *out, long t, long c, const float *weight, const float *bias, float eps);

/// Rotates x (T, H, D) in place: token i at table row `i`, cos and sin (rows of D/2).
/// interleaved: pairs (x[2j], x[2j+1]); else halves: (x[j], x[j + D/2]).
void cp_rotary(float *x, long t, long heads, long d, const float *cos, const float *sin, int interleaved);

// The SAE encoder's scans of a pre-activation row (Sources/SparseAutoencoder/Encoder.swift).
// margin(i) = scale · norms[i] + tiny bounds how far row[i] may lie from its float32 value
// (bfloat16 products); norms NULL means margin(i) = 0 (float32 rows).

/// x · y over n values in float32 (sixteen partial sums).
float cp_dot(const float *x, const float *y, long n);

/// The smallest of k block maxima of row[i] − margin(i): blocks of n / k latents, the last one
/// taking the rest. k distinct latents reach it, so it is a floor under the k-th largest.
float cp_topk_floor(const float *row, const float *norms, float scale, float tiny, long n, long k);

/// Writes, in order, every i < n with row[i] + margin(i) ≥ limit into ids (room for n);
/// returns how many.
long cp_candidates(const float *row, const float *norms, float scale, float tiny, long n, float limit, int *ids);

// Bytes (Sources/HTTP/ETag.swift).

/// A 64-bit hash of n bytes for strong entity tags: not cryptographic, only meant to change
/// whenever the bytes do.
unsigned long long cp_hash64(const unsigned char *bytes, long n);

#endif
