// Prefill matrix products on tensor cores with mma.sync (sm_80+; also the fast path on sm_90, no wgmma/TMA):
//   y[t, n] = sum_k x[t, k] * W[n, k] (+ bias[n]),  t < M (runtime), N and K compile-time,
// x f32 [M, K] row-major, y f32 [M, N]; inputs rounded to f16, products accumulated in f32 (the semantics of
// nx_mm_tc in nx_cuda_kernels.cuh).
//   - nx_mm_q4<N, K, SK, BK, BM, BN>: W q4f16_1, q_weight uint32 [N, K/8] (word (n, k/8) holds element k % 8 at
//     bits 4 (k % 8), LSB first), w = (code - 7) * scale[n, k/32], scale storage SK (NX_F16 / NX_BF16 / NX_F32);
//   - nx_mm_f16<N, K, WK, BK, BM, BN>: W f16 [N, K] (q0f16; WK must be NX_F16).
// BK = -1: no bias, else the storage kind of bias [N].
//
// Design. A tiny pre-kernel (nx_mm_x2h) rounds x to f16 once into a workspace xh [M, K], so that activation tiles
// can be fetched with cp.async. Block tile BM (tokens) x BN (outputs) x 64 (k), 256 threads = 8 warps laid out
// 2 (M) x 4 (N), warp tile (BM/2) x (BN/4) made of m16n8k16 mma.sync fragments (f16 x f16 -> f32). A 3-stage
// cp.async pipeline brings the f16 activation tile and the packed q4 words of the weight tile into shared memory;
// each K step the block dequantises the next packed tile cooperatively into an f16 [BN][64] tile (double
// buffered), with the 0x6400 trick: (w & 0x000F000F) | 0x64006400 is the half2 (1024 + c_lo, 1024 + c_hi), minus
// 1031 gives (code - 7) exactly, times the scale gives round_f16((code - 7) * scale) (one rounding, the value
// nx_mm_tc stores). Operand fragments come from ldmatrix.x4 (no .trans: both tiles are k-contiguous rows).
// Shared tiles have rows of 64 halfs = 128 B = 8 chunks of 16 B, chunk c of row r stored at chunk c ^ (r & 7):
// the 8 row addresses of each ldmatrix phase and each 8-lane phase of the 16 B stores hit 8 distinct chunks
// (no bank conflicts). One __syncthreads per K step.
// Scales are read with plain loads one K step ahead (K / 32 need not be even, so a 4-byte cp.async of the two
// scales of a row would not always be aligned).
// Grid: x = M tiles (fastest: the blocks sharing one weight tile run together, the weights stream from HBM once),
// y = N tiles. The launcher picks BM x BN among 128x128, 64x128, 64x64 from the tile count and the SM count.
#pragma once
// Uses nx_ldf from nx_cuda_kernels.cuh; with #pragma once this include is a no-op when nx_cuda_kernels.cuh
// includes this header at its end, and pulls it in when this header is included first.
#include "nx_cuda_kernels.cuh"
#include "nx_cuda_ptx.cuh"

