// AVX2/FMA fast paths for 4-bit group quantisation, NK layout, group 32 (q4f16_1, q4bf16_1, q4f32_1):
// the decode GEMV with dequantisation fused into the dot, and the prefill matmul that dequantises a
// tile of weight rows once and reuses it across the chunk's tokens in a 4x2 register-blocked kernel.
// Selected by the C++ renderer's intrinsic table only when __AVX2__ and __FMA__ are defined; the
// portable IR-generated loops are the fallback, and both pass the same conformance tests.
#pragma once
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define NX_HAVE_AVX2_Q4 1

// Scale storage: 0 = float32, 1 = float16, 2 = bfloat16.
template <int SK> static inline float nx_scale(const void *s, int64_t i);
template <> inline float nx_scale<0>(const void *s, int64_t i) { return ((const float *)s)[i]; }
template <> inline float nx_scale<1>(const void *s, int64_t i) { return nx_h2f(((const uint16_t *)s)[i]); }
template <> inline float nx_scale<2>(const void *s, int64_t i) { return nx_bf2f(((const uint16_t *)s)[i]); }

static inline float nx_hsum256(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
  return _mm_cvtss_f32(lo);
}

// The 8 nibbles of one packed word (LSB first) as floats 0..15.
static inline __m256 nx_q4_unpack(uint32_t word) {
  const __m256i shifts = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
  const __m256i q = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)word), shifts), _mm256_set1_epi32(15));
  return _mm256_cvtepi32_ps(q);
}

// y[row] = sum_k x[k] * (q[row,k] - 7) * s[row, k/32] (+ b[row]) for all rows, K % 32 == 0.
// Per group: s * (sum x*q - 7 * sum x); the group sums of x are computed once per call.
template <int SK, int BK, int64_t N, int64_t K>
static void nx_q4_gemv(nx_pool *pool, const float *x, const uint32_t *qw, const void *qs, const void *b, float *y) {
  constexpr int64_t G = K / 32, W = K / 8;
  float xsum[G];
  for (int64_t g = 0; g < G; ++g) {
    float s = 0.f;
    for (int i = 0; i < 32; ++i) s += x[g * 32 + i];
    xsum[g] = s;
  }
  nx_parallel_for(pool, 0, (N + 1) / 2, [&](int64_t lo, int64_t hi) {
    for (int64_t rp = lo; rp < hi; ++rp) {
      for (int64_t row = rp * 2; row < std::min<int64_t>(N, rp * 2 + 2); ++row) {
        const uint32_t *w = qw + row * W;
        __m256 acc = _mm256_setzero_ps();
        float corr = 0.f;
        for (int64_t g = 0; g < G; ++g) {
          const float *xg = x + g * 32;
          __m256 ga = _mm256_mul_ps(_mm256_loadu_ps(xg), nx_q4_unpack(w[g * 4]));
          ga = _mm256_fmadd_ps(_mm256_loadu_ps(xg + 8), nx_q4_unpack(w[g * 4 + 1]), ga);
          ga = _mm256_fmadd_ps(_mm256_loadu_ps(xg + 16), nx_q4_unpack(w[g * 4 + 2]), ga);
          ga = _mm256_fmadd_ps(_mm256_loadu_ps(xg + 24), nx_q4_unpack(w[g * 4 + 3]), ga);
          const float s = nx_scale<SK>(qs, row * G + g);
          acc = _mm256_fmadd_ps(_mm256_set1_ps(s), ga, acc);
          corr += s * xsum[g];
        }
        float r = nx_hsum256(acc) - 7.f * corr;
        if (BK >= 0 && b) r += BK == 0 ? ((const float *)b)[row] : nx_scale<BK == 1 ? 1 : 2>(b, row);
        y[row] = r;
      }
    }
  });
}

// Dequantise rows [r0, r0 + rows) of W to f32 into wt[rows][K].
template <int SK, int64_t K>
static inline void nx_q4_dequant_rows(const uint32_t *qw, const void *qs, int64_t r0, int64_t rows, float *wt) {
  constexpr int64_t G = K / 32, W = K / 8;
  const __m256 seven = _mm256_set1_ps(7.f);
  for (int64_t r = 0; r < rows; ++r) {
    const uint32_t *w = qw + (r0 + r) * W;
    float *o = wt + r * K;
    for (int64_t g = 0; g < G; ++g) {
      const __m256 s = _mm256_set1_ps(nx_scale<SK>(qs, (r0 + r) * G + g));
      for (int j = 0; j < 4; ++j) _mm256_storeu_ps(o + g * 32 + j * 8, _mm256_mul_ps(_mm256_sub_ps(nx_q4_unpack(w[g * 4 + j]), seven), s));
    }
  }
}

