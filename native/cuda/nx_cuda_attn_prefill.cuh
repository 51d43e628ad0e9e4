// Prefill (prompt, n >= 1 tokens) attention on tensor cores, flash-attention-2 style, mma.sync m16n8k16 (sm_80+;
// also the path on sm_90: no wgmma / TMA). Same semantics as nx_attn in nx_cuda_kernels.cuh (causal GQA over the
// f32 KV cache, optional sliding window and logit soft-cap), except that q, k, v and the softmax weights p enter
// the products rounded to f16 (scores, softmax state and the output accumulate in f32).
//
// Layout of the work. The query rows of one KV head g are the pairs (token t, head h of the group), flattened
// token-major: row r = t * G + (h - g G), G = HQ / HKV, R = n G rows. A block (4 warps, 128 threads) owns 64
// consecutive rows of one KV head (grid x = row tiles, heaviest first; y = KV head), so the G query heads that
// share a K/V tile consume it together and a tile spans only 64 / G tokens of the causal diagonal. Warp w owns
// rows 16 w .. 16 w + 15 of the tile; its Q fragments (f16) stay in registers for the whole key loop.
// Key loop over tiles of BKV keys (64 for D <= 64, else 32), from the window start of the tile's first token to
// the last token's position. K / V tiles are double buffered in shared memory as f16; the f32 loads of tile i + 1
// are issued into registers before tile i is computed and converted / stored after it (one __syncthreads per
// tile). Per tile and warp: S = Q K^T (ldmatrix of K rows), scale (and soft-cap), causal / window mask only on
// tiles that straddle a boundary of the warp's rows, online softmax in the log2 domain (ex2.approx), then the
// S accumulators are repacked as the f16 A operand of P V (the m16n8 C layout of two adjacent key octets is the
// m16k16 A layout) and V fragments come from ldmatrix.trans. Warps whose rows see none of the tile skip it.
// Shared tiles: rows of D halfs = D / 8 chunks of 16 B, chunk c of row r stored at c ^ (r & SWM) (SWM = 7 when
// D / 8 is a multiple of 8, so the 8 rows of an ldmatrix phase hit distinct banks).
// Unsupported shapes (D % 16 != 0, D > 128, HQ % HKV != 0) fall back to nx_attn in the launcher.
#pragma once
#include "nx_cuda_kernels.cuh"
#include "nx_cuda_ptx.cuh"

