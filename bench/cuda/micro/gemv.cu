// Decode GEMV micro-benchmark for the cuda target (GPU machine): q4f16_1 weights of the bench models' shapes,
// every GEMV generation of native/cuda (v1 nx_gemv_qnk[_glu], v2 nx_gemv_q4nk_r, v3 nx_gemv_q4h with R = 1, 2, 4),
// checked against v1 (f32 math) and timed. Weight copies rotate so the working set (>= 512 MB) never sits in L2.
//   nvcc -O3 -std=c++17 -gencode arch=compute_90,code=sm_90 -I native/include -I native/cuda bench/cuda/micro/gemv.cu -o /tmp/gemv && /tmp/gemv
// One JSON line per (shape, kernel): microseconds per call, effective GB/s of weights + scales, max error vs v1.
#include "nx_cuda_kernels.cuh"
#include <cstdio>
#include <vector>
#include <random>
#include <algorithm>
#include <functional>

#include "micro_common.cuh"

struct Bufs {
  std::vector<uint32_t *> qw;
  std::vector<__half *> qs;
  float *x, *y_ref, *y;
  size_t wbytes;
};

static Bufs make(int rows, int K) {
  Bufs b;
  const size_t words = (size_t)rows * K / 8, groups = (size_t)rows * K / 32;
  b.wbytes = words * 4 + groups * 2;
  const int copies = std::max<size_t>(1, (512ull << 20) / b.wbytes + 1);
  std::mt19937 rng(1234);
  std::vector<uint32_t> hw(words);
  std::vector<__half> hs(groups);
  std::vector<float> hx(K);
  for (auto &w : hw) w = rng();
  std::uniform_real_distribution<float> us(0.002f, 0.02f), ux(-2.f, 2.f);
  for (auto &s : hs) s = __float2half(us(rng));
  for (auto &v : hx) v = ux(rng);
  for (int c = 0; c < copies; ++c) {
    uint32_t *dw; __half *ds;
    CK(cudaMalloc(&dw, words * 4)); CK(cudaMalloc(&ds, groups * 2));
    CK(cudaMemcpy(dw, hw.data(), words * 4, cudaMemcpyHostToDevice));
    CK(cudaMemcpy(ds, hs.data(), groups * 2, cudaMemcpyHostToDevice));
    b.qw.push_back(dw); b.qs.push_back(ds);
  }
  CK(cudaMalloc(&b.x, K * 4)); CK(cudaMemcpy(b.x, hx.data(), K * 4, cudaMemcpyHostToDevice));
  CK(cudaMalloc(&b.y_ref, (size_t)rows * 4)); CK(cudaMalloc(&b.y, (size_t)rows * 4));
  return b;
}
static void release(Bufs &b) {
  for (auto p : b.qw) cudaFree(p);
  for (auto p : b.qs) cudaFree(p);
  cudaFree(b.x); cudaFree(b.y_ref); cudaFree(b.y);
}

using Launch = std::function<void(const uint32_t *, const __half *, float *)>;

static void run(const char *shape, const char *kernel, int nout, Bufs &b, const Launch &ref, const Launch &f) {
  ref(b.qw[0], b.qs[0], b.y_ref);
  f(b.qw[0], b.qs[0], b.y);
  CK(cudaGetLastError());
  CK(cudaDeviceSynchronize());
  std::vector<float> r(nout), o(nout);
  CK(cudaMemcpy(r.data(), b.y_ref, nout * 4, cudaMemcpyDeviceToHost));
  CK(cudaMemcpy(o.data(), b.y, nout * 4, cudaMemcpyDeviceToHost));
  double maxref = 0, maxerr = 0;
  for (int i = 0; i < nout; ++i) { maxref = std::max(maxref, (double)fabsf(r[i])); maxerr = std::max(maxerr, (double)fabsf(r[i] - o[i])); }
  cudaEvent_t e0, e1;
  cudaEventCreate(&e0); cudaEventCreate(&e1);
  const int reps = 200, C = (int)b.qw.size();
  for (int i = 0; i < 20; ++i) f(b.qw[i % C], b.qs[i % C], b.y);
  cudaEventRecord(e0);
  for (int i = 0; i < reps; ++i) f(b.qw[i % C], b.qs[i % C], b.y);
  cudaEventRecord(e1);
  CK(cudaEventSynchronize(e1));
  float ms = 0;
  cudaEventElapsedTime(&ms, e0, e1);
  const double us = ms * 1000.0 / reps;
  printf("{\"gemv\": \"%s\", \"kernel\": \"%s\", \"us\": %.2f, \"gb_s\": %.1f, \"max_abs_err\": %.3g, \"max_abs_ref\": %.3g, \"rel_err\": %.3g}\n",
         shape, kernel, us, b.wbytes / us / 1e3, maxerr, maxref, maxerr / std::max(maxref, 1e-30));
  fflush(stdout);
  cudaEventDestroy(e0); cudaEventDestroy(e1);
}

