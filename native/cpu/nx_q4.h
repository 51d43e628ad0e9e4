// AVX2/FMA (and AVX-512 where enabled) fast paths for 4-bit group quantisation, NK layout, group 32
// (q4f16_1, q4bf16_1, q4f32_1): the decode GEMV with dequantisation fused into the dot (or, at O3,
// int8 activations with integer dot products), and the prefill matmul that dequantises a tile of
// weight rows once and reuses it across the chunk's tokens in a register-blocked kernel.
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

// Dot of one row's packed words with x, group by group: s * (sum x*q - 7 * sum x). Two independent
// FMA chains per group and two rows per step keep the FMA latency hidden.
template <int SK, int64_t K>
static inline void nx_q4_dot2(const float *x, const float *xsum, const uint32_t *qw, const void *qs, int64_t row0, int64_t row1,
                              float *out0, float *out1) {
  constexpr int64_t G = K / 32, W = K / 8;
  const uint32_t *w0 = qw + row0 * W, *w1 = qw + row1 * W;
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  float corr0 = 0.f, corr1 = 0.f;
  for (int64_t g = 0; g < G; ++g) {
    const float *xg = x + g * 32;
    const __m256 x0 = _mm256_loadu_ps(xg), x1 = _mm256_loadu_ps(xg + 8), x2 = _mm256_loadu_ps(xg + 16), x3 = _mm256_loadu_ps(xg + 24);
    __m256 a = _mm256_mul_ps(x0, nx_q4_unpack(w0[g * 4]));
    __m256 b = _mm256_mul_ps(x1, nx_q4_unpack(w0[g * 4 + 1]));
    a = _mm256_fmadd_ps(x2, nx_q4_unpack(w0[g * 4 + 2]), a);
    b = _mm256_fmadd_ps(x3, nx_q4_unpack(w0[g * 4 + 3]), b);
    __m256 c = _mm256_mul_ps(x0, nx_q4_unpack(w1[g * 4]));
    __m256 d = _mm256_mul_ps(x1, nx_q4_unpack(w1[g * 4 + 1]));
    c = _mm256_fmadd_ps(x2, nx_q4_unpack(w1[g * 4 + 2]), c);
    d = _mm256_fmadd_ps(x3, nx_q4_unpack(w1[g * 4 + 3]), d);
    const float s0 = nx_scale<SK>(qs, row0 * G + g), s1 = nx_scale<SK>(qs, row1 * G + g);
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(s0), _mm256_add_ps(a, b), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(s1), _mm256_add_ps(c, d), acc1);
    corr0 += s0 * xsum[g];
    corr1 += s1 * xsum[g];
  }
  *out0 = nx_hsum256(acc0) - 7.f * corr0;
  *out1 = nx_hsum256(acc1) - 7.f * corr1;
}

#if defined(__AVX512F__)
// 16 nibbles of two consecutive packed words as floats 0..15 (cpu:native builds).
static inline __m512 nx_q4_unpack16(const uint32_t *w) {
  const __m512i idx = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  const __m512i shifts = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 4, 8, 12, 16, 20, 24, 28);
  const __m512i v = _mm512_permutexvar_epi32(idx, _mm512_castsi128_si512(_mm_loadl_epi64((const __m128i *)w)));
  return _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_srlv_epi32(v, shifts), _mm512_set1_epi32(15)));
}

template <int SK, int64_t K>
static inline void nx_q4_dot2_512(const float *x, const float *xsum, const uint32_t *qw, const void *qs, int64_t row0, int64_t row1,
                                  float *out0, float *out1) {
  constexpr int64_t G = K / 32, W = K / 8;
  const uint32_t *w0 = qw + row0 * W, *w1 = qw + row1 * W;
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  float corr0 = 0.f, corr1 = 0.f;
  for (int64_t g = 0; g < G; ++g) {
    const __m512 xa = _mm512_loadu_ps(x + g * 32), xb = _mm512_loadu_ps(x + g * 32 + 16);
    const __m512 a = _mm512_fmadd_ps(xb, nx_q4_unpack16(w0 + g * 4 + 2), _mm512_mul_ps(xa, nx_q4_unpack16(w0 + g * 4)));
    const __m512 c = _mm512_fmadd_ps(xb, nx_q4_unpack16(w1 + g * 4 + 2), _mm512_mul_ps(xa, nx_q4_unpack16(w1 + g * 4)));
    const float s0 = nx_scale<SK>(qs, row0 * G + g), s1 = nx_scale<SK>(qs, row1 * G + g);
    acc0 = _mm512_fmadd_ps(_mm512_set1_ps(s0), a, acc0);
    acc1 = _mm512_fmadd_ps(_mm512_set1_ps(s1), c, acc1);
    corr0 += s0 * xsum[g];
    corr1 += s1 * xsum[g];
  }
  *out0 = _mm512_reduce_add_ps(acc0) - 7.f * corr0;
  *out1 = _mm512_reduce_add_ps(acc1) - 7.f * corr1;
}
#define NX_Q4_DOT2 nx_q4_dot2_512
#else
#define NX_Q4_DOT2 nx_q4_dot2
#endif

