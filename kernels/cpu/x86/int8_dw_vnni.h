// kernels/cpu/x86/int8_dw_vnni.h — the AVX-512 VNNI depthwise INT8 routine (isa_int8.h
// dw_plane) for dilation_w 1 and stride_w 1 or 2: one vpdpbusd adds four horizontal taps of 16
// outputs. Other geometries run dw_pad_x86 and the pairs routine of int8_dw_x86.h.
//
// "Quads" rows (dw_quad_mode): each padded row is g.quads int32 slots of four u8 bytes
// x' = x ^ 0x80 (x + 128; the padding holds zp' = x_zp + 128): slot c = padded columns
// (c * sw .. c * sw + 3). Output ox's taps 4q .. 4q + 3 of a row are slot ox + q * 4 / sw, so
// with the weight quad (w[4q], .., w[4q + 3]) (0 past kw) one vpdpbusd adds them for 16
// consecutive outputs. The rows are built straight from x with masked loads, a batch of
// output rows' worth at a time (dw_rows_vnni). As in the GEMM path,
// sum x' w = sum (x - x_zp) w + zp' sum w, so the accumulator starts at bias - zp' sum w
// (mod 2^32; the exact sum fits int32). Requantize: FastRq (int8_rq_avx512.h) when the
// channel's bound allows, else requant16; 64 outputs are narrowed and stored at once.
// Included ONLY by avx512_vnni.cc.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "kernels/cpu/isa_int8.h"
#include "kernels/cpu/x86/int8_dw_x86.h"
#include "kernels/cpu/x86/int8_rq_avx512.h"

#ifndef STRIX_INT8_NS
#error "define STRIX_INT8_NS (the ISA's namespace) before including int8_dw_vnni.h"
#endif

namespace strix::kernels::cpu::STRIX_INT8_NS {
namespace {

constexpr int kDwMaxQuads = 64;  // kh * ceil(kw / 4) weight quads kept in registers / stack

inline bool dw_quad_mode(const DwGeom& g) {
  return g.dw == 1 && (g.sw == 1 || g.sw == 2) && g.quads > 0 &&
         g.kh * ((g.kw + 3) / 4) <= kDwMaxQuads;
}

// The load mask of the 16-slot block at slot c: padded columns [c * sw, c * sw + 64) are input
// columns from s0 = c * sw - pl; lanes of columns in [0, w) are loaded.
inline __mmask64 dw_block_mask(const DwGeom& g, int32_t w, int64_t c) {
  const int64_t s0 = c * g.sw - g.pl;
  const int64_t lo = s0 < 0 ? -s0 : 0, hi = w - s0 < 64 ? w - s0 : 64;
  if (hi <= lo) return 0;
  const __mmask64 below = hi >= 64 ? ~__mmask64(0) : (__mmask64(1) << hi) - 1;
  return below & ~((__mmask64(1) << lo) - 1);
}

// Padded rows [r0, r1) of x into d, one after the other, each the quad slots [0, g.quads)
// (kept out of line: the strips' constants then stay in registers).
__attribute__((noinline)) void dw_quad_rows(const int8_t* x, int32_t h, int32_t w, const DwGeom& g,
                                            int32_t r0, int32_t r1, uint8_t* d) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i zpv = _mm512_set1_epi8(static_cast<char>(g.x_zp));
  // Lane L of a 16-slot block starts at slot 4L: dwords (L .. L + 3) for stride 1 (bytes 4L..),
  // (2L .. 2L + 3) for stride 2 (bytes 8L..); then bytes (j * sw + t) of the lane, t < 4.
  const __m512i dwords = g.sw == 1
                             ? _mm512_setr_epi32(0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6)
                             : _mm512_setr_epi32(0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7, 8, 9);
  const __m512i bytes =
      g.sw == 1
          ? _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6))
          : _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7, 8, 9));
  constexpr int64_t kMaxBlocks = 64;
  const int64_t nblk = g.quads / 16;
  __mmask64 masks[kMaxBlocks];
  for (int64_t b = 0; b < nblk && b < kMaxBlocks; ++b) masks[b] = dw_block_mask(g, w, 16 * b);
  const int64_t rs = 4 * g.quads;
  for (int32_t r = r0; r < r1; ++r, d += rs) {
    const int32_t iy = r - g.pt;
    if (iy < 0 || iy >= h) {
      std::memset(d, static_cast<uint8_t>(g.x_zp + 128), static_cast<size_t>(rs));
      continue;
    }
    // Masked-off lanes do not fault, so the base may point before the row.
    const uintptr_t s = reinterpret_cast<uintptr_t>(x + static_cast<int64_t>(iy) * w) - g.pl;
    for (int64_t b = 0; b < nblk; ++b) {
      const __mmask64 m = b < kMaxBlocks ? masks[b] : dw_block_mask(g, w, 16 * b);
      const __m512i v = _mm512_xor_si512(
          _mm512_mask_loadu_epi8(zpv, m, reinterpret_cast<const void*>(s + 16 * b * g.sw)), flip);
      _mm512_storeu_si512(d + 64 * b,
                          _mm512_shuffle_epi8(_mm512_permutexvar_epi32(dwords, v), bytes));
    }
  }
}

