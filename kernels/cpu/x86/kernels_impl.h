// kernels/cpu/x86/kernels_impl.h — the SIMD leaf routines of the optimized CPU backend,
// written once over the vector traits V and compiled once per ISA: avx2.cc (V = 8 floats,
// micro-kernel 6x16) and avx512.cc (V = 16 floats, micro-kernel 12x32) over x86/simd.h, and
// arm/neon.cc (V = 4 floats, micro-kernel 8x8) over arm/simd_neon.h. Contracts are in
// kernels/cpu/isa.h. Include only from those files, after their traits header.
//
// Micro-kernel: C[MR x 2W] += A-panel (broadcast, one float per row per k) x B-panel (two
// vectors per k). AVX-512: 12 x 32 = 24 zmm accumulators + 2 B vectors + 1 broadcast;
// AVX2: 6 x 16 = 12 ymm accumulators + 2 + 1; NEON: 8 x 8 = 16 of the 32 q registers
// + 2 + broadcasts. All are FMA-bound (loads per FMA < 1).
#pragma once

#include <cstring>

#include "kernels/cpu/isa.h"

namespace strix::kernels::cpu::STRIX_SIMD_NS {
namespace {

using T = V::T;
constexpr int kW = V::W;
constexpr int kNR = 2 * kW;
#if defined(STRIX_SIMD_AVX512)
constexpr int kMR = 12;
#elif defined(STRIX_SIMD_NEON)
constexpr int kMR = 8;
#else
constexpr int kMR = 6;
#endif

inline uint32_t tail(int n) { return n <= 0 ? 0u : V::tail_bits(n); }

// ---- activations -----------------------------------------------------------------------

// e^x, Cephes single-precision polynomial (about 1 ulp); x clamped to [-87.3, 88.4].
inline T vexp(T x) {
  x = V::min(V::max(x, V::set1(-87.3365447505531f)), V::set1(88.3762626647949f));
  T fx = V::round(V::mul(x, V::set1(1.44269504088896341f)));
  T r = V::fma(fx, V::set1(-0.693359375f), x);
  r = V::fma(fx, V::set1(2.12194440e-4f), r);
  T y = V::set1(1.9875691500e-4f);
  y = V::fma(y, r, V::set1(1.3981999507e-3f));
  y = V::fma(y, r, V::set1(8.3334519073e-3f));
  y = V::fma(y, r, V::set1(4.1665795894e-2f));
  y = V::fma(y, r, V::set1(1.6666665459e-1f));
  y = V::fma(y, r, V::set1(5.0000001201e-1f));
  y = V::fma(y, V::mul(r, r), V::add(r, V::set1(1.f)));
  return V::mul(y, V::pow2i(fx));
}

inline T apply_act(const Act& a, T x) {
  switch (a.kind) {
    case ActKind::kNone: return x;
    case ActKind::kRelu: return V::max(x, V::zero());
    case ActKind::kClip: return V::min(V::max(x, V::set1(a.alpha)), V::set1(a.beta));
    case ActKind::kLeakyRelu: return V::select_ge0(x, V::mul(x, V::set1(a.alpha)));
    case ActKind::kHardSigmoid: {
      T y = V::add(V::mul(V::set1(a.alpha), x), V::set1(a.beta));
      return V::min(V::max(y, V::zero()), V::set1(1.f));
    }
    case ActKind::kHardSwish: {
      T y = V::add(V::div(x, V::set1(6.f)), V::set1(0.5f));
      return V::mul(x, V::min(V::max(y, V::zero()), V::set1(1.f)));
    }
    case ActKind::kSigmoid:
      return V::div(V::set1(1.f), V::add(V::set1(1.f), vexp(V::sub(V::zero(), x))));
    case ActKind::kSiLU: return V::div(x, V::add(V::set1(1.f), vexp(V::sub(V::zero(), x))));
    case ActKind::kScalar: return x;  // applied by the caller after the store
  }
  return x;
}

// Stores one vector of outputs with the fused activation: all kW lanes, or the lanes of
// store_bits (a tail mask); a scalar activation then runs over the stored values.
inline void store_act(float* out, T v, uint32_t store_bits, const Act* act) {
  if (act != nullptr) v = apply_act(*act, v);
  if (store_bits == V::tail_bits(kW))
    V::store(out, v);
  else
    V::mask_store(out, store_bits, v);
  if (act != nullptr && act->kind == ActKind::kScalar)
    act->scalar(act->ctx, out, __builtin_popcount(store_bits));
}

// ---- GEMM --------------------------------------------------------------------------------

// a_next: the A panel the caller runs next (prefetched into L2 while this one computes, so
// that weights streaming from memory overlap the arithmetic), or null. res: null, or the
// residual added (row stride ldr, like c) before act (GemmPanelArgs::residual). c_next: the
// C tile the caller runs next (same rows, prefetched for writing), or null. b_ahead > 0: B
// is read b_ahead floats ahead (GemmPanelArgs::b_ahead).
template <int MR, int NV>
void ukernel(int kc, const float* __restrict a, const float* __restrict b, float* c, int64_t ldc,
             int nvalid, const float* row_bias, const float* col_bias, bool first, const Act* act,
             const float* a_next, const float* res, int64_t ldr, const float* c_next, int b_ahead,
             int64_t ldb) {
  T acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = V::zero();
  // a_next (kMR floats per k) is prefetched one k step at a time, spread over the loop so
  // that the misses overlap the arithmetic instead of queuing up front.
  const char* pf = reinterpret_cast<const char*>(a_next);
#pragma GCC unroll 2
  for (int k = 0; k < kc; ++k) {
    if (pf != nullptr) __builtin_prefetch(pf + k * (kMR * 4), 0, 2);  // T1 / L2
    if (b_ahead > 0) __builtin_prefetch(b + b_ahead, 0, 3);
    // The next tile's C rows, for writing, one row per k step: its stores then find the lines
    // in cache (measured, AVX-512, 1 thread, batch 8: 1x1 16 -> 64 at 112x112 1.98 -> 1.87 ms,
    // ResNet-50's nodes 347 -> 342 ms in all).
    if (c_next != nullptr && k < MR) {
      __builtin_prefetch(c_next + k * ldc, 1, 3);
      __builtin_prefetch(c_next + k * ldc + (kNR - 1), 1, 3);
    }
    T b0 = V::load(b);
    T b1 = NV > 1 ? V::load(b + kW) : b0;
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      T ar = V::set1(a[r]);
      acc[r][0] = V::fma(ar, b0, acc[r][0]);
      if (NV > 1) acc[r][NV - 1] = V::fma(ar, b1, acc[r][NV - 1]);
    }
    a += kMR;
    b += ldb;
  }
  const bool full = nvalid >= NV * kW;
  const uint32_t m0 = tail(nvalid), m1 = tail(nvalid - kW);
  T cb0 = V::zero(), cb1 = V::zero();
  if (first && col_bias != nullptr) {
    cb0 = full ? V::load(col_bias) : V::maskz_load(m0, col_bias);
    if (NV > 1) cb1 = full ? V::load(col_bias + kW) : V::maskz_load(m1, col_bias + kW);
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    float* cr = c + r * ldc;
    T x0 = acc[r][0];
    T x1 = acc[r][NV - 1];
    if (first) {
      if (row_bias != nullptr) {
        T rb = V::set1(row_bias[r]);
        x0 = V::add(x0, rb);
        x1 = V::add(x1, rb);
      }
      if (col_bias != nullptr) {
        x0 = V::add(x0, cb0);
        x1 = V::add(x1, cb1);
      }
    } else if (full) {
      x0 = V::add(x0, V::load(cr));
      if (NV > 1) x1 = V::add(x1, V::load(cr + kW));
    } else {
      x0 = V::add(x0, V::maskz_load(m0, cr));
      if (NV > 1) x1 = V::add(x1, V::maskz_load(m1, cr + kW));
    }
    if (res != nullptr) {
      const float* rr = res + r * ldr;
      x0 = V::add(x0, full ? V::load(rr) : V::maskz_load(m0, rr));
      if (NV > 1) x1 = V::add(x1, full ? V::load(rr + kW) : V::maskz_load(m1, rr + kW));
    }
    if (act != nullptr) {
      x0 = apply_act(*act, x0);
      if (NV > 1) x1 = apply_act(*act, x1);
    }
    if (full) {
      V::store(cr, x0);
      if (NV > 1) V::store(cr + kW, x1);
    } else {
      V::mask_store(cr, m0, x0);
      if (NV > 1) V::mask_store(cr + kW, m1, x1);
    }
  }
  if (act != nullptr && act->kind == ActKind::kScalar) {
    for (int r = 0; r < MR; ++r) act->scalar(act->ctx, c + r * ldc, nvalid);
  }
}

using UKernel = void (*)(int, const float*, const float*, float*, int64_t, int, const float*,
                         const float*, bool, const Act*, const float*, const float*, int64_t,
                         const float*, int, int64_t);

template <int... R>
struct UKernelTable {
  static constexpr UKernel one[] = {ukernel<R + 1, 1>...};
  static constexpr UKernel two[] = {ukernel<R + 1, 2>...};
};

#if defined(STRIX_SIMD_AVX512)
using Table = UKernelTable<0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11>;
#elif defined(STRIX_SIMD_NEON)
using Table = UKernelTable<0, 1, 2, 3, 4, 5, 6, 7>;
#else
using Table = UKernelTable<0, 1, 2, 3, 4, 5>;
#endif

void gemm_panel(const GemmPanelArgs& g) {
  const UKernel* last = g.nvalid > kW ? Table::two : Table::one;
  const int64_t ldb = g.ldb > 0 ? g.ldb : kNR;
  for (int64_t p = g.p0; p < g.p1; ++p) {
    const int64_t m = g.rows[p];
    const int mr = g.rows[p + 1] - g.rows[p];
    const float* a = g.a + p * g.a_panel_stride;
    float* c = g.c + m * g.ldc;
    const float* rb = g.row_bias ? g.row_bias + m : nullptr;
    // The next A panel is prefetched during this panel's first micro-kernel.
    const float* a_next = p + 1 < g.p1 ? a + g.a_panel_stride : g.prefetch;
    const float* res = g.residual ? g.residual + m * g.ldr : nullptr;
    for (int64_t j = 0; j + 1 < g.b_panels; ++j) {
      Table::two[mr - 1](g.kc, a, g.b + j * g.b_panel_stride, c + j * kNR, g.ldc, kNR, rb,
                         g.col_bias ? g.col_bias + j * kNR : nullptr, g.first, g.act,
                         j == 0 ? a_next : nullptr, res ? res + j * kNR : nullptr, g.ldr,
                         c + (j + 1) * kNR, g.b_ahead, ldb);
    }
    const int64_t j = g.b_panels - 1;
    last[mr - 1](g.kc, a, g.b + j * g.b_panel_stride, c + j * kNR, g.ldc, g.nvalid, rb,
                 g.col_bias ? g.col_bias + j * kNR : nullptr, g.first, g.act,
                 j == 0 ? a_next : nullptr, res ? res + j * kNR : nullptr, g.ldr, nullptr,
                 g.b_ahead, ldb);
  }
}

void pack_b_rows(const float* b, int64_t ldb, int64_t n0, int nvalid, int64_t k0, int kc,
                 float* dst) {
  const float* src = b + k0 * ldb + n0;
  if (nvalid == kNR) {
    for (int k = 0; k < kc; ++k, src += ldb, dst += kNR) {
      V::store(dst, V::load(src));
      V::store(dst + kW, V::load(src + kW));
    }
    return;
  }
  const uint32_t m0 = tail(nvalid), m1 = tail(nvalid - kW);
  for (int k = 0; k < kc; ++k, src += ldb, dst += kNR) {
    V::store(dst, V::maskz_load(m0, src));
    V::store(dst + kW, V::maskz_load(m1, src + kW));
  }
}

// Implicit im2col. Per half-panel of W lanes, lanes are grouped into runs of one output row;
// with stride_w 1 a run reads contiguous input, so each k costs one masked load per run.
// Otherwise (stride_w > 1, or more than kMaxRuns rows in W lanes) a masked gather.
constexpr int kMaxTaps = 16;  // kh, kw <= 16 (the driver checks)
constexpr int kMaxRuns = 4;

struct HalfPanel {
  uint32_t ymask[kMaxTaps];
  uint32_t xmask[kMaxTaps];
  uint32_t run_bits[kMaxRuns];
  int32_t run_off[kMaxRuns];  // lane j of a run reads x[run_off + j + delta]
  int32_t off[kW];            // lane j reads x[off[j] + delta]
  int nruns = 0;
  bool gather = false;
  bool any = false;
};

void setup_half(const ConvGeom& g, int64_t n_first, int lanes, HalfPanel* hp) {
  for (int t = 0; t < g.kh; ++t) hp->ymask[t] = 0;
  for (int t = 0; t < g.kw; ++t) hp->xmask[t] = 0;
  hp->nruns = 0;
  hp->gather = g.sw != 1 && g.half == 0;
  hp->any = lanes > 0;
  int last_oy = -1;
  // Output position of lane 0, then stepped lane by lane (no division per lane: for convs with
  // a small K this set-up is a large part of the packing).
  int oy = static_cast<int>(n_first / g.ow), ox = static_cast<int>(n_first % g.ow);
  for (int j = 0; j < kW; ++j, ++ox) {
    if (ox == g.ow) {
      ox = 0;
      ++oy;
    }
    hp->off[j] = 0;
    if (j >= lanes) continue;
    int iy0 = oy * g.sh - g.pt, ix0 = ox * g.sw - g.pl;
    // De-interleaved: lane j starts at column ox of its row's even half; tap_offsets adds
    // the tap's parity and column.
    hp->off[j] = g.half > 0 ? iy0 * 2 * g.half + ox : iy0 * g.w + ix0;
    for (int t = 0; t < g.kh; ++t) {
      int iy = iy0 + t * g.dh;
      if (iy >= 0 && iy < g.h) hp->ymask[t] |= 1u << j;
    }
    for (int t = 0; t < g.kw; ++t) {
      int ix = ix0 + t * g.dw;
      if (ix >= 0 && ix < g.w) hp->xmask[t] |= 1u << j;
    }
    if (oy != last_oy) {
      if (hp->nruns == kMaxRuns) {
        hp->gather = true;
      } else {
        hp->run_bits[hp->nruns] = 0;
        hp->run_off[hp->nruns] = hp->off[j] - j;
        ++hp->nruns;
      }
      last_oy = oy;
    }
    if (hp->nruns > 0) hp->run_bits[hp->nruns - 1] |= 1u << j;
  }
}

inline T load_half(const HalfPanel& hp, const float* xk, uint32_t bits) {
  if (bits == 0) return V::zero();
  if (hp.gather) return V::mask_gather(V::zero(), bits, hp.off, xk);
  T v = V::zero();
  for (int r = 0; r < hp.nruns; ++r) {
    uint32_t rb = bits & hp.run_bits[r];
    if (rb) v = V::mask_load(v, rb, xk + hp.run_off[r]);
  }
  return v;
}

// Input offsets of the taps relative to HalfPanel::off: row step (per ky) and column offset
// per kx. De-interleaved (g.half > 0): tap column t = kx - pl of output column ox reads input
// column 2 ox + t, in the half of t's parity at index ox + floor(t / 2).
struct TapOffsets {
  int64_t plane = 0, row = 0;
  int32_t col[kMaxTaps];
};

inline void tap_offsets(const ConvGeom& g, TapOffsets* t) {
  const int64_t stride = g.half > 0 ? 2 * static_cast<int64_t>(g.half) : g.w;
  t->plane = static_cast<int64_t>(g.h) * stride;
  t->row = g.dh * stride;
  for (int kx = 0; kx < g.kw; ++kx) {
    if (g.half > 0) {
      const int tc = kx - g.pl;
      const int par = tc & 1;  // two's complement: parity of negative tc too
      t->col[kx] = par * g.half + (tc - par) / 2;
    } else {
      t->col[kx] = kx * g.dw;
    }
  }
}

void pack_b_conv(const ConvGeom& g, const float* x, int64_t n0, int nvalid, int64_t k0, int kc,
                 float* dst) {
  HalfPanel h0, h1;
  setup_half(g, n0, nvalid < kW ? nvalid : kW, &h0);
  setup_half(g, n0 + kW, nvalid - kW, &h1);
  TapOffsets to;
  tap_offsets(g, &to);
  const int taps = g.kh * g.kw;
  int64_t c = k0 / taps;
  int rem = static_cast<int>(k0 % taps);
  int ky = rem / g.kw, kx = rem % g.kw;
  for (int k = 0; k < kc; ++k, dst += kNR) {
    const float* xk = x + c * to.plane + ky * to.row + to.col[kx];
    V::store(dst, load_half(h0, xk, h0.ymask[ky] & h0.xmask[kx]));
    V::store(dst + kW, h1.any ? load_half(h1, xk, h1.ymask[ky] & h1.xmask[kx]) : V::zero());
    if (++kx == g.kw) {
      kx = 0;
      if (++ky == g.kh) {
        ky = 0;
        ++c;
      }
    }
  }
}

// Implicit im2col, transposed: the A panel of `rows` (<= kMR) output positions n0.. of one
// image, dst[k * kMR + r] = im2col[k0 + k][n0 + r]; slots r >= rows are stored as 0. Lanes
// are grouped into runs exactly as for pack_b_conv (one masked load per run and k).
void pack_a_conv(const ConvGeom& g, const float* x, int64_t n0, int rows, int64_t k0, int kc,
                 float* dst) {
  constexpr int kParts = (kMR + kW - 1) / kW;
  HalfPanel h[kParts];
  uint32_t store_bits[kParts];
  for (int i = 0; i < kParts; ++i) {
    const int lanes = rows - i * kW;
    setup_half(g, n0 + i * kW, lanes < 0 ? 0 : (lanes > kW ? kW : lanes), &h[i]);
    store_bits[i] = tail(kMR - i * kW);
  }
  TapOffsets to;
  tap_offsets(g, &to);
  const int taps = g.kh * g.kw;
  int64_t c = k0 / taps;
  int rem = static_cast<int>(k0 % taps);
  int ky = rem / g.kw, kx = rem % g.kw;
  for (int k = 0; k < kc; ++k, dst += kMR) {
    const float* xk = x + c * to.plane + ky * to.row + to.col[kx];
#pragma GCC unroll 4
    for (int i = 0; i < kParts; ++i) {
      T v = h[i].any ? load_half(h[i], xk, h[i].ymask[ky] & h[i].xmask[kx]) : V::zero();
      if (store_bits[i] == V::tail_bits(kW))
        V::store(dst + i * kW, v);
      else
        V::mask_store(dst + i * kW, store_bits[i], v);
    }
    if (++kx == g.kw) {
      kx = 0;
      if (++ky == g.kh) {
        ky = 0;
        ++c;
      }
    }
  }
}

// ---- sliding windows (depthwise conv, pooling) ------------------------------------------

// Lanes i of a W-lane chunk starting at padded column p whose input column p + i - pl is
// in [0, w).
inline uint32_t valid_lanes(int64_t p, int64_t pl, int64_t w) {
  const int64_t lo = pl - p, hi = pl + w - p;
  if (hi <= 0 || lo >= kW) return 0;
  return tail(static_cast<int>(hi < kW ? hi : kW)) & ~tail(static_cast<int>(lo > 0 ? lo : 0));
}

// One input row (or the fill) as a chunk of W padded columns starting at p. Masked-off
// lanes are never read (masked loads do not fault).
inline T row_chunk(const float* src, int64_t p, int64_t pl, int64_t w, T vfill) {
  const uint32_t bits = valid_lanes(p, pl, w);
  if (bits == V::tail_bits(kW)) return V::load(src + (p - pl));
  if (bits == 0) return vfill;
  return V::mask_load(vfill, bits, src + (p - pl));
}

// pw (sw == 1) and half (sw == 2) are multiples of W (plan_window_geometry).
void pad_plane(const float* x, int32_t h, int32_t w, int32_t pt, int32_t pl, int32_t rows,
               int32_t sw, int64_t pw, int64_t half, float fill, float* dst) {
  const T vfill = V::set1(fill);
  for (int32_t r = 0; r < rows; ++r, dst += pw) {
    const int32_t iy = r - pt;
    if (iy < 0 || iy >= h) {
      for (int64_t j = 0; j < pw; j += kW) V::store(dst + j, vfill);
      continue;
    }
    const float* src = x + static_cast<int64_t>(iy) * w;
    if (sw == 1) {
      for (int64_t p = 0; p < pw; p += kW) V::store(dst + p, row_chunk(src, p, pl, w, vfill));
      continue;
    }
    // De-interleaved: padded column p goes to dst[p / 2 + (p % 2) * half].
    for (int64_t p = 0; p < 2 * half; p += 2 * kW) {
      T e, o;
      V::deinterleave(row_chunk(src, p, pl, w, vfill), row_chunk(src, p + kW, pl, w, vfill), &e,
                      &o);
      V::store(dst + p / 2, e);
      V::store(dst + half + p / 2, o);
    }
  }
}

constexpr int kMaxWindowTaps = 64;

template <int NS>
inline void window_group(const WindowGeom& g, WindowOp op, const float* const* src,
                         const int64_t* tap_off, int taps, const T* wv, float bias,
                         const float* const* counts, const Act* act, float* const* dst,
                         const uint32_t* bits) {
  T acc[NS];
  const T init = op == WindowOp::kMax ? V::set1(-__builtin_inff())
                                      : (op == WindowOp::kWeighted ? V::set1(bias) : V::zero());
#pragma GCC unroll 8
  for (int s = 0; s < NS; ++s) acc[s] = init;
  if (op == WindowOp::kMax) {
    for (int t = 0; t < taps; ++t) {
#pragma GCC unroll 8
      for (int s = 0; s < NS; ++s) acc[s] = V::max(acc[s], V::load(src[s] + tap_off[t]));
    }
  } else if (op == WindowOp::kAvg) {
    for (int t = 0; t < taps; ++t) {
#pragma GCC unroll 8
      for (int s = 0; s < NS; ++s) acc[s] = V::add(acc[s], V::load(src[s] + tap_off[t]));
    }
  } else {
    for (int t = 0; t < taps; ++t) {
#pragma GCC unroll 8
      for (int s = 0; s < NS; ++s) acc[s] = V::fma(wv[t], V::load(src[s] + tap_off[t]), acc[s]);
    }
  }
#pragma GCC unroll 8
  for (int s = 0; s < NS; ++s) {
    T v = acc[s];
    if (op == WindowOp::kAvg) v = V::div(v, V::maskz_load(bits[s], counts[s]));
    if (act != nullptr) v = apply_act(*act, v);
    if (bits[s] == V::tail_bits(kW))
      V::store(dst[s], v);
    else
      V::mask_store(dst[s], bits[s], v);
  }
}

void window(const WindowGeom& g, WindowOp op, const float* plane, const float* w, float bias,
            const float* counts, const Act* act, float* y) {
  const int taps = g.kh * g.kw;
  int64_t tap_off[kMaxWindowTaps];
  T wv[kMaxWindowTaps];
  for (int ky = 0; ky < g.kh; ++ky) {
    for (int kx = 0; kx < g.kw; ++kx) {
      int t = ky * g.kw + kx;
      tap_off[t] = ky * g.pw + (g.sw == 1 ? kx : (kx & 1) * g.half + (kx >> 1));
      wv[t] = op == WindowOp::kWeighted ? V::set1(w[t]) : V::zero();
    }
  }
  constexpr int kGroup = 8;
  const float* src[kGroup];
  const float* cnt[kGroup];
  float* dst[kGroup];
  uint32_t bits[kGroup];
  int ns = 0;
  auto flush = [&]() {
    int s = 0;
    if (ns == kGroup) {
      window_group<kGroup>(g, op, src, tap_off, taps, wv, bias, cnt, act, dst, bits);
      s = kGroup;
    }
    if (ns - s >= 4) {
      window_group<4>(g, op, src + s, tap_off, taps, wv, bias, cnt + s, act, dst + s, bits + s);
      s += 4;
    }
    if (ns - s >= 2) {
      window_group<2>(g, op, src + s, tap_off, taps, wv, bias, cnt + s, act, dst + s, bits + s);
      s += 2;
    }
    if (ns - s >= 1)
      window_group<1>(g, op, src + s, tap_off, taps, wv, bias, cnt + s, act, dst + s, bits + s);
    if (act != nullptr && act->kind == ActKind::kScalar) {
      for (int s = 0; s < ns; ++s) act->scalar(act->ctx, dst[s], __builtin_popcount(bits[s]));
    }
    ns = 0;
  };
  for (int32_t oy = 0; oy < g.oh; ++oy) {
    const float* row = plane + static_cast<int64_t>(oy) * g.sh * g.pw;
    for (int32_t ox = 0; ox < g.ow; ox += kW) {
      src[ns] = row + ox;
      int64_t o = static_cast<int64_t>(oy) * g.ow + ox;
      cnt[ns] = counts ? counts + o : nullptr;
      dst[ns] = y + o;
      bits[ns] = tail(g.ow - ox);
      if (++ns == kGroup) flush();
    }
  }
  flush();
}

// ---- max pooling, 3 wide, stride_w 2, straight from the input plane -------------------------

// Output row by output row: the max over the window's input rows (rows outside the image are
// skipped, columns outside are -inf) of padded columns [0, 2 * half) goes de-interleaved into
// buf (even padded columns E, then the odd ones O at buf + half), then y[ox] = max(E[ox],
// O[ox], E[ox + 1]): padded columns 2 ox .. 2 ox + 2. No padded copy of the plane; each input
// row is read once per output row that uses it. half: a multiple of W, >= ow + 1; buf holds
// 2 * half floats.
void max_pool_w3s2(const ConvGeom& g, const float* x, float* y, float* buf, int64_t half) {
  const T ninf = V::set1(-__builtin_inff());
  float* e = buf;
  float* o = buf + half;
  for (int32_t oy = 0; oy < g.oh; ++oy) {
    const float* rows[16];
    int nrows = 0;
    for (int32_t ky = 0; ky < g.kh; ++ky) {
      const int32_t iy = oy * g.sh - g.pt + ky;
      if (iy >= 0 && iy < g.h && nrows < 16) rows[nrows++] = x + static_cast<int64_t>(iy) * g.w;
    }
    for (int64_t p = 0; p < 2 * half; p += 2 * kW) {
      T a = ninf, b = ninf;
      const uint32_t ba = valid_lanes(p, g.pl, g.w), bb = valid_lanes(p + kW, g.pl, g.w);
      for (int r = 0; r < nrows; ++r) {
        const float* src = rows[r] + (p - g.pl);
        if (ba == V::tail_bits(kW))
          a = V::max(a, V::load(src));
        else if (ba != 0)
          a = V::max(a, V::mask_load(ninf, ba, src));
        if (bb == V::tail_bits(kW))
          b = V::max(b, V::load(src + kW));
        else if (bb != 0)
          b = V::max(b, V::mask_load(ninf, bb, src + kW));
      }
      T ev, od;
      V::deinterleave(a, b, &ev, &od);
      V::store(e + p / 2, ev);
      V::store(o + p / 2, od);
    }
    float* out = y + static_cast<int64_t>(oy) * g.ow;
    int32_t ox = 0;
    for (; ox + kW <= g.ow; ox += kW)
      V::store(out + ox, V::max(V::max(V::load(e + ox), V::load(o + ox)), V::load(e + ox + 1)));
    if (ox < g.ow)
      V::mask_store(out + ox, tail(g.ow - ox),
                    V::max(V::max(V::load(e + ox), V::load(o + ox)), V::load(e + ox + 1)));
  }
}

// ---- depthwise conv, stride 1, straight from the input plane ----------------------------

// Lanes j of a chunk whose input column ix0 + j lies in [0, w).
inline uint32_t in_row_lanes(int64_t ix0, int64_t w) {
  const int64_t lo = -ix0, hi = w - ix0;
  if (hi <= 0 || lo >= kW) return 0;
  return tail(static_cast<int>(hi < kW ? hi : kW)) & ~tail(static_cast<int>(lo > 0 ? lo : 0));
}

// NS output rows oy0.. of one chunk of columns [ox0, ox0 + W): rows[s][ky] is the input row
// of output row s for tap row ky (the zero row outside the image).
template <int NS>
inline void dw_s1_group(const ConvGeom& g, const float* const (*rows)[8], int64_t ox0, const T* wv,
                        float bias, const Act* act, float* y, uint32_t store_bits) {
  // Per tap column: the lanes inside the row (masked loads at the left and right edges).
  uint32_t bits[8];
  for (int kx = 0; kx < g.kw; ++kx) bits[kx] = in_row_lanes(ox0 - g.pl + kx, g.w);
  T acc[NS];
#pragma GCC unroll 8
  for (int s = 0; s < NS; ++s) acc[s] = V::set1(bias);
  for (int ky = 0; ky < g.kh; ++ky) {
    // The NS input rows of this tap row stay in registers across the kx loop.
    const float* r[NS];
#pragma GCC unroll 8
    for (int s = 0; s < NS; ++s) r[s] = rows[s][ky] + (ox0 - g.pl);
    for (int kx = 0; kx < g.kw; ++kx) {
      const uint32_t b = bits[kx];
      if (b == 0) continue;
      const T w = wv[ky * g.kw + kx];
      if (b == V::tail_bits(kW)) {
#pragma GCC unroll 8
        for (int s = 0; s < NS; ++s) acc[s] = V::fma(w, V::load(r[s] + kx), acc[s]);
      } else {
#pragma GCC unroll 8
        for (int s = 0; s < NS; ++s) acc[s] = V::fma(w, V::maskz_load(b, r[s] + kx), acc[s]);
      }
    }
  }
#pragma GCC unroll 8
  for (int s = 0; s < NS; ++s)
    store_act(y + s * static_cast<int64_t>(g.ow) + ox0, acc[s], store_bits, act);
}

// One plane of a stride-1, undilated depthwise conv (kh, kw <= 8): y = act(bias + sum w * x)
// with padding pt/pl (zero outside the image), no padded copy: out-of-row lanes are masked
// loads, out-of-image rows read `zero_row` (w zeros).
void depthwise_s1(const ConvGeom& g, const float* x, const float* w, float bias, const Act* act,
                  float* y, const float* zero_row) {
  T wv[64];
  for (int t = 0; t < g.kh * g.kw; ++t) wv[t] = V::set1(w[t]);
  const float* rows[8][8];
  for (int oy0 = 0; oy0 < g.oh; oy0 += 8) {
    const int ns = g.oh - oy0 < 8 ? g.oh - oy0 : 8;
    for (int s = 0; s < ns; ++s) {
      for (int ky = 0; ky < g.kh; ++ky) {
        const int iy = oy0 + s - g.pt + ky;
        rows[s][ky] = iy >= 0 && iy < g.h ? x + static_cast<int64_t>(iy) * g.w : zero_row;
      }
    }
    float* yr = y + static_cast<int64_t>(oy0) * g.ow;
    for (int64_t ox0 = 0; ox0 < g.ow; ox0 += kW) {
      const uint32_t sb = tail(static_cast<int>(g.ow - ox0));
      int s = 0;
      if (ns == 8) {
        dw_s1_group<8>(g, rows, ox0, wv, bias, act, yr, sb);
        continue;
      }
      if (ns - s >= 4) {
        dw_s1_group<4>(g, rows + s, ox0, wv, bias, act, yr + s * g.ow, sb);
        s += 4;
      }
      if (ns - s >= 2) {
        dw_s1_group<2>(g, rows + s, ox0, wv, bias, act, yr + s * g.ow, sb);
        s += 2;
      }
      if (ns - s >= 1) dw_s1_group<1>(g, rows + s, ox0, wv, bias, act, yr + s * g.ow, sb);
    }
  }
}

// ---- depthwise conv with channels on the lanes ---------------------------------------------

// Up to kW channels (planes) at once, one per lane (small planes: every lane busy whatever the
// plane width). The planes' padded input is gathered into buf as [ph][pw][kW] (plane l of
// pixel (py, px) at (py * pw + px) * kW + l; the fill outside the image: 0, or -inf for kMax),
// then each output pixel is one vector: kWeighted: bias + sum over taps of w[t] * tap, then
// act; kMax: the max of the taps. Scattered back to the NCHW planes.
void window_lanes(const ConvGeom& g, WindowOp op, const float* x, int64_t in_plane, int nch,
                  const float* w, const float* bias, const Act* act, float* y, int64_t out_plane,
                  float* buf) {
  const bool max = op == WindowOp::kMax;
  const T fill = max ? V::set1(-__builtin_inff()) : V::zero();
  const int ph = (g.oh - 1) * g.sh + g.kh, pw = (g.ow - 1) * g.sw + g.kw;
  const uint32_t bits = tail(nch);
  int32_t idx[kW];
  for (int l = 0; l < kW; ++l) idx[l] = l < nch ? static_cast<int32_t>(l * in_plane) : 0;
  for (int py = 0; py < ph; ++py) {
    const int iy = py - g.pt;
    float* row = buf + static_cast<int64_t>(py) * pw * kW;
    for (int px = 0; px < pw; ++px) {
      const int ix = px - g.pl;
      const bool inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
      V::store(row + px * kW, inside ? V::mask_gather(fill, bits, idx, x + iy * g.w + ix) : fill);
    }
  }
  const T init = max ? fill : V::load(bias);
  int32_t oidx[kW];
  for (int l = 0; l < kW; ++l) oidx[l] = l < nch ? static_cast<int32_t>(l * out_plane) : 0;
  // Four output pixels of a row at a time: independent accumulators hide the FMA latency and
  // share each weight load.
  constexpr int kPix = 4;
  for (int oy = 0; oy < g.oh; ++oy) {
    for (int ox0 = 0; ox0 < g.ow; ox0 += kPix) {
      const int np = g.ow - ox0 < kPix ? g.ow - ox0 : kPix;
      const float* base = buf + (static_cast<int64_t>(oy) * g.sh * pw + ox0 * g.sw) * kW;
      const int64_t step = static_cast<int64_t>(g.sw) * kW;  // next output pixel
      T acc[kPix];
#pragma GCC unroll 4
      for (int i = 0; i < kPix; ++i) acc[i] = init;
      for (int ky = 0, t = 0; ky < g.kh; ++ky) {
        const float* r = base + static_cast<int64_t>(ky) * pw * kW;
        for (int kx = 0; kx < g.kw; ++kx, ++t) {
          const float* tap = r + kx * kW;
          if (max) {
#pragma GCC unroll 4
            for (int i = 0; i < kPix; ++i)
              if (i < np) acc[i] = V::max(acc[i], V::load(tap + i * step));
          } else {
            const T wt = V::load(w + t * kW);
#pragma GCC unroll 4
            for (int i = 0; i < kPix; ++i)
              if (i < np) acc[i] = V::fma(wt, V::load(tap + i * step), acc[i]);
          }
        }
      }
      for (int i = 0; i < np; ++i) {
        T v = acc[i];
        if (act != nullptr) v = apply_act(*act, v);
        if (act != nullptr && act->kind == ActKind::kScalar) {
          alignas(64) float tmp[kW];
          V::store(tmp, v);
          act->scalar(act->ctx, tmp, nch);
          v = V::load(tmp);
        }
        V::mask_scatter(y + static_cast<int64_t>(oy) * g.ow + ox0 + i, bits, oidx, v);
      }
    }
  }
}

// ---- Winograd F(2x2, 3x3) transforms -----------------------------------------------------

// V = B^T d B for `count` consecutive 4x4 input tiles along x; d[i][j] of tile t is padded
// row i, padded column 2t + j of a de-interleaved plane (isa.h: even columns, then the odd
// ones `half` floats later; rows pw apart). V[i * 4 + j] of tile t -> dst[(i * 4 + j) *
// xi_stride + t]. Reads columns up to count + W of each half (the caller pads).
void winograd_input(const float* plane, int64_t pw, int64_t half, int count, float* dst,
                    int64_t xi_stride) {
  for (int t0 = 0; t0 < count; t0 += kW) {
    const uint32_t bits = tail(count - t0);
    T d[4][4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      const float* row = plane + i * pw + t0;
      d[i][0] = V::load(row);
      d[i][1] = V::load(row + half);
      d[i][2] = V::load(row + 1);
      d[i][3] = V::load(row + half + 1);
    }
    T tt[4][4];
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      tt[0][j] = V::sub(d[0][j], d[2][j]);
      tt[1][j] = V::add(d[1][j], d[2][j]);
      tt[2][j] = V::sub(d[2][j], d[1][j]);
      tt[3][j] = V::sub(d[1][j], d[3][j]);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      T v[4] = {V::sub(tt[i][0], tt[i][2]), V::add(tt[i][1], tt[i][2]), V::sub(tt[i][2], tt[i][1]),
                V::sub(tt[i][1], tt[i][3])};
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) {
        float* o = dst + (i * 4 + j) * xi_stride + t0;
        if (bits == V::tail_bits(kW))
          V::store(o, v[j]);
        else
          V::mask_store(o, bits, v[j]);
      }
    }
  }
}

