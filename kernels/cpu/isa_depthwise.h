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

struct IsaDepthwiseKernels {
  DepthwisePlaneFn plane_s1 = nullptr;
  DepthwisePlaneFn plane_s2 = nullptr;
};

// True when plane_s1 / plane_s2 handle this kernel size.
inline bool depthwise_plane_supported(int64_t kh, int64_t kw) {
  return (kh == 3 && kw == 3) || (kh == 5 && kw == 5);
}

// Null when `isa` is not compiled into this build (isa.cc).
const IsaDepthwiseKernels* isa_depthwise_kernels(Isa isa);

}  // namespace strix::kernels::cpu