// The requantize constants of one channel plane.
struct DwRq {
  FastRq f;
  __m512i mult, ls, rs, zp, qmin, qmax;  // requant16's, int32 lanes
  __m512i lo8, hi8;                      // [qmin, qmax] as int8 lanes (pack64)
};

// One output row strip: NB blocks of 16 outputs from ox0, kKh / kNq the kernel height and
// weight quads per row when known at compile time (0: from g). kFast: FastRq (kRound: s > 0),
// else requant16.
template <int NB, int kKh, int kNq, bool kFast, bool kRound>
inline void dw_strip_vnni(const uint8_t* const* rowp, const DwGeom& g, const __m512i* wq,
                          __m512i off, const DwRq& c, int32_t ox0, int8_t* y) {
  const int32_t kh = kKh > 0 ? kKh : g.kh, nq = kNq > 0 ? kNq : (g.kw + 3) / 4;
  const int64_t step = 4 * (4 / g.sw);
  __m512i acc[NB];
  for (int b = 0; b < NB; ++b) acc[b] = off;
  for (int32_t ky = 0; ky < kh; ++ky) {
    const uint8_t* row = rowp[ky] + 4 * ox0;
    for (int32_t q = 0; q < nq; ++q)
      for (int b = 0; b < NB; ++b)
        acc[b] = _mm512_dpbusd_epi32(acc[b], _mm512_loadu_si512(row + q * step + 64 * b),
                                     wq[ky * nq + q]);
  }
  const int32_t n = g.ow - ox0 < 16 * NB ? g.ow - ox0 : 16 * NB;
  if (kFast) {
    __m512i v[4] = {};
    for (int b = 0; b < NB; ++b) v[b] = fast_requant<kRound>(acc[b], c.f);
    const __m512i out = pack64(v[0], v[1], v[2], v[3], c.lo8, c.hi8);
    const __mmask64 m = n >= 64 ? ~__mmask64(0) : (__mmask64(1) << n) - 1;
    _mm512_mask_storeu_epi8(y + ox0, m, out);
    return;
  }
  for (int b = 0; b < NB; ++b)
    _mm512_mask_cvtsepi32_storeu_epi8(y + ox0 + 16 * b, lanes(n - 16 * b),
                                      requant16(acc[b], c.mult, c.ls, c.rs, c.zp, c.qmin, c.qmax));
}

// Output rows in batches of kDwBatch: the padded rows a batch reads are built into `buf` (row
// r at (r - first) * 4 * quads), then its strips run; rows shared with the next batch move to
// the front. At most the whole padded plane (g.rows rows), and a few KB for typical widths,
// so the rows are still in L1 when read.
constexpr int32_t kDwBatch = 16;

template <int kKh, int kNq, bool kFast, bool kRound>
void dw_rows_vnni(const int8_t* x, int32_t h, int32_t w, const DwGeom& g, uint8_t* buf,
                  const __m512i* wq, __m512i off, const DwRq& c, int8_t* y) {
  const int64_t rs = 4 * g.quads;
  const int32_t span = (g.kh - 1) * g.dh + 1;
  const uint8_t* rowp[kDwMaxQuads];
  int32_t have_lo = 0, have_hi = 0;  // padded rows [have_lo, have_hi) are in buf
  for (int32_t oy0 = 0; oy0 < g.oh; oy0 += kDwBatch) {
    const int32_t oy1 = g.oh - oy0 < kDwBatch ? g.oh : oy0 + kDwBatch;
    const int32_t lo = oy0 * g.sh, hi = (oy1 - 1) * g.sh + span;
    int32_t start = lo;
    if (have_hi > lo) {
      std::memmove(buf, buf + (lo - have_lo) * rs, static_cast<size_t>((have_hi - lo) * rs));
      start = have_hi;
    }
    dw_quad_rows(x, h, w, g, start, hi, buf + (start - lo) * rs);
    have_lo = lo, have_hi = hi;
    for (int32_t oy = oy0; oy < oy1; ++oy) {
      for (int32_t ky = 0; ky < g.kh; ++ky)
        rowp[ky] = buf + (static_cast<int64_t>(oy * g.sh - lo) + ky * g.dh) * rs;
      int8_t* yr = y + static_cast<int64_t>(oy) * g.ow;
      int32_t ox0 = 0;
      for (; ox0 + 48 < g.ow; ox0 += 64)
        dw_strip_vnni<4, kKh, kNq, kFast, kRound>(rowp, g, wq, off, c, ox0, yr);
      const int32_t rest = g.ow - ox0;  // 1 .. 48
      if (rest > 32)
        dw_strip_vnni<3, kKh, kNq, kFast, kRound>(rowp, g, wq, off, c, ox0, yr);
      else if (rest > 16)
        dw_strip_vnni<2, kKh, kNq, kFast, kRound>(rowp, g, wq, off, c, ox0, yr);
      else if (rest > 0)
        dw_strip_vnni<1, kKh, kNq, kFast, kRound>(rowp, g, wq, off, c, ox0, yr);
    }
  }
}

