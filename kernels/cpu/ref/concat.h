// kernels/cpu/ref/concat.h — Concat and Split along one axis, any dtype (by element size).
//
// Both view each tensor as [outer, axis_size * inner] rows of bytes, where outer is the
// product of the dims before the axis and inner the product of the dims after it.
#pragma once

#include <cstdint>
#include <memory>

#include "kernels/cpu/ref/requantize.h"
#include "kernels/kernel.h"

namespace strix::kernels::ref {

// y = concat(x[0..n)) where x[i] is [outer, row_bytes[i]] and y is [outer, sum(row_bytes)].
void concat_bytes(const void* const* x, const int64_t* row_bytes, int n, int64_t outer, void* y);

// The inverse: y[i] = the [outer, row_bytes[i]] column block i of x.
void split_bytes(const void* x, const int64_t* row_bytes, int n, int64_t outer, void* const* y);

// Requantizing an 8-bit value: (x - in_zp) is shifted left by this many bits before the
// fixed-point multiply (and the multiplier divided by 2^this), as TFLite's Add does, so
// that the small difference keeps its fractional precision through requantize().
constexpr int kRequantizeLeftShift = 20;

// The multiplier for real_multiplier = in_scale / out_scale, for requantize_values().
QuantizedMultiplier requantize_values_multiplier(double real_multiplier);

// y[i] = clamp(out_zp + round(M * (x[i] - in_zp))) for n quantized values (int8 when
// is_signed, else uint8), with m from requantize_values_multiplier(M).
void requantize_values(const void* x, int64_t n, bool is_signed, int32_t in_zp,
                       QuantizedMultiplier m, int32_t out_zp, void* y);

Result<std::unique_ptr<Kernel>> make_concat(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_split(const PrepareArgs& args);

}  // namespace strix::kernels::ref