// Y = A^T M A (+ bias, + res, then act) for `count` consecutive tiles along x: M[i * 4 + j] of
// tile t is m[(i * 4 + j) * xi_stride + t]; output row r < rows (1 or 2) of the tiles goes to
// y + r * ldy, columns [0, cols) (cols <= 2 * count); res (or null) is laid out like y.
void winograd_output(const float* m, int64_t xi_stride, int count, float bias, const Act* act,
                     float* y, int64_t ldy, int rows, int cols, const float* res) {
  const T vb = V::set1(bias);
  for (int t0 = 0; t0 < count; t0 += kW) {
    const uint32_t bits = tail(count - t0);
    const bool full = bits == V::tail_bits(kW);
    T mm[4][4];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i)
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) {
        const float* src = m + (i * 4 + j) * xi_stride + t0;
        mm[i][j] = full ? V::load(src) : V::maskz_load(bits, src);
      }
    T sr[2][4];
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      sr[0][j] = V::add(V::add(mm[0][j], mm[1][j]), mm[2][j]);
      sr[1][j] = V::sub(V::sub(mm[1][j], mm[2][j]), mm[3][j]);
    }
    const int c0 = 2 * t0;  // first output column of this chunk
#pragma GCC unroll 2
    for (int r = 0; r < 2; ++r) {
      if (r >= rows) break;
      T y0 = V::add(V::add(V::add(sr[r][0], sr[r][1]), sr[r][2]), vb);
      T y1 = V::add(V::sub(V::sub(sr[r][1], sr[r][2]), sr[r][3]), vb);
      T lo, hi;
      V::interleave(y0, y1, &lo, &hi);
      float* out = y + r * ldy + c0;
      const int left = cols - c0;
      if (res != nullptr) {
        const float* rr = res + r * ldy + c0;
        if (left >= 2 * kW) {
          lo = V::add(lo, V::load(rr));
          hi = V::add(hi, V::load(rr + kW));
        } else {
          lo = V::add(lo, V::maskz_load(tail(left), rr));
          hi = V::add(hi, V::maskz_load(tail(left - kW), rr + kW));
        }
      }
      if (act != nullptr) {
        lo = apply_act(*act, lo);
        hi = apply_act(*act, hi);
      }
      if (left >= 2 * kW) {
        V::store(out, lo);
        V::store(out + kW, hi);
      } else {
        V::mask_store(out, tail(left), lo);
        V::mask_store(out + kW, tail(left - kW), hi);
      }
      if (act != nullptr && act->kind == ActKind::kScalar)
        act->scalar(act->ctx, out, left < 2 * kW ? left : 2 * kW);
    }
  }
}

