// kernels/cpu/ref/registry.h — the reference backend's op table (internal).
#pragma once

#include <cstdint>

#include "kernels/kernel.h"

namespace strix::kernels::ref {

// Bit masks of the DTypes an op accepts for its first input.
constexpr uint32_t dtype_bit(DType t) { return 1u << static_cast<int>(t); }
constexpr uint32_t kF32 = dtype_bit(DType::kF32);
constexpr uint32_t kF16 = dtype_bit(DType::kF16);  // storage; computed in f32 by an adapter
constexpr uint32_t kI8 = dtype_bit(DType::kI8);
constexpr uint32_t kU8 = dtype_bit(DType::kU8);
constexpr uint32_t kI32 = dtype_bit(DType::kI32);
constexpr uint32_t kFloat = kF32 | kF16;
constexpr uint32_t kAnyDType = kF32 | kF16 | kI8 | kU8 | kI32;

struct RefOp {
  KernelFactory factory = nullptr;
  uint32_t dtypes = 0;  // accepted dtypes of input 0
  // False: f16 tensors are converted to f32 around an f32 kernel by the backend.
  // True: the kernel handles every dtype itself (data movement by element size).
  bool dtype_generic = false;
};

// Indexed by fb::OpType; an entry with a null factory is an op this backend lacks.
const RefOp& ref_op(fb::OpType op);

// Factories are declared in each op family's header (unary.h, conv.h, ...) and listed in
// registry.cc.

}  // namespace strix::kernels::ref