// y[row] = sum_k x[k] * (q[row,k] - 7) * s[row, k/32] (+ b[row]) for all rows, K % 32 == 0.
template <int SK, int BK, int64_t N, int64_t K>
static void nx_q4_gemv(nx_pool *pool, const float *x, const uint32_t *qw, const void *qs, const void *b, float *y) {
  constexpr int64_t G = K / 32;
  float xsum[G];
  for (int64_t g = 0; g < G; ++g) {
    float s = 0.f;
    for (int i = 0; i < 32; ++i) s += x[g * 32 + i];
    xsum[g] = s;
  }
  // Blocks of 16 rows per task: few pool round-trips, still balanced for N in the hundreds.
  constexpr int64_t RB = 16;
  nx_parallel_for(pool, 0, (N + RB - 1) / RB, [&](int64_t lo, int64_t hi) {
    for (int64_t blk = lo; blk < hi; ++blk) {
      const int64_t end = std::min<int64_t>(N, blk * RB + RB);
      for (int64_t row = blk * RB; row < end; row += 2) {
        const int64_t row1 = row + 1 < end ? row + 1 : row;  // odd tail: compute the last row twice
        float r0, r1;
        NX_Q4_DOT2<SK, K>(x, xsum, qw, qs, row, row1, &r0, &r1);
        if (BK >= 0 && b) {
          r0 += BK == 0 ? ((const float *)b)[row] : nx_scale<BK == 1 ? 1 : 2>(b, row);
          if (row + 1 < end) r1 += BK == 0 ? ((const float *)b)[row + 1] : nx_scale<BK == 1 ? 1 : 2>(b, row + 1);
        }
        y[row] = r0;
        if (row + 1 < end) y[row + 1] = r1;
      }
    }
  });
}

// ---- int8 activations (opt level O3; llama.cpp Q8_0-style) ----
// x is quantised per group of 32 to int8 with scale d = max|x| / 127, stored in the order the packed
// weights unpack to: a group's 16 bytes hold elements 2i (low nibble) and 2i + 1 (high nibble) of
// byte i, so the low nibbles are the even elements and the high nibbles the odd ones.
static inline void nx_q8_quantize_group(const float *x, int8_t *q, float *d, int32_t *qsum) {
  float amax = 0.f;
  for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
  const float scale = amax / 127.f, inv = amax > 0.f ? 127.f / amax : 0.f;
  int32_t sum = 0;
  for (int i = 0; i < 16; ++i) {
    const int e = (int)std::nearbyint(x[2 * i] * inv), o = (int)std::nearbyint(x[2 * i + 1] * inv);
    q[i] = (int8_t)e;
    q[16 + i] = (int8_t)o;
    sum += e + o;
  }
  *d = scale;
  *qsum = sum;
}

// 8 int32 partial sums of (unsigned 4-bit codes) x (signed int8) over one group of 32.
static inline __m256i nx_q4q8_group(const uint32_t *w, const __m256i xq) {
  const __m128i raw = _mm_loadu_si128((const __m128i *)w);
  const __m128i m = _mm_set1_epi8(15);
  const __m256i codes = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), m), _mm_and_si128(raw, m));
#if defined(__AVXVNNI__)
  return _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), codes, xq);
#elif defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), codes, xq);
#else
  return _mm256_madd_epi16(_mm256_maddubs_epi16(codes, xq), _mm256_set1_epi16(1));
#endif
}

