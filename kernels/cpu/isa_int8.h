// kernels/cpu/isa_int8.h — the interface between the portable INT8 drivers (conv_int8.cc,
// gemm_int8.cc, add_int8.cc: validation, weight packing, layouts, tasking) and the
// instruction-set-specific INT8 leaf routines (x86/avx512_vnni.cc, x86/avx2_int8.cc,
// arm/neon_int8.cc, arm/neon_dotprod.cc). Plain types only, as in isa.h: no inline code shared
// with portable files except the two arithmetic helpers of the short requantize.
//
// Products: every routine computes exact int32 dot products of 8-bit values. x86 multiplies
// u8 by s8 (vpdpbusd, or widened to s16 + vpmaddwd), so activations are stored as
// x' = x ^ 0x80 = x + 128 (u8); AArch64 multiplies s8 by s8 (sdot, or smull + sadalp) and
// stores x' = x. `act_xor` says which (0x80 or 0). With zp' = x_zp + 128 (u8) or x_zp (s8),
// the drivers fold the correction, the input zero point and the bias into one i32 offset per
// output channel:
//   acc[c] = sum_k x'[k] * w[c, k] + offset[c],  offset[c] = bias[c] - zp' * sum_k w[c, k],
// so that acc[c] == sum_k (x[k] - x_zp) * w[c, k] + bias[c] exactly (mod 2^32, and the
// exact value fits int32: kMaxInt8Reduction). Padding holds x' of x = x_zp and adds nothing.
//
// Requantize epilogue (bit-identical to ref::requantize, requantize.h): per channel c,
//   y = clamp(zp + rdbp(srdhm(sat(acc << lshift[c]), mult[c]), rshift[c]), qmin, qmax)
// with lshift = max(shift, 0), rshift = max(-shift, 0).
#pragma once

#include <cstdint>

#include "kernels/cpu/isa.h"

namespace strix::kernels::cpu {

// The short requantize for small accumulators (x86/int8_rq_avx512.h FastRq has the
// derivation): when |acc| <= bound and fast_requant_ok(bound, lshift, rshift),
//   ref::requantize(acc) == clamp((hi32(acc * 2^(lshift + 1) * mult + C) - [acc < 0 and
//   rshift > 0]) >> rshift, qmin, qmax)   (int64 product, arithmetic shift)
// with C = fast_requant_constant(rshift, zp), and no int32 step overflows. Plain arithmetic,
// shared by the drivers (which precompute C per channel) and the ISA routines.
inline bool fast_requant_ok(int64_t bound, int32_t lshift, int32_t rshift) {
  if (bound < 0 || lshift < 0 || lshift > 30 || rshift < 0 || rshift > 31) return false;
  if (bound >= (int64_t{1} << 30) >> lshift) return false;
  const int64_t extra = (rshift > 0 ? int64_t{1} << (rshift - 1) : 0) + (int64_t{128} << rshift);
  return extra + 2 < (int64_t{1} << 30);
}
inline int64_t fast_requant_constant(int32_t rshift, int32_t zp) {
  const int64_t half = rshift > 0 ? int64_t{1} << (rshift - 1) : 0;
  const int64_t hi = half + static_cast<int64_t>(zp) * (int64_t{1} << rshift);
  return static_cast<int64_t>(static_cast<uint64_t>(hi) * (uint64_t{1} << 32) +
                              (uint64_t{1} << 31));
}

// Requantization constants, one entry per output channel (arrays of int32).
struct Int8Requant {
  const int32_t* offset = nullptr;
  const int32_t* mult = nullptr;
  const int32_t* lshift = nullptr;
  const int32_t* rshift = nullptr;
  int32_t zp = 0, qmin = -128, qmax = 127;
  bool left = true;  // false: every lshift is 0 (lets the routines skip that step)
  // Non-null when every channel's accumulator passes fast_requant_ok: C per channel.
  // fast_mode: 0 every rshift is 0, 1 every rshift > 0, 2 mixed.
  const int64_t* fast_c = nullptr;
  int fast_mode = 2;
};

// One micro-tile: C[r, j] = requant(sum_{q < k4} dot4(A(r, q), B(q, j)) + offset), r < rows
// (<= mr), j < nvalid (<= nr).
//   A (the broadcast side) is packed: group q of row r is the 4 bytes at a + (q * mr + r) * 4.
//   B (the vector side): group q of column j is the 4 bytes at bq + 4 * j, where bq = b +
//   b_koff[q] when b_koff is non-null, else b + q * b_kstride. Columns nvalid..nr-1 are read
//   (they must be readable) and their results dropped.
// `weights_in_a`: A holds weights and B activations (Conv2D; channel params indexed by row),
// else A holds activations and B weights (FullyConnected; params indexed by column). The
// requant arrays are already offset to the tile's first row / column.
struct Int8TileArgs {
  int k4 = 0;
  const uint8_t* a = nullptr;
  const uint8_t* b = nullptr;
  const int32_t* b_koff = nullptr;
  int64_t b_kstride = 0;
  int rows = 0, nvalid = 0;
  bool weights_in_a = true;
  Int8Requant rq;
  int8_t* c = nullptr;  // C[r, j] at c[r * ldc + j]
  int64_t ldc = 0;
};

// The padded plane of a depthwise channel: `rows` rows of sw phases of pwq int16 each (row
// stride sw * pwq); padded column col (input column col - pl) lives in phase col % sw at
// col / sw, so tap (ky, kx) of output (oy, ox) reads row oy*sh + ky*dh, phase (kx*dw) % sw,
// element ox + (kx*dw) / sw: contiguous in ox. pwq leaves room for whole blocks of 16
// outputs. An ISA may use another layout of its own for some geometries (x86: the "pairs"
// plane of x86/int8_dw_x86.h, `pairs` int32 slots per row; AVX-512 VNNI: the "quads" plane of
// x86/int8_dw_vnni.h, `quads` int32 slots per row, 0 when the geometry has none); the plane
// buffer holds max(rows * max(sw * pwq, 2 * pairs) int16, rows * 4 * quads bytes).
// x_zp: the input zero point (dw_pad's zp), for layouts that fold it into the accumulator.
struct DwGeom {
  int32_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1, pt = 0, pl = 0;
  int32_t oh = 0, ow = 0, rows = 0, x_zp = 0;
  int64_t pwq = 0, pairs = 0, quads = 0;
};

// INT8 Add of two tensors of one shape (ref::add_i8's arithmetic, TFLite's). Each input
// term mbqm((v - zp) << left_shift, mul) depends only on the byte v, so the driver tabulates
// it exactly (lut_a[uint8(v)], lut_b[uint8(v)], 256 entries each, with ref's own functions)
// and the routine computes y = clamp(out_zp + mbqm(lut_a[a] + lut_b[b], out_*), qmin, qmax),
// mbqm being multiply_by_quantized_multiplier (requantize.h) with (mult, lshift, rshift).
// The driver also gives the tables as byte planes (lut_bytes[(t * 4 + k) * 256 + i] = byte k of
// entry i of lut_a (t = 0) or lut_b (t = 1), for byte-permute lookups) and sum_bound >=
// max |lut_a[i] + lut_b[j]|.
struct Int8AddParams {
  const int32_t* lut_a = nullptr;
  const int32_t* lut_b = nullptr;
  const uint8_t* lut_bytes = nullptr;
  int64_t sum_bound = 0;
  int32_t out_mult = 0, out_lshift = 0, out_rshift = 0;
  int32_t out_zp = 0, qmin = -128, qmax = 127;
};

struct IsaInt8Kernels {
  Isa isa = Isa::kScalar;
  const char* name = "";  // kernel-name suffix ("avx512_vnni", "avx2", "neon_dotprod", "neon")
  int mr = 0, nr = 0;
  uint8_t act_xor = 0;  // 0x80 (u8 activations) or 0 (s8), see above

