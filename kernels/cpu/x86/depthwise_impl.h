// kernels/cpu/x86/depthwise_impl.h — depthwise Conv2D on large planes (isa_depthwise.h),
// written once over the vector traits V like kernels_impl.h and compiled once per ISA: included
// by x86/avx2.cc, x86/avx512.cc and arm/neon.cc right after kernels_impl.h (it uses its
// helpers: T, kW, tail, in_row_lanes, apply_act).
//
// One plane per call, straight from the NCHW input (no padded copy). The plane is swept in
// bands of NS output rows; per band and per chunk of W output columns, each input row the band
// needs (S * (NS - 1) + K of them) is loaded once as its K tap vectors (stride 1: K shifted
// loads; stride 2: pairs of loads de-interleaved into even / odd columns, so tap kx reads
// columns 2 * ox + kx - pl with no gather), and each tap vector feeds every output row of the
// band that uses it (ky = r - S * s): NS accumulators stay in registers, then bias, the fused
// activation and one store per output vector. Chunks that touch the left / right padding use
// masked loads (zeros outside the row); the others plain loads. Rows outside the image read
// the caller's zero row. Each band prefetches the input rows of the next one (see dw_plane).
#pragma once

#include "kernels/cpu/isa_depthwise.h"

namespace strix::kernels::cpu::STRIX_SIMD_NS {
namespace {

// Lane masks of a chunk's loads (EDGE chunks only; they depend on the column, not the row):
// stride 1: load kx reads columns [c0 + kx, c0 + kx + W); stride 2: loads 2i and 2i + 1 read
// [c0 + 2i, +W) and [c0 + 2i + W, +W) (the pair de-interleaved into taps 2i and 2i + 1).
template <int S, int K>
constexpr int dw_loads() {
  return S == 1 ? K : 2 * ((K + 1) / 2);
}

template <int S, int K>
inline void dw_masks(int64_t c0, int64_t w, uint32_t* m) {
  for (int i = 0; i < dw_loads<S, K>(); ++i)
    m[i] = in_row_lanes(S == 1 ? c0 + i : c0 + (i & ~1) + (i & 1) * kW, w);
}

// Load i of a chunk (offsets as in dw_masks), zero outside the row on EDGE chunks.
template <int S, bool EDGE>
inline T dw_load(const float* row, int64_t c0, int i, const uint32_t* m) {
  const int64_t off = S == 1 ? c0 + i : c0 + (i & ~1) + (i & 1) * kW;
  return EDGE ? V::maskz_load(m[i], row + off) : V::load(row + off);
}

// tap[kx][j] = row[c0 + S * j + kx] for kx < K, j < W (zero outside the row).
template <int S, int K, bool EDGE>
inline void dw_taps(const float* row, int64_t c0, const uint32_t* m, T* tap) {
  if (S == 1) {
#pragma GCC unroll 8
    for (int kx = 0; kx < K; ++kx) tap[kx] = dw_load<S, EDGE>(row, c0, kx, m);
  } else {
#pragma GCC unroll 8
    for (int kx = 0; kx < K; kx += 2) {
      T e, o;
      V::deinterleave(dw_load<S, EDGE>(row, c0, kx, m), dw_load<S, EDGE>(row, c0, kx + 1, m), &e,
                      &o);
      tap[kx] = e;
      if (kx + 1 < K) tap[kx + 1] = o;
    }
  }
}

// NS output rows of one W-column chunk; rows[r] is input row S * oy0 - pt + r, c0 the input
// column of the chunk's first tap, m its load masks (EDGE).
template <int NS, int S, int K, bool EDGE>
inline void dw_band(const float* const* rows, int64_t c0, const uint32_t* m, const T* wv, T vbias,
                    const Act* act, float* y, int64_t ow, uint32_t store_bits) {
  T acc[NS];
#pragma GCC unroll 8
  for (int s = 0; s < NS; ++s) acc[s] = vbias;
  // Opaque to the optimizer: the weights are loaded where they are used (one load each per
  // chunk, or a memory operand) instead of all K * K being hoisted out of the chunk loop into
  // registers, which spills the taps and accumulators for 5x5.
  asm("" : "+r"(wv));
  if (S == 1) {
    // Per tap column kx: the NS + K - 1 rows' tap vectors in registers, then each weight of
    // that column (one load or register) feeds the NS output rows that use it.
#pragma GCC unroll 8
    for (int kx = 0; kx < K; ++kx) {
      T tap[NS + K - 1];
#pragma GCC unroll 16
      for (int r = 0; r < NS + K - 1; ++r) tap[r] = dw_load<S, EDGE>(rows[r], c0, kx, m);
#pragma GCC unroll 8
      for (int ky = 0; ky < K; ++ky) {
        const T wk = wv[ky * K + kx];
#pragma GCC unroll 8
        for (int s = 0; s < NS; ++s) acc[s] = V::fma(wk, tap[s + ky], acc[s]);
      }
    }
  } else {
#pragma GCC unroll 16
    for (int r = 0; r < S * (NS - 1) + K; ++r) {
      T tap[K];
      dw_taps<S, K, EDGE>(rows[r], c0, m, tap);
#pragma GCC unroll 8
      for (int s = 0; s < NS; ++s) {
        const int ky = r - S * s;
        if (ky < 0 || ky >= K) continue;
#pragma GCC unroll 8
        for (int kx = 0; kx < K; ++kx) acc[s] = V::fma(wv[ky * K + kx], tap[kx], acc[s]);
      }
    }
  }
#pragma GCC unroll 8
  for (int s = 0; s < NS; ++s) {
    const T v = act != nullptr ? apply_act(*act, acc[s]) : acc[s];
    float* out = y + s * ow;
    if (store_bits == V::tail_bits(kW))
      V::store(out, v);
    else
      V::mask_store(out, store_bits, v);
    if (act != nullptr && act->kind == ActKind::kScalar)
      act->scalar(act->ctx, out, __builtin_popcount(store_bits));
  }
}

// Output rows per band: 4 accumulators per chunk (measured on AVX-512 against 2, 3, 6 and 8
// for 3x3 and 5x5, both strides, 14x14 to 112x112 planes: 4 was as fast or faster).
constexpr int kDwBandRows = 4;

template <int NS, int S, int K>
inline void dw_band_row(const ConvGeom& g, const float* const* rows, const T* wv, T vbias,
                        const Act* act, float* y) {
  for (int64_t ox0 = 0; ox0 < g.ow; ox0 += kW) {
    const uint32_t sb = tail(static_cast<int>(g.ow - ox0));
    const int64_t c0 = ox0 * S - g.pl;
    uint32_t m[dw_loads<S, K>()] = {};
    if (c0 >= 0 && c0 + K - 1 + S * kW <= g.w) {
      dw_band<NS, S, K, false>(rows, c0, m, wv, vbias, act, y + ox0, g.ow, sb);
    } else {
      dw_masks<S, K>(c0, g.w, m);
      dw_band<NS, S, K, true>(rows, c0, m, wv, vbias, act, y + ox0, g.ow, sb);
    }
  }
}

template <int S, int K>
void dw_plane(const ConvGeom& g, const float* x, const float* w, float bias, const Act* act,
              float* y, const float* zero_row) {
  constexpr int NS = kDwBandRows;
  constexpr int kRows = S * (NS - 1) + K;
  T wv[K * K];
  for (int t = 0; t < K * K; ++t) wv[t] = V::set1(w[t]);
  const T vbias = V::set1(bias);
  const float* rows[kRows];
  for (int32_t oy0 = 0; oy0 < g.oh; oy0 += NS) {
    const int ns = g.oh - oy0 < NS ? g.oh - oy0 : NS;
    const int nrows = S * (ns - 1) + K;
    for (int r = 0; r < nrows; ++r) {
      const int64_t iy = static_cast<int64_t>(oy0) * S - g.pt + r;
      rows[r] = iy >= 0 && iy < g.h ? x + iy * g.w : zero_row;
    }
    // Prefetch the rows the next band adds (past the last band: the first rows of the memory
    // that follows, the next channel's plane). Data its producer has just written is read much
    // faster this way (measured after a 1x1 conv or an elementwise op: 5.3 -> 3.5 ms for a
    // batch-8 3x3/2 on 96 x 112 x 112; prefetch never faults, also past the tensor's end).
    const int64_t ahead = static_cast<int64_t>(oy0 + NS) * S - g.pt + (K - S);
    for (int64_t iy = ahead < 0 ? 0 : ahead; iy < ahead + S * NS && iy < g.h + S * NS; ++iy)
      for (int64_t i = 0; i < g.w; i += 16) __builtin_prefetch(x + iy * g.w + i, 0, 3);
    float* yr = y + static_cast<int64_t>(oy0) * g.ow;
    if (ns == NS) {
      dw_band_row<NS, S, K>(g, rows, wv, vbias, act, yr);
    } else {
      for (int s = 0; s < ns; ++s)
        dw_band_row<1, S, K>(g, rows + S * s, wv, vbias, act, yr + s * g.ow);
    }
  }
}

void dw_plane_s1(const ConvGeom& g, const float* x, const float* w, float bias, const Act* act,
                 float* y, const float* zero_row) {
  if (g.kh == 3)
    dw_plane<1, 3>(g, x, w, bias, act, y, zero_row);
  else
    dw_plane<1, 5>(g, x, w, bias, act, y, zero_row);
}

void dw_plane_s2(const ConvGeom& g, const float* x, const float* w, float bias, const Act* act,
                 float* y, const float* zero_row) {
  if (g.kh == 3)
    dw_plane<2, 3>(g, x, w, bias, act, y, zero_row);
  else
    dw_plane<2, 5>(g, x, w, bias, act, y, zero_row);
}

}  // namespace

const IsaDepthwiseKernels* get_depthwise_kernels() {
  static const IsaDepthwiseKernels k = [] {
    IsaDepthwiseKernels t;
    t.plane_s1 = dw_plane_s1;
    t.plane_s2 = dw_plane_s2;
    return t;
  }();
  return &k;
}

}  // namespace strix::kernels::cpu::STRIX_SIMD_NS
