// kernels/cpu/x86/int8_dw_x86.h — the x86 depthwise INT8 routines (isa_int8.h dw_pad, dw_conv)
// for dilation 1 and stride_w 1 or 2, with vpmaddwd: two horizontal taps per instruction.
// Other geometries use the portable routines of int8_depthwise_impl.h.
//
// "Pairs" plane: each padded row holds g.pairs int32 slots of two int16 (x - zp, 0 in the
// padding): stride 1: slot c = (col c, col c + 1); stride 2: slot c = (col 2c, col 2c + 1).
// Output ox's taps (2p, 2p + 1) of a row are then slot ox + p * d (d = 2 for stride 1, 1 for
// stride 2), so one vpmaddwd with the weight pair (w[2p], w[2p + 1]) adds both for a vector of
// consecutive outputs. Included ONLY by avx2_int8.cc / avx512_vnni.cc after
// int8_depthwise_impl.h, with Traits: I (the vector), kLanes (int32 lanes), load, madd, add,
// set1, zero and store_requant(acc, n, consts, y).
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/cpu/isa_int8.h"

#ifndef STRIX_INT8_NS
#error "define STRIX_INT8_NS (the ISA's namespace) before including int8_dw_x86.h"
#endif

namespace strix::kernels::cpu::STRIX_INT8_NS {
namespace {

inline bool dw_pairs_mode(const DwGeom& g) { return g.dw == 1 && (g.sw == 1 || g.sw == 2); }

void dw_pad_x86(const int8_t* x, int32_t h, int32_t w, int32_t zp, const DwGeom& g, int16_t* dst) {
  if (!dw_pairs_mode(g)) return dw_pad(x, h, w, zp, g, dst);
  const int64_t rs = 2 * g.pairs;  // int16 per row
  const __m256i z = _mm256_set1_epi16(static_cast<int16_t>(zp));
  for (int32_t r = 0; r < g.rows; ++r) {
    int16_t* __restrict d = dst + r * rs;
    const int32_t iy = r - g.pt;
    if (iy < 0 || iy >= h) {
      std::memset(d, 0, static_cast<size_t>(rs) * sizeof(int16_t));
      continue;
    }
    const int8_t* __restrict s = x + static_cast<int64_t>(iy) * w;
    auto v = [&](int32_t i) { return static_cast<int16_t>(s[i] - zp); };
    if (g.sw == 2) {
      std::memset(d, 0, static_cast<size_t>(g.pl) * sizeof(int16_t));
      int32_t i = 0;
      for (; i + 16 <= w; i += 16)
        _mm256_storeu_si256(
            reinterpret_cast<__m256i*>(d + g.pl + i),
            _mm256_sub_epi16(
                _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))), z));
      for (; i < w; ++i) d[g.pl + i] = v(i);
      std::memset(d + g.pl + w, 0, static_cast<size_t>(rs - g.pl - w) * sizeof(int16_t));
      continue;
    }
    // Slot c = (col c, col c + 1); columns outside [pl, pl + w) are 0.
    std::memset(d, 0, static_cast<size_t>(2 * g.pl) * sizeof(int16_t));
    if (g.pl >= 1) d[2 * g.pl - 1] = v(0);
    int16_t* o = d + 2 * g.pl;
    int32_t i = 0;
    for (; i + 17 <= w; i += 16) {
      const __m256i a = _mm256_sub_epi16(
          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i))), z);
      const __m256i b = _mm256_sub_epi16(
          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i + 1))), z);
      const __m256i lo = _mm256_unpacklo_epi16(a, b), hi = _mm256_unpackhi_epi16(a, b);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 2 * i),
                          _mm256_permute2x128_si256(lo, hi, 0x20));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o + 2 * i + 16),
                          _mm256_permute2x128_si256(lo, hi, 0x31));
    }
    for (; i < w; ++i) {
      o[2 * i] = v(i);
      o[2 * i + 1] = i + 1 < w ? v(i + 1) : 0;
    }
    std::memset(o + 2 * w, 0, static_cast<size_t>(rs - 2 * (g.pl + w)) * sizeof(int16_t));
  }
}