  void (*tile)(const Int8TileArgs& args);

  // dst[4 * i + j] = rows[j][i] ^ act_xor for i < n, j < 4 (a 4-channel interleave).
  void (*interleave4)(const int8_t* r0, const int8_t* r1, const int8_t* r2, const int8_t* r3,
                      int64_t n, uint8_t* dst);

  // Depthwise, one channel plane (DwGeom): dw_pad writes the padded plane of x [h, w] as
  // int16 x - zp (0 in the padding); dw_conv computes y [oh, ow] = requant(sum of the taps
  // + rq.offset[0]) with the channel constants rq.*[0].
  void (*dw_pad)(const int8_t* x, int32_t h, int32_t w, int32_t zp, const DwGeom& g, int16_t* dst);
  void (*dw_conv)(const int16_t* plane, const DwGeom& g, const int16_t* w, const Int8Requant& rq,
                  int8_t* y);
  // Optional (null: dw_pad then dw_conv): the same y from x in one routine, `scratch` being
  // the plane buffer.
  void (*dw_plane)(const int8_t* x, int32_t h, int32_t w, const DwGeom& g, const int16_t* wts,
                   const Int8Requant& rq, int16_t* scratch, int8_t* y) = nullptr;
  // MaxPool of one plane x [h, w] into y [oh, ow] (geometry as DwGeom, -128 in the padding),
  // buf: rows * sw * pwq bytes of scratch.
  void (*max_plane)(const int8_t* x, int32_t h, int32_t w, const DwGeom& g, int8_t* buf, int8_t* y);
  // acc[p] = sum_{i < spatial} (x[p * spatial + i] - zp) in int32, p < planes (GlobalAveragePool).
  void (*plane_sums)(const int8_t* x, int64_t planes, int64_t spatial, int32_t zp, int32_t* acc);
  // Quantize f32 -> i8 per tensor, exactly ref::quantize_value: y = clamp(nearbyint(x / scale)
  // + zp, -128, 127) in float (NaN -> -128), i < n.
  void (*quantize)(const float* x, int64_t n, float scale, int32_t zp, int8_t* y);
  // y[i] = a[i] + b[i] as Int8AddParams says, i < n.
  void (*add)(const int8_t* a, const int8_t* b, int64_t n, const Int8AddParams& p, int8_t* y);
};

// The INT8 routines for the ISA `isa` (selected_isa(), possibly lowered): on x86 kAvx512 gives
// the AVX-512 VNNI set when the CPU has VNNI, else the AVX2 set; AArch64 kNeonDotprod the sdot
// set. Null for kScalar or when nothing is compiled.
const IsaInt8Kernels* isa_int8_kernels(Isa isa);

}  // namespace strix::kernels::cpu
