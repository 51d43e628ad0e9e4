// Hand-written CUDA fast paths for the hot kernels of the plan, parameterised by compile-time shapes so the
// renderer (core/compiler/render/library-cuda.ts) only fills in template arguments. Each one computes exactly
// what its kernel-IR counterpart in core/compiler/lower/kernels/ computes (same math, f32 accumulation); the
// conformance run compares both against the reference.
//   - nx_gemv_*: decode matrix-vector products, dequantisation fused, 128-bit loads, one warp per output row;
//   - nx_mm_tc: prefill matrix products on tensor cores (wmma 16x16x16, f16 inputs, f32 accumulation) over
//     weight tiles dequantised into shared memory;
//   - nx_attn / nx_attn_combine: causal GQA attention over the KV cache, online softmax, split-K over the
//     keys for single-token decode (flash-decoding), optional sliding window and logit soft-cap;
//   - nx_rmsnorm / nx_add_rmsnorm: RMSNorm, and the residual add fused into the norm that follows it;
//   - nx_sample: argmax or temperature sampling (Gumbel-max) on the GPU, advancing the device position.
#pragma once
#include "nx_cuda.h"
#include <mma.h>

#define NX_FULL 0xffffffffu

static __device__ __forceinline__ float nx_warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(NX_FULL, v, o);
  return v;
}
static __device__ __forceinline__ float nx_warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(NX_FULL, v, o));
  return v;
}

// Load one element of a float32 / float16 / bfloat16 buffer as float.
template <int SK> static __device__ __forceinline__ float nx_ldf(const void *p, int64_t i) {
  if constexpr (SK == NX_F32) return __ldg((const float *)p + i);
  else if constexpr (SK == NX_F16) return nx_h2f(__ldg((const unsigned short *)p + i));
  else return nx_bf2f(__ldg((const unsigned short *)p + i));
}

// ---------------- weight access: W[n, k] as float, for every scheme ----------------
// QK: 0 = unquantised [N, K] of storage WK; 1 = group quantised, NK layout (q_weight [N, words]);
// 2 = group quantised, KN layout (q_weight [words, N], the *_0 schemes). Spec §5.3: word k / E holds
// element k % E at bit (k % E) * bits, LSB first; w = (code - max_int) * scale[k / G].
template <int QK, int N, int K, int BITS, int G, int SK> struct NxW {
  static constexpr int EPW = BITS > 0 ? 32 / BITS : 1;
  static constexpr int WPG = BITS > 0 ? (G + EPW - 1) / EPW : 1;
  static constexpr int NG = BITS > 0 ? (K + G - 1) / G : 1;
  static constexpr int WORDS = NG * WPG;
  static constexpr float MAXQ = BITS > 0 ? (float)((1 << (BITS - 1)) - 1) : 0.f;
  static __device__ __forceinline__ float at(const void *w, const void *s, int64_t n, int64_t k) {
    if constexpr (QK == 0) {
      return nx_ldf<SK>(w, n * K + k);
    } else {
      const uint32_t *qw = (const uint32_t *)w;
      const int64_t wi = QK == 1 ? n * WORDS + k / EPW : (k / EPW) * N + n;
      const int64_t si = QK == 1 ? n * NG + k / G : (k / G) * N + n;
      const uint32_t code = (__ldg(qw + wi) >> ((k % EPW) * BITS)) & ((1u << BITS) - 1u);
      return ((float)code - MAXQ) * nx_ldf<SK>(s, si);
    }
  }
};

// ---------------- decode GEMV, NK group quantisation: one warp per output row ----------------
// Dot product of x with weight row `row` (all lanes of the warp take part; every lane gets the sum).
template <int N, int K, int BITS, int G, int SK>
static __device__ __forceinline__ float nx_dot_qnk(const float *__restrict__ x, const uint32_t *__restrict__ qw,
                                                   const void *__restrict__ qs, int row, int lane) {
  using W = NxW<1, N, K, BITS, G, SK>;
  const uint32_t *wrow = qw + (int64_t)row * W::WORDS;
  float acc = 0.f;
  if constexpr (BITS == 4 && G == 32 && K % 32 == 0) {
    // One 128-bit load = 4 words = exactly one group of 32 weights sharing one scale.
    const uint4 *w4p = (const uint4 *)wrow;
#pragma unroll 4
    for (int g = lane; g < W::NG; g += 32) {
      const uint4 w4 = __ldg(w4p + g);
      const float s = nx_ldf<SK>(qs, (int64_t)row * W::NG + g);
      const float4 *xp = (const float4 *)(x + g * 32);
      const uint32_t ws[4] = {w4.x, w4.y, w4.z, w4.w};
      float part = 0.f;
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const float4 xa = __ldg(xp + 2 * j), xb = __ldg(xp + 2 * j + 1);
        const uint32_t w = ws[j];
        part += ((float)((w >> 0) & 15u) - 7.f) * xa.x;
        part += ((float)((w >> 4) & 15u) - 7.f) * xa.y;
        part += ((float)((w >> 8) & 15u) - 7.f) * xa.z;
        part += ((float)((w >> 12) & 15u) - 7.f) * xa.w;
        part += ((float)((w >> 16) & 15u) - 7.f) * xb.x;
        part += ((float)((w >> 20) & 15u) - 7.f) * xb.y;
        part += ((float)((w >> 24) & 15u) - 7.f) * xb.z;
        part += ((float)((w >> 28) & 15u) - 7.f) * xb.w;
      }
      acc += part * s;
    }
  } else {
    for (int wi = lane; wi < W::WORDS; wi += 32) {
      const uint32_t w = __ldg(wrow + wi);
      const int g = wi / W::WPG;
      const int k0 = g * G + (wi % W::WPG) * W::EPW;
      const float s = nx_ldf<SK>(qs, (int64_t)row * W::NG + g);
      float part = 0.f;
#pragma unroll
      for (int e = 0; e < W::EPW; ++e) {
        const int k = k0 + e;
        if (k < K && k < (g + 1) * G) part += ((float)((w >> (e * BITS)) & ((1u << BITS) - 1u)) - W::MAXQ) * __ldg(x + k);
      }
      acc += part * s;
    }
  }
  return nx_warp_sum(acc);
}

