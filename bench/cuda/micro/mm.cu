// Self-checking micro-benchmark of the prefill matrix products (nx_mm_tc, nx_mm_tc2, nx_mm_q4, nx_mm_f16).
//   nvcc -O3 -std=c++17 -gencode arch=compute_90,code=sm_90 -I native/include -I native/cuda bench/cuda/micro/mm.cu -o /tmp/mm && /tmp/mm
// Random q4f16_1 weights (codes uniform 0..15, scales ~0.01), x uniform in [-1, 1]. Reference: a plain f32
// kernel over the f16-rounded x and the exact dequantised weights (f32). Error = max |y - ref| / max |ref|.
// One JSON line per (shape, M, kernel); timings are the median of REPS runs after warm-up (cudaEvents); the
// nx_mm_q4 / nx_mm_f16 times include the x -> f16 conversion (also reported alone as ms_cvt).
// nx_mm_f16 runs on W16 = the f16-rounded dequantised weights, i.e. exactly the operand nx_mm_q4 builds.
// Optional argument: a substring; only shapes whose tag contains it run (e.g. "8b", "edge").
#include "../../../native/cuda/nx_cuda_kernels.cuh"
#include "../../../native/cuda/nx_cuda_mm.cuh"
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "micro_common.cuh"

__global__ void init_words(uint32_t *w, int64_t n, uint64_t seed) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    w[i] = (uint32_t)mix64(seed ^ (uint64_t)i * 0x2545F4914F6CDD1Dull);
}
template <int SK> __global__ void init_scales(void *s, int64_t n, uint64_t seed) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const float v = 0.01f * (0.5f + unif(seed, i));  // [0.005, 0.015)
    if constexpr (SK == NX_F32) ((float *)s)[i] = v;
    else if constexpr (SK == NX_F16) ((half *)s)[i] = __float2half_rn(v);
    else ((unsigned short *)s)[i] = (unsigned short)(__float_as_uint(v) >> 16);  // bf16 (truncate, fine)
  }
}
__global__ void init_x(float *x, int64_t n, uint64_t seed, float scale) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    x[i] = scale * (2.f * unif(seed, i) - 1.f);
}
// W16 [N, K] = round_f16((code - 7) * scale), the operand nx_mm_q4 dequantises into shared memory.
template <int SK> __global__ void dequant_f16(const uint32_t *qw, const void *qs, half *w, int N, int K) {
  const int64_t n_all = (int64_t)N * K;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n_all; i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t n = i / K, k = i % K;
    const uint32_t code = (qw[n * (K / 8) + k / 8] >> (4 * (k % 8))) & 15u;
    w[i] = __float2half_rn(((float)code - 7.f) * nx_ldf<SK>(qs, n * (K / 32) + k / 32));
  }
}

// Reference: 32 x 32 output tile per block of 32 x 8 threads, f32 math, x rounded to f16, w exact.
template <int SK, int BK>
__global__ void ref_mm(const float *x, const uint32_t *qw, const void *qs, const void *bias, float *y, int M, int N,
                       int K) {
  __shared__ float xs[32][33], ws[32][33];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int m0 = blockIdx.y * 32, n0 = blockIdx.x * 32;
  float acc[4] = {0.f, 0.f, 0.f, 0.f};
  for (int k0 = 0; k0 < K; k0 += 32) {
    for (int r = ty; r < 32; r += 8) {
      const int t = m0 + r, n = n0 + r, k = k0 + tx;
      xs[r][tx] = (t < M && k < K) ? __half2float(__float2half_rn(x[(int64_t)t * K + k])) : 0.f;
      float wv = 0.f;
      if (n < N && k < K) {
        const uint32_t code = (qw[(int64_t)n * (K / 8) + k / 8] >> (4 * (k % 8))) & 15u;
        wv = ((float)code - 7.f) * nx_ldf<SK>(qs, (int64_t)n * (K / 32) + k / 32);
      }
      ws[r][tx] = wv;
    }
    __syncthreads();
#pragma unroll 8
    for (int kk = 0; kk < 32; ++kk) {
      const float wv = ws[tx][kk];
#pragma unroll
      for (int i = 0; i < 4; ++i) acc[i] += xs[ty + 8 * i][kk] * wv;
    }
    __syncthreads();
  }
  const int n = n0 + tx;
  if (n >= N) return;
  float b = 0.f;
  if constexpr (BK >= 0) b = nx_ldf<BK>(bias, n);
  for (int i = 0; i < 4; ++i) {
    const int t = m0 + ty + 8 * i;
    if (t < M) y[(int64_t)t * N + n] = acc[i] + b;
  }
}

