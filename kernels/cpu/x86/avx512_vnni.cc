// The AVX-512 VNNI INT8 leaf routines (isa_int8.h). Compiled with -mavx512f -mavx512bw
// -mavx512dq -mavx512vl -mavx512vnni; called only after isa_int8.cc has checked the CPU.
// vpdpbusd: u8 x s8 -> s32, four products per lane, exact (no intermediate saturation).
#define STRIX_INT8_NS avx512_vnni
#include "kernels/cpu/int8_depthwise_impl.h"
#include "kernels/cpu/int8_pool_impl.h"
#include "kernels/cpu/x86/int8_add_vbmi.h"
#include "kernels/cpu/x86/int8_avx2_ops.h"
#include "kernels/cpu/x86/int8_dw_vnni.h"
#include "kernels/cpu/x86/int8_dw_x86.h"
#include "kernels/cpu/x86/int8_rq_avx512.h"

namespace strix::kernels::cpu::avx512_vnni {
namespace {

constexpr int kMr = 8;
constexpr int kNr = 32;
// Software prefetch distance in the packed A panel (32 K steps ahead at kMr = 8): weights of
// big layers come from L3 or memory in a real network, and the hardware prefetchers alone
// left resnet18's 3x3 512-channel convs ~40% slower than with warm weights.
constexpr int kPrefetchA = 1024;

inline int32_t load32(const uint8_t* p) {
  int32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}

// Tiles are R rows x H zmm columns (H = 2, or 1 when t.nvalid <= 16: a narrow tail panel
// computes half the columns).

// Stores 16 * H bytes of row r (the low 16 * H bytes of v), the first t.nvalid of them.
template <int H>
inline void store_row(const Int8TileArgs& t, int r, __m256i v) {
  int8_t* c = t.c + r * t.ldc;
  if (t.nvalid >= 16 * H) {
    if (H == 2)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c), v);
    else
      _mm_storeu_si128(reinterpret_cast<__m128i*>(c), _mm256_castsi256_si128(v));
  } else {
    _mm256_mask_storeu_epi8(c, (__mmask32(1) << t.nvalid) - 1, v);
  }
}

// The epilogue of a tile: requantize and store rows r < R, columns < t.nvalid.
template <int R, int H, bool kWeightsInA, bool kLeft, bool kClamp>
void store_tile(const __m512i (&acc)[R][H], const Int8TileArgs& t) {
  const Int8Requant& rq = t.rq;
  const __m512i zp = _mm512_set1_epi32(rq.zp), lo = _mm512_set1_epi32(rq.qmin),
                hi = _mm512_set1_epi32(rq.qmax);
  __m512i off[H], mult[H], ls[H], rs[H];
  if (!kWeightsInA) {
    for (int h = 0; h < H; ++h) {
      off[h] = _mm512_loadu_si512(rq.offset + 16 * h);
      mult[h] = _mm512_loadu_si512(rq.mult + 16 * h);
      ls[h] = _mm512_loadu_si512(rq.lshift + 16 * h);
      rs[h] = _mm512_loadu_si512(rq.rshift + 16 * h);
    }
  }
  for (int r = 0; r < R; ++r) {
    if (kWeightsInA) {  // the offset is already in acc (k_loop)
      for (int h = 0; h < H; ++h) {
        mult[h] = _mm512_set1_epi32(rq.mult[r]);
        ls[h] = _mm512_set1_epi32(rq.lshift[r]);
        rs[h] = _mm512_set1_epi32(rq.rshift[r]);
      }
    }
    __m128i y[2];
    for (int h = 0; h < H; ++h)
      y[h] = _mm512_cvtsepi32_epi8(
          requant16<kLeft, kClamp>(kWeightsInA ? acc[r][h] : _mm512_add_epi32(acc[r][h], off[h]),
                                   mult[h], ls[h], rs[h], zp, lo, hi));
    if (H == 1) y[1] = y[0];
    store_row<H>(t, r, _mm256_inserti128_si256(_mm256_castsi128_si256(y[0]), y[1], 1));
  }
}