template <int N, int K, int BITS, int G, int SK, int BK>
__global__ void __launch_bounds__(128) nx_gemv_qnk(const float *__restrict__ x, const uint32_t *__restrict__ qw,
                                                   const void *__restrict__ qs, const void *__restrict__ bias,
                                                   float *__restrict__ y) {
  const int row = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
  const int lane = threadIdx.x & 31;
  if (row >= N) return;
  float acc = nx_dot_qnk<N, K, BITS, G, SK>(x, qw, qs, row, lane);
  if (lane == 0) {
    if constexpr (BK >= 0) acc += nx_ldf<BK>(bias, row);
    y[row] = acc;
  }
}

// Decode gate_up projection with the gated activation fused in: rows j (gate) and I + j (up) of MLC's fused
// gate_up_proj in one warp, out[j] = act(gate) * up. ACT 0 = silu, 1 = gelu (tanh form), as gatedActKernel.
template <int I, int K, int BITS, int G, int SK, int ACT>
__global__ void __launch_bounds__(128) nx_gemv_qnk_glu(const float *__restrict__ x, const uint32_t *__restrict__ qw,
                                                       const void *__restrict__ qs, float *__restrict__ out) {
  const int row = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
  const int lane = threadIdx.x & 31;
  if (row >= I) return;
  const float g = nx_dot_qnk<2 * I, K, BITS, G, SK>(x, qw, qs, row, lane);
  const float u = nx_dot_qnk<2 * I, K, BITS, G, SK>(x, qw, qs, I + row, lane);
  if (lane == 0) {
    float a;
    if constexpr (ACT == 0) a = g / (1.f + expf(-1.f * g));
    else a = 0.5f * g * (1.f + tanhf(0.797884583f * (g + 0.0447149985f * (g * (g * g)))));
    out[row] = a * u;
  }
}

// ---------------- decode GEMV v2 (O2/O3 fallback for K > NX_GEMV_Q4H_MAX_K): several rows per warp share the activation registers ----------------
// v1 above reloads the 32 activations of a group (128 B of f32, from L1) for every 16 B of packed weights,
// which makes the GEMV L1-bound long before HBM is busy. Here each lane loads a group's activations once and
// applies them to R rows (R = 1, 2, 4, chosen by the renderer so small N still fills the GPU). GLU = 0: plain
// rows [R w, R w + R); GLU = 1 (silu) / 2 (gelu-tanh): the gate_up pair, gate rows j and up rows NOUT + j,
// out[j] = act(gate) * up. q4, group 32, NK layout, K % 32 == 0 only.
static __device__ __forceinline__ float nx_q4_dot32(const uint4 w4, const float4 (&xv)[8]) {
  const uint32_t ws[4] = {w4.x, w4.y, w4.z, w4.w};
  float part = 0.f;
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const float4 xa = xv[2 * j], xb = xv[2 * j + 1];
    const uint32_t w = ws[j];
    part += ((float)((w >> 0) & 15u) - 7.f) * xa.x;
    part += ((float)((w >> 4) & 15u) - 7.f) * xa.y;
    part += ((float)((w >> 8) & 15u) - 7.f) * xa.z;
    part += ((float)((w >> 12) & 15u) - 7.f) * xa.w;
    part += ((float)((w >> 16) & 15u) - 7.f) * xb.x;
    part += ((float)((w >> 20) & 15u) - 7.f) * xb.y;
    part += ((float)((w >> 24) & 15u) - 7.f) * xb.z;
    part += ((float)((w >> 28) & 15u) - 7.f) * xb.w;
  }
  return part;
}

// Epilogue of the multi-row GEMVs (v2 here, v3 in nx_cuda_gemv.cuh): reduce each row's partial sums over the
// warp, then lane 0 writes rows [row0, row0 + R): plus bias, or act(gate row) * up row for the fused gate_up.
template <int NOUT, int BK, int R, int GLU, int A>
static __device__ __forceinline__ void nx_gemv_rows_store(float (&acc)[A], int row0, int lane, const void *__restrict__ bias,
                                                          float *__restrict__ y) {
#pragma unroll
  for (int a = 0; a < A; ++a) acc[a] = nx_warp_sum(acc[a]);
  if (lane != 0) return;
#pragma unroll
  for (int r = 0; r < R; ++r) {
    const int row = row0 + r;
    if (row >= NOUT) break;
    float v = acc[r];
    if constexpr (GLU == 1) v = v / (1.f + expf(-1.f * v)) * acc[R + r];
    else if constexpr (GLU == 2) v = 0.5f * v * (1.f + tanhf(0.797884583f * (v + 0.0447149985f * (v * (v * v))))) * acc[R + r];
    else if constexpr (BK >= 0) v += nx_ldf<BK>(bias, row);
    y[row] = v;
  }
}