// y[t, r0 + r] = dot(x[t], wt[r]) for t < n, r < rows: 4 tokens x 2 rows per register block.
template <int64_t K>
static inline void nx_gemm_tile(const float *x, int64_t n, const float *wt, int64_t rows, float *y, int64_t ldy, int64_t r0) {
  int64_t t = 0;
  for (; t + 4 <= n; t += 4) {
    int64_t r = 0;
    for (; r + 2 <= rows; r += 2) {
      __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
      const float *w0 = wt + r * K, *w1 = w0 + K;
      const float *x0 = x + t * K, *x1 = x0 + K, *x2 = x1 + K, *x3 = x2 + K;
      for (int64_t k = 0; k < K; k += 8) {
        const __m256 b0 = _mm256_loadu_ps(w0 + k), b1 = _mm256_loadu_ps(w1 + k);
        __m256 v = _mm256_loadu_ps(x0 + k);
        a00 = _mm256_fmadd_ps(v, b0, a00); a01 = _mm256_fmadd_ps(v, b1, a01);
        v = _mm256_loadu_ps(x1 + k);
        a10 = _mm256_fmadd_ps(v, b0, a10); a11 = _mm256_fmadd_ps(v, b1, a11);
        v = _mm256_loadu_ps(x2 + k);
        a20 = _mm256_fmadd_ps(v, b0, a20); a21 = _mm256_fmadd_ps(v, b1, a21);
        v = _mm256_loadu_ps(x3 + k);
        a30 = _mm256_fmadd_ps(v, b0, a30); a31 = _mm256_fmadd_ps(v, b1, a31);
      }
      float *yr = y + t * ldy + r0 + r;
      yr[0] = nx_hsum256(a00); yr[1] = nx_hsum256(a01);
      yr[ldy] = nx_hsum256(a10); yr[ldy + 1] = nx_hsum256(a11);
      yr[2 * ldy] = nx_hsum256(a20); yr[2 * ldy + 1] = nx_hsum256(a21);
      yr[3 * ldy] = nx_hsum256(a30); yr[3 * ldy + 1] = nx_hsum256(a31);
    }
    for (; r < rows; ++r)
      for (int64_t tt = t; tt < t + 4; ++tt) {
        __m256 a = _mm256_setzero_ps();
        for (int64_t k = 0; k < K; k += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(x + tt * K + k), _mm256_loadu_ps(wt + r * K + k), a);
        y[tt * ldy + r0 + r] = nx_hsum256(a);
      }
  }
  for (; t < n; ++t)
    for (int64_t r = 0; r < rows; ++r) {
      __m256 a = _mm256_setzero_ps();
      for (int64_t k = 0; k < K; k += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(x + t * K + k), _mm256_loadu_ps(wt + r * K + k), a);
      y[t * ldy + r0 + r] = nx_hsum256(a);
    }
}

// Prefill: tiles of TR weight rows dequantised once, reused for all n tokens.
template <int SK, int BK, int64_t N, int64_t K>
static void nx_q4_matmul(nx_pool *pool, const float *x, const uint32_t *qw, const void *qs, const void *b, float *y, int32_t n) {
  constexpr int64_t TR = 16;
  nx_parallel_for(pool, 0, (N + TR - 1) / TR, [&](int64_t lo, int64_t hi) {
    thread_local std::vector<float> tile;
    if (tile.size() < (size_t)(TR * K)) tile.resize(TR * K);
    for (int64_t tb = lo; tb < hi; ++tb) {
      const int64_t r0 = tb * TR, rows = std::min<int64_t>(TR, N - r0);
      nx_q4_dequant_rows<SK, K>(qw, qs, r0, rows, tile.data());
      nx_gemm_tile<K>(x, n, tile.data(), rows, y, N, r0);
      if (BK >= 0 && b)
        for (int64_t t = 0; t < n; ++t)
          for (int64_t r = 0; r < rows; ++r)
            y[t * N + r0 + r] += BK == 0 ? ((const float *)b)[r0 + r] : nx_scale<BK == 1 ? 1 : 2>(b, r0 + r);
    }
  });
}
#endif