template <int N, int K> static void plain(const char *shape) {
  Bufs b = make(N, K);
  const float *x = b.x;
  Launch v1 = [&](const uint32_t *w, const __half *s, float *y) { nx_gemv_qnk<N, K, 4, 32, NX_F16, -1><<<(N + 3) / 4, 128>>>(x, w, s, nullptr, y); };
  run(shape, "v1", N, b, v1, v1);
  constexpr int R2 = N / 16 >= 264 ? 4 : N / 8 >= 264 ? 2 : 1;
  run(shape, "v2", N, b, v1, [&](const uint32_t *w, const __half *s, float *y) { nx_gemv_q4nk_r<N, K, NX_F16, -1, R2, 0><<<(N + 4 * R2 - 1) / (4 * R2), 128>>>(x, w, s, nullptr, y); });
  run(shape, "v3_r1", N, b, v1, [&](const uint32_t *w, const __half *s, float *y) { nx_gemv_q4h<N, K, NX_F16, -1, 1, 0><<<(N + 7) / 8, 256>>>(x, w, s, nullptr, y); });
  run(shape, "v3_r2", N, b, v1, [&](const uint32_t *w, const __half *s, float *y) { nx_gemv_q4h<N, K, NX_F16, -1, 2, 0><<<(N + 15) / 16, 256>>>(x, w, s, nullptr, y); });
  run(shape, "v3_r4", N, b, v1, [&](const uint32_t *w, const __half *s, float *y) { nx_gemv_q4h<N, K, NX_F16, -1, 4, 0><<<(N + 31) / 32, 256>>>(x, w, s, nullptr, y); });
  release(b);
}

template <int I, int K> static void glu(const char *shape) {
  Bufs b = make(2 * I, K);
  const float *x = b.x;
  Launch v1 = [&](const uint32_t *w, const __half *s, float *y) { nx_gemv_qnk_glu<I, K, 4, 32, NX_F16, 0><<<(I + 3) / 4, 128>>>(x, w, s, y); };
  run(shape, "v1", I, b, v1, v1);
  constexpr int R2 = I / 16 >= 264 ? 4 : I / 8 >= 264 ? 2 : 1;
  run(shape, "v2", I, b, v1, [&](const uint32_t *w, const __half *s, float *y) { nx_gemv_q4nk_r<I, K, NX_F16, -1, R2, 1><<<(I + 4 * R2 - 1) / (4 * R2), 128>>>(x, w, s, nullptr, y); });
  run(shape, "v3_r1", I, b, v1, [&](const uint32_t *w, const __half *s, float *y) { nx_gemv_q4h<I, K, NX_F16, -1, 1, 1><<<(I + 7) / 8, 256>>>(x, w, s, nullptr, y); });
  run(shape, "v3_r2", I, b, v1, [&](const uint32_t *w, const __half *s, float *y) { nx_gemv_q4h<I, K, NX_F16, -1, 2, 1><<<(I + 15) / 16, 256>>>(x, w, s, nullptr, y); });
  run(shape, "v3_r4", I, b, v1, [&](const uint32_t *w, const __half *s, float *y) { nx_gemv_q4h<I, K, NX_F16, -1, 4, 1><<<(I + 31) / 32, 256>>>(x, w, s, nullptr, y); });
  release(b);
}

int main() {
  cudaDeviceProp p;
  CK(cudaGetDeviceProperties(&p, 0));
  printf("{\"device\": \"%s\", \"sms\": %d}\n", p.name, p.multiProcessorCount);
  plain<1152, 896>("qwen0.5b qkv 1152x896");
  plain<896, 896>("qwen0.5b o 896x896");
  glu<4864, 896>("qwen0.5b gate_up+silu 2x4864x896");
  plain<896, 4864>("qwen0.5b down 896x4864");
  plain<151936, 896>("qwen0.5b lm_head 151936x896");
  plain<3072, 2048>("llama1b qkv 3072x2048");
  plain<2048, 2048>("llama1b o 2048x2048");
  glu<8192, 2048>("llama1b gate_up+silu 2x8192x2048");
  plain<2048, 8192>("llama1b down 2048x8192");
  plain<128256, 2048>("llama1b lm_head 128256x2048");
  plain<6144, 4096>("llama8b qkv 6144x4096");
  plain<4096, 4096>("llama8b o 4096x4096");
  glu<14336, 4096>("llama8b gate_up+silu 2x14336x4096");
  plain<4096, 14336>("llama8b down 4096x14336");
  plain<128256, 4096>("llama8b lm_head 128256x4096");
  return 0;
}
