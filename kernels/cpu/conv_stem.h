// kernels/cpu/conv_stem.h — the direct stem Conv2D of the optimized CPU backend (conv_stem.cc,
// isa_stem.h): group 1, C <= 4 input channels, 3x3 or 7x7, stride 2, no dilation, at least
// one vector of output columns. conv.cc picks it before the GEMM paths.
#pragma once

#include <memory>

#include "kernels/cpu/common.h"
#include "kernels/cpu/ref/conv.h"

namespace strix::kernels::cpu {

// True when the direct stem kernel handles p (and this ISA has it).
bool conv_stem_applies(const IsaKernels& isa, const ref::Conv2DParams& p);

// p must satisfy conv_stem_applies. Validation is the caller's (make_conv2d ran the reference
// factory).
Result<std::unique_ptr<Kernel>> make_conv_stem(const PrepareArgs& args, const IsaKernels& isa,
                                               const ref::Conv2DParams& p,
                                               const ref::ActivationParams& act);

}  // namespace strix::kernels::cpu
