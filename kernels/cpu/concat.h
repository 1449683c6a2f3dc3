// kernels/cpu/concat.h — Concat of f32 tensors for the optimized CPU backend: the same byte
// layout as the reference (ref/concat.h: each tensor as [outer, axis * inner] rows), copied
// by the thread pool in blocks of at most kConcatChunkBytes.
#pragma once

#include <memory>

#include "kernels/cpu/common.h"

namespace strix::kernels::cpu {

// Validation, messages and the output shape: the reference's (ref::make_concat). Inputs with
// another dtype than f32 (8-bit requantizing concats, f16 storage): kUnsupported.
Result<std::unique_ptr<Kernel>> make_concat(const PrepareArgs& args, const IsaKernels& isa);

}  // namespace strix::kernels::cpu
