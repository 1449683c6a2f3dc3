// kernels/cpu/x86/int8_avx2_ops.h — AVX2 building blocks of the x86 INT8 leaf routines: the
// 4-channel byte interleave and the 8-lane requantize (bit-identical to ref::requantize, see
// isa_int8.h). Included ONLY by the INT8 x86 translation units (avx2_int8.cc, compiled with
// -mavx2; avx512_vnni.cc, whose flags include AVX2), inside their own namespace (define
// STRIX_INT8_NS first); internal linkage.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/isa_int8.h"

#ifndef STRIX_INT8_NS
#error "define STRIX_INT8_NS (the ISA's namespace) before including int8_avx2_ops.h"
#endif

namespace strix::kernels::cpu::STRIX_INT8_NS {
namespace {

// dst[4 * i + j] = rows[j][i] ^ 0x80.
void interleave4(const int8_t* r0, const int8_t* r1, const int8_t* r2, const int8_t* r3, int64_t n,
                 uint8_t* dst) {
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i a =
        _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(r0 + i)), flip);
    const __m256i b =
        _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(r1 + i)), flip);
    const __m256i c =
        _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(r2 + i)), flip);
    const __m256i d =
        _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(r3 + i)), flip);
    const __m256i ab_lo = _mm256_unpacklo_epi8(a, b), ab_hi = _mm256_unpackhi_epi8(a, b);
    const __m256i cd_lo = _mm256_unpacklo_epi8(c, d), cd_hi = _mm256_unpackhi_epi8(c, d);
    // Per 128-bit lane: q0 holds i = 0..3 of that lane's 16, q1 4..7, q2 8..11, q3 12..15.
    const __m256i q0 = _mm256_unpacklo_epi16(ab_lo, cd_lo),
                  q1 = _mm256_unpackhi_epi16(ab_lo, cd_lo);
    const __m256i q2 = _mm256_unpacklo_epi16(ab_hi, cd_hi),
                  q3 = _mm256_unpackhi_epi16(ab_hi, cd_hi);
    __m256i* o = reinterpret_cast<__m256i*>(dst + 4 * i);
    _mm256_storeu_si256(o + 0, _mm256_permute2x128_si256(q0, q1, 0x20));
    _mm256_storeu_si256(o + 1, _mm256_permute2x128_si256(q2, q3, 0x20));
    _mm256_storeu_si256(o + 2, _mm256_permute2x128_si256(q0, q1, 0x31));
    _mm256_storeu_si256(o + 3, _mm256_permute2x128_si256(q2, q3, 0x31));
  }
  for (; i < n; ++i) {
    dst[4 * i + 0] = static_cast<uint8_t>(r0[i]) ^ 0x80;
    dst[4 * i + 1] = static_cast<uint8_t>(r1[i]) ^ 0x80;
    dst[4 * i + 2] = static_cast<uint8_t>(r2[i]) ^ 0x80;
    dst[4 * i + 3] = static_cast<uint8_t>(r3[i]) ^ 0x80;
  }
}

