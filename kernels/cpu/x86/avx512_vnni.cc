// The AVX-512 VNNI INT8 leaf routines (isa_int8.h). Compiled with -mavx512f -mavx512bw
// -mavx512dq -mavx512vl -mavx512vnni; called only after isa_int8.cc has checked the CPU.
// vpdpbusd: u8 x s8 -> s32, four products per lane, exact (no intermediate saturation).
#define STRIX_INT8_NS avx512_vnni
#include "kernels/cpu/int8_depthwise_impl.h"
#include "kernels/cpu/int8_pool_impl.h"
#include "kernels/cpu/x86/int8_avx2_ops.h"
#include "kernels/cpu/x86/int8_dw_x86.h"

namespace strix::kernels::cpu::avx512_vnni {
namespace {

constexpr int kMr = 8;
constexpr int kNr = 32;

inline int32_t load32(const uint8_t* p) {
  int32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}

// requant8 (int8_avx2_ops.h) at 16 lanes. kLeft false: every lshift is 0 (skips the shift);
// kClamp false: [qmin, qmax] is the whole int8 range, left to the saturating narrow that
// stores the result.
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

// The epilogue of a tile: requantize and store rows r < R, columns < t.nvalid.
template <int R, bool kWeightsInA, bool kLeft, bool kClamp>
void store_tile(const __m512i (&acc)[R][2], const Int8TileArgs& t) {
  const Int8Requant& rq = t.rq;
  const __m512i zp = _mm512_set1_epi32(rq.zp), lo = _mm512_set1_epi32(rq.qmin),
                hi = _mm512_set1_epi32(rq.qmax);
  const __mmask32 m = t.nvalid >= 32 ? ~__mmask32(0) : (__mmask32(1) << t.nvalid) - 1;
  __m512i off[2], mult[2], ls[2], rs[2];
  if (!kWeightsInA) {
    for (int h = 0; h < 2; ++h) {
      off[h] = _mm512_loadu_si512(rq.offset + 16 * h);
      mult[h] = _mm512_loadu_si512(rq.mult + 16 * h);
      ls[h] = _mm512_loadu_si512(rq.lshift + 16 * h);
      rs[h] = _mm512_loadu_si512(rq.rshift + 16 * h);
    }
  }
  for (int r = 0; r < R; ++r) {
    if (kWeightsInA) {
      off[0] = off[1] = _mm512_set1_epi32(rq.offset[r]);
      mult[0] = mult[1] = _mm512_set1_epi32(rq.mult[r]);
      ls[0] = ls[1] = _mm512_set1_epi32(rq.lshift[r]);
      rs[0] = rs[1] = _mm512_set1_epi32(rq.rshift[r]);
    }
    __m128i y[2];
    for (int h = 0; h < 2; ++h)
      y[h] = _mm512_cvtsepi32_epi8(requant16<kLeft, kClamp>(_mm512_add_epi32(acc[r][h], off[h]),
                                                            mult[h], ls[h], rs[h], zp, lo, hi));
    const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(y[0]), y[1], 1);
    int8_t* c = t.c + r * t.ldc;
    if (t.nvalid >= 32)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c), v);
    else
      _mm256_mask_storeu_epi8(c, m, v);
  }
}

template <int R, bool kWeightsInA>
void tile_r(const Int8TileArgs& t) {
  __m512i acc[R][2];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_si512();
  const uint8_t* a = t.a;
  auto step = [&](const uint8_t* bq) {
    const __m512i b0 = _mm512_loadu_si512(bq), b1 = _mm512_loadu_si512(bq + 64);
    for (int r = 0; r < R; ++r) {
      const __m512i av = _mm512_set1_epi32(load32(a + 4 * r));
      if (kWeightsInA) {  // B u8 activations, A s8 weights
        acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], b0, av);
        acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], b1, av);
      } else {  // A u8 activations, B s8 weights
        acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], av, b0);
        acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], av, b1);
      }
    }
    a += kMr * 4;
  };
  if (t.b_koff != nullptr) {
    for (int q = 0; q < t.k4; ++q) step(t.b + t.b_koff[q]);
  } else {
    for (int q = 0; q < t.k4; ++q) step(t.b + q * t.b_kstride);
  }
  const Int8Requant& rq = t.rq;
  const bool clamp = rq.qmin != -128 || rq.qmax != 127;
  if (rq.left)
    clamp ? store_tile<R, kWeightsInA, true, true>(acc, t)
          : store_tile<R, kWeightsInA, true, false>(acc, t);
  else
    clamp ? store_tile<R, kWeightsInA, false, true>(acc, t)
          : store_tile<R, kWeightsInA, false, false>(acc, t);
}

template <bool kWeightsInA>
void tile_any(const Int8TileArgs& t) {
  switch (t.rows) {
    case 1: return tile_r<1, kWeightsInA>(t);
    case 2: return tile_r<2, kWeightsInA>(t);
    case 3: return tile_r<3, kWeightsInA>(t);
    case 4: return tile_r<4, kWeightsInA>(t);
    case 5: return tile_r<5, kWeightsInA>(t);
    case 6: return tile_r<6, kWeightsInA>(t);
    case 7: return tile_r<7, kWeightsInA>(t);
    default: return tile_r<8, kWeightsInA>(t);
  }
}

