// kernels/cpu/conv_rows.h — the positions-major Conv2D (group 1) of the optimized CPU backend:
// output positions are the GEMM rows (broadcast side) and output channels the vector side, so
// that small output planes (7x7, 14x14, 1x1: N = 49, 196, 1 positions) fill every vector lane.
// conv.cc picks it over the channels-major GEMM when it wastes fewer lanes (conv_rows_wins).
#pragma once

#include <memory>

#include "kernels/cpu/common.h"
#include "kernels/cpu/ref/conv.h"

namespace strix::kernels::cpu {

// True when a group-1 conv with m output channels, n = oh * ow output positions per image and
// k = c * kh * kw should run positions-major: n small enough for one image's im2col block to
// stay in L2, clearly fewer idle lanes with channels on the vector side than with positions
// there, and (unless n is tiny) enough K per output to amortize the output transpose.
bool conv_rows_wins(const IsaKernels& isa, int64_t m, int64_t n, int64_t k);

// p.group == 1. Validation is the caller's (make_conv2d ran the reference factory).
Result<std::unique_ptr<Kernel>> make_conv_rows(const PrepareArgs& args, const IsaKernels& isa,
                                               const ref::Conv2DParams& p,
                                               const ref::ActivationParams& act);

}  // namespace strix::kernels::cpu
