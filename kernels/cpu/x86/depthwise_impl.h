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
  for (int s = 0; s < NS; ++s) store_act(y + s * ow, acc[s], store_bits, act);
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

#if defined(STRIX_SIMD_AVX512)
// ---- small planes, flattened (isa_depthwise.h: DepthwiseFlatFn) --------------------------

// Chunk q holds the flat output positions [q * W, q * W + W) (the last one masked), i = oy * ow
// + ox. Stride 1 (ow == w): tap (ky, kx) of output i reads input i + d, d = (ky - pt) * w + kx -
// pl. Stride 2: the input plane is first split into its four phases (even / odd rows x even /
// odd columns), each [ceil(h / 2)][ow] in buf, so that the tap reads phase ((ky - pt) & 1,
// (kx - pl) & 1) at i + fa * ow + fb (fa, fb: the tap offsets halved, rounded down), again one
// run. Either way one masked load per tap and chunk: the lanes whose tap lies outside the
// image (left / right columns, rows above / below; with 2 * ow >= w, 2 * oh >= h every phase
// access past its plane is one of them) masked off. Masks and offsets depend only on the
// geometry: built once at prepare (DwFlatPlan). NQ: the chunk count rounded up to a few sizes (2,
// 4, 8, 13: 7x7 and 14x14 planes exactly); the chunks past the plane have empty masks and are not
// stored.
template <int S, int NQ>
void dw_flat_run(const ConvGeom& g, const DwFlatPlan& plan, const float* x, int64_t planes,
                 int64_t c, int64_t channels, const float* w, const float* bias, const Act* act,
                 float* y, float* buf) {
  const int taps = g.kh * g.kw;
  const int hw = g.h * g.w, out = g.oh * g.ow;
  const int64_t phase = static_cast<int64_t>((g.h + 1) / 2) * g.ow;  // stride 2: one phase
  const auto& m = plan.masks;
  const int64_t* d = plan.offsets;
  const int nq = (out + kW - 1) / kW;  // chunks of the plane (<= NQ)
  const uint32_t last = tail(out - (nq - 1) * kW);
  const uint32_t in0 = tail(g.w), in1 = tail(g.w - kW), ow_bits = tail(g.ow);
  for (int64_t p = 0; p < planes; ++p, x += hw, y += out) {
    const float* src = x;
    if (S == 2) {
      // kDwFlatS2Group planes are split at a time, then computed: the masked loads of the taps
      // then read phases stored long before (a load that overlaps a recent masked store waits
      // for it to reach the cache: measured 2x slower one plane at a time).
      const int64_t slot = p % kDwFlatS2Group;
      if (slot == 0) {
        const int64_t group = planes - p < kDwFlatS2Group ? planes - p : kDwFlatS2Group;
        for (int64_t j = 0; j < group; ++j) {
          // Row iy: even columns to phase (iy & 1, 0), odd ones to (iy & 1, 1), row iy / 2.
          for (int iy = 0; iy < g.h; ++iy) {
            const float* row = x + j * hw + static_cast<int64_t>(iy) * g.w;
            T e, o;
            V::deinterleave(V::maskz_load(in0, row), V::maskz_load(in1, row + kW), &e, &o);
            float* dst =
                buf + j * 4 * phase + (iy & 1) * 2 * phase + static_cast<int64_t>(iy / 2) * g.ow;
            V::mask_store(dst, ow_bits, e);
            V::mask_store(dst + phase, ow_bits, o);
          }
        }
      }
      src = buf + slot * 4 * phase;
    }
    const float* wc = w + c * taps;
    T acc[NQ];
    const T vb = V::set1(bias != nullptr ? bias[c] : 0.f);
#pragma GCC unroll 16
    for (int q = 0; q < NQ; ++q) acc[q] = vb;
    for (int t = 0; t < taps; ++t) {
      const T wt = V::set1(wc[t]);
      const float* xt = src + d[t];
#pragma GCC unroll 16
      for (int q = 0; q < NQ; ++q) acc[q] = V::fma(wt, V::maskz_load(m[t][q], xt + q * kW), acc[q]);
    }
#pragma GCC unroll 16
    for (int q = 0; q < NQ; ++q) {
      if (q >= nq) break;
      const T v = act != nullptr ? apply_act(*act, acc[q]) : acc[q];
      if (q + 1 < nq)
        V::store(y + q * kW, v);
      else
        V::mask_store(y + q * kW, last, v);
    }
    if (act != nullptr && act->kind == ActKind::kScalar) act->scalar(act->ctx, y, out);
    if (++c == channels) c = 0;
  }
}

template <int S>
void dw_flat(const ConvGeom& g, const DwFlatPlan& plan, const float* x, int64_t planes, int64_t c,
             int64_t channels, const float* w, const float* bias, const Act* act, float* y,
             float* buf) {
  static_assert(kDwFlatMaxChunks == 13, "chunk buckets");
  const int chunks = (g.oh * g.ow + kW - 1) / kW;
  if (chunks <= 2)
    dw_flat_run<S, 2>(g, plan, x, planes, c, channels, w, bias, act, y, buf);
  else if (chunks <= 4)
    dw_flat_run<S, 4>(g, plan, x, planes, c, channels, w, bias, act, y, buf);
  else if (chunks <= 8)
    dw_flat_run<S, 8>(g, plan, x, planes, c, channels, w, bias, act, y, buf);
  else
    dw_flat_run<S, 13>(g, plan, x, planes, c, channels, w, bias, act, y, buf);
}
#endif

}  // namespace

const IsaDepthwiseKernels* get_depthwise_kernels() {
  static const IsaDepthwiseKernels k = [] {
    IsaDepthwiseKernels t;
    t.plane_s1 = dw_plane_s1;
    t.plane_s2 = dw_plane_s2;
#if defined(STRIX_SIMD_AVX512)
    t.flat_s1 = dw_flat<1>;
    t.flat_s2 = dw_flat<2>;
#endif
    return t;
  }();
  return &k;
}

}  // namespace strix::kernels::cpu::STRIX_SIMD_NS
