// Single-token (decode) attention, flash-decoding style, with the split combine fused in. Included by
// nx_cuda_kernels.cuh (uses nx_warp_sum / nx_warp_max).
//
// Why not nx_attn for decode: one warp per (query head, split) reads each key row with one lane (512 uncoalesced
// bytes per lane for D = 128), re-reads the same keys for every query head of a GQA group, and needs a second
// launch to combine the splits. Here one 128-thread block owns (KV head, split): the G = HQ / HKV query heads of
// the group share every K and V row it loads; thread t scores key t of a 128-key chunk against all G queries
// (q in shared memory, broadcast reads), the softmax runs per head in shared memory (online across chunks), and
// for P·V thread t owns dimensions t, t + 128, ... so V rows load coalesced. The last block of a KV head to
// finish (atomic counter, reset by that block, so CUDA-graph replays stay valid) merges the splits' partials.
// Same math as nx_attn: keys [lo, p], p = pos, lo from the sliding window, contiguous equal splits, scores
// dot * scale (then softcap), f32 throughout.
#pragma once

template <int HQ, int HKV, int D, int WINDOW, bool SOFTCAP>
__global__ void __launch_bounds__(128) nx_attn_decode(const float *__restrict__ q_row, const float *__restrict__ kc,
                                                      const float *__restrict__ vc, float *__restrict__ out,
                                                      float *__restrict__ ws, int32_t *__restrict__ counters,
                                                      const int32_t *__restrict__ pos_ptr, int cap, float scale, float softcap) {
  constexpr int G = HQ / HKV, CH = 128, DPT = (D + CH - 1) / CH;
  static_assert(HQ % HKV == 0, "grouped-query attention");
  __shared__ __align__(16) float qs[G][D];
  __shared__ float S[G][CH];
  __shared__ float Mx[G], Ls[G], Cr[G];
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
  for (int i = tid; i < G * D; i += CH) qs[i / D][i % D] = q_row[(kvh * G + i / D) * D + i % D];
  if (tid < G) { Mx[tid] = -INFINITY; Ls[tid] = 0.f; }
  const float *Kb = kc + (int64_t)kvh * cap * D;
  const float *Vb = vc + (int64_t)kvh * cap * D;
  float acc[G][DPT];
#pragma unroll
  for (int g = 0; g < G; ++g)
#pragma unroll
    for (int i = 0; i < DPT; ++i) acc[g][i] = 0.f;
  __syncthreads();
  for (int c0 = s0; c0 < s1; c0 += CH) {
    const int cnt = min(CH, s1 - c0);
    // Scores: thread t against key c0 + t, all G heads.
    {
      float dot[G];
#pragma unroll
      for (int g = 0; g < G; ++g) dot[g] = 0.f;
      if (tid < cnt) {
        const float *kr = Kb + (int64_t)(c0 + tid) * D;
        if constexpr (D % 4 == 0) {
#pragma unroll 4
          for (int d = 0; d < D; d += 4) {
            const float4 kv = __ldg((const float4 *)(kr + d));
#pragma unroll
            for (int g = 0; g < G; ++g) {
              const float4 qv = *(const float4 *)&qs[g][d];
              dot[g] += qv.x * kv.x + qv.y * kv.y + qv.z * kv.z + qv.w * kv.w;
            }
          }
        } else {
          for (int d = 0; d < D; ++d) {
            const float kv = __ldg(kr + d);
#pragma unroll
            for (int g = 0; g < G; ++g) dot[g] += qs[g][d] * kv;
          }
        }
      }
#pragma unroll
      for (int g = 0; g < G; ++g) {
        float sc = dot[g] * scale;
        if constexpr (SOFTCAP) sc = tanhf(sc / softcap) * softcap;
        S[g][tid] = tid < cnt ? sc : -INFINITY;
      }
    }
    __syncthreads();
    // Online softmax per head: warp w handles heads w, w + 4, ...
    for (int g = warp; g < G; g += CH / 32) {
      float mx = -INFINITY;
      for (int j = lane; j < CH; j += 32) mx = fmaxf(mx, S[g][j]);
      mx = nx_warp_max(mx);
      const float mold = Mx[g], mnew = fmaxf(mold, mx);
      float sum = 0.f;
      for (int j = lane; j < CH; j += 32) {
        const float e = j < cnt ? expf(S[g][j] - mnew) : 0.f;
        S[g][j] = e;
        sum += e;
      }
      sum = nx_warp_sum(sum);
      if (lane == 0) {
        const float corr = mold == -INFINITY ? 0.f : expf(mold - mnew);
        Cr[g] = corr;
        Ls[g] = Ls[g] * corr + sum;
        Mx[g] = mnew;
      }
    }
    __syncthreads();
    // P·V: thread t owns dimensions t, t + 128, ...
#pragma unroll
    for (int g = 0; g < G; ++g)
#pragma unroll
      for (int i = 0; i < DPT; ++i) acc[g][i] *= Cr[g];
    // Eight V rows in flight per step (a runtime-bound loop of single loads would wait out one memory latency
    // per key); S[g][j] is 0 for j >= cnt, and those rows are not loaded.
    for (int j0 = 0; j0 < cnt; j0 += 8) {
      float v[8][DPT];
#pragma unroll
      for (int u = 0; u < 8; ++u)
#pragma unroll
        for (int i = 0; i < DPT; ++i) {
          const int d = i * CH + tid;
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
        const int d = i * CH + tid;
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
      const int d = i * CH + tid;
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
  // Combine (splits <= 32, the runtime's kMaxSplits): warp 0 turns the splits' (m, l) into weights
  // exp(m_s - M) / L, then every thread sums its dimensions over the splits with independent loads.
  __shared__ float wsplit[32];
  for (int g = 0; g < G; ++g) {
    const float *pw = ws + (int64_t)(kvh * G + g) * splits * (D + 2);
    if (warp == 0) {
      const float ms = lane < splits ? __ldcg(pw + lane * (D + 2)) : -INFINITY;
      const float ls = lane < splits ? __ldcg(pw + lane * (D + 2) + 1) : 0.f;
      const float M = nx_warp_max(ms);
      const float e = ms == -INFINITY ? 0.f : expf(ms - M);
      const float L = nx_warp_sum(ls * e);
      wsplit[lane] = e / L;
    }
    __syncthreads();
    for (int d = tid; d < D; d += CH) {
      float a = 0.f;
#pragma unroll 8
      for (int s = 0; s < splits; ++s) a += __ldcg(pw + s * (D + 2) + 2 + d) * wsplit[s];
      out[(kvh * G + g) * D + d] = a;
    }
    __syncthreads();
  }
}