// out[0] = max |y - ref| (float bits), out[1] = max |ref|, out[2] = count of non-finite y.
__global__ void compare(const float *y, const float *ref, int64_t n, unsigned *out) {
  float md = 0.f, mr = 0.f;
  unsigned bad = 0;
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const float a = y[i], r = ref[i];
    if (!isfinite(a)) ++bad;
    else md = fmaxf(md, fabsf(a - r));
    mr = fmaxf(mr, fabsf(r));
  }
  md = nx_warp_max(md);
  mr = nx_warp_max(mr);
  if ((threadIdx.x & 31) == 0) {
    atomicMax(out, __float_as_uint(md));
    atomicMax(out + 1, __float_as_uint(mr));
  }
  if (bad) atomicAdd(out + 2, bad);
}

static const float TOL = 2e-3f;

struct Bufs {
  float *x = nullptr, *y = nullptr, *ref = nullptr;
  uint32_t *qw = nullptr;
  void *qs = nullptr, *bias = nullptr;
  half *w16 = nullptr, *xh = nullptr;
  unsigned *cmp = nullptr;
};

template <class F> static float time_ms(F &&launch, int reps) {
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a));
  CK(cudaEventCreate(&b));
  launch();
  launch();
  CK(cudaDeviceSynchronize());
  std::vector<float> t;
  for (int i = 0; i < reps; ++i) {
    CK(cudaEventRecord(a));
    launch();
    CK(cudaEventRecord(b));
    CK(cudaEventSynchronize(b));
    float ms = 0.f;
    CK(cudaEventElapsedTime(&ms, a, b));
    t.push_back(ms);
  }
  CK(cudaGetLastError());
  CK(cudaEventDestroy(a));
  CK(cudaEventDestroy(b));
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

static bool check(const Bufs &B, int64_t n, float &rel) {
  CK(cudaMemset(B.cmp, 0, 3 * sizeof(unsigned)));
  compare<<<1024, 256>>>(B.y, B.ref, n, B.cmp);
  unsigned h[3];
  CK(cudaMemcpy(h, B.cmp, sizeof h, cudaMemcpyDeviceToHost));
  float md, mr;
  memcpy(&md, &h[0], 4);
  memcpy(&mr, &h[1], 4);
  rel = mr > 0.f ? md / mr : md;
  if (h[2]) rel = INFINITY;
  return h[2] == 0 && rel < TOL && mr > 0.f;
}

static int g_fail = 0;

static void report(const char *tag, const char *name, int N, int K, int M, float ms, float rel, bool pass,
                   const char *extra = "") {
  const double tf = 2.0 * M * (double)N * K / (ms * 1e-3) / 1e12;
  char relbuf[32];
  if (std::isfinite(rel)) snprintf(relbuf, sizeof relbuf, "%.3e", rel);
  else snprintf(relbuf, sizeof relbuf, "1e30");
  printf("{\"mm\": \"%s\", \"shape\": \"%s\", \"N\": %d, \"K\": %d, \"M\": %d, \"ms\": %.4f, \"tflops\": %.1f, "
         "\"max_rel_err\": %s, \"pass\": %s%s}\n",
         name, tag, N, K, M, ms, tf, relbuf, pass ? "true" : "false", extra);
  fflush(stdout);
  if (!pass) ++g_fail;
}

