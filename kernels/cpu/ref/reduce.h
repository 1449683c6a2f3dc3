// kernels/cpu/ref/reduce.h — ReduceSum, ReduceMean and ReduceMax over a set of axes, f32.
#pragma once

#include <cstdint>

#include "kernels/kernel.h"

namespace strix::kernels::ref {

enum class ReduceKind { kSum, kMean, kMax };

// X has shape `in_shape`; reduced[d] marks the reduced dimensions. y holds the product of
// the kept dimensions, in X's order (the same layout with or without keep_dims).
// Sum and mean accumulate in float in X's memory order; max propagates NaN; a reduction
// over zero elements gives 0 (sum), NaN (mean) or -inf (max). x must not alias y.
void reduce_f32(ReduceKind kind, const float* x, const Shape& in_shape, const bool* reduced,
                float* y);

Result<std::unique_ptr<Kernel>> make_reduce(const PrepareArgs& args);  // ReduceSum/Mean/Max

}  // namespace strix::kernels::ref