// store_tile with the short requantize (t.rq.fast_c, weights in A: constants per row; the
// offset is already in acc). Rows go in pairs through one byte pack and one permute.
template <int H, int kMode>
inline __m512i fast_row(const __m512i (&x)[H], const Int8Requant& rq, int r) {
  FastRq f;
  f.mult = _mm512_set1_epi32(rq.mult[r]);
  f.c = _mm512_set1_epi64(rq.fast_c[r]);
  f.sl = _mm512_set1_epi32(rq.lshift[r] + 1);
  f.sgn = _mm512_set1_epi32(rq.rshift[r] > 0 ? 31 : 32);
  f.rs = _mm512_set1_epi32(rq.rshift[r]);
  const __m512i y0 = fast_requant<kMode>(x[0], f);
  return _mm512_packs_epi32(y0, H == 2 ? fast_requant<kMode>(x[H - 1], f) : y0);
}

template <int R, int H, int kMode>
void store_tile_fast(const __m512i (&acc)[R][H], const Int8TileArgs& t) {
  const Int8Requant& rq = t.rq;
  const __m512i lo = _mm512_set1_epi8(static_cast<char>(rq.qmin)),
                hi = _mm512_set1_epi8(static_cast<char>(rq.qmax));
  // After packs_epi32 (per row) and packs_epi16 (rows r, r + 1), 128-bit lane L holds the
  // dwords (r first 16)[4L..], (r last 16)[4L..], (r + 1 first 16)[4L..], (r + 1 last 16)[4L..]:
  // `order` puts row r in the low 256 bits and row r + 1 in the high (H = 1: "last 16" repeats
  // "first 16", and the low 128 bits of each half are the row).
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  for (int r = 0; r < R; r += 2) {
    const __m512i p0 = fast_row<H, kMode>(acc[r], rq, r);
    const __m512i p1 = r + 1 < R ? fast_row<H, kMode>(acc[r + 1], rq, r + 1) : p0;
    const __m512i v = _mm512_min_epi8(
        _mm512_max_epi8(_mm512_permutexvar_epi32(order, _mm512_packs_epi16(p0, p1)), lo), hi);
    store_row<H>(t, r, _mm512_castsi512_si256(v));
    if (r + 1 < R) store_row<H>(t, r + 1, _mm512_extracti64x4_epi64(v, 1));
  }
}

// The K loop: acc[r][h] += dot4(A(r, q), B(q, 16h..16h+15)) for every q < t.k4, acc starting
// from the row offsets when A holds weights (0 otherwise). R rows x H zmm (16 independent
// vpdpbusd chains at R = 8, H = 2: enough for 2 ports x ~5 cycles of latency); A broadcast
// from memory (a load-port op), B H loads per step. Written without lambdas or by-reference
// captures so that GCC keeps every accumulator in a register (the lambda form copied each one
// through spare registers and the stack every step).
template <int R, int H, bool kWeightsInA, bool kKoff>
inline void k_loop(const Int8TileArgs& t, __m512i (&acc)[R][H]) {
  __m512i c[R][H];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
    for (int h = 0; h < H; ++h)
      c[r][h] = kWeightsInA ? _mm512_set1_epi32(t.rq.offset[r]) : _mm512_setzero_si512();
  const uint8_t* a = t.a;
  const uint8_t* b = t.b;
  const int32_t* koff = t.b_koff;
  const int64_t stride = t.b_kstride;
#pragma GCC unroll 2
  for (int q = 0; q < t.k4; ++q) {
    const uint8_t* bq = kKoff ? b + koff[q] : b + q * stride;
    _mm_prefetch(reinterpret_cast<const char*>(a + kPrefetchA), _MM_HINT_T0);
    __m512i bv[H];
    for (int h = 0; h < H; ++h) bv[h] = _mm512_loadu_si512(bq + 64 * h);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512i av = _mm512_set1_epi32(load32(a + 4 * r));
      for (int h = 0; h < H; ++h) {
        if (kWeightsInA)  // B u8 activations, A s8 weights
          c[r][h] = _mm512_dpbusd_epi32(c[r][h], bv[h], av);
        else  // A u8 activations, B s8 weights
          c[r][h] = _mm512_dpbusd_epi32(c[r][h], av, bv[h]);
      }
    }
    a += kMr * 4;
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
    for (int h = 0; h < H; ++h) acc[r][h] = c[r][h];
}

