// kernels/cpu/arm/neon_int8_impl.h — the AArch64 INT8 leaf routines (isa_int8.h), written
// once for two translation units: neon_int8.cc (plain NEON: smull + sadalp, s8 x s8 -> s16
// products, exact, summed pairwise into s32) and neon_dotprod.cc (STRIX_INT8_DOTPROD: sdot,
// compiled with -march=armv8.2-a+dotprod). Activations stay s8 (act_xor 0). Define
// STRIX_INT8_NS first; internal linkage.
#pragma once

#include <arm_neon.h>

#include <cstdint>

#include "kernels/cpu/int8_depthwise_impl.h"
#include "kernels/cpu/int8_pool_impl.h"
#include "kernels/cpu/isa_int8.h"

namespace strix::kernels::cpu::STRIX_INT8_NS {
namespace {

#if defined(STRIX_INT8_DOTPROD)
constexpr int kMr = 8;
#else
constexpr int kMr = 4;
#endif
constexpr int kNr = 8;

// requant (isa_int8.h) of 4 lanes, acc including the offset. vqshlq_s32 is the saturating
// x * 2^ls and vqrdmulhq_s32 is SaturatingRoundingDoublingHighMul exactly.
inline int32x4_t requant4(int32x4_t x, int32x4_t mult, int32x4_t ls, int32x4_t rs, int32x4_t zp,
                          int32x4_t qmin, int32x4_t qmax) {
  x = vqrdmulhq_s32(vqshlq_s32(x, ls), mult);
  const int32x4_t one = vdupq_n_s32(1);
  const int32x4_t mask = vsubq_s32(vshlq_s32(one, rs), one);
  const int32x4_t rem = vandq_s32(x, mask);
  const int32x4_t thr = vsubq_s32(vshrq_n_s32(mask, 1), vshrq_n_s32(x, 31));
  int32x4_t y = vshlq_s32(x, vnegq_s32(rs));
  y = vsubq_s32(y, vreinterpretq_s32_u32(vcgtq_s32(rem, thr)));
  y = vaddq_s32(y, zp);
  return vminq_s32(vmaxq_s32(y, qmin), qmax);
}

// Stores lanes [0, n) (n <= 8) of lo:hi, already in [-128, 127].
inline void store8(int8_t* dst, int32x4_t lo, int32x4_t hi, int n) {
  const int8x8_t v = vqmovn_s16(vcombine_s16(vqmovn_s32(lo), vqmovn_s32(hi)));
  if (n >= 8) {
    vst1_s8(dst, v);
  } else {
    int8_t tmp[8];
    vst1_s8(tmp, v);
    for (int i = 0; i < n; ++i) dst[i] = tmp[i];
  }
}

template <int R>
void tile_r(const Int8TileArgs& t) {
  int32x4_t acc[R][2];
#if !defined(STRIX_INT8_DOTPROD)
  int32x4_t half[R][4];  // pair sums: half[r][2h + i] holds 2 columns x 2 partial sums
  for (int r = 0; r < R; ++r)
    for (int i = 0; i < 4; ++i) half[r][i] = vdupq_n_s32(0);
#else
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = vdupq_n_s32(0);
#endif
  const int8_t* a = reinterpret_cast<const int8_t*>(t.a);
  for (int q = 0; q < t.k4; ++q, a += kMr * 4) {
    const int8_t* bq =
        reinterpret_cast<const int8_t*>(t.b_koff ? t.b + t.b_koff[q] : t.b + q * t.b_kstride);
    const int8x16_t b0 = vld1q_s8(bq), b1 = vld1q_s8(bq + 16);
#if defined(STRIX_INT8_DOTPROD)
    const int8x16_t a0 = vld1q_s8(a);
    const int8x16_t a1 = R > 4 ? vld1q_s8(a + 16) : a0;
#define STRIX_DOT_ROW(r, av, lane)                        \
  if (R > r) {                                            \
    acc[r][0] = vdotq_laneq_s32(acc[r][0], b0, av, lane); \
    acc[r][1] = vdotq_laneq_s32(acc[r][1], b1, av, lane); \
  }
    STRIX_DOT_ROW(0, a0, 0)
    STRIX_DOT_ROW(1, a0, 1)
    STRIX_DOT_ROW(2, a0, 2)
    STRIX_DOT_ROW(3, a0, 3)
    STRIX_DOT_ROW(4, a1, 0)
    STRIX_DOT_ROW(5, a1, 1)
    STRIX_DOT_ROW(6, a1, 2)
    STRIX_DOT_ROW(7, a1, 3)
#undef STRIX_DOT_ROW
#else
    for (int r = 0; r < R; ++r) {
      int32_t g;
      __builtin_memcpy(&g, a + 4 * r, 4);
      const int8x16_t av = vreinterpretq_s8_s32(vdupq_n_s32(g));
      half[r][0] = vpadalq_s16(half[r][0], vmull_s8(vget_low_s8(b0), vget_low_s8(av)));
      half[r][1] = vpadalq_s16(half[r][1], vmull_high_s8(b0, av));
      half[r][2] = vpadalq_s16(half[r][2], vmull_s8(vget_low_s8(b1), vget_low_s8(av)));
      half[r][3] = vpadalq_s16(half[r][3], vmull_high_s8(b1, av));
    }
#endif
  }
#if !defined(STRIX_INT8_DOTPROD)
  for (int r = 0; r < R; ++r) {
    acc[r][0] = vpaddq_s32(half[r][0], half[r][1]);
    acc[r][1] = vpaddq_s32(half[r][2], half[r][3]);
  }
#endif
  const Int8Requant& rq = t.rq;
  const int32x4_t zp = vdupq_n_s32(rq.zp), lo = vdupq_n_s32(rq.qmin), hi = vdupq_n_s32(rq.qmax);
  for (int r = 0; r < R; ++r) {
    int32x4_t y[2];
    for (int h = 0; h < 2; ++h) {
      int32x4_t off, mult, ls, rs;
      if (t.weights_in_a) {
        off = vdupq_n_s32(rq.offset[r]);
        mult = vdupq_n_s32(rq.mult[r]);
        ls = vdupq_n_s32(rq.lshift[r]);
        rs = vdupq_n_s32(rq.rshift[r]);
      } else {
        off = vld1q_s32(rq.offset + 4 * h);
        mult = vld1q_s32(rq.mult + 4 * h);
        ls = vld1q_s32(rq.lshift + 4 * h);
        rs = vld1q_s32(rq.rshift + 4 * h);
      }
      y[h] = requant4(vaddq_s32(acc[r][h], off), mult, ls, rs, zp, lo, hi);
    }
    store8(t.c + r * t.ldc, y[0], y[1], t.nvalid);
  }
}

void tile(const Int8TileArgs& t) {
  switch (t.rows) {
    case 1: return tile_r<1>(t);
    case 2: return tile_r<2>(t);
    case 3: return tile_r<3>(t);
#if defined(STRIX_INT8_DOTPROD)
    case 4: return tile_r<4>(t);
    case 5: return tile_r<5>(t);
    case 6: return tile_r<6>(t);
    case 7: return tile_r<7>(t);
    default: return tile_r<8>(t);
#else
    default: return tile_r<4>(t);
#endif
  }
}

void interleave4(const int8_t* r0, const int8_t* r1, const int8_t* r2, const int8_t* r3, int64_t n,
                 uint8_t* dst) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    int8x16x4_t v;
    v.val[0] = vld1q_s8(r0 + i);
    v.val[1] = vld1q_s8(r1 + i);
    v.val[2] = vld1q_s8(r2 + i);
    v.val[3] = vld1q_s8(r3 + i);
    vst4q_s8(reinterpret_cast<int8_t*>(dst + 4 * i), v);
  }
  for (; i < n; ++i) {
    dst[4 * i + 0] = static_cast<uint8_t>(r0[i]);
    dst[4 * i + 1] = static_cast<uint8_t>(r1[i]);
    dst[4 * i + 2] = static_cast<uint8_t>(r2[i]);
    dst[4 * i + 3] = static_cast<uint8_t>(r3[i]);
  }
}

