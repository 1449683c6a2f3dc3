// kernels/cpu/arm/simd_neon.h — the vector traits of kernels/cpu/x86/simd.h for AArch64
// Advanced SIMD (NEON, mandatory on AArch64): V128, float32x4_t. Included ONLY by
// kernels/cpu/arm/neon.cc, before kernels/cpu/x86/kernels_impl.h. AArch64 NEON has no masked
// loads, stores or gathers: masks are lane bit sets (uint32_t, bit j = lane j) as on x86, and
// the masked operations touch only the lanes whose bit is set (one lane access each), so a
// masked-off lane past the end of a buffer is never read or written.
#pragma once

#include <arm_neon.h>

#include <cstdint>

#ifndef STRIX_SIMD_NS
#error "define STRIX_SIMD_NS (the ISA's namespace) before including simd_neon.h"
#endif

namespace strix::kernels::cpu::STRIX_SIMD_NS {
namespace {

struct V {
  using T = float32x4_t;
  static constexpr int W = 4;
  static inline T zero() { return vdupq_n_f32(0.f); }
  static inline T set1(float f) { return vdupq_n_f32(f); }
  static inline T load(const float* p) { return vld1q_f32(p); }
  static inline void store(float* p, T v) { vst1q_f32(p, v); }
  static inline T fma(T a, T b, T c) { return vfmaq_f32(c, a, b); }  // a * b + c, one rounding
  static inline T add(T a, T b) { return vaddq_f32(a, b); }
  static inline T sub(T a, T b) { return vsubq_f32(a, b); }
  static inline T mul(T a, T b) { return vmulq_f32(a, b); }
  static inline T div(T a, T b) { return vdivq_f32(a, b); }
  static inline T max(T a, T b) { return vmaxq_f32(a, b); }
  static inline T min(T a, T b) { return vminq_f32(a, b); }
  // a >= 0 ? a : b
  static inline T select_ge0(T a, T b) { return vbslq_f32(vcgezq_f32(a), a, b); }
  static inline T round(T a) { return vrndnq_f32(a); }  // to nearest, ties to even
  static inline T pow2i(T n) {                          // 2^n for integral n in [-126, 127]
    int32x4_t i = vcvtnq_s32_f32(n);
    return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(i, vdupq_n_s32(127)), 23));
  }
  static inline uint32_t tail_bits(int n) { return n >= W ? 0xFu : ((1u << n) - 1u); }
  // src lanes whose bit is clear, p[j] where bit j is set.
  static inline T mask_load(T src, uint32_t bits, const float* p) {
    if ((bits & 0xFu) == 0xFu) return vld1q_f32(p);
    if (bits & 1u) src = vld1q_lane_f32(p, src, 0);
    if (bits & 2u) src = vld1q_lane_f32(p + 1, src, 1);
    if (bits & 4u) src = vld1q_lane_f32(p + 2, src, 2);
    if (bits & 8u) src = vld1q_lane_f32(p + 3, src, 3);
    return src;
  }
  static inline T maskz_load(uint32_t bits, const float* p) {
    return mask_load(vdupq_n_f32(0.f), bits, p);
  }
  static inline void mask_store(float* p, uint32_t bits, T v) {
    if ((bits & 0xFu) == 0xFu) return vst1q_f32(p, v);
    if (bits & 1u) vst1q_lane_f32(p, v, 0);
    if (bits & 2u) vst1q_lane_f32(p + 1, v, 1);
    if (bits & 4u) vst1q_lane_f32(p + 2, v, 2);
    if (bits & 8u) vst1q_lane_f32(p + 3, v, 3);
  }
  // src lanes whose bit is clear, base[idx[j]] elsewhere (no access for clear lanes).
  static inline T mask_gather(T src, uint32_t bits, const int32_t* idx, const float* base) {
    if (bits & 1u) src = vld1q_lane_f32(base + idx[0], src, 0);
    if (bits & 2u) src = vld1q_lane_f32(base + idx[1], src, 1);
    if (bits & 4u) src = vld1q_lane_f32(base + idx[2], src, 2);
    if (bits & 8u) src = vld1q_lane_f32(base + idx[3], src, 3);
    return src;
  }
  // base[idx[j]] = v[j] for the lanes whose bit is set.
  static inline void mask_scatter(float* base, uint32_t bits, const int32_t* idx, T v) {
    if (bits & 1u) vst1q_lane_f32(base + idx[0], v, 0);
    if (bits & 2u) vst1q_lane_f32(base + idx[1], v, 1);
    if (bits & 4u) vst1q_lane_f32(base + idx[2], v, 2);
    if (bits & 8u) vst1q_lane_f32(base + idx[3], v, 3);
  }
  // Even and odd lanes of the 2W floats (a, b): even -> e, odd -> o.
  static inline void deinterleave(T a, T b, T* e, T* o) {
    *e = vuzp1q_f32(a, b);
    *o = vuzp2q_f32(a, b);
  }
  // The 2W floats a0 b0 a1 b1 ...: the first W -> lo, the rest -> hi.
  static inline void interleave(T a, T b, T* lo, T* hi) {
    *lo = vzip1q_f32(a, b);
    *hi = vzip2q_f32(a, b);
  }
  static inline float reduce_add(T v) { return vaddvq_f32(v); }
};

}  // namespace
}  // namespace strix::kernels::cpu::STRIX_SIMD_NS
