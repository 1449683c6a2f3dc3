// kernels/cpu/isa_depthwise.h — the depthwise Conv2D leaf routines for large planes (one
// (image, channel) plane per call, straight from the NCHW input: no padded copy), between the
// portable driver (conv_depthwise.cc) and the SIMD code (x86/depthwise_impl.h, instantiated by
// x86/avx2.cc, x86/avx512.cc and arm/neon.cc over their vector traits). Plain types only, as
// in isa.h.
#pragma once

#include <cstdint>

#include "kernels/cpu/isa.h"

namespace strix::kernels::cpu {

// One plane of an undilated depthwise conv, square stride s (1 or 2), kernel kh x kw with
// (kh, kw) one of (3, 3) and (5, 5):
//   y[oy][ox] = act(bias + sum_{ky, kx} w[ky * kw + kx] * x[oy * s + ky - pt][ox * s + kx - pl])
// with zeros outside the [h, w] input plane x; y is [oh, ow] (row stride ow). Geometry from g
// (c, sh, sw, dh, dw unused). zero_row: w zeros (read for the rows outside the image).
using DepthwisePlaneFn = void (*)(const ConvGeom& g, const float* x, const float* w, float bias,
                                  const Act* act, float* y, const float* zero_row);

// Small planes, undilated, kh * kw <= kDwFlatMaxTaps, at most kDwFlatMaxChunks vectors of
// output positions per plane (plan: the DwFlatPlan of this geometry, stride and lanes): `planes`
// consecutive [h, w] planes of x (the first of channel c, then c + 1, ... wrapping at
// `channels`: consecutive planes of an NCHW batch), each computed as one flat run of oh * ow
// positions (all lanes busy whatever the plane width):
//   y[oy][ox] = act(bias[c] + sum w[c * kh * kw + ky * kw + kx] * x[s * oy + ky - pt][s * ox +
//   kx - pl]), zeros outside the image; bias may be null (0); y: the planes' outputs, oh * ow
//   floats apart.
// flat_s1: stride 1 with the output the size of the input (oh == h, ow == w). flat_s2: stride 2
// with 2 * oh >= h, 2 * ow >= w, w <= 2 * lanes, ow <= lanes (conv_depthwise.cc uses it for 3x3
// with w <= lanes only: measured faster there, slower on wider rows and for 5x5 on 2 threads);
// buf: dw_flat_s2_buf(h, ow) floats of scratch (unused by flat_s1).
constexpr int kDwFlatMaxChunks = 13;  // 14x14 output planes on AVX-512
constexpr int kDwFlatMaxTaps = 64;
// The geometry-only part of a flat depthwise (built once at prepare, conv_depthwise.cc): output
// positions in chunks of `lanes`, i = oy * ow + ox; tap t = ky * kw + kx of chunk q reads
// lanes masks[t][q] (zero for chunks past the plane) at src + q * lanes + offsets[t], src the
// input plane (stride 1: oh == h, ow == w) or the four phases of stride 2 (each
// [ceil(h / 2)][ow]: rows of parity py, columns of parity px, phase py * 2 + px).
struct DwFlatPlan {
  uint32_t masks[kDwFlatMaxTaps][kDwFlatMaxChunks] = {};
  int64_t offsets[kDwFlatMaxTaps] = {};
};
using DepthwiseFlatFn = void (*)(const ConvGeom& g, const DwFlatPlan& plan, const float* x,
                                 int64_t planes, int64_t c, int64_t channels, const float* w,
                                 const float* bias, const Act* act, float* y, float* buf);
// Scratch of flat_s2: the four phases of kDwFlatS2Group planes.
constexpr int64_t kDwFlatS2Group = 4;
inline int64_t dw_flat_s2_buf(int64_t h, int64_t ow) {
  return kDwFlatS2Group * 4 * ((h + 1) / 2) * ow;
}

struct IsaDepthwiseKernels {
  DepthwisePlaneFn plane_s1 = nullptr;
  DepthwisePlaneFn plane_s2 = nullptr;
  DepthwiseFlatFn flat_s1 = nullptr;  // AVX-512 only (native masked loads); null elsewhere
  DepthwiseFlatFn flat_s2 = nullptr;
};

// True when plane_s1 / plane_s2 handle this kernel size.
inline bool depthwise_plane_supported(int64_t kh, int64_t kw) {
  return (kh == 3 && kw == 3) || (kh == 5 && kw == 5);
}

// Null when `isa` is not compiled into this build (isa.cc).
const IsaDepthwiseKernels* isa_depthwise_kernels(Isa isa);

}  // namespace strix::kernels::cpu
