// Single-token (decode) attention, flash-decoding style, with the split combine fused in. Included by
// nx_cuda_kernels.cuh (uses nx_warp_sum / nx_warp_max).
//
// Why not nx_attn for decode: one warp per (query head, split) reads each key row with one lane (512 uncoalesced
// bytes per lane for D = 128), re-reads the same keys for every query head of a GQA group, and needs a second
// launch to combine the splits. Here one 128-thread block owns (KV head, split): the G = HQ / HKV query heads of
// the group share every K and V row it loads. Keys go in chunks of 32: four threads score one key against all G
// queries (each a quarter of the dimensions, all its loads in flight at once; q in shared memory, broadcast
// reads), the softmax runs per head in shared memory (online across chunks), and for P·V thread t owns dimensions
// t, t + 128, ... so V rows load coalesced, eight rows in flight. The last block of a KV head to finish (atomic
// counter, reset by that block, so CUDA-graph replays stay valid) merges the splits' partials, all heads and
// dimensions in parallel.
// Same math as nx_attn: keys [lo, p], p = pos, lo from the sliding window, contiguous equal splits, scores
// dot * scale (then softcap), f32 throughout.
#pragma once

template <int HQ, int HKV, int D, int WINDOW, bool SOFTCAP>
__global__ void __launch_bounds__(128) nx_attn_decode(const float *__restrict__ q_row, const float *__restrict__ kc,
                                                      const float *__restrict__ vc, float *__restrict__ out,
                                                      float *__restrict__ ws, int32_t *__restrict__ counters,
                                                      const int32_t *__restrict__ pos_ptr, int cap, float scale, float softcap) {
  constexpr int G = HQ / HKV, NT = 128, CH = 32, DPT = (D + NT - 1) / NT;
  static_assert(HQ % HKV == 0, "grouped-query attention");
  __shared__ __align__(16) float qs[G][D];
  __shared__ float S[G][CH];
  __shared__ float Mx[G], Ls[G], Cr[G];
  __shared__ float wsplit[G][32];  // combine weights; splits <= 32 (the runtime's kMaxSplits)
  __shared__ bool last;
  nx_grid_dependency_wait();
  nx_grid_launch_dependents();
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int kvh = blockIdx.x, split = blockIdx.y, splits = gridDim.y;
  const int p = *pos_ptr;
  const int lo = WINDOW > 0 ? max(0, p - WINDOW + 1) : 0;
  const int len = p + 1 - lo;
  const int per = (len + splits - 1) / splits;
  const int s0 = lo + split * per, s1 = min(p + 1, s0 + per);
  for (int i = tid; i < G * D; i += NT) qs[i / D][i % D] = q_row[(kvh * G + i / D) * D + i % D];
  if (tid < G) { Mx[tid] = -INFINITY; Ls[tid] = 0.f; }
  const float *Kb = kc + (int64_t)kvh * cap * D;
  const float *Vb = vc + (int64_t)kvh * cap * D;
  float acc[G][DPT];
#pragma unroll
  for (int g = 0; g < G; ++g)
#pragma unroll
    for (int i = 0; i < DPT; ++i) acc[g][i] = 0.f;
  __syncthreads();
  const int key = tid >> 2, sub = tid & 3;  // scores: four threads per key
  for (int c0 = s0; c0 < s1; c0 += CH) {
    const int cnt = min(CH, s1 - c0);
    {
      float dot[G];
#pragma unroll
      for (int g = 0; g < G; ++g) dot[g] = 0.f;
      if (key < cnt) {
        const float *kr = Kb + (int64_t)(c0 + key) * D;
        if constexpr (D % 16 == 0) {
          constexpr int F4 = D / 16;  // float4s per thread; the quad reads 64 contiguous bytes per step
          float4 kv[F4];
#pragma unroll
          for (int i = 0; i < F4; ++i) kv[i] = __ldg((const float4 *)kr + sub + 4 * i);
#pragma unroll
          for (int i = 0; i < F4; ++i)
#pragma unroll
            for (int g = 0; g < G; ++g) {
              const float4 qv = *(const float4 *)&qs[g][4 * (sub + 4 * i)];
              dot[g] += qv.x * kv[i].x + qv.y * kv[i].y + qv.z * kv[i].z + qv.w * kv[i].w;
            }
        } else {
          for (int d = sub; d < D; d += 4) {
            const float kv = __ldg(kr + d);
#pragma unroll
            for (int g = 0; g < G; ++g) dot[g] += qs[g][d] * kv;
          }
        }
      }
#pragma unroll
      for (int g = 0; g < G; ++g) {
        dot[g] += __shfl_xor_sync(NX_FULL, dot[g], 1);
        dot[g] += __shfl_xor_sync(NX_FULL, dot[g], 2);
      }
      if (sub == 0) {
#pragma unroll
        for (int g = 0; g < G; ++g) {
          float sc = dot[g] * scale;
          if constexpr (SOFTCAP) sc = tanhf(sc / softcap) * softcap;
          S[g][key] = key < cnt ? sc : -INFINITY;
        }
      }
    }
    __syncthreads();
    // Online softmax per head: warp w handles heads w, w + 4, ...; one key per lane.
    for (int g = warp; g < G; g += NT / 32) {
      const float sc = S[g][lane];
      const float mold = Mx[g], mnew = fmaxf(mold, nx_warp_max(sc));
      const float e = lane < cnt ? expf(sc - mnew) : 0.f;
      S[g][lane] = e;
      const float sum = nx_warp_sum(e);
      if (lane == 0) {
        const float corr = mold == -INFINITY ? 0.f : expf(mold - mnew);
        Cr[g] = corr;
        Ls[g] = Ls[g] * corr + sum;
        Mx[g] = mnew;
      }
    }
    __syncthreads();
    // P·V: thread t owns dimensions t, t + 128, ...; eight V rows in flight per step (S[g][j] = 0 for j >= cnt,
    // and those rows are not loaded).
#pragma unroll
    for (int g = 0; g < G; ++g)
#pragma unroll
      for (int i = 0; i < DPT; ++i) acc[g][i] *= Cr[g];
    for (int j0 = 0; j0 < cnt; j0 += 8) {
      float v[8][DPT];
#pragma unroll
      for (int u = 0; u < 8; ++u)
#pragma unroll
        for (int i = 0; i < DPT; ++i) {
          const int d = i * NT + tid;
          v[u][i] = (j0 + u < cnt && d < D) ? __ldg(Vb + (int64_t)(c0 + j0 + u) * D + d) : 0.f;
        }
#pragma unroll
      for (int u = 0; u < 8; ++u)
#pragma unroll
        for (int g = 0; g < G; ++g)
#pragma unroll
          for (int i = 0; i < DPT; ++i) acc[g][i] += S[g][j0 + u] * v[u][i];
    }
    __syncthreads();  // S is rewritten by the next chunk
  }
  if (splits == 1) {
#pragma unroll
    for (int g = 0; g < G; ++g) {
      const float inv = 1.f / Ls[g];
#pragma unroll
      for (int i = 0; i < DPT; ++i) {
        const int d = i * NT + tid;
        if (d < D) out[(kvh * G + g) * D + d] = acc[g][i] * inv;
      }
    }
    return;
  }
  // Partials of this split: (m, l, acc[D]) per query head, then the last block of this KV head combines.
#pragma unroll
  for (int g = 0; g < G; ++g) {
    float *pw = ws + ((int64_t)(kvh * G + g) * splits + split) * (D + 2);
    if (tid == 0) { pw[0] = Mx[g]; pw[1] = Ls[g]; }
#pragma unroll
    for (int i = 0; i < DPT; ++i) {
      const int d = i * NT + tid;
      if (d < D) pw[2 + d] = acc[g][i];
    }
  }
  __threadfence();
  __syncthreads();
  if (tid == 0) {
    const int done = atomicAdd(&counters[kvh], 1);
    last = done == splits - 1;
    if (last) counters[kvh] = 0;  // ready for the next layer / replay (no other block of this launch touches it now)
  }
  __syncthreads();
  if (!last) return;
  __threadfence();
  // Combine: warp w turns head g's (m_s, l_s) into weights exp(m_s - M) / L (g = w, w + 4, ...), then every
  // thread sums its (head, dimension) pairs over the splits with independent loads.
  for (int g = warp; g < G; g += NT / 32) {
    const float *pw = ws + (int64_t)(kvh * G + g) * splits * (D + 2);
    const float ms = lane < splits ? __ldcg(pw + lane * (D + 2)) : -INFINITY;
    const float ls = lane < splits ? __ldcg(pw + lane * (D + 2) + 1) : 0.f;
    const float M = nx_warp_max(ms);
    const float e = ms == -INFINITY ? 0.f : expf(ms - M);
    const float L = nx_warp_sum(ls * e);
    wsplit[g][lane] = e / L;
  }
  __syncthreads();
  for (int idx = tid; idx < G * D; idx += NT) {
    const int g = idx / D, d = idx % D;
    const float *pw = ws + (int64_t)(kvh * G + g) * splits * (D + 2) + 2 + d;
    float a = 0.f;
#pragma unroll 8
    for (int s = 0; s < splits; ++s) a += __ldcg(pw + s * (D + 2)) * wsplit[g][s];
    out[(kvh * G + g) * D + d] = a;
  }
}