template <int SK, int BK, int64_t N, int64_t K>
static void nx_q4_gemv_q8(nx_pool *pool, const float *x, const uint32_t *qw, const void *qs, const void *b, float *y) {
  constexpr int64_t G = K / 32, W = K / 8;
  alignas(32) int8_t xq[K];
  float dx[G], dsum[G];
  for (int64_t g = 0; g < G; ++g) {
    int32_t qsum;
    nx_q8_quantize_group(x + g * 32, xq + g * 32, &dx[g], &qsum);
    dsum[g] = dx[g] * (float)qsum;
  }
  constexpr int64_t RB = 16;
  nx_parallel_for(pool, 0, (N + RB - 1) / RB, [&](int64_t lo, int64_t hi) {
    for (int64_t blk = lo; blk < hi; ++blk) {
      const int64_t end = std::min<int64_t>(N, blk * RB + RB);
      for (int64_t row = blk * RB; row < end; row += 2) {
        const int64_t row1 = row + 1 < end ? row + 1 : row;
        const uint32_t *w0 = qw + row * W, *w1 = qw + row1 * W;
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
        float corr0 = 0.f, corr1 = 0.f;
        for (int64_t g = 0; g < G; ++g) {
          const __m256i v = _mm256_load_si256((const __m256i *)(xq + g * 32));
          const float s0 = nx_scale<SK>(qs, row * G + g), s1 = nx_scale<SK>(qs, row1 * G + g);
          acc0 = _mm256_fmadd_ps(_mm256_set1_ps(s0 * dx[g]), _mm256_cvtepi32_ps(nx_q4q8_group(w0 + g * 4, v)), acc0);
          acc1 = _mm256_fmadd_ps(_mm256_set1_ps(s1 * dx[g]), _mm256_cvtepi32_ps(nx_q4q8_group(w1 + g * 4, v)), acc1);
          corr0 += s0 * dsum[g];
          corr1 += s1 * dsum[g];
        }
        float r0 = nx_hsum256(acc0) - 7.f * corr0, r1 = nx_hsum256(acc1) - 7.f * corr1;
        if (BK >= 0 && b) {
          r0 += BK == 0 ? ((const float *)b)[row] : nx_scale<BK == 1 ? 1 : 2>(b, row);
          if (row + 1 < end) r1 += BK == 0 ? ((const float *)b)[row + 1] : nx_scale<BK == 1 ? 1 : 2>(b, row + 1);
        }
        y[row] = r0;
        if (row + 1 < end) y[row + 1] = r1;
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


// Prefill (BLIS-style): a panel of TR weight rows is dequantised once, transposed (wt[k][r]), and
// reused for every token; the micro-kernel keeps a 6-token x NR-row block of outputs in registers
// and streams k, broadcasting one activation per token per step: no horizontal sums, and about two
// loads per three FMAs. Rows beyond N in the last panel are zero and never stored. Used where
// AVX-512 is available (cpu:native on AVX-512 hosts); measured slower than the tile kernel with AVX2's
// 16 registers, so AVX2 builds keep nx_q4_matmul_tile.
#if defined(__AVX512F__)
#define NX_VW 16
typedef __m512 nx_vf;
static inline nx_vf nx_vzero() { return _mm512_setzero_ps(); }
static inline nx_vf nx_vload(const float *p) { return _mm512_loadu_ps(p); }
static inline void nx_vstore(float *p, nx_vf v) { _mm512_storeu_ps(p, v); }
static inline nx_vf nx_vbcast(const float *p) { return _mm512_set1_ps(*p); }
static inline nx_vf nx_vfma(nx_vf a, nx_vf b, nx_vf c) { return _mm512_fmadd_ps(a, b, c); }
constexpr int64_t NX_NR = 2 * NX_VW;  // rows per micro-tile
constexpr int64_t NX_MR = 6;          // tokens per micro-tile

static inline void nx_transpose8(__m256 &r0, __m256 &r1, __m256 &r2, __m256 &r3, __m256 &r4, __m256 &r5, __m256 &r6, __m256 &r7) {
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5), t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE), u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE), u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r0 = _mm256_permute2f128_ps(u0, u4, 0x20); r1 = _mm256_permute2f128_ps(u1, u5, 0x20);
  r2 = _mm256_permute2f128_ps(u2, u6, 0x20); r3 = _mm256_permute2f128_ps(u3, u7, 0x20);
  r4 = _mm256_permute2f128_ps(u0, u4, 0x31); r5 = _mm256_permute2f128_ps(u1, u5, 0x31);
  r6 = _mm256_permute2f128_ps(u2, u6, 0x31); r7 = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// Dequantise rows [r0, r0 + rows) into the transposed panel wt[k * TR + r]; rows up to TR are zero.
// Eight rows at a time: each packed word gives 8 consecutive k of one row; an 8x8 transpose turns
// them into 8 rows of one k, stored as one vector.
template <int SK, int64_t K, int64_t TR>
static inline void nx_q4_dequant_panel(const uint32_t *qw, const void *qs, int64_t r0, int64_t rows, float *wt) {
  constexpr int64_t G = K / 32, W = K / 8;
  const __m256 seven = _mm256_set1_ps(7.f);
  for (int64_t rb = 0; rb < TR; rb += 8) {
    __m256 v[8];
    for (int64_t g = 0; g < G; ++g) {
      __m256 s[8];
      for (int i = 0; i < 8; ++i) s[i] = rb + i < rows ? _mm256_set1_ps(nx_scale<SK>(qs, (r0 + rb + i) * G + g)) : _mm256_setzero_ps();
      for (int j = 0; j < 4; ++j) {
        for (int i = 0; i < 8; ++i) {
          const uint32_t word = rb + i < rows ? qw[(r0 + rb + i) * W + g * 4 + j] : 0u;
          v[i] = _mm256_mul_ps(_mm256_sub_ps(nx_q4_unpack(word), seven), s[i]);
        }
        nx_transpose8(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
        float *o = wt + (g * 32 + j * 8) * TR + rb;
        for (int kk = 0; kk < 8; ++kk) _mm256_storeu_ps(o + kk * TR, v[kk]);
      }
    }
  }
}

// y[t, r0 + r] for t < n, r < rows (<= TR) from the panel.
template <int64_t K, int64_t TR>
static inline void nx_panel_gemm(const float *x, int64_t n, const float *wt, int64_t rows, float *y, int64_t ldy, int64_t r0) {
  for (int64_t t0 = 0; t0 < n; t0 += NX_MR) {
    const int64_t mt = std::min<int64_t>(NX_MR, n - t0);
    for (int64_t rb = 0; rb < rows; rb += NX_NR) {
      nx_vf c[NX_MR][2];
      for (int i = 0; i < NX_MR; ++i) c[i][0] = c[i][1] = nx_vzero();
      const float *xt = x + t0 * K;
      if (mt == NX_MR) {
        for (int64_t k = 0; k < K; ++k) {
          const nx_vf b0 = nx_vload(wt + k * TR + rb), b1 = nx_vload(wt + k * TR + rb + NX_VW);
          for (int i = 0; i < NX_MR; ++i) {
            const nx_vf a = nx_vbcast(xt + i * K + k);
            c[i][0] = nx_vfma(a, b0, c[i][0]);
            c[i][1] = nx_vfma(a, b1, c[i][1]);
          }
        }
      } else {
        for (int64_t k = 0; k < K; ++k) {
          const nx_vf b0 = nx_vload(wt + k * TR + rb), b1 = nx_vload(wt + k * TR + rb + NX_VW);
          for (int i = 0; i < mt; ++i) {
            const nx_vf a = nx_vbcast(xt + i * K + k);
            c[i][0] = nx_vfma(a, b0, c[i][0]);
            c[i][1] = nx_vfma(a, b1, c[i][1]);
          }
        }
      }
      const int64_t valid = std::min<int64_t>(NX_NR, rows - rb);
      for (int i = 0; i < mt; ++i) {
        float *yr = y + (t0 + i) * ldy + r0 + rb;
        if (valid == NX_NR) {
          nx_vstore(yr, c[i][0]);
          nx_vstore(yr + NX_VW, c[i][1]);
        } else {
          alignas(64) float buf[NX_NR];
          nx_vstore(buf, c[i][0]);
          nx_vstore(buf + NX_VW, c[i][1]);
          for (int64_t j = 0; j < valid; ++j) yr[j] = buf[j];
        }
      }
    }
  }
}

template <int SK, int BK, int64_t N, int64_t K>
static void nx_q4_matmul(nx_pool *pool, const float *x, const uint32_t *qw, const void *qs, const void *b, float *y, int32_t n) {
  // Panel rows: a multiple of NX_NR, about 512 KiB of f32 (L2-resident), at most 4 micro-tiles.
  constexpr int64_t TR = std::max<int64_t>(NX_NR, std::min<int64_t>(4 * NX_NR, (131072 / K) / NX_NR * NX_NR));
  nx_parallel_for(pool, 0, (N + TR - 1) / TR, [&](int64_t lo, int64_t hi) {
    thread_local std::vector<float> panel;
    if (panel.size() < (size_t)(TR * K)) panel.resize(TR * K);
    for (int64_t tb = lo; tb < hi; ++tb) {
      const int64_t r0 = tb * TR, rows = std::min<int64_t>(TR, N - r0);
      nx_q4_dequant_panel<SK, K, TR>(qw, qs, r0, rows, panel.data());
      nx_panel_gemm<K, TR>(x, n, panel.data(), rows, y, N, r0);
      if (BK >= 0 && b)
        for (int64_t t = 0; t < n; ++t)
          for (int64_t r = 0; r < rows; ++r)
            y[t * N + r0 + r] += BK == 0 ? ((const float *)b)[r0 + r] : nx_scale<BK == 1 ? 1 : 2>(b, r0 + r);
    }
  });
}
#else
// Prefill with AVX2: tiles of TR weight rows dequantised once (row-major), reused for all n tokens
// through the 4x2 dot-product kernel above.
template <int SK, int BK, int64_t N, int64_t K>
static void nx_q4_matmul(nx_pool *pool, const float *x, const uint32_t *qw, const void *qs, const void *b, float *y, int32_t n) {
  // Tile rows: about 256 KiB of dequantised weights (L2-resident), even, between 2 and 64.
  constexpr int64_t TR = std::max<int64_t>(2, std::min<int64_t>(64, (65536 / K) & ~int64_t(1)));
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
#endif  // __AVX512F__
#endif
