// kernels/cpu/ref/shape_ops.h — Reshape, Flatten, Squeeze, Unsqueeze: any dtype.
//
// Each output is its input's bytes with a new shape, so the kernels set Kernel::is_view and
// the memory planner aliases output 0 to input 0. eval() still copies the bytes, for graphs
// where the planner cannot alias (e.g. the input is a graph input that is also an output).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/kernel.h"

namespace strix::kernels::ref {

// Output shape of Reshape: `spec` dims, 0 copies the input dim at the same index, -1 (at most
// once) is inferred. Returns false with a message in *error when the spec does not fit.
bool reshape_shape(const Shape& in, const std::vector<int64_t>& spec, Shape* out,
                   std::string* error);

Result<std::unique_ptr<Kernel>> make_reshape(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_flatten(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_squeeze(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_unsqueeze(const PrepareArgs& args);

}  // namespace strix::kernels::ref