namespace nxap {

using namespace nxptx;

static __device__ __forceinline__ uint32_t pack_h2(float lo, float hi) {
  const half2 h = __floats2half2_rn(lo, hi);
  return *(const uint32_t *)&h;
}
static __device__ __forceinline__ uint4 pack8(const float4 a, const float4 b) {
  return make_uint4(pack_h2(a.x, a.y), pack_h2(a.z, a.w), pack_h2(b.x, b.y), pack_h2(b.z, b.w));
}
static __device__ __forceinline__ float ex2(float x) {  // 2^x; -inf -> +0
  float y;
  asm("ex2.approx.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

template <int D, int BKV_ = 0> struct Shape {
  static constexpr int BQ = 64, THREADS = 128;
  static constexpr int BKV = BKV_ > 0 ? BKV_ : D <= 64 ? 64 : 32;  // keys per tile (BKV_: a tuning override)
  static constexpr int CH = D / 8;  // 16-byte chunks (8 halfs) per row
  static constexpr int SWM = CH % 8 == 0 ? 7 : CH % 4 == 0 ? 3 : 1;
  // offset in halfs of chunk c of row r
  static __device__ __forceinline__ int off(int r, int c) { return r * D + ((c ^ (r & SWM)) << 3); }
};

}  // namespace nxap

template <int HQ, int HKV, int D, int WINDOW, bool SOFTCAP, int BKV_ = 0>
__global__ void __launch_bounds__(128) nx_attn_prefill(const float *__restrict__ qkv, const float *__restrict__ kc,
                                                       const float *__restrict__ vc, float *__restrict__ out,
                                                       const int32_t *__restrict__ pos_ptr, int n, int cap, float scale,
                                                       float softcap) {
  using namespace nxap;
  using S = Shape<D, BKV_>;
  static_assert(HQ % HKV == 0 && D % 16 == 0 && D <= 128 && S::BKV % 16 == 0, "nx_attn_prefill shape");
  constexpr int G = HQ / HKV, ROW = (HQ + 2 * HKV) * D;
  constexpr int BQ = S::BQ, BKV = S::BKV, NT = S::THREADS, CH = S::CH;
  constexpr int KD = D / 16;    // k16 steps of Q K^T
  constexpr int NS = BKV / 8;   // n8 fragments of S per warp
  constexpr int NO = D / 8;     // n8 fragments of O per warp
  constexpr int TCH = BKV * CH;  // 16-byte f16 chunks per K (or V) tile
  constexpr int PER = (TCH + NT - 1) / NT;
  constexpr float LOG2E = 1.4426950408889634f;
  __shared__ __align__(128) half Qs[BQ * D];
  __shared__ __align__(128) half Ks[2][BKV * D];
  __shared__ __align__(128) half Vs[2][BKV * D];

  nx_grid_dependency_wait();
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int gq = lane >> 2, qq = lane & 3;
  const int kvh = blockIdx.y;
  const int tile = gridDim.x - 1 - blockIdx.x;  // most keys first
  const int R = n * G, r0 = tile * BQ;
  const int pos = *pos_ptr;
  const float *Kb = kc + (int64_t)kvh * cap * D;
  const float *Vb = vc + (int64_t)kvh * cap * D;

  // Q tile -> shared f16 (rows past R zero).
  for (int e = tid; e < BQ * CH; e += NT) {
    const int r = e / CH, c = e % CH, rr = r0 + r;
    uint4 hv = make_uint4(0u, 0u, 0u, 0u);
    if (rr < R) {
      const float4 *src = (const float4 *)(qkv + (int64_t)(rr / G) * ROW + (kvh * G + rr % G) * D + c * 8);
      hv = pack8(__ldg(src), __ldg(src + 1));
    }
    *(uint4 *)&Qs[S::off(r, c)] = hv;
  }

  // Keys of the block: [klo, phi]; tiles start at kbeg (a multiple of BKV).
  const int tmin = r0 / G, tmax = min(n - 1, (r0 + BQ - 1) / G);
  const int phi = pos + tmax;
  const int klo = WINDOW > 0 ? max(0, pos + tmin - WINDOW + 1) : 0;
  const int kbeg = klo / BKV * BKV;
  const int ntiles = (phi - kbeg) / BKV + 1;

  // This warp's rows and this thread's two rows (g and g + 8 of the warp's 16); p = -1 masks a padding row.
  const int wr0 = r0 + warp * 16;
  const bool wvalid = wr0 < R;
  const int wp_min = pos + wr0 / G;
  const int wp_max = pos + min(n - 1, (wr0 + 15) / G);
  const int wlo_min = WINDOW > 0 ? max(0, wp_min - WINDOW + 1) : 0;  // window start of the warp's first row
  const int wlo_max = WINDOW > 0 ? max(0, wp_max - WINDOW + 1) : 0;  // ... and of its last row
  const int ra = wr0 + gq, rb = ra + 8;
  const int pa = ra < R ? pos + ra / G : -1, pb = rb < R ? pos + rb / G : -1;
  const int loa = WINDOW > 0 ? max(0, pa - WINDOW + 1) : 0, lob = WINDOW > 0 ? max(0, pb - WINDOW + 1) : 0;

  float4 kr[PER][2], vr[PER][2];
  auto fetch = [&](int k0) {
#pragma unroll
    for (int i = 0; i < PER; ++i) {
      const int e = tid + i * NT;
      if (TCH % NT == 0 || e < TCH) {
        const int r = e / CH, c = e % CH, j = k0 + r;
        if (j <= phi) {
          const float4 *ks = (const float4 *)(Kb + (int64_t)j * D + c * 8);
          const float4 *vs = (const float4 *)(Vb + (int64_t)j * D + c * 8);
          kr[i][0] = __ldg(ks);
          kr[i][1] = __ldg(ks + 1);
          vr[i][0] = __ldg(vs);
          vr[i][1] = __ldg(vs + 1);
        } else {  // past the last query's position (maybe past cap): zeros, so 0 * v stays finite
          kr[i][0] = kr[i][1] = vr[i][0] = vr[i][1] = make_float4(0.f, 0.f, 0.f, 0.f);
        }
      }
    }
  };
  auto stash = [&](int buf) {
#pragma unroll
    for (int i = 0; i < PER; ++i) {
      const int e = tid + i * NT;
      if (TCH % NT == 0 || e < TCH) {
        const int r = e / CH, c = e % CH;
        *(uint4 *)&Ks[buf][S::off(r, c)] = pack8(kr[i][0], kr[i][1]);
        *(uint4 *)&Vs[buf][S::off(r, c)] = pack8(vr[i][0], vr[i][1]);
      }
    }
  };

  fetch(kbeg);
  stash(0);
  __syncthreads();

  // Q fragments (A operand, rows 16 warp + [0, 16)): matrices (rows 0-7 | 8-15) x (k 0-7 | 8-15) = a0..a3.
  uint32_t qf[KD][4];
  {
    const int r = warp * 16 + (lane & 15);
#pragma unroll
    for (int kk = 0; kk < KD; ++kk)
      ldsm_x4(smem_u32(&Qs[S::off(r, 2 * kk + (lane >> 4))]), qf[kk][0], qf[kk][1], qf[kk][2], qf[kk][3]);
  }

  float o[NO][4];
#pragma unroll
  for (int i = 0; i < NO; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
  float m_a = -INFINITY, m_b = -INFINITY, l_a = 0.f, l_b = 0.f;  // log2-domain running max; partial row sums
  const float sl2 = scale * LOG2E;

  for (int it = 0; it < ntiles; ++it) {
    const int k0 = kbeg + it * BKV, buf = it & 1;
    if (it + 1 < ntiles) fetch(k0 + BKV);
    const bool active = wvalid && k0 <= wp_max && (WINDOW == 0 || k0 + BKV - 1 >= wlo_min);
    if (active) {
      // S = Q K^T. K fragments nj, nj + 1 (keys 8 nj + [0, 16)): lane l addresses key row 8 nj + (l & 7) +
      // 8 (l >> 4), chunk 2 kk + ((l >> 3) & 1): matrices = b0(nj), b1(nj), b0(nj + 1), b1(nj + 1).
      float s[NS][4];
#pragma unroll
      for (int i = 0; i < NS; ++i) s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.f;
      const int krow = (lane & 7) + ((lane >> 4) << 3), khi = (lane >> 3) & 1;
#pragma unroll
      for (int kk = 0; kk < KD; ++kk) {
#pragma unroll
        for (int nj = 0; nj < NS; nj += 2) {
          uint32_t b0, b1, b2, b3;
          ldsm_x4(smem_u32(&Ks[buf][S::off(nj * 8 + krow, 2 * kk + khi)]), b0, b1, b2, b3);
          mma16816(s[nj], qf[kk], b0, b1);
          mma16816(s[nj + 1], qf[kk], b2, b3);
        }
      }
      // Scale (soft-cap), mask, to the log2 domain. Masking only where the tile crosses a row's causal or
      // window boundary.
      const bool full = k0 + BKV - 1 <= wp_min && (WINDOW == 0 || k0 >= wlo_max);
      float mx_a = -INFINITY, mx_b = -INFINITY;
#pragma unroll
      for (int nj = 0; nj < NS; ++nj) {
#pragma unroll
        for (int v = 0; v < 4; ++v) {
          float x;
          if constexpr (SOFTCAP) x = tanhf(s[nj][v] * scale / softcap) * softcap * LOG2E;
          else x = s[nj][v] * sl2;
          if (!full) {
            const int j = k0 + nj * 8 + 2 * qq + (v & 1);
            const int p = v < 2 ? pa : pb, lo = v < 2 ? loa : lob;
            if (j > p || j < lo) x = -INFINITY;
          }
          s[nj][v] = x;
        }
        mx_a = fmaxf(mx_a, fmaxf(s[nj][0], s[nj][1]));
        mx_b = fmaxf(mx_b, fmaxf(s[nj][2], s[nj][3]));
      }
      mx_a = fmaxf(mx_a, __shfl_xor_sync(NX_FULL, mx_a, 1));
      mx_a = fmaxf(mx_a, __shfl_xor_sync(NX_FULL, mx_a, 2));
      mx_b = fmaxf(mx_b, __shfl_xor_sync(NX_FULL, mx_b, 1));
      mx_b = fmaxf(mx_b, __shfl_xor_sync(NX_FULL, mx_b, 2));
      const float mn_a = fmaxf(m_a, mx_a), mn_b = fmaxf(m_b, mx_b);
      const float mu_a = mn_a == -INFINITY ? 0.f : mn_a, mu_b = mn_b == -INFINITY ? 0.f : mn_b;
      const float c_a = ex2(m_a - mu_a), c_b = ex2(m_b - mu_b);  // 0 while the row had no key yet
      m_a = mn_a;
      m_b = mn_b;
      float sum_a = 0.f, sum_b = 0.f;
#pragma unroll
      for (int nj = 0; nj < NS; ++nj) {
        s[nj][0] = ex2(s[nj][0] - mu_a);
        s[nj][1] = ex2(s[nj][1] - mu_a);
        s[nj][2] = ex2(s[nj][2] - mu_b);
        s[nj][3] = ex2(s[nj][3] - mu_b);
        sum_a += s[nj][0] + s[nj][1];
        sum_b += s[nj][2] + s[nj][3];
      }
      l_a = l_a * c_a + sum_a;
      l_b = l_b * c_b + sum_b;
#pragma unroll
      for (int i = 0; i < NO; ++i) {
        o[i][0] *= c_a;
        o[i][1] *= c_a;
        o[i][2] *= c_b;
        o[i][3] *= c_b;
      }
      // O += P V. P (16 x 16 keys kc) as A: a0 = s[2kc][0, 1], a1 = s[2kc][2, 3], a2 = s[2kc+1][0, 1],
      // a3 = s[2kc+1][2, 3]. V fragments nd, nd + 1 via ldmatrix.trans of V [key][d]: lane l addresses key row
      // 16 kc + (l & 7) + 8 ((l >> 3) & 1), chunk nd + (l >> 4): matrices = b0(nd), b1(nd), b0(nd+1), b1(nd+1).
      const int vrow = (lane & 7) + (((lane >> 3) & 1) << 3), vhi = lane >> 4;
#pragma unroll
      for (int kc = 0; kc < BKV / 16; ++kc) {
        const uint32_t a[4] = {pack_h2(s[2 * kc][0], s[2 * kc][1]), pack_h2(s[2 * kc][2], s[2 * kc][3]),
                               pack_h2(s[2 * kc + 1][0], s[2 * kc + 1][1]), pack_h2(s[2 * kc + 1][2], s[2 * kc + 1][3])};
#pragma unroll
        for (int nd = 0; nd < NO; nd += 2) {
          uint32_t b0, b1, b2, b3;
          ldsm_x4_t(smem_u32(&Vs[buf][S::off(kc * 16 + vrow, nd + vhi)]), b0, b1, b2, b3);
          mma16816(o[nd], a, b0, b1);
          mma16816(o[nd + 1], a, b2, b3);
        }
      }
    }
    if (it + 1 < ntiles) stash(buf ^ 1);
    __syncthreads();
  }

  // Row sums across the quad, normalise, store rows < R: out[(t HQ + h) D + d].
  l_a += __shfl_xor_sync(NX_FULL, l_a, 1);
  l_a += __shfl_xor_sync(NX_FULL, l_a, 2);
  l_b += __shfl_xor_sync(NX_FULL, l_b, 1);
  l_b += __shfl_xor_sync(NX_FULL, l_b, 2);
  if (ra < R) {
    const float inv = 1.f / l_a;
    float *dst = out + ((int64_t)(ra / G) * HQ + kvh * G + ra % G) * D + 2 * qq;
#pragma unroll
    for (int i = 0; i < NO; ++i) *(float2 *)(dst + i * 8) = make_float2(o[i][0] * inv, o[i][1] * inv);
  }
  if (rb < R) {
    const float inv = 1.f / l_b;
    float *dst = out + ((int64_t)(rb / G) * HQ + kvh * G + rb % G) * D + 2 * qq;
#pragma unroll
    for (int i = 0; i < NO; ++i) *(float2 *)(dst + i * 8) = make_float2(o[i][2] * inv, o[i][3] * inv);
  }
}

// Prompt attention: the tensor-core kernel where the shape allows, nx_attn (one warp per (token, head)) otherwise.
// ws_unused: the split workspace nx_attn takes (not touched with splits = 1).
template <int HQ, int HKV, int D, int WINDOW, bool SOFTCAP>
static void nx_attn_prefill_launch(const float *qkv, const float *kc, const float *vc, float *out,
                                   const int32_t *pos_ptr, int n, int cap, float scale, float softcap,
                                   float *ws_unused, cudaStream_t stream) {
  if (n <= 0) return;
  if constexpr (HQ % HKV == 0 && D % 16 == 0 && D <= 128) {
    constexpr int G = HQ / HKV;
    const int tiles = (n * G + nxap::Shape<D>::BQ - 1) / nxap::Shape<D>::BQ;
    nx_attn_prefill<HQ, HKV, D, WINDOW, SOFTCAP><<<dim3(tiles, HKV), nxap::Shape<D>::THREADS, 0, stream>>>(
        qkv, kc, vc, out, pos_ptr, n, cap, scale, softcap);
  } else {
    nx_attn<HQ, HKV, D, WINDOW, SOFTCAP><<<dim3(n * HQ, 1), 32, 0, stream>>>(qkv, kc, vc, out, ws_unused, pos_ptr, cap,
                                                                              1, scale, softcap);
  }
}
