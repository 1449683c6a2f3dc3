// kernels/cpu/x86/int8_rq_avx512.h — the AVX-512 requantize of the x86 INT8 leaf routines,
// 16 int32 lanes at a time, bit-identical to ref::requantize (requantize.h, isa_int8.h):
//   requant16: any accumulator (saturating left shift, the general path);
//   FastRq:    accumulators known to be small, |acc| * 2^lshift < 2^30 (fast_rq_ok), in 10
//              instructions instead of ~18, with the rounding of the right shift and the
//              output zero point folded into the 64-bit product's constant.
// FastRq arithmetic (m the Q31 multiplier, s = rshift, x = acc << lshift, exact as
// |x| < 2^30): SaturatingRoundingDoublingHighMul(x, m) = floor((x m + 2^30) / 2^31) = r1 is
// the high dword of (2x) m + 2^31, exact in int64. rounding_divide_by_pot(r1, s) =
// floor((r1 + 2^(s-1) - [r1 < 0]) / 2^s) for s >= 1, and [r1 < 0] may be replaced by [x < 0]
// (they differ only for x = -1, m = 2^30, where r1 = 0 and both give 0). Adding zp * 2^s inside
// the floor adds zp outside. So with C = 2^31 + (2^(s-1) + zp 2^s) 2^32 (s >= 1; 2^31 + zp 2^32
// for s = 0):  y = (hi32((2x) m + C) - [x < 0 and s > 0]) >> s  (arithmetic), which is
// ref's y before the clamp. fast_rq_ok checks that no int32 step overflows. Included ONLY by
// avx512_vnni.cc (after defining STRIX_INT8_NS); internal linkage.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/isa_int8.h"

#ifndef STRIX_INT8_NS
#error "define STRIX_INT8_NS (the ISA's namespace) before including int8_rq_avx512.h"
#endif

namespace strix::kernels::cpu::STRIX_INT8_NS {
namespace {

// The general requantize of 16 lanes (acc already includes the offset). kLeft false: every
// lshift is 0 (skips the shift); kClamp false: [qmin, qmax] is the whole int8 range, left to
// the saturating narrow that stores the result.
template <bool kLeft = true, bool kClamp = true>
inline __m512i requant16(__m512i x, __m512i mult, __m512i ls, __m512i rs, __m512i zp, __m512i qmin,
                         __m512i qmax) {
  if (kLeft) {
    const __m512i sh = _mm512_sllv_epi32(x, ls);
    const __mmask16 ovf = _mm512_cmpneq_epi32_mask(_mm512_srav_epi32(sh, ls), x);
    const __m512i sat = _mm512_xor_si512(_mm512_srai_epi32(x, 31), _mm512_set1_epi32(INT32_MAX));
    x = _mm512_mask_blend_epi32(ovf, sh, sat);
  }
  const __m512i nudge = _mm512_set1_epi64(1ll << 30);
  const __m512i ev = _mm512_add_epi64(_mm512_mul_epi32(x, mult), nudge);
  const __m512i od = _mm512_add_epi64(
      _mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(mult, 32)), nudge);
  x = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(ev, 31), _mm512_slli_epi64(od, 1));
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, rs), one);
  const __m512i rem = _mm512_and_si512(x, mask);
  const __m512i thr = _mm512_sub_epi32(_mm512_srli_epi32(mask, 1), _mm512_srai_epi32(x, 31));
  __m512i y = _mm512_srav_epi32(x, rs);
  y = _mm512_mask_add_epi32(y, _mm512_cmpgt_epi32_mask(rem, thr), y, one);
  y = _mm512_add_epi32(y, zp);
  return kClamp ? _mm512_min_epi32(_mm512_max_epi32(y, qmin), qmax) : y;
}

inline __mmask16 lanes(int n) {
  return n >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << (n > 0 ? n : 0)) - 1);
}

// Whether FastRq is exact for every accumulator with |acc| <= bound (isa_int8.h).
inline bool fast_rq_ok(int64_t bound, int32_t lshift, int32_t rshift) {
  return fast_requant_ok(bound, lshift, rshift);
}

// The constants of one channel (broadcast to 16 lanes) or of 16 channels (per lane).
struct FastRq {
  __m512i mult;  // m (in the low dword of each qword for the even lanes; both dwords)
  __m512i c;     // per qword: C of the file comment
  __m512i sl;    // lshift + 1 per lane
  __m512i sgn;   // 31 where s > 0, else 32 (srlv by 32 gives 0)
  __m512i rs;    // s per lane
};

inline FastRq fast_rq(int32_t mult, int32_t lshift, int32_t rshift, int32_t zp) {
  FastRq f;
  f.mult = _mm512_set1_epi32(mult);
  f.c = _mm512_set1_epi64(fast_requant_constant(rshift, zp));
  f.sl = _mm512_set1_epi32(lshift + 1);
  f.sgn = _mm512_set1_epi32(rshift > 0 ? 31 : 32);
  f.rs = _mm512_set1_epi32(rshift);
  return f;
}

// y = ref's mbqm(x, ...) + zp, unclamped, for |x| within the fast_rq_ok bound. kMode 0: every
// s is 0 (skips the rounding step); 1: every s > 0 (so lshift is 0); 2: any.
template <int kMode>
inline __m512i fast_requant(__m512i x, const FastRq& f) {
  const __m512i x2 = kMode == 1 ? _mm512_add_epi32(x, x) : _mm512_sllv_epi32(x, f.sl);
  const __m512i ev = _mm512_add_epi64(_mm512_mul_epi32(x2, f.mult), f.c);
  const __m512i od =
      _mm512_add_epi64(_mm512_mul_epi32(_mm512_shuffle_epi32(x2, _MM_PERM_DDBB), f.mult), f.c);
  // Even lanes: the high dword of ev's qword; odd lanes: od's (already in place).
  const __m512i hi = _mm512_mask_shuffle_epi32(od, 0x5555, ev, _MM_PERM_DDBB);
  if (kMode == 0) return hi;
  return _mm512_srav_epi32(_mm512_sub_epi32(hi, _mm512_srlv_epi32(x, f.sgn)), f.rs);
}

// Narrows 4 vectors of 16 int32 (y0 first) to 64 int8 in order, saturating, then clamps to
// [lo, hi] (int8 vectors).
inline __m512i pack64(__m512i y0, __m512i y1, __m512i y2, __m512i y3, __m512i lo, __m512i hi) {
  const __m512i b = _mm512_packs_epi16(_mm512_packs_epi32(y0, y1), _mm512_packs_epi32(y2, y3));
  // 128-bit lane L holds dwords y0[4L..4L+3], y1[4L..], y2[4L..], y3[4L..].
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_min_epi8(_mm512_max_epi8(_mm512_permutexvar_epi32(order, b), lo), hi);
}

}  // namespace
}  // namespace strix::kernels::cpu::STRIX_INT8_NS