namespace nxmm {

constexpr int BKT = 64;       // k per tile
constexpr int STAGES = 3;     // cp.async stages (3 keeps the 128x128 q4 tile under the 99 KB of sm_86/sm_89)
constexpr int THREADS = 256;  // 8 warps: 2 (M) x 4 (N)

using namespace nxptx;

// Offset in halfs of chunk c (8 halfs) of row r in a swizzled [rows][64] tile.
static __device__ __forceinline__ int swz(int r, int c) { return r * BKT + ((c ^ (r & 7)) << 3); }

// One 64-deep K step of the block tile: acc[MI][NI] += A[BM x 64] * B[BN x 64]^T, both tiles swizzled [rows][64].
// Warp (wm, wn) owns rows wm * (BM/2) + [0, BM/2) and columns wn * (BN/4) + [0, BN/4).
//   A fragment mi (rows r0 = wm*(BM/2) + 16 mi), k16 step kk: ldmatrix.x4 with lane l addressing row
//     r0 + (l & 15), chunk 2 kk + (l >> 4): matrices 0..3 = (rows 0-7, k 0-7), (rows 8-15, k 0-7),
//     (rows 0-7, k 8-15), (rows 8-15, k 8-15) = exactly a0, a1, a2, a3 above.
//   B fragments nj, nj + 1 (columns c0 = wn*(BN/4) + 8 nj, 16 columns): lane l addresses row
//     c0 + (l & 7) + 8 (l >> 4), chunk 2 kk + ((l >> 3) & 1): matrices = (n 0-7, k 0-7), (n 0-7, k 8-15),
//     (n 8-15, k 0-7), (n 8-15, k 8-15); for a matrix [n][k] lane l gets n = l / 4, k = 2 (l % 4) + {0, 1},
//     i.e. b0 of fragment nj, b1 of nj, b0 of nj + 1, b1 of nj + 1.
// Every row index above is a multiple of 8 plus (l & 7), so the swizzle term (r & 7) is just (l & 7).
template <int BM, int BN>
static __device__ __forceinline__ void mma_ktile(float (&acc)[BM / 32][BN / 32][4], uint32_t a_base, uint32_t b_base,
                                                 int wm, int wn, int lane) {
  constexpr int MI = BM / 32, NI = BN / 32;
  const int l7 = lane & 7;
  const uint32_t a_row = a_base + (uint32_t)((wm * (BM / 2) + (lane & 15)) * BKT * 2);
  const uint32_t b_row = b_base + (uint32_t)((wn * (BN / 4) + l7 + ((lane >> 4) << 3)) * BKT * 2);
  const int a_hi = lane >> 4, b_hi = (lane >> 3) & 1;
#pragma unroll
  for (int kk = 0; kk < BKT / 16; ++kk) {
    uint32_t af[MI][4], bf[NI][2];
    const uint32_t a_off = (uint32_t)((((2 * kk + a_hi) ^ l7) << 3) * 2);
    const uint32_t b_off = (uint32_t)((((2 * kk + b_hi) ^ l7) << 3) * 2);
#pragma unroll
    for (int mi = 0; mi < MI; ++mi)
      ldsm_x4(a_row + (uint32_t)(mi * 16 * BKT * 2) + a_off, af[mi][0], af[mi][1], af[mi][2], af[mi][3]);
#pragma unroll
    for (int nj = 0; nj < NI; nj += 2)
      ldsm_x4(b_row + (uint32_t)(nj * 8 * BKT * 2) + b_off, bf[nj][0], bf[nj][1], bf[nj + 1][0], bf[nj + 1][1]);
#pragma unroll
    for (int mi = 0; mi < MI; ++mi)
#pragma unroll
      for (int ni = 0; ni < NI; ++ni) mma16816(acc[mi][ni], af[mi], bf[ni][0], bf[ni][1]);
  }
}

// Accumulators to y (+ bias), guarded on t < M and n < N. Thread holds, for fragment (mi, ni), rows
// m0 + wm*(BM/2) + 16 mi + g (+8), columns n0 + wn*(BN/4) + 8 ni + 2q (+1).
template <int N, int BK, int BM, int BN>
static __device__ __forceinline__ void store_tile(const float (&acc)[BM / 32][BN / 32][4], const void *bias, float *y,
                                                  int M, int m0, int n0, int wm, int wn, int lane) {
  constexpr int MI = BM / 32, NI = BN / 32;
  const int g = lane >> 2, q = lane & 3;
#pragma unroll
  for (int ni = 0; ni < NI; ++ni) {
    const int n = n0 + wn * (BN / 4) + ni * 8 + 2 * q;
    float b0 = 0.f, b1 = 0.f;
    if constexpr (BK >= 0) {
      if (n < N) b0 = nx_ldf<BK>(bias, n);
      if (n + 1 < N) b1 = nx_ldf<BK>(bias, n + 1);
    }
#pragma unroll
    for (int mi = 0; mi < MI; ++mi) {
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int t = m0 + wm * (BM / 2) + mi * 16 + g + 8 * h;
        if (t >= M) continue;
        float *yr = y + (int64_t)t * N + n;
        const float v0 = acc[mi][ni][2 * h] + b0, v1 = acc[mi][ni][2 * h + 1] + b1;
        if constexpr (N % 2 == 0) {
          if (n < N) *(float2 *)yr = make_float2(v0, v1);  // n even, N even: n + 1 < N, 8-byte aligned
        } else {
          if (n < N) yr[0] = v0;
          if (n + 1 < N) yr[1] = v1;
        }
      }
    }
  }
}