template <bool kFast, bool kRound>
void dw_rows_any_vnni(const int8_t* x, int32_t h, int32_t w, const DwGeom& g, uint8_t* buf,
                      const __m512i* wq, __m512i off, const DwRq& c, int8_t* y) {
  if (g.kh == 3 && g.kw <= 4)
    dw_rows_vnni<3, 1, kFast, kRound>(x, h, w, g, buf, wq, off, c, y);
  else if (g.kh == 5 && g.kw > 4 && g.kw <= 8)
    dw_rows_vnni<5, 2, kFast, kRound>(x, h, w, g, buf, wq, off, c, y);
  else
    dw_rows_vnni<0, 0, kFast, kRound>(x, h, w, g, buf, wq, off, c, y);
}

// isa_int8.h dw_plane. Conv: the dw_conv of int8_dw_x86.h (after dw_pad_x86) for the
// geometries the quads plane does not cover.
template <void (*Conv)(const int16_t*, const DwGeom&, const int16_t*, const Int8Requant&, int8_t*)>
void dw_plane_vnni(const int8_t* x, int32_t h, int32_t iw, const DwGeom& g, const int16_t* w,
                   const Int8Requant& rq, int16_t* scratch, int8_t* y) {
  if (!dw_quad_mode(g)) {
    dw_pad_x86(x, h, iw, g.x_zp, g, scratch);
    return Conv(scratch, g, w, rq, y);
  }
  const int32_t nq = (g.kw + 3) / 4;
  __m512i wq[kDwMaxQuads];
  int64_t wsum = 0, wabs = 0;
  for (int32_t ky = 0; ky < g.kh; ++ky)
    for (int32_t q = 0; q < nq; ++q) {
      uint32_t packed = 0;
      for (int32_t t = 0; t < 4 && 4 * q + t < g.kw; ++t) {
        const int32_t v = w[ky * g.kw + 4 * q + t];
        wsum += v;
        wabs += v < 0 ? -v : v;
        packed |= static_cast<uint32_t>(static_cast<uint8_t>(v)) << (8 * t);
      }
      wq[ky * nq + q] = _mm512_set1_epi32(static_cast<int32_t>(packed));
    }
  const int32_t bias = rq.offset[0];
  const int64_t zpb = g.x_zp + 128;
  const __m512i off = _mm512_set1_epi32(static_cast<int32_t>(
      static_cast<uint32_t>(bias) - static_cast<uint32_t>(static_cast<int64_t>(zpb * wsum))));
  const int32_t ls = rq.lshift[0], rsh = rq.rshift[0];
  DwRq c;
  c.mult = _mm512_set1_epi32(rq.mult[0]);
  c.ls = _mm512_set1_epi32(ls);
  c.rs = _mm512_set1_epi32(rsh);
  c.zp = _mm512_set1_epi32(rq.zp);
  c.qmin = _mm512_set1_epi32(rq.qmin);
  c.qmax = _mm512_set1_epi32(rq.qmax);
  c.lo8 = _mm512_set1_epi8(static_cast<char>(rq.qmin));
  c.hi8 = _mm512_set1_epi8(static_cast<char>(rq.qmax));
  auto* buf = reinterpret_cast<uint8_t*>(scratch);
  // |sum (x - x_zp) w + bias| <= 255 sum |w| + |bias|.
  const int64_t bound = 255 * wabs + std::llabs(static_cast<int64_t>(bias));
  if (!fast_rq_ok(bound, ls, rsh))
    return dw_rows_any_vnni<false, false>(x, h, iw, g, buf, wq, off, c, y);
  c.f = fast_rq(rq.mult[0], ls, rsh, rq.zp);
  if (rsh > 0)
    dw_rows_any_vnni<true, true>(x, h, iw, g, buf, wq, off, c, y);
  else
    dw_rows_any_vnni<true, false>(x, h, iw, g, buf, wq, off, c, y);
}

}  // namespace
}  // namespace strix::kernels::cpu::STRIX_INT8_NS