// ---- elementwise -------------------------------------------------------------------------

void activation(const Act& act, const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + kW <= n; i += kW) V::store(y + i, apply_act(act, V::load(x + i)));
  if (i < n) {
    uint32_t m = tail(static_cast<int>(n - i));
    V::mask_store(y + i, m, apply_act(act, V::maskz_load(m, x + i)));
  }
  if (act.kind == ActKind::kScalar) act.scalar(act.ctx, y, n);
}

template <int OP>
inline T binop(T a, T b) {
  if (OP == 0) return V::add(a, b);
  if (OP == 1) return V::sub(a, b);
  if (OP == 2) return V::mul(a, b);
  return V::div(a, b);
}

template <int OP>
void binary_op(const float* a, int a_step, const float* b, int b_step, float* y, int64_t n,
               const Act& act) {
  const T sa = V::set1(a[0]), sb = V::set1(b[0]);
  int64_t i = 0;
  for (; i + kW <= n; i += kW) {
    T va = a_step ? V::load(a + i) : sa;
    T vb = b_step ? V::load(b + i) : sb;
    V::store(y + i, apply_act(act, binop<OP>(va, vb)));
  }
  if (i < n) {
    uint32_t m = tail(static_cast<int>(n - i));
    // Masked-off lanes are set to 1 so that Div computes no 0/0 there (never stored anyway).
    T va = a_step ? V::mask_load(V::set1(1.f), m, a + i) : sa;
    T vb = b_step ? V::mask_load(V::set1(1.f), m, b + i) : sb;
    V::mask_store(y + i, m, apply_act(act, binop<OP>(va, vb)));
  }
  if (act.kind == ActKind::kScalar) act.scalar(act.ctx, y, n);
}