// 8 q4 codes of one word -> 8 f16 weights (k order) = round_f16((code - 7) * scale).
// v_i = ((w >> 4i) & 0x000F000F) | 0x64006400 is the half2 (1024 + code_i, 1024 + code_{i+4}); byte_perm pairs
// the low (high) halves of v_i, v_{i+1} into (code_i, code_{i+1}) ((code_{i+4}, code_{i+5})).
template <int SK> static __device__ __forceinline__ uint4 dq8(uint32_t w, uint32_t sbits) {
  const uint32_t MAGIC = 0x64006400u;
  const uint32_t v0 = (w & 0x000F000Fu) | MAGIC;
  const uint32_t v1 = ((w >> 4) & 0x000F000Fu) | MAGIC;
  const uint32_t v2 = ((w >> 8) & 0x000F000Fu) | MAGIC;
  const uint32_t v3 = ((w >> 12) & 0x000F000Fu) | MAGIC;
  uint32_t p[4];
  p[0] = __byte_perm(v0, v1, 0x5410);  // (c0, c1)
  p[1] = __byte_perm(v2, v3, 0x5410);  // (c2, c3)
  p[2] = __byte_perm(v0, v1, 0x7632);  // (c4, c5)
  p[3] = __byte_perm(v2, v3, 0x7632);  // (c6, c7)
  const half2 off = __half2half2(__ushort_as_half((unsigned short)0x6407u));  // 1031 = 1024 + 7
  uint4 r;
  uint32_t *o = (uint32_t *)&r;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const half2 c = __hsub2(*(const half2 *)&p[i], off);  // (code - 7), exact
    half2 v;
    if constexpr (SK == NX_F16) {
      v = __hmul2(c, __half2half2(__ushort_as_half((unsigned short)sbits)));  // one rounding of the exact product
    } else {
      const float s = SK == NX_F32 ? __uint_as_float(sbits) : __uint_as_float(sbits << 16);
      const float2 f = __half22float2(c);
      v = __floats2half2_rn(f.x * s, f.y * s);
    }
    o[i] = *(const uint32_t *)&v;
  }
  return r;
}

template <int SK> static __device__ __forceinline__ uint32_t ld_scale_bits(const void *s, int64_t i) {
  if constexpr (SK == NX_F32) return __float_as_uint(__ldg((const float *)s + i));
  else return (uint32_t)__ldg((const unsigned short *)s + i);
}

}  // namespace nxmm

// x f32 [n] -> f16 (round to nearest even); n % 4 == 0.
static __global__ void __launch_bounds__(256) nx_mm_x2h(const float *__restrict__ x, half *__restrict__ xh, int64_t n4) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += (int64_t)gridDim.x * blockDim.x) {
    const float4 v = __ldg((const float4 *)x + i);
    half2 h[2] = {__floats2half2_rn(v.x, v.y), __floats2half2_rn(v.z, v.w)};
    ((uint2 *)xh)[i] = *(const uint2 *)h;
  }
}

template <int BM, int BN> struct NxMmQ4Smem {
  // per stage: A [BM][64] f16 + packed words [BN][8] u32; then 2 x dequantised B [BN][64] f16
  static constexpr int A_BYTES = BM * nxmm::BKT * 2;
  static constexpr int Q_BYTES = BN * (nxmm::BKT / 8) * 4;
  static constexpr int STAGE = A_BYTES + Q_BYTES;
  static constexpr int B_BYTES = BN * nxmm::BKT * 2;
  static constexpr int TOTAL = nxmm::STAGES * STAGE + 2 * B_BYTES;
};

