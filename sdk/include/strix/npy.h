// strix/npy.h — NumPy .npy files (format 1.0-3.0), for tools and tests.
//
//   strix::Result<strix::NpyArray> a = strix::read_npy("input.npy");
//   if (!a.ok()) return report(a.status());        // names the file and the problem
//   strix::write_npy("out.npy", strix::DType::kF32, shape, data);
//
// Supported element types: <f4 (f32), <f2 (f16), |i1 (i8), |u1 (u8), <i4 (i32), C order only.
// Any other descr (e.g. <f8, >f4, fortran_order True) is rejected with a message naming it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "strix/status.h"
#include "strix/tensor.h"

namespace strix {

struct NpyArray {
  DType dtype = DType::kF32;
  Shape shape;
  std::vector<uint8_t> data;  // shape.num_elements() * dtype_size(dtype) bytes
};

Result<NpyArray> read_npy(const std::string& path);
// Parses an in-memory .npy image; `origin` names it in messages.
Result<NpyArray> parse_npy(const uint8_t* bytes, size_t size, const std::string& origin);
Status write_npy(const std::string& path, DType dtype, const Shape& shape, const void* data);

}  // namespace strix
