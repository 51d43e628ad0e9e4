// Inline-PTX wrappers shared by the tensor-core kernels (nx_cuda_mm.cuh, nx_cuda_attn_prefill.cuh): shared-memory
// addresses, cp.async, ldmatrix and mma.sync m16n8k16 (sm_80+, also the path on sm_90: no wgmma / TMA).
#pragma once
#include <cstdint>

namespace nxptx {

static __device__ __forceinline__ uint32_t smem_u32(const void *p) { return (uint32_t)__cvta_generic_to_shared(p); }

// 16-byte async copy global -> shared; src_bytes = 0 writes 16 zero bytes (src must still be a valid address).
static __device__ __forceinline__ void cp_async16(uint32_t dst, const void *src, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes) : "memory");
}
static __device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int NPEND> static __device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(NPEND) : "memory");
}

// ldmatrix.x4: lanes 8i..8i+7 give the row addresses of 8x8 matrix i; afterwards register i of lane l holds
// row l / 4, columns 2 (l % 4) and 2 (l % 4) + 1 of matrix i (lower column in the low 16 bits).
static __device__ __forceinline__ void ldsm_x4(uint32_t addr, uint32_t &r0, uint32_t &r1, uint32_t &r2, uint32_t &r3) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
               : "r"(addr));
}
// .trans: register i of lane l holds rows 2 (l % 4) and 2 (l % 4) + 1 of column l / 4 of matrix i (lower row in
// the low 16 bits).
static __device__ __forceinline__ void ldsm_x4_t(uint32_t addr, uint32_t &r0, uint32_t &r1, uint32_t &r2, uint32_t &r3) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
               : "r"(addr));
}

// D = A B + D, m16n8k16, A row-major f16, B "col" (k-contiguous per column n) f16, C/D f32.
// With g = lane / 4, q = lane % 4 (PTX ISA, mma.m16n8k16 .f16 fragments):
//   a0 = A[g][2q, 2q+1], a1 = A[g+8][2q, 2q+1], a2 = A[g][2q+8, 2q+9], a3 = A[g+8][2q+8, 2q+9]
//   b0 = B[k = 2q, 2q+1][n = g], b1 = B[k = 2q+8, 2q+9][n = g]
//   d0, d1 = D[g][2q, 2q+1], d2, d3 = D[g+8][2q, 2q+1]
static __device__ __forceinline__ void mma16816(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

}  // namespace nxptx