template <int N, int K, int SK, int BK, int BM, int BN>
__global__ void __launch_bounds__(nxmm::THREADS, 2)
nx_mm_q4(const half *__restrict__ xh, const uint32_t *__restrict__ qw, const void *__restrict__ qs,
         const void *__restrict__ bias, float *__restrict__ y, int M) {
  using namespace nxmm;
  static_assert(K % 32 == 0, "q4 group-32 rows, K % 32 == 0");
  static_assert((BM == 64 || BM == 128) && (BN == 64 || BN == 128), "tile");
  constexpr int KT = (K + BKT - 1) / BKT;
  constexpr int KW = K / 8, NG = K / 32;  // words and groups per weight row
  constexpr int MI = BM / 32, NI = BN / 32;
  constexpr int A_CH = BM * 8 / THREADS;   // 16-byte A chunks per thread per stage (4 or 2)
  constexpr int Q_CH = BN * 2;             // 16-byte packed chunks per stage (256 or 128 threads busy)
  constexpr int DQ = BN * 8 / THREADS;     // packed words dequantised per thread per stage (4 or 2)
  using SM = NxMmQ4Smem<BM, BN>;
  extern __shared__ __align__(128) unsigned char nx_mm_smem[];
  const uint32_t sbase = smem_u32(nx_mm_smem);
  const uint32_t *qsm = (const uint32_t *)nx_mm_smem;  // typed views for the dequantiser
  half *bsm = (half *)(nx_mm_smem + STAGES * SM::STAGE);

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int wm = warp >> 2, wn = warp & 3;
  const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;

  // Issue the cp.async of K tile kt into stage st.
  auto load_tile = [&](int kt, int st) {
    const int k0 = kt * BKT;
    const uint32_t a_s = sbase + st * SM::STAGE;
#pragma unroll
    for (int i = 0; i < A_CH; ++i) {
      const int e = tid + i * THREADS, r = e >> 3, c = e & 7;
      const int t = m0 + r, k = k0 + c * 8;
      const bool ok = t < M && k < K;
      const half *src = ok ? xh + (int64_t)t * K + k : xh;
      cp_async16(a_s + swz(r, c) * 2, src, ok ? 16 : 0);
    }
    const uint32_t q_s = a_s + SM::A_BYTES;
    if (Q_CH == THREADS || tid < Q_CH) {
      const int r = tid >> 1, c = tid & 1;  // row r, words 4c..4c+3 of the tile
      const int n = n0 + r, k = k0 + c * 32;
      const bool ok = n < N && k < K;
      const uint32_t *src = ok ? qw + (int64_t)n * KW + k / 8 : qw;
      cp_async16(q_s + (r * 8 + c * 4) * 4, src, ok ? 16 : 0);
    }
  };
  // Scales of the words this thread dequantises: word e = tid + i * 256 of the tile is row e >> 3, word e & 7,
  // group 2 kt + ((e & 7) >> 2). Out-of-range rows / groups get scale 0 (their codes are zero-filled too).
  uint32_t sc[DQ];
  auto load_scales = [&](int kt) {
#pragma unroll
    for (int i = 0; i < DQ; ++i) {
      const int e = tid + i * THREADS, r = e >> 3, j = e & 7;
      const int n = n0 + r, gidx = kt * 2 + (j >> 2);
      sc[i] = (n < N && gidx < NG) ? ld_scale_bits<SK>(qs, (int64_t)n * NG + gidx) : 0u;
    }
  };
  auto dequant = [&](int st, int buf) {
    const uint32_t *q = (const uint32_t *)((const unsigned char *)qsm + st * SM::STAGE + SM::A_BYTES);
    half *b = bsm + buf * (BN * BKT);
#pragma unroll
    for (int i = 0; i < DQ; ++i) {
      const int e = tid + i * THREADS, r = e >> 3, j = e & 7;
      *(uint4 *)(b + swz(r, j)) = dq8<SK>(q[r * 8 + j], sc[i]);
    }
  };

  float acc[MI][NI][4];
#pragma unroll
  for (int mi = 0; mi < MI; ++mi)
#pragma unroll
    for (int ni = 0; ni < NI; ++ni)
#pragma unroll
      for (int v = 0; v < 4; ++v) acc[mi][ni][v] = 0.f;

  // Prologue: tiles 0 .. STAGES-2 in flight, tile 0 dequantised into B buffer 0.
#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < KT) load_tile(s, s);
    cp_async_commit();
  }
  load_scales(0);
  cp_async_wait<STAGES - 2>();
  __syncthreads();
  dequant(0, 0);
  if (KT > 1) load_scales(1);

  const uint32_t b_s = sbase + STAGES * SM::STAGE;
  for (int kt = 0; kt < KT; ++kt) {
    // Tile kt + 1 has landed (groups committed: tiles 0 .. kt + STAGES - 2). After the barrier: every thread's
    // copies of tile kt + 1 and the dequantised tile kt are visible, and compute(kt - 1) / dequant(kt - 1) are
    // finished, so stage (kt - 1) % STAGES and B buffer (kt + 1) & 1 may be overwritten.
    cp_async_wait<STAGES - 3>();
    __syncthreads();
    if (kt + STAGES - 1 < KT) load_tile(kt + STAGES - 1, (kt + STAGES - 1) % STAGES);
    cp_async_commit();
    mma_ktile<BM, BN>(acc, sbase + (kt % STAGES) * SM::STAGE, b_s + (kt & 1) * SM::B_BYTES, wm, wn, lane);
    if (kt + 1 < KT) {
      dequant((kt + 1) % STAGES, (kt + 1) & 1);
      if (kt + 2 < KT) load_scales(kt + 2);
    }
  }
  cp_async_wait<0>();
  store_tile<N, BK, BM, BN>(acc, bias, y, M, m0, n0, wm, wn, lane);
}

