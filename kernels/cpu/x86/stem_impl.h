// kernels/cpu/x86/stem_impl.h — the direct stem Conv2D (isa_stem.h), written once over the
// vector traits V and compiled once per ISA: included by x86/avx2.cc, x86/avx512.cc and
// arm/neon.cc after depthwise_impl.h (it reuses its de-interleaved tap loads, dw_taps).
//
// Per output row and chunk of W output columns: W accumulators, one per output channel of the
// block (lanes = output columns); for each input channel and kernel row, the row's three tap
// vectors (columns 2 * ox + kx - pl) are built once and each is multiplied by the block's W
// broadcast weights. FMA-bound: 9 * C FMAs per output vector, no packing pass.
#pragma once

#include "kernels/cpu/isa_stem.h"

namespace strix::kernels::cpu::STRIX_SIMD_NS {
namespace {

constexpr int kStemMaxC = 4;

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

}  // namespace

const IsaStemKernels* get_stem_kernels() {
  static const IsaStemKernels k = [] {
    IsaStemKernels t;
    t.conv3x3s2 = stem_conv3x3s2;
    return t;
  }();
  return &k;
}

}  // namespace strix::kernels::cpu::STRIX_SIMD_NS
