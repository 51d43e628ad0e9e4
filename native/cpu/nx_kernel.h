// What generated kernels and plans may use: scalar conversions, min/max, the thread pool's
// parallel-for, and the model-definition structs a generated library hands to the runtime.
// Everything here has hidden visibility (the library is built with -fvisibility=hidden).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>
#include <algorithm>

// f16 bits -> float, exact (subnormals included); F16C when the build enables it.
#if defined(__F16C__)
#include <immintrin.h>
static inline float nx_h2f(uint16_t h) { return _cvtsh_ss(h); }
#else
static inline float nx_h2f(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, bits;
  if (exp == 0) {
    if (man == 0) bits = sign;
    else {  // subnormal: normalise
      int e = -1;
      do { ++e; man <<= 1; } while ((man & 0x400u) == 0);
      bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
    }
  } else if (exp == 0x1f) bits = sign | 0x7f800000u | (man << 13);
  else bits = sign | ((exp + 112u) << 23) | (man << 13);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
#endif

static inline float nx_bf2f(uint16_t b) {
  const uint32_t bits = (uint32_t)b << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

template <class A, class B> static inline auto nx_max(A a, B b) -> decltype(a + b) { return a > b ? a : b; }
template <class A, class B> static inline auto nx_min(A a, B b) -> decltype(a + b) { return a < b ? a : b; }

struct nx_pool;
typedef void (*nx_range_fn)(void *ctx, int64_t lo, int64_t hi);
// Split [lo, hi) into one contiguous block per thread and run them; returns when all are done.
void nx_pool_run(nx_pool *pool, int64_t lo, int64_t hi, nx_range_fn fn, void *ctx);
nx_pool *nx_pool_create(int threads);  // threads <= 0: all cores
void nx_pool_destroy(nx_pool *pool);

template <class F> static inline void nx_parallel_for(nx_pool *pool, int64_t lo, int64_t hi, F &&f) {
  if (hi <= lo) return;
  if (!pool || hi - lo == 1) { f(lo, hi); return; }
  nx_pool_run(pool, lo, hi, [](void *c, int64_t a, int64_t b) { (*static_cast<F *>(c))(a, b); }, (void *)&f);
}

// ---- what a generated library defines for the runtime ----
struct nx_param_spec {
  const char *name;
  const char *dtype;  // TVM name: float32, float16, bfloat16, uint32
  int32_t ndim;
  int64_t shape[4];
  int64_t nbytes;
};

struct nx_state {
  nx_pool *pool;
  void **params;       // indexed like nx_model_def::params
  float **scratch;     // indexed like nx_model_def::scratch_width, each [prefill_chunk_size, width]
  float *kv;           // [layers][k|v][kv_heads][cap][head_dim]
  int32_t cap;         // KV capacity in tokens of this instance
};

struct nx_model_def {
  const char *metadata;
  int32_t num_params;
  const nx_param_spec *params;
  int32_t num_scratch;
  const int64_t *scratch_width;
  int32_t vocab_size, context_window_size, prefill_chunk_size;
  int32_t kv_layers, kv_heads, head_dim;
  // Forward n (1..prefill_chunk_size) tokens at positions [pos, pos + n); writes logits of rows
  // [first, first + rows) of the chunk as [rows, vocab] to `logits`.
  void (*forward)(nx_state *st, const int32_t *tokens, int32_t n, int32_t pos, float *logits, int32_t first, int32_t rows);
};

// Defined by the generated plan source.
const nx_model_def *nx_model_definition(void);
#include "nx_q4.h"