template <int BM, int BN> struct NxMmF16Smem {
  static constexpr int A_BYTES = BM * nxmm::BKT * 2;
  static constexpr int B_BYTES = BN * nxmm::BKT * 2;
  static constexpr int STAGE = A_BYTES + B_BYTES;
  static constexpr int TOTAL = nxmm::STAGES * STAGE;
};

// Dense f16 weights W [N, K] (q0f16): both operands by cp.async, no dequantisation.
template <int N, int K, int WK, int BK, int BM, int BN>
__global__ void __launch_bounds__(nxmm::THREADS, 2)
nx_mm_f16(const half *__restrict__ xh, const half *__restrict__ w, const void *__restrict__ bias, float *__restrict__ y,
          int M) {
  using namespace nxmm;
  static_assert(WK == NX_F16, "nx_mm_f16: f16 weights only");
  static_assert(K % 8 == 0, "16-byte rows");
  static_assert((BM == 64 || BM == 128) && (BN == 64 || BN == 128), "tile");
  constexpr int KT = (K + BKT - 1) / BKT;
  constexpr int MI = BM / 32, NI = BN / 32;
  constexpr int A_CH = BM * 8 / THREADS, B_CH = BN * 8 / THREADS;
  using SM = NxMmF16Smem<BM, BN>;
  extern __shared__ __align__(128) unsigned char nx_mm_smem[];
  const uint32_t sbase = smem_u32(nx_mm_smem);
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int wm = warp >> 2, wn = warp & 3;
  const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;

  auto load_tile = [&](int kt, int st) {
    const int k0 = kt * BKT;
    const uint32_t a_s = sbase + st * SM::STAGE, b_s = a_s + SM::A_BYTES;
#pragma unroll
    for (int i = 0; i < A_CH; ++i) {
      const int e = tid + i * THREADS, r = e >> 3, c = e & 7;
      const int t = m0 + r, k = k0 + c * 8;
      const bool ok = t < M && k < K;
      cp_async16(a_s + swz(r, c) * 2, ok ? xh + (int64_t)t * K + k : xh, ok ? 16 : 0);
    }
#pragma unroll
    for (int i = 0; i < B_CH; ++i) {
      const int e = tid + i * THREADS, r = e >> 3, c = e & 7;
      const int n = n0 + r, k = k0 + c * 8;
      const bool ok = n < N && k < K;
      cp_async16(b_s + swz(r, c) * 2, ok ? w + (int64_t)n * K + k : w, ok ? 16 : 0);
    }
  };

  float acc[MI][NI][4];
#pragma unroll
  for (int mi = 0; mi < MI; ++mi)
#pragma unroll
    for (int ni = 0; ni < NI; ++ni)
#pragma unroll
      for (int v = 0; v < 4; ++v) acc[mi][ni][v] = 0.f;

#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < KT) load_tile(s, s);
    cp_async_commit();
  }
  for (int kt = 0; kt < KT; ++kt) {
    cp_async_wait<STAGES - 2>();  // tile kt landed
    __syncthreads();              // ... for every thread; compute(kt - 1) done: its stage may be refilled
    if (kt + STAGES - 1 < KT) load_tile(kt + STAGES - 1, (kt + STAGES - 1) % STAGES);
    cp_async_commit();
    const uint32_t a_s = sbase + (kt % STAGES) * SM::STAGE;
    mma_ktile<BM, BN>(acc, a_s, a_s + SM::A_BYTES, wm, wn, lane);
  }
  cp_async_wait<0>();
  store_tile<N, BK, BM, BN>(acc, bias, y, M, m0, n0, wm, wn, lane);
}

// ---------------- host side ----------------
namespace nxmm {

struct Cfg {
  int bm, bn;
  float eff;  // rough relative throughput of one SM on this tile shape
};
static const Cfg kCfgs[3] = {{128, 128, 1.0f}, {64, 128, 0.75f}, {64, 64, 0.5f}};

static inline int sm_count() {
  static int n = 0;
  if (!n) {
    int dev = 0;
    cudaGetDevice(&dev);
    cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev);
    if (n <= 0) n = 132;
  }
  return n;
}