// The output rows: kKh / kNp the kernel height and weight pairs per row when known at compile
// time (0: g.kh, (g.kw + 1) / 2); kMode the requantize (T::store_requant: 0 / 1 general without /
// with left shift, 2 / 3 the short one of isa_int8.h with rshift 0 / > 0).
template <typename T, int kKh, int kNp, int kMode>
void dw_rows_x86(const int16_t* plane, const DwGeom& g, const typename T::I* wp,
                 const typename T::Consts& c, int8_t* y) {
  const int32_t kh = kKh > 0 ? kKh : g.kh, np = kNp > 0 ? kNp : (g.kw + 1) / 2;
  const int64_t rs = 2 * g.pairs;
  const int32_t d = g.sw == 1 ? 2 : 1;
  for (int32_t oy = 0; oy < g.oh; ++oy) {
    const int16_t* top = plane + static_cast<int64_t>(oy * g.sh) * rs;
    for (int32_t ox0 = 0; ox0 < g.ow; ox0 += T::kLanes) {
      typename T::I acc = T::zero();
      for (int32_t ky = 0; ky < kh; ++ky) {
        const int16_t* row = top + static_cast<int64_t>(ky * g.dh) * rs + 2 * ox0;
        for (int32_t p = 0; p < np; ++p)
          acc = T::add(acc, T::madd(T::load(row + 2 * p * d), wp[ky * np + p]));
      }
      const int32_t n = g.ow - ox0 < T::kLanes ? g.ow - ox0 : T::kLanes;
      T::template store_requant<kMode>(acc, n, c, y + static_cast<int64_t>(oy) * g.ow + ox0);
    }
  }
}

template <typename T, void (*Generic)(const int16_t*, const DwGeom&, const int16_t*,
                                      const Int8Requant&, int8_t*)>
void dw_conv_x86(const int16_t* plane, const DwGeom& g, const int16_t* w, const Int8Requant& rq,
                 int8_t* y) {
  constexpr int kMaxPairs = 64;
  const int32_t np = (g.kw + 1) / 2;
  if (!dw_pairs_mode(g) || g.kh * np > kMaxPairs) return Generic(plane, g, w, rq, y);
  typename T::I wp[kMaxPairs];
  int64_t wabs = 0;
  for (int32_t t = 0; t < g.kh * g.kw; ++t) wabs += w[t] < 0 ? -w[t] : w[t];
  for (int32_t ky = 0; ky < g.kh; ++ky)
    for (int32_t p = 0; p < np; ++p) {
      const int32_t lo = static_cast<uint16_t>(w[ky * g.kw + 2 * p]);
      const int32_t hi = 2 * p + 1 < g.kw ? w[ky * g.kw + 2 * p + 1] : 0;
      wp[ky * np + p] = T::set1(
          static_cast<int32_t>(static_cast<uint32_t>(lo) | (static_cast<uint32_t>(hi) << 16)));
    }
  const typename T::Consts c = T::consts(rq);
  // This channel's requantize: |acc| <= 255 sum |w| + |bias| (the plane holds x - x_zp).
  const int64_t bias = rq.offset[0];
  const bool fast =
      fast_requant_ok(255 * wabs + (bias < 0 ? -bias : bias), rq.lshift[0], rq.rshift[0]);
  const int mode = fast ? (rq.rshift[0] > 0 ? 3 : 2) : (rq.lshift[0] != 0 ? 1 : 0);
  if (g.kh == 3 && np == 2) {
    switch (mode) {
      case 0: return dw_rows_x86<T, 3, 2, 0>(plane, g, wp, c, y);
      case 1: return dw_rows_x86<T, 3, 2, 1>(plane, g, wp, c, y);
      case 2: return dw_rows_x86<T, 3, 2, 2>(plane, g, wp, c, y);
      default: return dw_rows_x86<T, 3, 2, 3>(plane, g, wp, c, y);
    }
  }
  switch (mode) {
    case 0: return dw_rows_x86<T, 0, 0, 0>(plane, g, wp, c, y);
    case 1: return dw_rows_x86<T, 0, 0, 1>(plane, g, wp, c, y);
    case 2: return dw_rows_x86<T, 0, 0, 2>(plane, g, wp, c, y);
    default: return dw_rows_x86<T, 0, 0, 3>(plane, g, wp, c, y);
  }
}

}  // namespace
}  // namespace strix::kernels::cpu::STRIX_INT8_NS