template <int NOUT, int K, int SK, int BK, int R, int GLU>
__global__ void __launch_bounds__(128) nx_gemv_q4nk_r(const float *__restrict__ x, const uint32_t *__restrict__ qw,
                                                      const void *__restrict__ qs, const void *__restrict__ bias,
                                                      float *__restrict__ y) {
  static_assert(K % 32 == 0, "q4 group-32 rows");
  constexpr int NG = K / 32;
  constexpr int A = GLU ? 2 * R : R;
  const int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
  const int lane = threadIdx.x & 31;
  const int row0 = warp * R;
  if (row0 >= NOUT) return;
  const uint4 *w4p = (const uint4 *)qw;
  float acc[A];
#pragma unroll
  for (int a = 0; a < A; ++a) acc[a] = 0.f;
#pragma unroll 2
  for (int g = lane; g < NG; g += 32) {
    float4 xv[8];
    const float4 *xp = (const float4 *)(x + g * 32);
#pragma unroll
    for (int j = 0; j < 8; ++j) xv[j] = __ldg(xp + j);
#pragma unroll
    for (int a = 0; a < A; ++a) {
      const int r = a % R;
      if (row0 + r < NOUT) {  // uniform across the warp
        const int64_t row = (GLU && a >= R) ? (int64_t)NOUT + row0 + r : (int64_t)row0 + r;
        const uint4 w4 = __ldg(w4p + row * NG + g);
        acc[a] += nx_q4_dot32(w4, xv) * nx_ldf<SK>(qs, row * NG + g);
      }
    }
  }
  nx_gemv_rows_store<NOUT, BK, R, GLU>(acc, row0, lane, bias, y);
}

#include "nx_cuda_gemv.cuh"  // v3 q4 GEMV (O2/O3): f16 activations, half2 dequantisation

// ---------------- decode GEMV, unquantised weights [N, K]: one warp per row, 128-bit loads ----------------
template <int N, int K, int WK, int BK>
__global__ void __launch_bounds__(128) nx_gemv_dense(const float *__restrict__ x, const void *__restrict__ w,
                                                     const void *__restrict__ bias, float *__restrict__ y) {
  const int row = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
  const int lane = threadIdx.x & 31;
  if (row >= N) return;
  float acc = 0.f;
  if constexpr (WK != NX_F32 && K % 8 == 0) {
    const uint4 *wp = (const uint4 *)((const unsigned short *)w + (int64_t)row * K);
#pragma unroll 4
    for (int c = lane; c < K / 8; c += 32) {
      const uint4 v = __ldg(wp + c);
      const float4 xa = __ldg((const float4 *)(x + c * 8)), xb = __ldg((const float4 *)(x + c * 8 + 4));
      const uint32_t u[4] = {v.x, v.y, v.z, v.w};
      const float xs[8] = {xa.x, xa.y, xa.z, xa.w, xb.x, xb.y, xb.z, xb.w};
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const uint16_t lo = (uint16_t)(u[j] & 0xffffu), hi = (uint16_t)(u[j] >> 16);
        const float a = WK == NX_F16 ? nx_h2f(lo) : nx_bf2f(lo);
        const float b = WK == NX_F16 ? nx_h2f(hi) : nx_bf2f(hi);
        acc += a * xs[2 * j] + b * xs[2 * j + 1];
      }
    }
  } else if constexpr (WK == NX_F32 && K % 4 == 0) {
    const float4 *wp = (const float4 *)((const float *)w + (int64_t)row * K);
    for (int c = lane; c < K / 4; c += 32) {
      const float4 a = __ldg(wp + c), b = __ldg((const float4 *)(x + c * 4));
      acc += a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w;
    }
  } else {
    for (int k = lane; k < K; k += 32) acc += nx_ldf<WK>(w, (int64_t)row * K + k) * __ldg(x + k);
  }
  acc = nx_warp_sum(acc);
  if (lane == 0) {
    if constexpr (BK >= 0) acc += nx_ldf<BK>(bias, row);
    y[row] = acc;
  }
}

// ---------------- decode GEMV, KN group quantisation (q_weight [words, N]) ----------------
// 32 output columns x 8 slices of the words per block; coalesced along N, reduced through shared memory.
template <int N, int K, int BITS, int G, int SK, int BK>
__global__ void __launch_bounds__(256) nx_gemv_qkn(const float *__restrict__ x, const uint32_t *__restrict__ qw,
                                                   const void *__restrict__ qs, const void *__restrict__ bias,
                                                   float *__restrict__ y) {
  using W = NxW<2, N, K, BITS, G, SK>;
  __shared__ float red[8][33];
  const int col = blockIdx.x * 32 + threadIdx.x;
  const int sl = threadIdx.y;
  float acc = 0.f;
  if (col < N) {
    for (int wi = sl; wi < W::WORDS; wi += 8) {
      const uint32_t w = __ldg(qw + (int64_t)wi * N + col);
      const int g = wi / W::WPG;
      const int k0 = g * G + (wi % W::WPG) * W::EPW;
      const float s = nx_ldf<SK>(qs, (int64_t)g * N + col);
      float part = 0.f;
#pragma unroll
      for (int e = 0; e < W::EPW; ++e) {
        const int k = k0 + e;
        if (k < K && k < (g + 1) * G) part += ((float)((w >> (e * BITS)) & ((1u << BITS) - 1u)) - W::MAXQ) * __ldg(x + k);
      }
      acc += part * s;
    }
  }
  red[sl][threadIdx.x] = acc;
  __syncthreads();
  if (sl == 0 && col < N) {
    float t = 0.f;
#pragma unroll
    for (int i = 0; i < 8; ++i) t += red[i][threadIdx.x];
    if constexpr (BK >= 0) t += nx_ldf<BK>(bias, col);
    y[col] = t;
  }
}