void tile(const Int8TileArgs& t) {
  if (t.weights_in_a)
    tile_any<true>(t);
  else
    tile_any<false>(t);
}

void requant_row(const int32_t* acc, int64_t n, const Int8Requant& rq, int8_t* y) {
  const __m512i off = _mm512_set1_epi32(rq.offset[0]), mult = _mm512_set1_epi32(rq.mult[0]);
  const __m512i ls = _mm512_set1_epi32(rq.lshift[0]), rs = _mm512_set1_epi32(rq.rshift[0]);
  const __m512i zp = _mm512_set1_epi32(rq.zp), lo = _mm512_set1_epi32(rq.qmin),
                hi = _mm512_set1_epi32(rq.qmax);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes(static_cast<int>(n - i < 16 ? n - i : 16));
    const __m512i x = _mm512_maskz_loadu_epi32(m, acc + i);
    _mm512_mask_cvtsepi32_storeu_epi8(
        y + i, m, requant16(_mm512_add_epi32(x, off), mult, ls, rs, zp, lo, hi));
  }
}

void add(const int8_t* a, const int8_t* b, int64_t n, const Int8AddParams& p, int8_t* y) {
  const __m512i om = _mm512_set1_epi32(p.out_mult), ols = _mm512_set1_epi32(p.out_lshift),
                ors = _mm512_set1_epi32(p.out_rshift);
  const __m512i ozp = _mm512_set1_epi32(p.out_zp), qmin = _mm512_set1_epi32(p.qmin),
                qmax = _mm512_set1_epi32(p.qmax);
  const __m512i byte = _mm512_set1_epi32(0xFF);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes(static_cast<int>(n - i < 16 ? n - i : 16));
    const __m512i ia = _mm512_and_si512(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, a + i)), byte);
    const __m512i ib = _mm512_and_si512(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, b + i)), byte);
    const __m512i sum = _mm512_add_epi32(_mm512_i32gather_epi32(ia, p.lut_a, 4),
                                         _mm512_i32gather_epi32(ib, p.lut_b, 4));
    _mm512_mask_cvtsepi32_storeu_epi8(y + i, m, requant16(sum, om, ols, ors, ozp, qmin, qmax));
  }
}

void quantize(const float* x, int64_t n, float scale, int32_t zp, int8_t* y) {
  const __m512 s = _mm512_set1_ps(scale), z = _mm512_set1_ps(static_cast<float>(zp));
  const __m512 lo = _mm512_set1_ps(-128.f), hi = _mm512_set1_ps(127.f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes(static_cast<int>(n - i < 16 ? n - i : 16));
    __m512 q = _mm512_roundscale_ps(_mm512_div_ps(_mm512_maskz_loadu_ps(m, x + i), s),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // max(q, lo) gives lo for NaN (the second operand), as !(q >= qmin) does.
    q = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(q, z), lo), hi);
    _mm512_mask_cvtsepi32_storeu_epi8(y + i, m, _mm512_cvtps_epi32(q));
  }
}

struct DwTraits {
  using I = __m512i;
  static constexpr int kLanes = 16;
  struct Consts {
    __m512i off, mult, ls, rs, zp, lo, hi;
  };
  static Consts consts(const Int8Requant& rq) {
    return {_mm512_set1_epi32(rq.offset[0]), _mm512_set1_epi32(rq.mult[0]),
            _mm512_set1_epi32(rq.lshift[0]), _mm512_set1_epi32(rq.rshift[0]),
            _mm512_set1_epi32(rq.zp),        _mm512_set1_epi32(rq.qmin),
            _mm512_set1_epi32(rq.qmax)};
  }
  static I zero() { return _mm512_setzero_si512(); }
  static I set1(int32_t v) { return _mm512_set1_epi32(v); }
  static I load(const int16_t* p) { return _mm512_loadu_si512(p); }
  static I madd(I a, I b) { return _mm512_madd_epi16(a, b); }
  static I add(I a, I b) { return _mm512_add_epi32(a, b); }
  template <bool kLeft>
  static void store_requant(I acc, int n, const Consts& c, int8_t* y) {
    _mm512_mask_cvtsepi32_storeu_epi8(
        y, lanes(n),
        requant16<kLeft>(_mm512_add_epi32(acc, c.off), c.mult, c.ls, c.rs, c.zp, c.lo, c.hi));
  }
};

}  // namespace

const IsaInt8Kernels* get_int8_kernels() {
  static const IsaInt8Kernels k = [] {
    IsaInt8Kernels t;
    t.isa = Isa::kAvx512;
    t.name = "avx512_vnni";
    t.mr = kMr;
    t.nr = kNr;
    t.act_xor = 0x80;
    t.tile = tile;
    t.interleave4 = interleave4;
    t.dw_pad = dw_pad_x86;
    t.dw_conv = dw_conv_x86<DwTraits, dw_conv<requant_row>>;
    t.add = add;
    t.quantize = quantize;
    t.max_plane = max_plane;
    t.plane_sums = plane_sums;
    return t;
  }();
  return &k;
}

}  // namespace strix::kernels::cpu::avx512_vnni
