// kernels/cpu/isa_stem.h — the direct Conv2D for image stems (few input channels, 3x3 or 7x7
// stride 2: the first layer of MobileNet / EfficientNet / SqueezeNet / ResNet), between the
// portable driver (conv_stem.cc) and the SIMD code (x86/stem_impl.h, instantiated by
// x86/avx2.cc, x86/avx512.cc and arm/neon.cc over their vector traits). There K = C * 9
// (C * 49) is too short for the im2col GEMM to amortize its packing; the direct kernel puts W
// output columns on the vector lanes, reads each input row once per block of `lanes` output
// channels (de-interleaved, as the stride-2 depthwise) and multiplies it by broadcast weights.
// Plain types only, as in isa.h.
#pragma once

#include <cstdint>

#include "kernels/cpu/isa.h"

namespace strix::kernels::cpu {

// Output rows [oy0, oy1) of one image of a group-1, undilated KxK stride-(2, 2) conv, for the
// output channels [m0, m0 + nm) (nm <= lanes): y points at channel m0's plane of the image
// (planes oh * ow floats apart), x at the image [c, h, w]; g gives c, h, w, pt, pl, oh, ow.
// w: that channel block's weights packed as [(c * K + ky) * K + kx][lanes] (zero past nm),
// bias [lanes] (zero past nm); act fused. zero_row: w zeros (read for the rows outside the
// image).
using StemConvFn = void (*)(const ConvGeom& g, const float* x, const float* w, const float* bias,
                            const Act* act, float* y, int nm, int32_t oy0, int32_t oy1,
                            const float* zero_row);

// The same for a KxK stride-(2, 2) conv from the image padded and de-interleaved by
// IsaKernels::pad_plane (sw 2, fill 0, pt / pl of g): xp holds g.c planes of prows = 2 (oh - 1)
// + K rows of pw = 2 half floats (padded row r is input row r - pt; padded column p, input
// column p - pl, is at p / 2 + (p % 2) * half). half: a multiple of lanes, >= ow rounded up to
// lanes plus (K - 1) / 2. No edge cases: every tap is one unaligned load. Stores bias + sums:
// the caller runs the fused activation over the stored rows (IsaKernels::activation; fused
// into these unrolled loops it measured no faster, and the extra inlined copies of apply_act
// pushed avx512.cc past GCC's inlining budget).
using StemPaddedFn = void (*)(const ConvGeom& g, const float* xp, int64_t prows, int64_t half,
                              const float* w, const float* bias, float* y, int nm, int32_t oy0,
                              int32_t oy1);

struct IsaStemKernels {
  StemConvFn conv3x3s2 = nullptr;    // from the NCHW input (masked edge chunks)
  StemPaddedFn conv7x7s2 = nullptr;  // ResNet's 3 -> 64 stem, from the padded image
};

// Null when `isa` is not compiled into this build (isa.cc).
const IsaStemKernels* isa_stem_kernels(Isa isa);

}  // namespace strix::kernels::cpu
