// kernels/cpu/ref/transpose_pad.h — Transpose (any dtype) and Pad (any dtype; f16 through
// the f32 adapter), both by element size over row-major tensors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "kernels/kernel.h"

namespace strix::kernels::ref {

// y = x transposed: y's dim d is x's dim perm[d], y[i_0, ..., i_r] = x[j] with
// j[perm[d]] = i_d. `perm` is a permutation of [0, rank).
void transpose_bytes(const void* x, const Shape& in_shape, const int* perm, size_t elem_size,
                     void* y);

// Where output index o along an axis of input size `dim` reads from, for pads `begin` and
// `end` (negative = crop; cropping applies first, then padding around the cropped range,
// as ONNX Runtime does). Returns -1 for Constant padding positions.
int64_t pad_source_index(int64_t o, int64_t dim, int64_t begin, int64_t end, fb::PadMode mode);

// y = pad(x). pads = [x1_begin, ..., xr_begin, x1_end, ..., xr_end] (ONNX order), `fill`
// is one element of `elem_size` bytes used by Constant mode. The output shape is
// in_shape[d] + begin[d] + end[d]. Preconditions (checked by make_pad): every cropped range
// is non-negative, Reflect pads are < the cropped size, Edge pads need a cropped size >= 1.
void pad_bytes(const void* x, const Shape& in_shape, const int64_t* pads, fb::PadMode mode,
               const void* fill, size_t elem_size, void* y);

Result<std::unique_ptr<Kernel>> make_transpose(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_pad(const PrepareArgs& args);

}  // namespace strix::kernels::ref