void requant_row(const int32_t* acc, int64_t n, const Int8Requant& rq, int8_t* y) {
  const int32x4_t off = vdupq_n_s32(rq.offset[0]), mult = vdupq_n_s32(rq.mult[0]);
  const int32x4_t ls = vdupq_n_s32(rq.lshift[0]), rs = vdupq_n_s32(rq.rshift[0]);
  const int32x4_t zp = vdupq_n_s32(rq.zp), lo = vdupq_n_s32(rq.qmin), hi = vdupq_n_s32(rq.qmax);
  for (int64_t i = 0; i < n; i += 8) {
    const int rest = static_cast<int>(n - i < 8 ? n - i : 8);
    int32_t tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const int32_t* src = acc + i;
    if (rest < 8) {
      for (int j = 0; j < rest; ++j) tmp[j] = acc[i + j];
      src = tmp;
    }
    const int32x4_t y0 = requant4(vaddq_s32(vld1q_s32(src), off), mult, ls, rs, zp, lo, hi);
    const int32x4_t y1 = requant4(vaddq_s32(vld1q_s32(src + 4), off), mult, ls, rs, zp, lo, hi);
    store8(y + i, y0, y1, rest);
  }
}

void add(const int8_t* a, const int8_t* b, int64_t n, const Int8AddParams& p, int8_t* y) {
  const int32x4_t om = vdupq_n_s32(p.out_mult), ols = vdupq_n_s32(p.out_lshift),
                  ors = vdupq_n_s32(p.out_rshift);
  const int32x4_t ozp = vdupq_n_s32(p.out_zp), qmin = vdupq_n_s32(p.qmin),
                  qmax = vdupq_n_s32(p.qmax);
  for (int64_t i = 0; i < n; i += 8) {
    const int rest = static_cast<int>(n - i < 8 ? n - i : 8);
    int32_t sum[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int j = 0; j < rest; ++j)
      sum[j] = p.lut_a[static_cast<uint8_t>(a[i + j])] + p.lut_b[static_cast<uint8_t>(b[i + j])];
    store8(y + i, requant4(vld1q_s32(sum), om, ols, ors, ozp, qmin, qmax),
           requant4(vld1q_s32(sum + 4), om, ols, ors, ozp, qmin, qmax), rest);
  }
}

