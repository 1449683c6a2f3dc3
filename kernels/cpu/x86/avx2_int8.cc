// The AVX2 INT8 leaf routines (isa_int8.h). Compiled with -mavx2 -mfma; called only after
// host_isa() has checked the CPU (isa_int8.cc). No AVX-VNNI and no vpmaddubsw (its s16
// saturation would break exactness): u8 and s8 bytes are widened to s16 (even and odd bytes
// of each 4-byte group apart) and multiplied-and-added pairwise by vpmaddwd into s32, exact.
#define STRIX_INT8_NS avx2_int8
#include "kernels/cpu/int8_depthwise_impl.h"
#include "kernels/cpu/int8_pool_impl.h"
#include "kernels/cpu/x86/int8_avx2_ops.h"
#include "kernels/cpu/x86/int8_dw_x86.h"

namespace strix::kernels::cpu::avx2_int8 {
namespace {

constexpr int kMr = 4;
constexpr int kNr = 16;

inline int32_t load32(const uint8_t* p) {
  int32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}

// Bytes 0 and 2 (even) / 1 and 3 (odd) of each 32-bit group as s16, zero- or sign-extended.
inline __m256i even_u(__m256i v) { return _mm256_and_si256(v, _mm256_set1_epi32(0x00FF00FF)); }
inline __m256i odd_u(__m256i v) { return _mm256_srli_epi16(v, 8); }
inline __m256i even_s(__m256i v) { return _mm256_srai_epi16(_mm256_slli_epi16(v, 8), 8); }
inline __m256i odd_s(__m256i v) { return _mm256_srai_epi16(v, 8); }

template <int R, bool kWeightsInA>
void tile_r(const Int8TileArgs& t) {
  __m256i acc[R][2];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  const uint8_t* a = t.a;
  for (int q = 0; q < t.k4; ++q, a += kMr * 4) {
    const uint8_t* bq = t.b_koff ? t.b + t.b_koff[q] : t.b + q * t.b_kstride;
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bq));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bq + 32));
    // B is u8 (activations) when the weights are in A, else s8.
    const __m256i b0e = kWeightsInA ? even_u(b0) : even_s(b0);
    const __m256i b0o = kWeightsInA ? odd_u(b0) : odd_s(b0);
    const __m256i b1e = kWeightsInA ? even_u(b1) : even_s(b1);
    const __m256i b1o = kWeightsInA ? odd_u(b1) : odd_s(b1);
    for (int r = 0; r < R; ++r) {
      const __m256i av = _mm256_set1_epi32(load32(a + 4 * r));
      const __m256i ae = kWeightsInA ? even_s(av) : even_u(av);
      const __m256i ao = kWeightsInA ? odd_s(av) : odd_u(av);
      acc[r][0] = _mm256_add_epi32(
          acc[r][0], _mm256_add_epi32(_mm256_madd_epi16(b0e, ae), _mm256_madd_epi16(b0o, ao)));
      acc[r][1] = _mm256_add_epi32(
          acc[r][1], _mm256_add_epi32(_mm256_madd_epi16(b1e, ae), _mm256_madd_epi16(b1o, ao)));
    }
  }
  const Int8Requant& rq = t.rq;
  const __m256i zp = _mm256_set1_epi32(rq.zp), lo = _mm256_set1_epi32(rq.qmin),
                hi = _mm256_set1_epi32(rq.qmax);
  const int n0 = t.nvalid < 8 ? t.nvalid : 8, n1 = t.nvalid > 8 ? t.nvalid - 8 : 0;
  for (int r = 0; r < R; ++r) {
    int8_t* c = t.c + r * t.ldc;
    for (int h = 0; h < 2; ++h) {
      const int n = h == 0 ? n0 : n1;
      if (n == 0) continue;
      __m256i off, mult, ls, rs;
      if (kWeightsInA) {
        off = _mm256_set1_epi32(rq.offset[r]);
        mult = _mm256_set1_epi32(rq.mult[r]);
        ls = _mm256_set1_epi32(rq.lshift[r]);
        rs = _mm256_set1_epi32(rq.rshift[r]);
      } else {
        auto ld = [h](const int32_t* p) {
          return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 8 * h));
        };
        off = ld(rq.offset), mult = ld(rq.mult), ls = ld(rq.lshift), rs = ld(rq.rshift);
      }
      const __m256i x = _mm256_add_epi32(acc[r][h], off);
      if (kWeightsInA && rq.fast_c != nullptr) {  // the short requantize (isa_int8.h)
        const __m256i fc = _mm256_set1_epi64x(rq.fast_c[r]);
        const __m256i sl = _mm256_set1_epi32(rq.lshift[r] + 1);
        const __m256i sgn = _mm256_set1_epi32(rq.rshift[r] > 0 ? 31 : 32);
        const __m256i v = rq.fast_mode == 1   ? fast_requant8<1>(x, mult, fc, sl, sgn, rs)
                          : rq.fast_mode == 0 ? fast_requant8<0>(x, mult, fc, sl, sgn, rs)
                                              : fast_requant8<2>(x, mult, fc, sl, sgn, rs);
        store8(c + 8 * h, _mm256_min_epi32(_mm256_max_epi32(v, lo), hi), n);
        continue;
      }
      store8(c + 8 * h,
             rq.left ? requant8<true>(x, mult, ls, rs, zp, lo, hi)
                     : requant8<false>(x, mult, ls, rs, zp, lo, hi),
             n);
    }
  }
}

