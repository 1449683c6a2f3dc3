// kernels/cpu/x86/simd.h — thin vector traits over AVX2+FMA (V256) and AVX-512 (V512) so
// that kernels_impl.h is written once. Included ONLY by the ISA translation units
// (avx2.cc / avx512.cc), each compiled with its own -m flags, inside their own namespace.
// Masks are carried as lane bit sets (uint32_t, bit j = lane j) and converted at the point
// of use.
#pragma once

#include <immintrin.h>

#include <cstdint>

#ifndef STRIX_SIMD_NS
#error "define STRIX_SIMD_NS (the ISA's namespace) before including simd.h"
#endif

// Each ISA file gets its own V with internal linkage: identical inline names compiled with
// different -m flags must never be merged by the linker.
namespace strix::kernels::cpu::STRIX_SIMD_NS {
namespace {

#if defined(STRIX_SIMD_AVX512)

struct V {
  using T = __m512;
  using I = __m512i;
  static constexpr int W = 16;
  static inline T zero() { return _mm512_setzero_ps(); }
  static inline T set1(float f) { return _mm512_set1_ps(f); }
  static inline T load(const float* p) { return _mm512_loadu_ps(p); }
  static inline void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static inline T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static inline T add(T a, T b) { return _mm512_add_ps(a, b); }
  static inline T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static inline T mul(T a, T b) { return _mm512_mul_ps(a, b); }
  static inline T div(T a, T b) { return _mm512_div_ps(a, b); }
  static inline T max(T a, T b) { return _mm512_max_ps(a, b); }
  static inline T min(T a, T b) { return _mm512_min_ps(a, b); }
  // a >= 0 ? a : b
  static inline T select_ge0(T a, T b) {
    __mmask16 m = _mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_GE_OQ);
    return _mm512_mask_blend_ps(m, b, a);
  }
  static inline T round(T a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT); }
  static inline T pow2i(T n) {  // 2^n for integral n in [-126, 127]
    I i = _mm512_cvtps_epi32(n);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(i, _mm512_set1_epi32(127)), 23));
  }
  static inline uint32_t tail_bits(int n) { return n >= W ? 0xFFFFu : ((1u << n) - 1u); }
  static inline T maskz_load(uint32_t bits, const float* p) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>(bits), p);
  }
  static inline T mask_load(T src, uint32_t bits, const float* p) {
    return _mm512_mask_loadu_ps(src, static_cast<__mmask16>(bits), p);
  }
  static inline void mask_store(float* p, uint32_t bits, T v) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>(bits), v);
  }
  // src lanes whose bit is clear, base[idx[j]] elsewhere (no access for clear lanes).
  static inline T mask_gather(T src, uint32_t bits, const int32_t* idx, const float* base) {
    I vi = _mm512_loadu_si512(idx);
    return _mm512_mask_i32gather_ps(src, static_cast<__mmask16>(bits), vi, base, 4);
  }
  // base[idx[j]] = v[j] for the lanes whose bit is set.
  static inline void mask_scatter(float* base, uint32_t bits, const int32_t* idx, T v) {
    _mm512_mask_i32scatter_ps(base, static_cast<__mmask16>(bits), _mm512_loadu_si512(idx), v, 4);
  }
  // Even and odd lanes of the 2W floats (a, b): even -> e, odd -> o.
  static inline void deinterleave(T a, T b, T* e, T* o) {
    const I ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const I io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    *e = _mm512_permutex2var_ps(a, ie, b);
    *o = _mm512_permutex2var_ps(a, io, b);
  }
  // The 2W floats a0 b0 a1 b1 ...: the first W -> lo, the rest -> hi.
  static inline void interleave(T a, T b, T* lo, T* hi) {
    const I il = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const I ih = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    *lo = _mm512_permutex2var_ps(a, il, b);
    *hi = _mm512_permutex2var_ps(a, ih, b);
  }
  static inline float reduce_add(T v) { return _mm512_reduce_add_ps(v); }
};

#elif defined(STRIX_SIMD_AVX2)

struct V {
  using T = __m256;
  using I = __m256i;
  static constexpr int W = 8;
  static inline T zero() { return _mm256_setzero_ps(); }
  static inline T set1(float f) { return _mm256_set1_ps(f); }
  static inline T load(const float* p) { return _mm256_loadu_ps(p); }
  static inline void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static inline T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static inline T add(T a, T b) { return _mm256_add_ps(a, b); }
  static inline T sub(T a, T b) { return _mm256_sub_ps(a, b); }
  static inline T mul(T a, T b) { return _mm256_mul_ps(a, b); }
  static inline T div(T a, T b) { return _mm256_div_ps(a, b); }
  static inline T max(T a, T b) { return _mm256_max_ps(a, b); }
  static inline T min(T a, T b) { return _mm256_min_ps(a, b); }
  static inline T select_ge0(T a, T b) {
    T m = _mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_GE_OQ);
    return _mm256_blendv_ps(b, a, m);
  }
  static inline T round(T a) {
    return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  static inline T pow2i(T n) {
    I i = _mm256_cvtps_epi32(n);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(i, _mm256_set1_epi32(127)), 23));
  }
  static inline uint32_t tail_bits(int n) { return n >= W ? 0xFFu : ((1u << n) - 1u); }
  static inline I mask_of(uint32_t bits) {
    const I lane = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(bits)), lane),
                              lane);
  }
  static inline T maskz_load(uint32_t bits, const float* p) {
    return _mm256_maskload_ps(p, mask_of(bits));
  }
  static inline T mask_load(T src, uint32_t bits, const float* p) {
    I m = mask_of(bits);
    return _mm256_blendv_ps(src, _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
  }
  static inline void mask_store(float* p, uint32_t bits, T v) {
    _mm256_maskstore_ps(p, mask_of(bits), v);
  }
  static inline T mask_gather(T src, uint32_t bits, const int32_t* idx, const float* base) {
    I vi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx));
    return _mm256_mask_i32gather_ps(src, base, vi, _mm256_castsi256_ps(mask_of(bits)), 4);
  }
  static inline void mask_scatter(float* base, uint32_t bits, const int32_t* idx, T v) {
    alignas(32) float t[8];
    _mm256_store_ps(t, v);
    for (int j = 0; j < 8; ++j)
      if (bits & (1u << j)) base[idx[j]] = t[j];
  }
  static inline void deinterleave(T a, T b, T* e, T* o) {
    // a = a0..a7, b = b0..b7 -> per 128-bit lane: even [a0 a2 b0 b2 | a4 a6 b4 b6]
    T ev = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    T od = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    *e = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ev), _MM_SHUFFLE(3, 1, 2, 0)));
    *o = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(od), _MM_SHUFFLE(3, 1, 2, 0)));
  }
  static inline void interleave(T a, T b, T* lo, T* hi) {
    T l = _mm256_unpacklo_ps(a, b);  // a0 b0 a1 b1 | a4 b4 a5 b5
    T h = _mm256_unpackhi_ps(a, b);  // a2 b2 a3 b3 | a6 b6 a7 b7
    *lo = _mm256_permute2f128_ps(l, h, 0x20);
    *hi = _mm256_permute2f128_ps(l, h, 0x31);
  }
  static inline float reduce_add(T v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};

#else
#error "define STRIX_SIMD_AVX512 or STRIX_SIMD_AVX2 before including simd.h"
#endif

}  // namespace
}  // namespace strix::kernels::cpu::STRIX_SIMD_NS