// ---------------- prefill matmul on tensor cores ----------------
// y[t, n] = sum_k x[t, k] W[n, k] (+ bias): a 64 (tokens) x 64 (outputs) tile per block of 4 warps, K in
// steps of 32. The weight tile is dequantised to f16 in shared memory (one 32-bit word = 8 weights for the
// q4 NK layout), activations are rounded to f16, products accumulate in f32 (wmma m16n16k16).
template <int QK, int N, int K, int BITS, int G, int SK, int BK>
__global__ void __launch_bounds__(128) nx_mm_tc(const float *__restrict__ x, const void *__restrict__ w,
                                                const void *__restrict__ s, const void *__restrict__ bias,
                                                float *__restrict__ y, int M) {
  using namespace nvcuda;
  using W = NxW<QK, N, K, BITS, G, SK>;
  constexpr int TM = 64, TN = 64, TK = 32, LD = TK + 8, LDC = TN + 4;
  __shared__ __align__(32) half As[TM * LD];
  __shared__ __align__(32) half Bs[TN * LD];
  __shared__ __align__(32) float Cs[TM * LDC];
  const int m0 = blockIdx.y * TM, n0 = blockIdx.x * TN;
  const int tid = threadIdx.x, warp = tid >> 5;
  const int wm = (warp >> 1) * 32, wn = (warp & 1) * 32;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.f);

  for (int k0 = 0; k0 < K; k0 += TK) {
    // Activations: 64 x 32 floats, 16 per thread.
    for (int e = tid; e < TM * TK; e += 128) {
      const int r = e / TK, c = e % TK;
      const int t = m0 + r, k = k0 + c;
      As[r * LD + c] = __float2half_rn(t < M && k < K ? __ldg(x + (int64_t)t * K + k) : 0.f);
    }
    // Weights: 64 rows x 32 k.
    if constexpr (QK == 1 && BITS == 4 && G % 8 == 0 && K % 8 == 0) {
      for (int e = tid; e < TN * (TK / 8); e += 128) {
        const int r = e / (TK / 8), wc = e % (TK / 8);
        const int n = n0 + r, k = k0 + wc * 8;
        half *dst = Bs + r * LD + wc * 8;
        if (n < N && k < K) {
          const uint32_t word = __ldg((const uint32_t *)w + (int64_t)n * W::WORDS + k / 8);
          const float sc = nx_ldf<SK>(s, (int64_t)n * W::NG + k / G);
#pragma unroll
          for (int j = 0; j < 8; ++j) dst[j] = __float2half_rn(((float)((word >> (4 * j)) & 15u) - 7.f) * sc);
        } else {
#pragma unroll
          for (int j = 0; j < 8; ++j) dst[j] = __float2half_rn(0.f);
        }
      }
    } else {
      for (int e = tid; e < TN * TK; e += 128) {
        const int r = e / TK, c = e % TK;
        const int n = n0 + r, k = k0 + c;
        Bs[r * LD + c] = __float2half_rn(n < N && k < K ? W::at(w, s, n, k) : 0.f);
      }
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < TK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> a[2];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::col_major> b[2];
#pragma unroll
      for (int i = 0; i < 2; ++i) wmma::load_matrix_sync(a[i], As + (wm + i * 16) * LD + kk, LD);
#pragma unroll
      for (int j = 0; j < 2; ++j) wmma::load_matrix_sync(b[j], Bs + (wn + j * 16) * LD + kk, LD);
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j)
      wmma::store_matrix_sync(Cs + (wm + i * 16) * LDC + wn + j * 16, acc[i][j], LDC, wmma::mem_row_major);
  __syncthreads();
  for (int e = tid; e < TM * TN; e += 128) {
    const int r = e / TN, c = e % TN;
    const int t = m0 + r, n = n0 + c;
    if (t < M && n < N) {
      float v = Cs[r * LDC + c];
      if constexpr (BK >= 0) v += nx_ldf<BK>(bias, n);
      y[(int64_t)t * N + n] = v;
    }
  }
}