// The requantize of 8 lanes (acc already includes the offset). kLeft false: every lshift is 0
// (skips the shift).
template <bool kLeft = true>
inline __m256i requant8(__m256i x, __m256i mult, __m256i ls, __m256i rs, __m256i zp, __m256i qmin,
                        __m256i qmax) {
  if (kLeft) {  // saturating x * 2^ls
    const __m256i sh = _mm256_sllv_epi32(x, ls);
    const __m256i same = _mm256_cmpeq_epi32(_mm256_srav_epi32(sh, ls), x);
    const __m256i sat = _mm256_xor_si256(_mm256_srai_epi32(x, 31), _mm256_set1_epi32(INT32_MAX));
    x = _mm256_blendv_epi8(sat, sh, same);
  }
  // SaturatingRoundingDoublingHighMul with mult in [0, 2^31): floor((x * m + 2^30) / 2^31)
  // (gemmlowp's nudge-and-truncate equals this for both signs; no saturation case).
  const __m256i nudge = _mm256_set1_epi64x(1ll << 30);
  const __m256i ev = _mm256_add_epi64(_mm256_mul_epi32(x, mult), nudge);
  const __m256i od = _mm256_add_epi64(
      _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(mult, 32)), nudge);
  x = _mm256_blend_epi32(_mm256_srli_epi64(ev, 31), _mm256_slli_epi64(od, 1), 0xAA);
  // Rounding divide by 2^rs, half away from zero.
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, rs), one);
  const __m256i rem = _mm256_and_si256(x, mask);
  const __m256i thr = _mm256_sub_epi32(_mm256_srli_epi32(mask, 1), _mm256_srai_epi32(x, 31));
  __m256i y = _mm256_sub_epi32(_mm256_srav_epi32(x, rs), _mm256_cmpgt_epi32(rem, thr));
  y = _mm256_add_epi32(y, zp);
  return _mm256_min_epi32(_mm256_max_epi32(y, qmin), qmax);
}

// The short requantize (isa_int8.h fast_requant_ok; the AVX-512 FastRq of int8_rq_avx512.h at 8
// lanes): mbqm(x) + zp unclamped, c = fast_requant_constant per qword, sl = lshift + 1,
// sgn = 31 where rshift > 0 else 32. kMode 0: every rshift is 0; 1: every rshift > 0; 2: any.
template <int kMode>
inline __m256i fast_requant8(__m256i x, __m256i mult, __m256i c, __m256i sl, __m256i sgn,
                             __m256i rs) {
  const __m256i x2 = kMode == 1 ? _mm256_add_epi32(x, x) : _mm256_sllv_epi32(x, sl);
  const __m256i ev = _mm256_add_epi64(_mm256_mul_epi32(x2, mult), c);
  const __m256i od = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x2, 32), mult), c);
  const __m256i hi = _mm256_blend_epi32(_mm256_srli_epi64(ev, 32), od, 0xAA);
  if (kMode == 0) return hi;
  return _mm256_srav_epi32(_mm256_sub_epi32(hi, _mm256_srlv_epi32(x, sgn)), rs);
}

// Stores lanes [0, n) (n <= 8) of y, already in [-128, 127], as int8.
inline void store8(int8_t* dst, __m256i y, int n) {
  const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(y, y), _mm256_setzero_si256());
  // Lane 0 bytes 0..3 hold y0..3, lane 1 bytes 0..3 hold y4..7.
  const __m128i v = _mm256_castsi256_si128(
      _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 0, 0, 0, 0, 0, 0)));
  if (n >= 8) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), v);
  } else {
    alignas(16) int8_t tmp[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), v);
    for (int i = 0; i < n; ++i) dst[i] = tmp[i];
  }
}

[[maybe_unused]] void requant_row_avx2(const int32_t* acc, int64_t n, const Int8Requant& rq,
                                       int8_t* y) {
  const __m256i off = _mm256_set1_epi32(rq.offset[0]), mult = _mm256_set1_epi32(rq.mult[0]);
  const __m256i ls = _mm256_set1_epi32(rq.lshift[0]), rs = _mm256_set1_epi32(rq.rshift[0]);
  const __m256i zp = _mm256_set1_epi32(rq.zp), lo = _mm256_set1_epi32(rq.qmin),
                hi = _mm256_set1_epi32(rq.qmax);
  for (int64_t i = 0; i < n; i += 8) {
    const int rest = static_cast<int>(n - i < 8 ? n - i : 8);
    __m256i x;
    if (rest == 8) {
      x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + i));
    } else {
      alignas(32) int32_t tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int j = 0; j < rest; ++j) tmp[j] = acc[i + j];
      x = _mm256_load_si256(reinterpret_cast<const __m256i*>(tmp));
    }
    store8(y + i, requant8(_mm256_add_epi32(x, off), mult, ls, rs, zp, lo, hi), rest);
  }
}

}  // namespace
}  // namespace strix::kernels::cpu::STRIX_INT8_NS