template <int R, int H, bool kWeightsInA>
void tile_rh(const Int8TileArgs& t) {
  __m512i acc[R][H];
  if (t.b_koff != nullptr)
    k_loop<R, H, kWeightsInA, true>(t, acc);
  else
    k_loop<R, H, kWeightsInA, false>(t, acc);
  const Int8Requant& rq = t.rq;
  if (kWeightsInA && rq.fast_c != nullptr) {
    if (rq.fast_mode == 1) return store_tile_fast<R, H, 1>(acc, t);
    if (rq.fast_mode == 0) return store_tile_fast<R, H, 0>(acc, t);
    return store_tile_fast<R, H, 2>(acc, t);
  }
  const bool clamp = rq.qmin != -128 || rq.qmax != 127;
  if (rq.left)
    clamp ? store_tile<R, H, kWeightsInA, true, true>(acc, t)
          : store_tile<R, H, kWeightsInA, true, false>(acc, t);
  else
    clamp ? store_tile<R, H, kWeightsInA, false, true>(acc, t)
          : store_tile<R, H, kWeightsInA, false, false>(acc, t);
}

template <int R, bool kWeightsInA>
void tile_r(const Int8TileArgs& t) {
  if (t.nvalid <= 16)
    tile_rh<R, 1, kWeightsInA>(t);
  else
    tile_rh<R, 2, kWeightsInA>(t);
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
    FastRq f;  // the short requantize's
  };
  static Consts consts(const Int8Requant& rq) {
    return {
        _mm512_set1_epi32(rq.offset[0]), _mm512_set1_epi32(rq.mult[0]),
        _mm512_set1_epi32(rq.lshift[0]), _mm512_set1_epi32(rq.rshift[0]),
        _mm512_set1_epi32(rq.zp),        _mm512_set1_epi32(rq.qmin),
        _mm512_set1_epi32(rq.qmax),      fast_rq(rq.mult[0], rq.lshift[0], rq.rshift[0], rq.zp)};
  }
  static I zero() { return _mm512_setzero_si512(); }
  static I set1(int32_t v) { return _mm512_set1_epi32(v); }
  static I load(const int16_t* p) { return _mm512_loadu_si512(p); }
  static I madd(I a, I b) { return _mm512_madd_epi16(a, b); }
  static I add(I a, I b) { return _mm512_add_epi32(a, b); }
  // kMode (int8_dw_x86.h): 0 / 1 the general requantize without / with left shifts, 2 / 3
  // the short one with every rshift 0 / > 0.
  template <int kMode>
  static void store_requant(I acc, int n, const Consts& c, int8_t* y) {
    const __m512i x = _mm512_add_epi32(acc, c.off);
    const __m512i v =
        kMode >= 2 ? _mm512_min_epi32(_mm512_max_epi32(fast_requant<kMode - 2>(x, c.f), c.lo), c.hi)
                   : requant16<kMode == 1>(x, c.mult, c.ls, c.rs, c.zp, c.lo, c.hi);
    _mm512_mask_cvtsepi32_storeu_epi8(y, lanes(n), v);
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
    t.dw_plane = dw_plane_vnni<dw_conv_x86<DwTraits, dw_conv<requant_row>>>;
    __builtin_cpu_init();
    t.add = __builtin_cpu_supports("avx512vbmi") ? add_vbmi : add;
    t.quantize = quantize;
    t.max_plane = max_plane;
    t.plane_sums = plane_sums;
    return t;
  }();
  return &k;
}

}  // namespace strix::kernels::cpu::avx512_vnni