// ---------------- prefill matmul v2 (O2/O3, schemes nx_mm_q4/f16 do not cover): 128 x 128 tiles, loads of the next K step overlap the MMAs ----------------
// 8 warps, each a 32 x 64 sub-tile (2 x 4 wmma fragments). The next K step's activations and packed weights
// are fetched into registers while the tensor cores work on the current step, then converted into the other
// shared-memory buffer: one barrier per K step. Same math as nx_mm_tc (f16 inputs, f32 accumulation).
template <int QK, int N, int K, int BITS, int G, int SK, int BK>
__global__ void __launch_bounds__(256) nx_mm_tc2(const float *__restrict__ x, const void *__restrict__ w,
                                                 const void *__restrict__ s, const void *__restrict__ bias,
                                                 float *__restrict__ y, int M) {
  using namespace nvcuda;
  using W = NxW<QK, N, K, BITS, G, SK>;
  constexpr int TM = 128, TN = 128, TK = 32, LD = TK + 8;
  constexpr int KT = (K + TK - 1) / TK;
  constexpr bool Q4 = QK == 1 && BITS == 4 && G % 8 == 0 && K % 8 == 0;
  constexpr bool X4 = K % 4 == 0;
  __shared__ __align__(32) half As[2][TM * LD];
  __shared__ __align__(32) half Bs[2][TN * LD];
  const int m0 = blockIdx.y * TM, n0 = blockIdx.x * TN;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int wm = (warp >> 1) * 32, wn = (warp & 1) * 64;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][4];
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) wmma::fill_fragment(acc[i][j], 0.f);

  // Per-thread staging registers of one K step.
  float4 areg[4];          // activations: 128 rows x 8 float4 = 1024 slots, 4 per thread
  uint32_t bword[2];       // q4 weights: 128 rows x 4 words = 512 words, 2 per thread
  float bscale[2];
  float bval[Q4 ? 1 : 16]; // other schemes: 128 x 32 weights, 16 per thread

  auto fetch = [&](int kt) {
    const int k0 = kt * TK;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int e = tid + i * 256, r = e >> 3, k = k0 + (e & 7) * 4, t = m0 + r;
      float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
      if (t < M) {
        const float *xr = x + (int64_t)t * K;
        if (X4 && k + 3 < K) v = __ldg((const float4 *)(xr + k));
        else {
          if (k < K) v.x = __ldg(xr + k);
          if (k + 1 < K) v.y = __ldg(xr + k + 1);
          if (k + 2 < K) v.z = __ldg(xr + k + 2);
          if (k + 3 < K) v.w = __ldg(xr + k + 3);
        }
      }
      areg[i] = v;
    }
    if constexpr (Q4) {
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        const int e = tid + i * 256, r = e >> 2, k = k0 + (e & 3) * 8, n = n0 + r;
        if (n < N && k < K) {
          bword[i] = __ldg((const uint32_t *)w + (int64_t)n * W::WORDS + k / 8);
          bscale[i] = nx_ldf<SK>(s, (int64_t)n * W::NG + k / G);
        } else {
          bword[i] = 0x77777777u;  // codes of 7: dequantise to exactly 0
          bscale[i] = 0.f;
        }
      }
    } else {
#pragma unroll
      for (int i = 0; i < 16; ++i) {
        const int e = tid + i * 256, r = e >> 5, k = k0 + (e & 31), n = n0 + r;
        bval[i] = n < N && k < K ? W::at(w, s, n, k) : 0.f;
      }
    }
  };
  auto stash = [&](int buf) {
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int e = tid + i * 256, r = e >> 3, c = (e & 7) * 4;
      half2 *dst = (half2 *)&As[buf][r * LD + c];
      dst[0] = __floats2half2_rn(areg[i].x, areg[i].y);
      dst[1] = __floats2half2_rn(areg[i].z, areg[i].w);
    }
    if constexpr (Q4) {
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        const int e = tid + i * 256, r = e >> 2, c = (e & 3) * 8;
        half2 h[4];
#pragma unroll
        for (int j = 0; j < 4; ++j)
          h[j] = __floats2half2_rn(((float)((bword[i] >> (8 * j)) & 15u) - 7.f) * bscale[i],
                                   ((float)((bword[i] >> (8 * j + 4)) & 15u) - 7.f) * bscale[i]);
        *(uint4 *)&Bs[buf][r * LD + c] = *(const uint4 *)h;
      }
    } else {
#pragma unroll
      for (int i = 0; i < 16; ++i) {
        const int e = tid + i * 256, r = e >> 5, c = e & 31;
        Bs[buf][r * LD + c] = __float2half_rn(bval[i]);
      }
    }
  };

  fetch(0);
  stash(0);
  __syncthreads();
  for (int kt = 0; kt < KT; ++kt) {
    const int cur = kt & 1;
    if (kt + 1 < KT) fetch(kt + 1);
#pragma unroll
    for (int kk = 0; kk < TK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> a[2];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::col_major> b[4];
#pragma unroll
      for (int i = 0; i < 2; ++i) wmma::load_matrix_sync(a[i], &As[cur][(wm + i * 16) * LD + kk], LD);
#pragma unroll
      for (int j = 0; j < 4; ++j) wmma::load_matrix_sync(b[j], &Bs[cur][(wn + j * 16) * LD + kk], LD);
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
    }
    if (kt + 1 < KT) stash(cur ^ 1);
    __syncthreads();
  }
  // Epilogue through a per-warp 16 x 16 staging patch (the A buffers are free now).
  float *stage = reinterpret_cast<float *>(&As[0][0]) + warp * 256;
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      wmma::store_matrix_sync(stage, acc[i][j], 16, wmma::mem_row_major);
      __syncwarp();
      for (int e = lane; e < 256; e += 32) {
        const int t = m0 + wm + i * 16 + (e >> 4), n = n0 + wn + j * 16 + (e & 15);
        if (t < M && n < N) {
          float v = stage[e];
          if constexpr (BK >= 0) v += nx_ldf<BK>(bias, n);
          y[(int64_t)t * N + n] = v;
        }
      }
      __syncwarp();
    }
}

