// kernels/cpu/x86/stem_impl.h — the direct stem Conv2D (isa_stem.h), written once over the
// vector traits V and compiled once per ISA: included by x86/avx2.cc, x86/avx512.cc and
// arm/neon.cc after depthwise_impl.h (it reuses its de-interleaved tap loads, dw_taps).
//
// 3x3 (stem_conv3x3s2), from the NCHW input: per output row and chunk of W output columns, W
// accumulators, one per output channel of the block (lanes = output columns); for each input
// channel and kernel row, the row's three tap vectors (columns 2 * ox + kx - pl) are built
// once and each is multiplied by the block's W broadcast weights. No packing pass.
//
// 7x7 (stem_conv_padded), from a padded, de-interleaved copy of the image: every tap is one
// unaligned load (no permutes, no masks). Two chunks (2 W columns) at a time for half a block
// (W / 2 channels), so that each broadcast weight feeds two FMAs (one chunk for all W channels
// needs a broadcast load per FMA and is bound by the loads); a last odd chunk takes the
// one-chunk path. Stores bias + sums: the caller applies the fused activation (isa_stem.h).
#pragma once

#include "kernels/cpu/isa_stem.h"

namespace strix::kernels::cpu::STRIX_SIMD_NS {
namespace {

constexpr int kStemMaxC = 4;
constexpr int kStemMaxK = 7;

// ---- 3x3, from the NCHW input ----------------------------------------------------------------

template <bool EDGE>
inline void stem_chunk(const ConvGeom& g, const float* const* rows, int64_t c0, const uint32_t* m,
                       const float* w, const float* bias, const Act* act, float* y, int64_t plane,
                       int nm, uint32_t store_bits) {
  T acc[kW];
#pragma GCC unroll 16
  for (int m = 0; m < kW; ++m) acc[m] = V::set1(bias[m]);
  for (int r = 0; r < g.c * 3; ++r) {
    T tap[3];
    dw_taps<2, 3, EDGE>(rows[r], c0, m, tap);
    const float* wr = w + r * 3 * kW;
#pragma GCC unroll 3
    for (int kx = 0; kx < 3; ++kx) {
#pragma GCC unroll 16
      for (int m = 0; m < kW; ++m) acc[m] = V::fma(V::set1(wr[kx * kW + m]), tap[kx], acc[m]);
    }
  }
  for (int m = 0; m < nm; ++m) store_act(y + m * plane, acc[m], store_bits, act);
}

void stem_conv3x3s2(const ConvGeom& g, const float* x, const float* w, const float* bias,
                    const Act* act, float* y, int nm, int32_t oy0, int32_t oy1,
                    const float* zero_row) {
  const int64_t plane = static_cast<int64_t>(g.oh) * g.ow,
                in_plane = static_cast<int64_t>(g.h) * g.w;
  const float* rows[kStemMaxC * 3];
  for (int32_t oy = oy0; oy < oy1; ++oy) {
    for (int c = 0; c < g.c; ++c) {
      for (int ky = 0; ky < 3; ++ky) {
        const int64_t iy = static_cast<int64_t>(oy) * 2 - g.pt + ky;
        rows[c * 3 + ky] = iy >= 0 && iy < g.h ? x + c * in_plane + iy * g.w : zero_row;
      }
    }
    float* yr = y + static_cast<int64_t>(oy) * g.ow;
    for (int64_t ox0 = 0; ox0 < g.ow; ox0 += kW) {
      const uint32_t sb = tail(static_cast<int>(g.ow - ox0));
      const int64_t c0 = ox0 * 2 - g.pl;
      uint32_t m[dw_loads<2, 3>()] = {};
      if (c0 >= 0 && c0 + 2 + 2 * kW <= g.w) {
        stem_chunk<false>(g, rows, c0, m, w, bias, act, yr + ox0, plane, nm, sb);
      } else {
        dw_masks<2, 3>(c0, g.w, m);
        stem_chunk<true>(g, rows, c0, m, w, bias, act, yr + ox0, plane, nm, sb);
      }
    }
  }
}

// ---- 7x7, from the padded, de-interleaved image (StemPaddedFn) -----------------------------
// Tap kx of output columns [ox0, ox0 + W) of a padded row: row + (kx & 1) * half + ox0 + kx / 2.

inline void stem_store(float* out, T v, uint32_t bits) {
  if (bits == V::tail_bits(kW))
    V::store(out, v);
  else
    V::mask_store(out, bits, v);
}

// Two chunks (ox0 and ox0 + W; stores the lanes of sb0 / sb1) for the output channels
// [h, h + nh) of the block, nh <= W / 2.
template <int K>
inline void stem_pchunk2(const float* const* rows, int nrows, int64_t half, int64_t ox0,
                         const float* w, const float* bias, float* y, int64_t plane, int h, int nh,
                         uint32_t sb0, uint32_t sb1) {
  constexpr int kH = kW / 2;
  T a0[kH], a1[kH];
#pragma GCC unroll 8
  for (int j = 0; j < kH; ++j) a0[j] = a1[j] = V::set1(bias[h + j]);
  for (int r = 0; r < nrows; ++r) {
    const float* row = rows[r] + ox0;
    const float* wr = w + r * K * kW + h;
    // Taps 2q (even columns) and 2q + 1 (odd ones, half floats on). Not unrolled: GCC then
    // loads every tap vector first and spills the accumulators.
#pragma GCC unroll 1
    for (int q = 0; q < (K + 1) / 2; ++q, wr += 2 * kW) {
      const T e0 = V::load(row + q), e1 = V::load(row + q + kW);
#pragma GCC unroll 8
      for (int j = 0; j < kH; ++j) {
        const T wv = V::set1(wr[j]);
        a0[j] = V::fma(wv, e0, a0[j]);
        a1[j] = V::fma(wv, e1, a1[j]);
      }
      if (2 * q + 1 < K) {
        const T o0 = V::load(row + half + q), o1 = V::load(row + half + q + kW);
#pragma GCC unroll 8
        for (int j = 0; j < kH; ++j) {
          const T wv = V::set1(wr[kW + j]);
          a0[j] = V::fma(wv, o0, a0[j]);
          a1[j] = V::fma(wv, o1, a1[j]);
        }
      }
    }
  }
  for (int j = 0; j < nh; ++j) {
    stem_store(y + (h + j) * plane, a0[j], sb0);
    stem_store(y + (h + j) * plane + kW, a1[j], sb1);
  }
}

// One chunk (a last odd one) for all W channels of the block (nm stored).
template <int K>
inline void stem_pchunk1(const float* const* rows, int nrows, int64_t half, int64_t ox0,
                         const float* w, const float* bias, float* y, int64_t plane, int nm,
                         uint32_t sb) {
  T acc[kW];
#pragma GCC unroll 16
  for (int j = 0; j < kW; ++j) acc[j] = V::set1(bias[j]);
  for (int r = 0; r < nrows; ++r) {
    const float* row = rows[r] + ox0;
    const float* wr = w + r * K * kW;
#pragma GCC unroll 8
    for (int kx = 0; kx < K; ++kx) {
      const T t = V::load(row + (kx & 1) * half + kx / 2);
#pragma GCC unroll 16
      for (int j = 0; j < kW; ++j) acc[j] = V::fma(V::set1(wr[kx * kW + j]), t, acc[j]);
    }
  }
  for (int j = 0; j < nm; ++j) stem_store(y + j * plane, acc[j], sb);
}

template <int K>
void stem_conv_padded(const ConvGeom& g, const float* xp, int64_t prows, int64_t half,
                      const float* w, const float* bias, float* y, int nm, int32_t oy0,
                      int32_t oy1) {
  const int64_t plane = static_cast<int64_t>(g.oh) * g.ow, pw = 2 * half, pplane = prows * pw;
  const int hs = kW / 2;
  const float* rows[kStemMaxC * K];
  for (int32_t oy = oy0; oy < oy1; ++oy) {
    for (int c = 0; c < g.c; ++c)
      for (int ky = 0; ky < K; ++ky)
        rows[c * K + ky] = xp + c * pplane + (static_cast<int64_t>(oy) * 2 + ky) * pw;
    float* yr = y + static_cast<int64_t>(oy) * g.ow;
    int64_t ox0 = 0;
    for (; ox0 + kW < g.ow; ox0 += 2 * kW) {  // two chunks, the second possibly partial
      const uint32_t sb1 = tail(static_cast<int>(g.ow - ox0 - kW));
      for (int h = 0; h < nm; h += hs)
        stem_pchunk2<K>(rows, g.c * K, half, ox0, w, bias, yr + ox0, plane, h,
                        nm - h < hs ? nm - h : hs, V::tail_bits(kW), sb1);
    }
    if (ox0 < g.ow)
      stem_pchunk1<K>(rows, g.c * K, half, ox0, w, bias, yr + ox0, plane, nm,
                      tail(static_cast<int>(g.ow - ox0)));
  }
}

}  // namespace

const IsaStemKernels* get_stem_kernels() {
  static const IsaStemKernels k = [] {
    IsaStemKernels t;
    t.conv3x3s2 = stem_conv3x3s2;
    t.conv7x7s2 = stem_conv_padded<7>;
    return t;
  }();
  return &k;
}

}  // namespace strix::kernels::cpu::STRIX_SIMD_NS