// Tile choice: minimise (tiles on the busiest SM) x (tile area) / eff, first config on ties.
static inline int pick_cfg(int M, int N) {
  const int sms = sm_count();
  int best = 0;
  double best_cost = 1e300;
  for (int i = 0; i < 3; ++i) {
    const int64_t tiles = (int64_t)((M + kCfgs[i].bm - 1) / kCfgs[i].bm) * ((N + kCfgs[i].bn - 1) / kCfgs[i].bn);
    const double cost = (double)((tiles + sms - 1) / sms) * kCfgs[i].bm * kCfgs[i].bn / kCfgs[i].eff;
    if (cost < best_cost * 0.999) {
      best_cost = cost;
      best = i;
    }
  }
  return best;
}

static inline void x_to_half(const float *x, half *xh, int M, int K, cudaStream_t stream) {
  const int64_t n4 = (int64_t)M * K / 4;
  nx_mm_x2h<<<nx_grid(n4, 256), 256, 0, stream>>>(x, xh, n4);
}

}  // namespace nxmm

template <int N, int K, int SK, int BK, int BM, int BN>
static inline void nx_mm_q4_launch_cfg(const half *xh, const uint32_t *qw, const void *qs, const void *bias, float *y,
                                       int M, cudaStream_t stream) {
  constexpr int SMEM = NxMmQ4Smem<BM, BN>::TOTAL;
  static bool attr = false;
  if (!attr) {
    cudaFuncSetAttribute(nx_mm_q4<N, K, SK, BK, BM, BN>, cudaFuncAttributeMaxDynamicSharedMemorySize, SMEM);
    attr = true;
  }
  const dim3 grid((unsigned)((M + BM - 1) / BM), (unsigned)((N + BN - 1) / BN));
  nx_mm_q4<N, K, SK, BK, BM, BN><<<grid, nxmm::THREADS, SMEM, stream>>>(xh, qw, qs, bias, y, M);
}

// y [M, N] = x [M, K] W^T (+ bias), W q4f16_1 (q_weight [N, K/8], scales [N, K/32] of kind SK). xh_workspace:
// M * K halfs (x rounded to f16 lands there first).
template <int N, int K, int SK, int BK>
static void nx_mm_q4_launch(const float *x, const uint32_t *qw, const void *qs, const void *bias, float *y, int M,
                            half *xh_workspace, cudaStream_t stream) {
  nxmm::x_to_half(x, xh_workspace, M, K, stream);
  switch (nxmm::pick_cfg(M, N)) {
    case 0: nx_mm_q4_launch_cfg<N, K, SK, BK, 128, 128>(xh_workspace, qw, qs, bias, y, M, stream); break;
    case 1: nx_mm_q4_launch_cfg<N, K, SK, BK, 64, 128>(xh_workspace, qw, qs, bias, y, M, stream); break;
    default: nx_mm_q4_launch_cfg<N, K, SK, BK, 64, 64>(xh_workspace, qw, qs, bias, y, M, stream); break;
  }
}

template <int N, int K, int WK, int BK, int BM, int BN>
static inline void nx_mm_f16_launch_cfg(const half *xh, const half *w, const void *bias, float *y, int M,
                                        cudaStream_t stream) {
  constexpr int SMEM = NxMmF16Smem<BM, BN>::TOTAL;
  static bool attr = false;
  if (!attr) {
    cudaFuncSetAttribute(nx_mm_f16<N, K, WK, BK, BM, BN>, cudaFuncAttributeMaxDynamicSharedMemorySize, SMEM);
    attr = true;
  }
  const dim3 grid((unsigned)((M + BM - 1) / BM), (unsigned)((N + BN - 1) / BN));
  nx_mm_f16<N, K, WK, BK, BM, BN><<<grid, nxmm::THREADS, SMEM, stream>>>(xh, w, bias, y, M);
}

// Same for dense f16 weights W [N, K] (q0f16).
template <int N, int K, int WK, int BK>
static void nx_mm_f16_launch(const float *x, const void *w, const void *bias, float *y, int M, half *xh_workspace,
                             cudaStream_t stream) {
  nxmm::x_to_half(x, xh_workspace, M, K, stream);
  const half *wh = (const half *)w;
  switch (nxmm::pick_cfg(M, N)) {
    case 0: nx_mm_f16_launch_cfg<N, K, WK, BK, 128, 128>(xh_workspace, wh, bias, y, M, stream); break;
    case 1: nx_mm_f16_launch_cfg<N, K, WK, BK, 64, 128>(xh_workspace, wh, bias, y, M, stream); break;
    default: nx_mm_f16_launch_cfg<N, K, WK, BK, 64, 64>(xh_workspace, wh, bias, y, M, stream); break;
  }
}