// ---------------- attention ----------------
// One warp per (query token t, query head h, key split). Keys [lo, p] with p = pos + t (lo from the sliding
// window) are divided into `splits` contiguous ranges; each warp runs an online softmax over its range,
// 32 keys at a time (one key per lane for the scores, then the lanes own head-dim slices for P·V).
// splits == 1 writes the normalised output; otherwise partials (m, l, acc[D]) go to `ws` for nx_attn_combine.
template <int HQ, int HKV, int D, int WINDOW, bool SOFTCAP>
__global__ void __launch_bounds__(32) nx_attn(const float *__restrict__ qkv, const float *__restrict__ kc,
                                              const float *__restrict__ vc, float *__restrict__ out, float *__restrict__ ws,
                                              const int32_t *__restrict__ pos_ptr, int cap, int splits, float scale, float softcap) {
  constexpr int ROW = (HQ + 2 * HKV) * D;
  constexpr int DPL = (D + 31) / 32;
  __shared__ __align__(16) float q[D];
  const int lane = threadIdx.x;
  const int th = blockIdx.x;
  const int t = th / HQ, h = th % HQ, g = h / (HQ / HKV);
  const int p = *pos_ptr + t;
  const int lo = WINDOW > 0 ? max(0, p - WINDOW + 1) : 0;
  const int len = p + 1 - lo;
  const int per = (len + splits - 1) / splits;
  const int s0 = lo + blockIdx.y * per;
  const int s1 = min(p + 1, s0 + per);
  for (int d = lane; d < D; d += 32) q[d] = qkv[(int64_t)t * ROW + h * D + d];
  __syncwarp();
  const float *Kb = kc + (int64_t)g * cap * D;
  const float *Vb = vc + (int64_t)g * cap * D;
  float m = -INFINITY, l = 0.f, acc[DPL];
#pragma unroll
  for (int i = 0; i < DPL; ++i) acc[i] = 0.f;
  for (int base = s0; base < s1; base += 32) {
    const int j = base + lane;
    float sc = -INFINITY;
    if (j < s1) {
      const float *kr = Kb + (int64_t)j * D;
      float dot = 0.f;
      if constexpr (D % 4 == 0) {
#pragma unroll 8
        for (int d = 0; d < D; d += 4) {
          const float4 kv = *(const float4 *)(kr + d);
          dot += q[d] * kv.x + q[d + 1] * kv.y + q[d + 2] * kv.z + q[d + 3] * kv.w;
        }
      } else {
        for (int d = 0; d < D; ++d) dot += q[d] * kr[d];
      }
      sc = dot * scale;
      if constexpr (SOFTCAP) sc = tanhf(sc / softcap) * softcap;
    }
    const float mnew = fmaxf(m, nx_warp_max(sc));
    const float e = j < s1 ? expf(sc - mnew) : 0.f;
    const float corr = m == -INFINITY ? 0.f : expf(m - mnew);
    l = l * corr + nx_warp_sum(e);
#pragma unroll
    for (int i = 0; i < DPL; ++i) acc[i] *= corr;
    const int cnt = min(32, s1 - base);
    for (int jj = 0; jj < cnt; ++jj) {
      const float pj = __shfl_sync(NX_FULL, e, jj);
      const float *vr = Vb + (int64_t)(base + jj) * D;
#pragma unroll
      for (int i = 0; i < DPL; ++i) {
        const int d = i * 32 + lane;
        if (d < D) acc[i] += pj * vr[d];
      }
    }
    m = mnew;
  }
  if (splits == 1) {
    const float inv = 1.f / l;
#pragma unroll
    for (int i = 0; i < DPL; ++i) {
      const int d = i * 32 + lane;
      if (d < D) out[(int64_t)th * D + d] = acc[i] * inv;
    }
  } else {
    float *pw = ws + ((int64_t)th * splits + blockIdx.y) * (D + 2);
    if (lane == 0) { pw[0] = m; pw[1] = l; }
#pragma unroll
    for (int i = 0; i < DPL; ++i) {
      const int d = i * 32 + lane;
      if (d < D) pw[2 + d] = acc[i];
    }
  }
}

template <int D>
__global__ void __launch_bounds__(32) nx_attn_combine(const float *__restrict__ ws, float *__restrict__ out, int splits) {
  const int th = blockIdx.x, lane = threadIdx.x;
  const float *pw = ws + (int64_t)th * splits * (D + 2);
  float M = -INFINITY;
  for (int s = 0; s < splits; ++s) M = fmaxf(M, pw[s * (D + 2)]);
  float L = 0.f;
  for (int s = 0; s < splits; ++s) {
    const float ms = pw[s * (D + 2)];
    if (ms != -INFINITY) L += pw[s * (D + 2) + 1] * expf(ms - M);
  }
  for (int d = lane; d < D; d += 32) {
    float a = 0.f;
    for (int s = 0; s < splits; ++s) {
      const float ms = pw[s * (D + 2)];
      if (ms != -INFINITY) a += pw[s * (D + 2) + 2 + d] * expf(ms - M);
    }
    out[(int64_t)th * D + d] = a / L;
  }
}

