// kernels/cuda/mma_sm80.cuh — the tensor-core and async-copy primitives the INT8 convolutions
// share (internal): ldmatrix, mma.sync.m16n8k32.s8, cp.async (16 bytes, zero-fill).
//
// mma.m16n8k32 and cp.async need sm_80. The sm_75 build (CI compiles sm_75) keeps the kernels,
// with traps where those instructions would be; device_has_sm80() lets the prepare functions
// refuse such devices, so the traps never run (the dp4a kernels serve them).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
#define STRIX_SM80 1
#else
#define STRIX_SM80 0
#endif

namespace strix::kernels::cuda::sm80 {

// True when the current device has compute capability 8.0 or newer.
inline bool device_has_sm80() {
  int dev = 0, major = 0;
  return cudaGetDevice(&dev) == cudaSuccess &&
         cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) == cudaSuccess &&
         major >= 8;
}

__device__ __forceinline__ uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// Copies 16 bytes, of which the first src_bytes come from src and the rest are zero.
__device__ __forceinline__ void cp_async16(void* dst, const void* src, int src_bytes) {
#if STRIX_SM80
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src),
               "r"(src_bytes));
#endif
}
// The same with a shared-memory address (smem_addr) made once by the caller.
__device__ __forceinline__ void cp_async16(uint32_t dst, const void* src, int src_bytes) {
#if STRIX_SM80
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src),
               "r"(src_bytes));
#endif
}
// 16 bytes of v (four copies of the 32-bit word) to the shared-memory address dst.
__device__ __forceinline__ void st_shared_x4(uint32_t dst, uint32_t v) {
  asm volatile("st.shared.v4.b32 [%0], {%1, %1, %1, %1};\n" ::"r"(dst), "r"(v));
}
__device__ __forceinline__ void cp_async_commit() {
#if STRIX_SM80
  asm volatile("cp.async.commit_group;\n" ::);
#endif
}
template <int N>
__device__ __forceinline__ void cp_async_wait() {
#if STRIX_SM80
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
#endif
}

// Four 8x8 b16 matrices; lanes 8i..8i+7 give the row addresses of matrix i.
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

// d += a (16x32 s8, row-major fragment) * b (32x8 s8, column fragment b0, b1).
__device__ __forceinline__ void mma_s8(int32_t (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                       uint32_t b1) {
#if !STRIX_SM80
  __trap();  // never launched there (see the top of this file)
#else
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
      "{%8, %9}, {%0, %1, %2, %3};\n"
      : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#endif
}

}  // namespace strix::kernels::cuda::sm80
