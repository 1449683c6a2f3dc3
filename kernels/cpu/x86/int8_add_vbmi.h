// kernels/cpu/x86/int8_add_vbmi.h — INT8 Add (isa_int8.h `add`) with AVX-512 VBMI byte
// permutes instead of gathers, 64 elements per step: each input term lut[v] (int32) is looked
// up as four byte planes of 256 entries (two vpermt2b of 128 entries each, picked by the
// index's top bit), the planes are interleaved back into int32 lanes, the two terms added and
// the sum requantized with FastRq (int8_rq_avx512.h) when the tables' sum_bound allows, else
// requant16. Compiled for VBMI through the target attribute: call add_vbmi only when the CPU has
// avx512vbmi. Included ONLY by avx512_vnni.cc.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/isa_int8.h"
#include "kernels/cpu/x86/int8_rq_avx512.h"

#ifndef STRIX_INT8_NS
#error "define STRIX_INT8_NS (the ISA's namespace) before including int8_add_vbmi.h"
#endif

namespace strix::kernels::cpu::STRIX_INT8_NS {
namespace {

#define STRIX_VBMI __attribute__((target("avx512vbmi")))

// The 4 byte planes of one input's table (16 vectors: plane k, quarter q at [4 k + q]).
struct AddPlanes {
  __m512i t[16];
};

STRIX_VBMI inline AddPlanes add_planes(const uint8_t* bytes) {
  AddPlanes p;
  for (int i = 0; i < 16; ++i) p.t[i] = _mm512_loadu_si512(bytes + 64 * i);
  return p;
}

// The int32 terms of 64 bytes v: d[g] holds, in 128-bit lane L, elements 16 L + 4 g .. + 3.
STRIX_VBMI inline void add_terms(__m512i v, const AddPlanes& p, __m512i (&d)[4]) {
  const __mmask64 high = _mm512_movepi8_mask(v);  // entries 128..255
  __m512i b[4];
  for (int k = 0; k < 4; ++k)
    b[k] = _mm512_mask_blend_epi8(high, _mm512_permutex2var_epi8(p.t[4 * k], v, p.t[4 * k + 1]),
                                  _mm512_permutex2var_epi8(p.t[4 * k + 2], v, p.t[4 * k + 3]));
  const __m512i lo0 = _mm512_unpacklo_epi8(b[0], b[1]), lo1 = _mm512_unpackhi_epi8(b[0], b[1]);
  const __m512i hi0 = _mm512_unpacklo_epi8(b[2], b[3]), hi1 = _mm512_unpackhi_epi8(b[2], b[3]);
  d[0] = _mm512_unpacklo_epi16(lo0, hi0);
  d[1] = _mm512_unpackhi_epi16(lo0, hi0);
  d[2] = _mm512_unpacklo_epi16(lo1, hi1);
  d[3] = _mm512_unpackhi_epi16(lo1, hi1);
}

// kFast: FastRq (kRound: out_rshift > 0), else requant16.
template <bool kFast, bool kRound>
STRIX_VBMI void add_vbmi_t(const int8_t* a, const int8_t* b, int64_t n, const Int8AddParams& p,
                           int8_t* y) {
  const AddPlanes pa = add_planes(p.lut_bytes), pb = add_planes(p.lut_bytes + 4 * 256);
  const FastRq f = fast_rq(p.out_mult, p.out_lshift, p.out_rshift, p.out_zp);
  const __m512i om = _mm512_set1_epi32(p.out_mult), ols = _mm512_set1_epi32(p.out_lshift),
                ors = _mm512_set1_epi32(p.out_rshift), ozp = _mm512_set1_epi32(p.out_zp),
                lo = _mm512_set1_epi32(p.qmin), hi = _mm512_set1_epi32(p.qmax);
  const __m512i lo8 = _mm512_set1_epi8(static_cast<char>(p.qmin)),
                hi8 = _mm512_set1_epi8(static_cast<char>(p.qmax));
  for (int64_t i = 0; i < n; i += 64) {
    const __mmask64 m = n - i >= 64 ? ~__mmask64(0) : (__mmask64(1) << (n - i)) - 1;
    __m512i ta[4], tb[4], s[4];
    add_terms(_mm512_maskz_loadu_epi8(m, a + i), pa, ta);
    add_terms(_mm512_maskz_loadu_epi8(m, b + i), pb, tb);
    for (int g = 0; g < 4; ++g) {
      const __m512i sum = _mm512_add_epi32(ta[g], tb[g]);
      s[g] = kFast ? fast_requant<kRound>(sum, f) : requant16(sum, om, ols, ors, ozp, lo, hi);
    }
    // Lane L of the packed bytes holds elements 16 L .. 16 L + 15 in order.
    const __m512i out =
        _mm512_packs_epi16(_mm512_packs_epi32(s[0], s[1]), _mm512_packs_epi32(s[2], s[3]));
    _mm512_mask_storeu_epi8(y + i, m, _mm512_min_epi8(_mm512_max_epi8(out, lo8), hi8));
  }
}

STRIX_VBMI void add_vbmi(const int8_t* a, const int8_t* b, int64_t n, const Int8AddParams& p,
                         int8_t* y) {
  if (!fast_rq_ok(p.sum_bound, p.out_lshift, p.out_rshift))
    return add_vbmi_t<false, false>(a, b, n, p, y);
  if (p.out_rshift > 0) return add_vbmi_t<true, true>(a, b, n, p, y);
  add_vbmi_t<true, false>(a, b, n, p, y);
}

#undef STRIX_VBMI

}  // namespace
}  // namespace strix::kernels::cpu::STRIX_INT8_NS