#include "nx_cuda_attn.cuh"  // decode attention with the split combine fused in (O2/O3)

// ---------------- RoPE fused with the KV-cache append (O2/O3) ----------------
// One thread per (token, head, lane pair) of the fused qkv row: q and k heads rotate in place exactly as
// ropeKernel does (rotate-half, angle (float)(pos + t) * inv_freq[i], only the first RD lanes), and k / v
// heads are written to the cache at position pos + t as kvAppendKernel does. Saves a launch per layer.
template <int HQ, int HKV, int D, int RD>
__global__ void __launch_bounds__(256) nx_rope_append(float *qkv, const float *__restrict__ inv_freq, float *kc, float *vc,
                                                      int n, const int32_t *__restrict__ pos_ptr, int cap) {
  nx_grid_dependency_wait();
  nx_grid_launch_dependents();
  constexpr int HEADS = HQ + 2 * HKV, ROW = HEADS * D, HALF = RD / 2, PAIRS = D / 2;
  const int pos = *pos_ptr;
  const int64_t total = (int64_t)n * HEADS * PAIRS;
  for (int64_t gid = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; gid < total; gid += (int64_t)gridDim.x * blockDim.x) {
    const int p = (int)(gid % PAIRS);
    const int64_t th = gid / PAIRS;
    const int h = (int)(th % HEADS), t = (int)(th / HEADS);
    float *base = qkv + (int64_t)t * ROW + (int64_t)h * D;
    const int i0 = p < HALF ? p : RD + 2 * (p - HALF);
    const int i1 = p < HALF ? p + HALF : i0 + 1;
    float a = base[i0], b = base[i1];
    if (h < HQ + HKV && p < HALF) {
      const float ang = (float)(pos + t) * inv_freq[p];
      const float co = cosf(ang), si = sinf(ang);
      const float a2 = a * co - b * si, b2 = b * co + a * si;
      a = a2;
      b = b2;
      base[i0] = a;
      base[i1] = b;
    }
    if (h >= HQ) {
      const bool isv = h >= HQ + HKV;
      const int g = isv ? h - HQ - HKV : h - HQ;
      float *c = (isv ? vc : kc) + ((int64_t)g * cap + pos + t) * D;
      c[i0] = a;
      c[i1] = b;
    }
  }
}

// ---------------- RMSNorm and residual add + RMSNorm ----------------
static __device__ __forceinline__ float nx_block_sum(float v, float *sh) {
  v = nx_warp_sum(v);
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
  if (lane == 0) sh[wid] = v;
  __syncthreads();
  const int nw = (blockDim.x + 31) >> 5;
  v = threadIdx.x < nw ? sh[threadIdx.x] : 0.f;
  if (wid == 0) v = nx_warp_sum(v);
  if (threadIdx.x == 0) sh[0] = v;
  __syncthreads();
  const float r = sh[0];
  __syncthreads();
  return r;
}

// Block size of the norms: one float4 per thread where the row allows (every element is loaded once, into
// registers, before any store: decode rows are latency-bound, so all loads go out together).
static constexpr __host__ __device__ int nx_norm_threads(int dim) {
  return dim % 4 != 0 ? 256 : (dim / 4 + 31) / 32 * 32 > 1024 ? 1024 : (dim / 4 + 31) / 32 * 32 < 32 ? 32 : (dim / 4 + 31) / 32 * 32;
}

// Shared tail of both norms: v holds this thread's float4s of the row (x, or x + r); y = v / rms(v) * w.
template <int DIM, int WK, int PER>
static __device__ __forceinline__ void nx_norm_store(const float4 (&v)[PER], float ss, const void *__restrict__ w, float *yr, float eps) {
  constexpr int T = nx_norm_threads(DIM);
  __shared__ float sh[32];
  ss = nx_block_sum(ss, sh);
  const float inv = 1.f / sqrtf(ss / (float)DIM + eps);
#pragma unroll
  for (int p = 0; p < PER; ++p) {
    const int i = threadIdx.x + p * T;
    if (i < DIM / 4) {
      float4 o;
      o.x = v[p].x * inv * nx_ldf<WK>(w, 4 * i);
      o.y = v[p].y * inv * nx_ldf<WK>(w, 4 * i + 1);
      o.z = v[p].z * inv * nx_ldf<WK>(w, 4 * i + 2);
      o.w = v[p].w * inv * nx_ldf<WK>(w, 4 * i + 3);
      ((float4 *)yr)[i] = o;
    }
  }
}

// Same for rows whose width is not a multiple of 4: every thread re-reads its elements of x.
template <int DIM, int WK>
static __device__ __forceinline__ void nx_norm_store_scalar(const float *xr, float ss, const void *__restrict__ w, float *yr, float eps) {
  __shared__ float sh[32];
  ss = nx_block_sum(ss, sh);
  const float inv = 1.f / sqrtf(ss / (float)DIM + eps);
  for (int i = threadIdx.x; i < DIM; i += blockDim.x) yr[i] = xr[i] * inv * nx_ldf<WK>(w, i);
}

