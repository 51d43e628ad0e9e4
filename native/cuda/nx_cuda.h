// What generated CUDA kernels and plans may use: storage-type conversions, min/max, launch sizing,
// and the model-definition struct a generated library hands to the runtime (native/cuda/nx_cuda_runtime.cu).
// Mirrors native/cpu/nx_kernel.h, with two differences that CUDA graphs need:
//   - the sequence position lives in device memory (`pos` arguments are `const int32_t *`), so one captured
//     decode graph serves every step;
//   - token ids and logits are device buffers owned by the runtime.
#pragma once
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cstdint>
#include <cmath>

#define NX_HD __host__ __device__ __forceinline__

// f16 / bf16 bits -> float, exact (the hardware conversion handles subnormals).
static __device__ __forceinline__ float nx_h2f(uint16_t h) { return __half2float(__ushort_as_half(h)); }
static __device__ __forceinline__ float nx_bf2f(uint16_t b) { return __uint_as_float(((uint32_t)b) << 16); }

template <class A, class B> static NX_HD auto nx_max(A a, B b) -> decltype(a + b) { return a > b ? a : b; }
template <class A, class B> static NX_HD auto nx_min(A a, B b) -> decltype(a + b) { return a < b ? a : b; }

// Grid for a grid-stride loop over `total` items with `block` threads: enough blocks to fill the GPU
// several times over (132 SMs on an H100), capped so huge ranges loop instead of launching millions of blocks.
static inline unsigned nx_grid(int64_t total, int block) {
  int64_t b = (total + block - 1) / block;
  if (b < 1) b = 1;
  if (b > 132 * 32) b = 132 * 32;
  return (unsigned)b;
}

// Programmatic dependent launch (sm_90+): a kernel launched with nx_launch_pdl may start while the previous kernel
// of the stream finishes; it must call nx_grid_dependency_wait() before reading anything an earlier kernel wrote
// (and before any early exit, so that its completion still implies its predecessors'). Without the launch
// attribute, and below sm_90, both calls do nothing. nx_grid_launch_dependents() lets the next kernel's blocks be
// scheduled early (they wait in their own nx_grid_dependency_wait).
static __device__ __forceinline__ void nx_grid_dependency_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
static __device__ __forceinline__ void nx_grid_launch_dependents() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// Set by the runtime at nxmlc_create (NXMLC_CUDA_PDL=0 turns it off; it needs a device of compute capability 9.0+).
extern bool nx_pdl_enabled;

// Launch `k` with the programmatic-stream-serialisation attribute when PDL is on (a plain launch otherwise).
template <typename... KArgs, typename... Args>
static inline void nx_launch_pdl(void (*k)(KArgs...), dim3 grid, dim3 block, cudaStream_t stream, Args... args) {
  if (!nx_pdl_enabled) {
    k<<<grid, block, 0, stream>>>(static_cast<KArgs>(args)...);
    return;
  }
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr[0].val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t cfg = {};
  cfg.gridDim = grid;
  cfg.blockDim = block;
  cfg.dynamicSmemBytes = 0;
  cfg.stream = stream;
  cfg.attrs = attr;
  cfg.numAttrs = 1;
  cudaLaunchKernelEx(&cfg, k, static_cast<KArgs>(args)...);
}

// Storage kinds for fast-path templates (scales, biases, unquantised weights).
enum : int { NX_F32 = 0, NX_F16 = 1, NX_BF16 = 2 };

struct nx_param_spec {
  const char *name;
  const char *dtype;  // TVM name: float32, float16, bfloat16, uint32
  int32_t ndim;
  int64_t shape[4];
  int64_t nbytes;
};

struct nx_cuda_state {
  void **params;        // device pointers, indexed like nx_cuda_model_def::params
  float **scratch;      // device, each [prefill_chunk_size, width]
  float *kv;            // device, [layers][k|v][kv_heads][cap][head_dim] f32
  int32_t cap;          // KV capacity in tokens of this instance
  const int32_t *tokens;  // device [prefill_chunk_size]
  const int32_t *pos;     // device scalar: position of the chunk's first token
  float *logits;          // device [logit_rows, vocab]
  float *attn_ws;         // device workspace of split-K attention partials
  int32_t attn_splits;    // split count used for single-token (decode) attention
  cudaStream_t stream;
  int32_t *attn_cnt;      // device [q_heads] zeros: per-KV-head arrival counters of nx_attn_decode's fused combine
  half *mm_xh;            // device [prefill_chunk_size * mm_xh_width]: activations rounded to f16 for nx_mm_q4/f16
};

struct nx_cuda_model_def {
  const char *metadata;
  int32_t num_params;
  const nx_param_spec *params;
  int32_t num_scratch;
  const int64_t *scratch_width;
  int32_t vocab_size, context_window_size, prefill_chunk_size;
  int32_t kv_layers, kv_heads, head_dim;
  int32_t q_heads;        // for sizing the split-K workspace
  int32_t device_heap_mb; // device malloc heap the generic kernels' scratch arrays need (0: none)
  // Enqueue on st->stream the forward of n (1..prefill_chunk_size) tokens at positions [*pos, *pos + n);
  // writes logits of rows [first, first + rows) as [rows, vocab] to st->logits. Host scalars never depend
  // on pos, so a captured n = 1 forward is valid for every decode step.
  void (*forward)(nx_cuda_state *st, int32_t n, int32_t first, int32_t rows);
  int64_t mm_xh_width;    // widest K of the nx_mm_q4 / nx_mm_f16 prefill matmuls (0: none, no workspace)
};

// Defined by the generated plan source.
const nx_cuda_model_def *nx_cuda_model_definition(void);
