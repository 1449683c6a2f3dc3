// kernels/cpu/ref/slice_gather.h — Slice and Gather, any dtype (by element size).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "kernels/kernel.h"

namespace strix::kernels::ref {

// ONNX (opset 13) rules for one axis of size `dim`: negative start/end count from the end,
// then for step > 0 start and end clamp to [0, dim], for step < 0 start clamps to
// [0, dim - 1] and end to [-1, dim - 1]. Returns the number of elements taken (>= 0) and
// sets *first to the clamped start. Precondition: step != 0.
int64_t slice_axis(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t* first);

// y[i_0, ..., i_r] = x[first[0] + i_0 * step[0], ...] for every index of `out_shape`.
// x has shape `in_shape` (same rank), elements of `elem_size` bytes, row-major.
void slice_bytes(const void* x, const Shape& in_shape, const int64_t* first, const int64_t* step,
                 const Shape& out_shape, size_t elem_size, void* y);

// data viewed as [outer, axis_dim, inner_bytes], y as [outer, n_indices, inner_bytes]:
// y[o, j] = data[o, indices[j]]. A negative index counts from the end; an index still out of
// [0, axis_dim) (only possible for indices computed at run time) is CLAMPED to the nearest
// valid one instead of reading out of bounds. Precondition: axis_dim > 0 when n_indices > 0.
void gather_bytes(const void* data, int64_t outer, int64_t axis_dim, int64_t inner_bytes,
                  const int32_t* indices, int64_t n_indices, void* y);

Result<std::unique_ptr<Kernel>> make_slice(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_gather(const PrepareArgs& args);

}  // namespace strix::kernels::ref
