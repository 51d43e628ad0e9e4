// What the kernel micro-benchmarks of bench/cuda/micro share: error checks and a counter-based random generator
// (deterministic inputs, generated on the device).
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cuda_runtime.h>

#define CK(x)                                                                                   \
  do {                                                                                          \
    cudaError_t e_ = (x);                                                                       \
    if (e_ != cudaSuccess) {                                                                    \
      fprintf(stderr, "CUDA error %s at %s:%d: %s\n", cudaGetErrorString(e_), __FILE__, __LINE__, #x); \
      exit(1);                                                                                  \
    }                                                                                           \
  } while (0)

static __host__ __device__ __forceinline__ uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
static __host__ __device__ __forceinline__ float unif(uint64_t seed, int64_t i) {  // [0, 1)
  return (float)(mix64(seed * 0x100000001B3ull + (uint64_t)i) >> 40) * (1.f / 16777216.f);
}