template <bool kWeightsInA>
void tile_any(const Int8TileArgs& t) {
  switch (t.rows) {
    case 1: return tile_r<1, kWeightsInA>(t);
    case 2: return tile_r<2, kWeightsInA>(t);
    case 3: return tile_r<3, kWeightsInA>(t);
    default: return tile_r<4, kWeightsInA>(t);
  }
}

void tile(const Int8TileArgs& t) {
  if (t.weights_in_a)
    tile_any<true>(t);
  else
    tile_any<false>(t);
}

void add(const int8_t* a, const int8_t* b, int64_t n, const Int8AddParams& p, int8_t* y) {
  const __m256i om = _mm256_set1_epi32(p.out_mult), ols = _mm256_set1_epi32(p.out_lshift),
                ors = _mm256_set1_epi32(p.out_rshift);
  const __m256i ozp = _mm256_set1_epi32(p.out_zp), qmin = _mm256_set1_epi32(p.qmin),
                qmax = _mm256_set1_epi32(p.qmax);
  for (int64_t i = 0; i < n; i += 8) {
    const int rest = static_cast<int>(n - i < 8 ? n - i : 8);
    int64_t a8 = 0, b8 = 0;
    __builtin_memcpy(&a8, a + i, static_cast<size_t>(rest));
    __builtin_memcpy(&b8, b + i, static_cast<size_t>(rest));
    const __m256i ia = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(a8));
    const __m256i ib = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(b8));
    const __m256i sum = _mm256_add_epi32(_mm256_i32gather_epi32(p.lut_a, ia, 4),
                                         _mm256_i32gather_epi32(p.lut_b, ib, 4));
    store8(y + i, requant8(sum, om, ols, ors, ozp, qmin, qmax), rest);
  }
}

void quantize(const float* x, int64_t n, float scale, int32_t zp, int8_t* y) {
  const __m256 s = _mm256_set1_ps(scale), z = _mm256_set1_ps(static_cast<float>(zp));
  const __m256 lo = _mm256_set1_ps(-128.f), hi = _mm256_set1_ps(127.f);
  for (int64_t i = 0; i < n; i += 8) {
    const int rest = static_cast<int>(n - i < 8 ? n - i : 8);
    __m256 v;
    if (rest == 8) {
      v = _mm256_loadu_ps(x + i);
    } else {
      alignas(32) float tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int j = 0; j < rest; ++j) tmp[j] = x[i + j];
      v = _mm256_load_ps(tmp);
    }
    __m256 q = _mm256_round_ps(_mm256_div_ps(v, s), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // max(q, lo) gives lo for NaN (the second operand), as !(q >= qmin) does.
    q = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(q, z), lo), hi);
    store8(y + i, _mm256_cvtps_epi32(q), rest);
  }
}

struct DwTraits {
  using I = __m256i;
  static constexpr int kLanes = 8;
  struct Consts {
    __m256i off, mult, ls, rs, zp, lo, hi;
    __m256i c, sl, sgn;  // the short requantize's (fast_requant8)
  };
  static Consts consts(const Int8Requant& rq) {
    return {_mm256_set1_epi32(rq.offset[0]),
            _mm256_set1_epi32(rq.mult[0]),
            _mm256_set1_epi32(rq.lshift[0]),
            _mm256_set1_epi32(rq.rshift[0]),
            _mm256_set1_epi32(rq.zp),
            _mm256_set1_epi32(rq.qmin),
            _mm256_set1_epi32(rq.qmax),
            _mm256_set1_epi64x(fast_requant_constant(rq.rshift[0], rq.zp)),
            _mm256_set1_epi32(rq.lshift[0] + 1),
            _mm256_set1_epi32(rq.rshift[0] > 0 ? 31 : 32)};
  }
  static I zero() { return _mm256_setzero_si256(); }
  static I set1(int32_t v) { return _mm256_set1_epi32(v); }
  static I load(const int16_t* p) { return _mm256_loadu_si256(reinterpret_cast<const I*>(p)); }
  static I madd(I a, I b) { return _mm256_madd_epi16(a, b); }
  static I add(I a, I b) { return _mm256_add_epi32(a, b); }
  // kMode (int8_dw_x86.h): 0 / 1 the general requantize without / with left shifts, 2 / 3
  // the short one with every rshift 0 / > 0.
  template <int kMode>
  static void store_requant(I acc, int n, const Consts& c, int8_t* y) {
    const __m256i x = _mm256_add_epi32(acc, c.off);
    if (kMode >= 2) {
      const __m256i v = fast_requant8<kMode - 2>(x, c.mult, c.c, c.sl, c.sgn, c.rs);
      return store8(y, _mm256_min_epi32(_mm256_max_epi32(v, c.lo), c.hi), n);
    }
    store8(y, requant8<kMode == 1>(x, c.mult, c.ls, c.rs, c.zp, c.lo, c.hi), n);
  }
};

}  // namespace

const IsaInt8Kernels* get_int8_kernels() {
  static const IsaInt8Kernels k = [] {
    IsaInt8Kernels t;
    t.isa = Isa::kAvx2;
    t.name = "avx2";
    t.mr = kMr;
    t.nr = kNr;
    t.act_xor = 0x80;
    t.tile = tile;
    t.interleave4 = interleave4;
    t.dw_pad = dw_pad_x86;
    t.dw_conv = dw_conv_x86<DwTraits, dw_conv<requant_row_avx2>>;
    t.add = add;
    t.quantize = quantize;
    t.max_plane = max_plane;
    t.plane_sums = plane_sums;
    return t;
  }();
  return &k;
}

}  // namespace strix::kernels::cpu::avx2_int8