void binary(int op, const float* a, int a_step, const float* b, int b_step, float* y, int64_t n,
            const Act& act) {
  switch (op) {
    case 0: binary_op<0>(a, a_step, b, b_step, y, n, act); break;
    case 1: binary_op<1>(a, a_step, b, b_step, y, n, act); break;
    case 2: binary_op<2>(a, a_step, b, b_step, y, n, act); break;
    default: binary_op<3>(a, a_step, b, b_step, y, n, act); break;
  }
}

void global_avg(const float* x, int64_t planes, int64_t spatial, float* y) {
  for (int64_t p = 0; p < planes; ++p, x += spatial) {
    T s0 = V::zero(), s1 = V::zero(), s2 = V::zero(), s3 = V::zero();
    int64_t i = 0;
    for (; i + 4 * kW <= spatial; i += 4 * kW) {
      s0 = V::add(s0, V::load(x + i));
      s1 = V::add(s1, V::load(x + i + kW));
      s2 = V::add(s2, V::load(x + i + 2 * kW));
      s3 = V::add(s3, V::load(x + i + 3 * kW));
    }
    for (; i + kW <= spatial; i += kW) s0 = V::add(s0, V::load(x + i));
    if (i < spatial) s1 = V::add(s1, V::maskz_load(tail(static_cast<int>(spatial - i)), x + i));
    float sum = V::reduce_add(V::add(V::add(s0, s1), V::add(s2, s3)));
    y[p] = sum / static_cast<float>(spatial);
  }
}

}  // namespace

const IsaKernels* get_kernels() {
  static const IsaKernels k = [] {
    IsaKernels t;
#if defined(STRIX_SIMD_AVX512)
    t.isa = Isa::kAvx512;
#elif defined(STRIX_SIMD_NEON)
    t.isa = Isa::kNeon;
#else
    t.isa = Isa::kAvx2;
#endif
    t.mr = kMR;
    t.nr = kNR;
    t.lanes = kW;
    t.pack_b_rows = pack_b_rows;
    t.pack_b_conv = pack_b_conv;
    t.pack_a_conv = pack_a_conv;
    t.winograd_input = winograd_input;
    t.window_lanes = window_lanes;
    t.depthwise_s1 = depthwise_s1;
    t.winograd_output = winograd_output;
    t.gemm_panel = gemm_panel;
    t.pad_plane = pad_plane;
    t.window = window;
    t.max_pool_w3s2 = max_pool_w3s2;
    t.activation = activation;
    t.binary = binary;
    t.global_avg = global_avg;
    return t;
  }();
  return &k;
}

}  // namespace strix::kernels::cpu::STRIX_SIMD_NS