template <int N, int K, int SK = NX_F16, int BK = -1>
static void run_shape(const char *tag, std::vector<int> Ms, const char *filter) {
  if (filter && !strstr(tag, filter)) return;
  const int Mmax = *std::max_element(Ms.begin(), Ms.end());
  const size_t sbytes = SK == NX_F32 ? 4 : 2;
  Bufs B;
  CK(cudaMalloc(&B.x, (size_t)Mmax * K * 4));
  CK(cudaMalloc(&B.xh, (size_t)Mmax * K * 2));
  CK(cudaMalloc(&B.y, (size_t)Mmax * N * 4));
  CK(cudaMalloc(&B.ref, (size_t)Mmax * N * 4));
  CK(cudaMalloc(&B.qw, (size_t)N * (K / 8) * 4));
  CK(cudaMalloc(&B.qs, (size_t)N * (K / 32) * sbytes));
  CK(cudaMalloc(&B.w16, (size_t)N * K * 2));
  CK(cudaMalloc(&B.bias, (size_t)N * 4));
  CK(cudaMalloc(&B.cmp, 16));
  const uint64_t seed = (uint64_t)N * 1000003ull + K;
  init_words<<<4096, 256>>>(B.qw, (int64_t)N * (K / 8), seed);
  init_scales<SK><<<4096, 256>>>(B.qs, (int64_t)N * (K / 32), seed + 1);
  init_x<<<4096, 256>>>(B.x, (int64_t)Mmax * K, seed + 2, 1.f);
  init_scales<BK >= 0 ? BK : NX_F32><<<64, 256>>>(B.bias, N, seed + 3);
  dequant_f16<SK><<<4096, 256>>>(B.qw, B.qs, B.w16, N, K);
  CK(cudaGetLastError());
  CK(cudaDeviceSynchronize());

  for (int M : Ms) {
    const int64_t ny = (int64_t)M * N;
    const int reps = 2.0 * M * N * K > 4e11 ? 10 : 20;
    ref_mm<SK, BK><<<dim3((N + 31) / 32, (M + 31) / 32), dim3(32, 8)>>>(B.x, B.qw, B.qs, B.bias, B.ref, M, N, K);
    CK(cudaGetLastError());
    CK(cudaDeviceSynchronize());
    float rel;
    bool ok;

    // existing: nx_mm_tc (64 x 64 wmma), nx_mm_tc2 (128 x 128 wmma, register double buffering)
    auto tc = [&] {
      nx_mm_tc<1, N, K, 4, 32, SK, BK><<<dim3((N + 63) / 64, (M + 63) / 64), 128>>>(B.x, B.qw, B.qs, B.bias, B.y, M);
    };
    CK(cudaMemset(B.y, 0xff, ny * 4));
    tc();
    CK(cudaDeviceSynchronize());
    ok = check(B, ny, rel);
    report(tag, "nx_mm_tc", N, K, M, time_ms(tc, reps), rel, ok);

    auto tc2 = [&] {
      nx_mm_tc2<1, N, K, 4, 32, SK, BK><<<dim3((N + 127) / 128, (M + 127) / 128), 256>>>(B.x, B.qw, B.qs, B.bias, B.y, M);
    };
    CK(cudaMemset(B.y, 0xff, ny * 4));
    tc2();
    CK(cudaDeviceSynchronize());
    ok = check(B, ny, rel);
    report(tag, "nx_mm_tc2", N, K, M, time_ms(tc2, reps), rel, ok);

    // new: nx_mm_q4 (x -> f16 pre-pass + mma.sync / cp.async kernel)
    auto q4 = [&] { nx_mm_q4_launch<N, K, SK, BK>(B.x, B.qw, B.qs, B.bias, B.y, M, B.xh, 0); };
    CK(cudaMemset(B.y, 0xff, ny * 4));
    q4();
    CK(cudaGetLastError());
    CK(cudaDeviceSynchronize());
    ok = check(B, ny, rel);
    const float ms_q4 = time_ms(q4, reps);
    const float ms_cvt = time_ms([&] { nxmm::x_to_half(B.x, B.xh, M, K, 0); }, reps);
    const nxmm::Cfg c = nxmm::kCfgs[nxmm::pick_cfg(M, N)];
    char extra[96];
    snprintf(extra, sizeof extra, ", \"ms_cvt\": %.4f, \"tile\": \"%dx%d\"", ms_cvt, c.bm, c.bn);
    report(tag, "nx_mm_q4", N, K, M, ms_q4, rel, ok, extra);

    // new: nx_mm_f16 on the f16-rounded dequantised weights (same operands as nx_mm_q4)
    if constexpr (SK == NX_F16) {
      auto f16 = [&] { nx_mm_f16_launch<N, K, NX_F16, BK>(B.x, B.w16, B.bias, B.y, M, B.xh, 0); };
      CK(cudaMemset(B.y, 0xff, ny * 4));
      f16();
      CK(cudaGetLastError());
      CK(cudaDeviceSynchronize());
      ok = check(B, ny, rel);
      snprintf(extra, sizeof extra, ", \"tile\": \"%dx%d\"", c.bm, c.bn);
      report(tag, "nx_mm_f16", N, K, M, time_ms(f16, reps), rel, ok, extra);
    }
  }
  cudaFree(B.x); cudaFree(B.xh); cudaFree(B.y); cudaFree(B.ref); cudaFree(B.qw); cudaFree(B.qs);
  cudaFree(B.w16); cudaFree(B.bias); cudaFree(B.cmp);
}