// y[t, :] = x[t, :] / sqrt(mean(x^2) + eps) * w. One block of nx_norm_threads(DIM) per row; y may alias x.
template <int DIM, int WK>
__global__ void __launch_bounds__(1024) nx_rmsnorm(const float *x, const void *__restrict__ w, float *y, float eps) {
  nx_grid_dependency_wait();
  nx_grid_launch_dependents();
  const float *xr = x + (int64_t)blockIdx.x * DIM;
  float *yr = y + (int64_t)blockIdx.x * DIM;
  if constexpr (DIM % 4 == 0) {
    constexpr int T = nx_norm_threads(DIM), PER = (DIM / 4 + T - 1) / T;
    float4 v[PER];
    float ss = 0.f;
#pragma unroll
    for (int p = 0; p < PER; ++p) {
      const int i = threadIdx.x + p * T;
      v[p] = i < DIM / 4 ? ((const float4 *)xr)[i] : make_float4(0.f, 0.f, 0.f, 0.f);
      ss += v[p].x * v[p].x + v[p].y * v[p].y + v[p].z * v[p].z + v[p].w * v[p].w;
    }
    nx_norm_store<DIM, WK, PER>(v, ss, w, yr, eps);
  } else {
    float ss = 0.f;
    for (int i = threadIdx.x; i < DIM; i += blockDim.x) ss += xr[i] * xr[i];
    nx_norm_store_scalar<DIM, WK>(xr, ss, w, yr, eps);
  }
}

// x[t, :] += r[t, :]; y[t, :] = rmsnorm(x[t, :]) * w: the residual add fused into the next norm.
template <int DIM, int WK>
__global__ void __launch_bounds__(1024) nx_add_rmsnorm(float *x, const float *r, const void *__restrict__ w, float *y, float eps) {
  nx_grid_dependency_wait();
  nx_grid_launch_dependents();
  float *xr = x + (int64_t)blockIdx.x * DIM;
  const float *rr = r + (int64_t)blockIdx.x * DIM;
  float *yr = y + (int64_t)blockIdx.x * DIM;
  if constexpr (DIM % 4 == 0) {
    constexpr int T = nx_norm_threads(DIM), PER = (DIM / 4 + T - 1) / T;
    float4 v[PER];
    float ss = 0.f;
#pragma unroll
    for (int p = 0; p < PER; ++p) {  // every load before any store
      const int i = threadIdx.x + p * T;
      if (i < DIM / 4) {
        const float4 a = ((const float4 *)xr)[i], b = ((const float4 *)rr)[i];
        v[p] = make_float4(a.x + b.x, a.y + b.y, a.z + b.z, a.w + b.w);
      } else v[p] = make_float4(0.f, 0.f, 0.f, 0.f);
    }
#pragma unroll
    for (int p = 0; p < PER; ++p) {
      const int i = threadIdx.x + p * T;
      if (i < DIM / 4) ((float4 *)xr)[i] = v[p];
      ss += v[p].x * v[p].x + v[p].y * v[p].y + v[p].z * v[p].z + v[p].w * v[p].w;
    }
    nx_norm_store<DIM, WK, PER>(v, ss, w, yr, eps);
  } else {
    float ss = 0.f;
    for (int i = threadIdx.x; i < DIM; i += blockDim.x) {
      const float v = xr[i] + rr[i];
      xr[i] = v;
      ss += v * v;
    }
    nx_norm_store_scalar<DIM, WK>(xr, ss, w, yr, eps);
  }
}

// ---------------- sampling on the GPU ----------------
// One block over the vocabulary: argmax of logits (temperature <= 0), or of logits / T + Gumbel noise, which
// draws exactly from softmax(logits / T). The noise is a counter-based hash of (seed, step, index), so a run
// is reproducible. The chosen token becomes the next input (tokens[0]), the position advances, and the token
// is recorded in out[*step]; nothing crosses to the host.
static __device__ __forceinline__ uint32_t nx_hash(uint64_t x) {
  x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull; x ^= x >> 33;
  return (uint32_t)x;
}

static __global__ void __launch_bounds__(1024) nx_sample(const float *__restrict__ logits, int vocab, float temperature,
                                                  unsigned long long seed, int32_t *tokens, int32_t *pos, int32_t *step,
                                                  int32_t *out) {
  __shared__ float bv[32];
  __shared__ int bi[32];
  float best = -INFINITY;
  int bidx = 0;
  const int s = *step;
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
    float v = logits[i];
    if (temperature > 0.f) {
      const uint32_t hsh = nx_hash(seed * 0x9E3779B97F4A7C15ull + ((uint64_t)s << 32) + (uint64_t)i);
      const float u = ((float)(hsh >> 8) + 0.5f) * (1.f / 16777216.f);
      v = v / temperature - logf(-logf(u));
    }
    if (v > best) { best = v; bidx = i; }
  }
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const float ov = __shfl_xor_sync(NX_FULL, best, o);
    const int oi = __shfl_xor_sync(NX_FULL, bidx, o);
    if (ov > best || (ov == best && oi < bidx)) { best = ov; bidx = oi; }
  }
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
  if (lane == 0) { bv[wid] = best; bi[wid] = bidx; }
  __syncthreads();
  if (threadIdx.x == 0) {
    const int nw = (blockDim.x + 31) >> 5;
    for (int i = 1; i < nw; ++i)
      if (bv[i] > best || (bv[i] == best && bi[i] < bidx)) { best = bv[i]; bidx = bi[i]; }
    tokens[0] = bidx;
    *pos += 1;
    out[s] = bidx;
    *step = s + 1;
  }
}
