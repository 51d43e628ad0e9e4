// Decode GEMV v3 for 4-bit group-32 NK weights (q4f16_1, q4f32_1, q4bf16_1): the kernel that bounds decode speed.
// Included by nx_cuda_kernels.cuh (uses nx_warp_sum and nx_ldf from there).
//
// Why not v1/v2: they dequantise every weight with an int->float conversion (a slow-pipe instruction, 16 per SM
// per clock on sm_90) and multiply in f32 against activations re-read from L1 as f32 — 5 instructions and 8 bytes of
// L1 traffic per 4-bit weight. Here, as in MLC's own f16 decode kernels:
//   - the block stages the activation vector once in shared memory as f16, interleaved so that one 128-bit load
//     yields the 8 activations of one packed word in the order the dequantisation below produces weights;
//   - 8 weights of a word become 4 half2 with the 0x6400 trick: (w >> 4i) & 0x000F000F | 0x64006400 reinterpreted
//     as half2 is (1024 + code[i], 1024 + code[i + 4]) exactly; subtracting 1031 gives code - 7 exactly;
//   - products are summed in half2 over one word (4 per half, no overflow for |x| < 2048), then in f32, and the
//     group's f32 sum is scaled once: about 2 instructions per weight instead of 5, and no conversions.
// Each warp owns R output rows (R = 1, 2, 4: enough blocks for 132 SMs); lanes stride over the groups of 32
// weights, so one 16-byte load is one group of one row. GLU = 1 (silu) / 2 (gelu-tanh): the gate/up pair of MLC's
// fused gate_up_proj, out[j] = act(row j) * row (NOUT + j).
#pragma once

// Shared-memory slot of packed word c of the activation row: word j of group g at [j * NG + g], so that the 32
// lanes (consecutive g, same j) read 32 consecutive 16-byte slots: no bank conflicts.
template <int K> static __device__ __forceinline__ int nx_xh_slot(int c) { return (c & 3) * (K / 32) + (c >> 2); }

template <int K> static __device__ __forceinline__ void nx_stage_x_h(const float *__restrict__ x, uint4 *xs) {
  for (int c = threadIdx.x; c < K / 8; c += blockDim.x) {
    const float4 a = __ldg((const float4 *)(x + 8 * c)), b = __ldg((const float4 *)(x + 8 * c + 4));
    const half2 h0 = __floats2half2_rn(a.x, b.x), h1 = __floats2half2_rn(a.y, b.y);
    const half2 h2 = __floats2half2_rn(a.z, b.z), h3 = __floats2half2_rn(a.w, b.w);
    uint4 u;
    u.x = *(const uint32_t *)&h0;
    u.y = *(const uint32_t *)&h1;
    u.z = *(const uint32_t *)&h2;
    u.w = *(const uint32_t *)&h3;
    xs[nx_xh_slot<K>(c)] = u;
  }
}

// sum_e (code_e - 7) * x_e over the 8 weights of one packed word; xv = the interleaved f16 activations.
static __device__ __forceinline__ float nx_q4h_word(uint32_t w, uint4 xv) {
  const uint32_t magic = 0x64006400u;
  const half2 bias = __halves2half2(__ushort_as_half(0x6407), __ushort_as_half(0x6407));  // 1031 = 1024 + 7
  uint32_t t0 = (w & 0x000F000Fu) | magic, t1 = ((w >> 4) & 0x000F000Fu) | magic;
  uint32_t t2 = ((w >> 8) & 0x000F000Fu) | magic, t3 = ((w >> 12) & 0x000F000Fu) | magic;
  half2 acc = __hmul2(__hsub2(*(half2 *)&t0, bias), *(const half2 *)&xv.x);
  acc = __hfma2(__hsub2(*(half2 *)&t1, bias), *(const half2 *)&xv.y, acc);
  acc = __hfma2(__hsub2(*(half2 *)&t2, bias), *(const half2 *)&xv.z, acc);
  acc = __hfma2(__hsub2(*(half2 *)&t3, bias), *(const half2 *)&xv.w, acc);
  const float2 f = __half22float2(acc);
  return f.x + f.y;
}

/** Largest K the v3 GEMV stages in static shared memory (K / 8 slots of 16 bytes <= 32 KiB). */
#define NX_GEMV_Q4H_MAX_K 16384

template <int NOUT, int K, int SK, int BK, int R, int GLU>
__global__ void __launch_bounds__(256) nx_gemv_q4h(const float *__restrict__ x, const uint32_t *__restrict__ qw,
                                                   const void *__restrict__ qs, const void *__restrict__ bias,
                                                   float *__restrict__ y) {
  static_assert(K % 32 == 0 && K <= NX_GEMV_Q4H_MAX_K, "q4 group-32 rows that fit the staging buffer");
  constexpr int NG = K / 32;
  constexpr int A = GLU ? 2 * R : R;
  __shared__ uint4 xs[K / 8];
  const int lane = threadIdx.x & 31;
  const int row0 = (blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5)) * R;
  // Rows past NOUT (last warp only) read row NOUT - 1 again and are never written: no branch in the loop.
  int64_t rows[A];
#pragma unroll
  for (int a = 0; a < A; ++a) {
    const int r = min(row0 + a % R, NOUT - 1);
    rows[a] = (GLU && a >= R) ? (int64_t)NOUT + r : (int64_t)r;
  }
  // Weights do not depend on the previous kernel: start pulling this lane's first groups into L2 while it ends.
  if (row0 < NOUT && lane < NG) {
#pragma unroll
    for (int a = 0; a < A; ++a) asm volatile("prefetch.global.L2 [%0];" ::"l"((const uint4 *)qw + rows[a] * NG + lane));
  }
  nx_grid_dependency_wait();
  nx_grid_launch_dependents();
  nx_stage_x_h<K>(x, xs);
  __syncthreads();
  if (row0 >= NOUT) return;
  const uint4 *w4p = (const uint4 *)qw;
  float acc[A];
#pragma unroll
  for (int a = 0; a < A; ++a) acc[a] = 0.f;
  // Two groups per lane per step, all loads issued before any math: 2 A 16-byte loads in flight per lane.
  for (int g0 = lane; g0 < NG; g0 += 64) {
    uint4 wv[2][A];
    float sc[2][A];
#pragma unroll
    for (int u = 0; u < 2; ++u) {
      const int g = min(g0 + 32 * u, NG - 1);  // a past-the-end group re-reads the last one; its sum is dropped
#pragma unroll
      for (int a = 0; a < A; ++a) {
        wv[u][a] = __ldg(w4p + rows[a] * NG + g);
        sc[u][a] = nx_ldf<SK>(qs, rows[a] * NG + g);
      }
    }
#pragma unroll
    for (int u = 0; u < 2; ++u) {
      const int g = g0 + 32 * u;
      if (NG % 64 != 0 && g >= NG) break;
      const uint4 x0 = xs[0 * NG + g], x1 = xs[1 * NG + g], x2 = xs[2 * NG + g], x3 = xs[3 * NG + g];
#pragma unroll
      for (int a = 0; a < A; ++a)
        acc[a] += (nx_q4h_word(wv[u][a].x, x0) + nx_q4h_word(wv[u][a].y, x1) + nx_q4h_word(wv[u][a].z, x2) + nx_q4h_word(wv[u][a].w, x3)) * sc[u][a];
    }
  }
  nx_gemv_rows_store<NOUT, BK, R, GLU>(acc, row0, lane, bias, y);
}
