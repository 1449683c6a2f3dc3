// kernels/cpu/conv_winograd.h — Winograd F(2x2, 3x3) Conv2D of the optimized CPU backend:
// 3x3, stride 1, dilation 1, group 1 convolutions with 2.25x fewer multiplications than the
// direct GEMM. conv.cc picks it when winograd_wins says so.
#pragma once

#include <memory>

#include "kernels/cpu/common.h"
#include "kernels/cpu/ref/conv.h"

namespace strix::kernels::cpu {

// True for 3x3 / stride 1 / dilation 1 / group 1 convs with >= 16 input and output channels and
// >= 36 output tiles: enough work per transform for it to pay off.
bool winograd_wins(const ref::Conv2DParams& p);

// Validation is the caller's (make_conv2d ran the reference factory); p satisfies winograd_wins.
Result<std::unique_ptr<Kernel>> make_conv_winograd(const PrepareArgs& args, const IsaKernels& isa,
                                                   const ref::Conv2DParams& p,
                                                   const ref::ActivationParams& act);

}  // namespace strix::kernels::cpu
