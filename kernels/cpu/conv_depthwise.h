// kernels/cpu/conv_depthwise.h — the depthwise Conv2D (group == C == M, multiplier 1) of the
// optimized CPU backend (conv_depthwise.cc); conv.cc dispatches to it.
#pragma once

#include <memory>

#include "kernels/cpu/common.h"
#include "kernels/cpu/ref/conv.h"

namespace strix::kernels::cpu {

// p.group == p.c == p.m. Validation is the caller's (make_conv2d ran the reference factory);
// kUnsupported for dilation, kernels larger than 8x8 and stride_w > 2.
Result<std::unique_ptr<Kernel>> make_depthwise(const PrepareArgs& args, const IsaKernels& isa,
                                               const ref::Conv2DParams& p,
                                               const ref::ActivationParams& act);

}  // namespace strix::kernels::cpu