void quantize(const float* x, int64_t n, float scale, int32_t zp, int8_t* y) {
  const float32x4_t s = vdupq_n_f32(scale), z = vdupq_n_f32(static_cast<float>(zp));
  const float32x4_t lo = vdupq_n_f32(-128.f), hi = vdupq_n_f32(127.f);
  for (int64_t i = 0; i < n; i += 8) {
    const int rest = static_cast<int>(n - i < 8 ? n - i : 8);
    float tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const float* src = x + i;
    if (rest < 8) {
      for (int j = 0; j < rest; ++j) tmp[j] = x[i + j];
      src = tmp;
    }
    int32x4_t q[2];
    for (int h = 0; h < 2; ++h) {
      // vrndnq: round half to even; maxnm(NaN, lo) = lo, as !(q >= qmin) gives.
      float32x4_t v = vaddq_f32(vrndnq_f32(vdivq_f32(vld1q_f32(src + 4 * h), s)), z);
      v = vminnmq_f32(vmaxnmq_f32(v, lo), hi);
      q[h] = vcvtq_s32_f32(v);
    }
    store8(y + i, q[0], q[1], rest);
  }
}

IsaInt8Kernels make_table(Isa isa, const char* name) {
  IsaInt8Kernels t;
  t.isa = isa;
  t.name = name;
  t.mr = kMr;
  t.nr = kNr;
  t.act_xor = 0;
  t.tile = tile;
  t.interleave4 = interleave4;
  t.dw_pad = dw_pad;
  t.dw_conv = dw_conv<requant_row>;
  t.add = add;
  t.quantize = quantize;
  t.max_plane = max_plane;
  t.plane_sums = plane_sums;
  return t;
}

}  // namespace
}  // namespace strix::kernels::cpu::STRIX_INT8_NS