int main(int argc, char **argv) {
  const char *filter = argc > 1 ? argv[1] : nullptr;
  cudaDeviceProp p;
  CK(cudaGetDeviceProperties(&p, 0));
  fprintf(stderr, "device: %s, %d SMs, sm_%d%d\n", p.name, p.multiProcessorCount, p.major, p.minor);
  const std::vector<int> both = {512, 4096}, small = {512};
  // edge cases first (cheap): N not a multiple of the tile, odd N, K % 64 == 32, odd M, bias, bf16 / f32 scales
  run_shape<1000, 96, NX_F16, NX_F16>("edge-a", {77, 512}, filter);
  run_shape<999, 160, NX_BF16, NX_F32>("edge-b", {33, 130}, filter);
  run_shape<136, 32, NX_F32, -1>("edge-c", {2, 200}, filter);
  // Llama-3-8B
  run_shape<6144, 4096>("llama3-8b-qkv", both, filter);
  run_shape<4096, 4096>("llama3-8b-o", both, filter);
  run_shape<28672, 4096>("llama3-8b-gateup", both, filter);
  run_shape<4096, 14336>("llama3-8b-down", both, filter);
  run_shape<128256, 4096>("llama3-8b-lmhead", small, filter);
  // Llama-3.2-1B
  run_shape<3072, 2048>("llama3.2-1b-qkv", both, filter);
  run_shape<2048, 2048>("llama3.2-1b-o", both, filter);
  run_shape<16384, 2048>("llama3.2-1b-gateup", both, filter);
  run_shape<2048, 8192>("llama3.2-1b-down", both, filter);
  run_shape<128256, 2048>("llama3.2-1b-lmhead", small, filter);
  // Qwen2.5-0.5B (qkv has a bias)
  run_shape<1152, 896, NX_F16, NX_F16>("qwen2.5-0.5b-qkv", both, filter);
  run_shape<896, 896>("qwen2.5-0.5b-o", both, filter);
  run_shape<9728, 896>("qwen2.5-0.5b-gateup", both, filter);
  run_shape<896, 4864>("qwen2.5-0.5b-down", both, filter);
  run_shape<151936, 896>("qwen2.5-0.5b-lmhead", small, filter);
  fprintf(stderr, "%s (%d failing)\n", g_fail ? "FAIL" : "PASS", g_fail);
  return g_fail ? 1 : 0;
}
