// kernels/cpu/ref/movement_util.h — small helpers shared by the data movement kernels
// (shape ops, Concat, Split, Slice, Gather, Transpose, Pad, Cast, Custom). Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/kernel.h"

// Helpers live in their own namespace so they never clash with other families' helpers.
namespace strix::kernels::ref::movement {

// Row-major element strides of `shape`: strides[rank - 1] = 1.
inline void row_major_strides(const Shape& shape, int64_t* strides) {
  int64_t s = 1;
  for (int d = shape.rank() - 1; d >= 0; --d) {
    strides[d] = s;
    s *= shape[d];
  }
}

// Product of dims [begin, end) of `shape`.
inline int64_t dims_product(const Shape& shape, int begin, int end) {
  int64_t n = 1;
  for (int d = begin; d < end; ++d) n *= shape[d];
  return n;
}

// Checks that output i has dtype `dtype` (data movement keeps the element type).
inline Status expect_same_dtype_output(const PrepareArgs& args, int i, DType dtype) {
  const KTensor& t = *args.outputs[i];
  if (t.dtype != dtype)
    return node_error(args, StatusCode::kUnsupported, "output %d '%s' is %s, expected %s", i,
                      t.name.c_str(), dtype_name(t.dtype), dtype_name(dtype));
  return Status();
}

// Copies `bytes` bytes unless source and destination are the same memory.
inline void copy_bytes(const void* x, void* y, size_t bytes) {
  if (x != y && bytes > 0) std::memcpy(y, x, bytes);
}

// Reads an fb vector of integers into a std::vector<int64_t> (empty for null).
template <typename V>
std::vector<int64_t> to_int64_vector(const V* v) {
  std::vector<int64_t> out;
  if (v != nullptr) out.assign(v->begin(), v->end());
  return out;
}

// Zero point of channel i (0 when the list is empty, the single value when per-tensor).
inline int64_t zero_point_at(const Quantization& q, size_t i) {
  if (q.zero_points.empty()) return 0;
  return q.zero_points.size() == 1 ? q.zero_points[0] : q.zero_points[i];
}

// True when a and b describe the same mapping (both null counts as the same).
inline bool same_quantization(const Quantization* a, const Quantization* b) {
  if (a == nullptr || b == nullptr) return a == b;
  if (a->scales != b->scales) return false;
  for (size_t i = 0; i < a->scales.size(); ++i)
    if (zero_point_at(*a, i) != zero_point_at(*b, i)) return false;
  return a->scales.size() == 1 || a->axis == b->axis;
}

}  // namespace strix::kernels::ref::movement
