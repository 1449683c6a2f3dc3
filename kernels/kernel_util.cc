#include <cstdarg>
#include <cstdio>

#include "kernels/kernel.h"

namespace strix::kernels {

Status node_error(const PrepareArgs& args, StatusCode code, const char* format, ...) {
  char buffer[1024];
  va_list ap;
  va_start(ap, format);
  std::vsnprintf(buffer, sizeof(buffer), format, ap);
  va_end(ap);
  return Status(code, args.node_label + ": " + buffer);
}

Status expect_arity(const PrepareArgs& args, int min_inputs, int max_inputs, int outputs) {
  int n = static_cast<int>(args.inputs.size());
  if (n < min_inputs || n > max_inputs) {
    if (min_inputs == max_inputs)
      return node_error(args, StatusCode::kCorruptModel, "expects %d inputs, has %d", min_inputs,
                        n);
    return node_error(args, StatusCode::kCorruptModel, "expects %d to %d inputs, has %d",
                      min_inputs, max_inputs, n);
  }
  for (int i = 0; i < min_inputs; ++i) {
    if (args.inputs[i] == nullptr)
      return node_error(args, StatusCode::kCorruptModel, "required input %d is omitted", i);
  }
  if (outputs >= 0 && static_cast<int>(args.outputs.size()) != outputs)
    return node_error(args, StatusCode::kCorruptModel, "expects %d outputs, has %zu", outputs,
                      args.outputs.size());
  return Status();
}

Status expect_input(const PrepareArgs& args, int i, DType dtype) {
  if (i >= static_cast<int>(args.inputs.size()) || args.inputs[i] == nullptr)
    return node_error(args, StatusCode::kCorruptModel, "input %d is missing", i);
  const KTensor& t = *args.inputs[i];
  if (t.dtype != dtype)
    return node_error(args, StatusCode::kUnsupported, "input %d '%s' is %s, expected %s", i,
                      t.name.c_str(), dtype_name(t.dtype), dtype_name(dtype));
  return Status();
}

Status expect_constant(const PrepareArgs& args, int i, DType dtype) {
  STRIX_RETURN_IF_ERROR(expect_input(args, i, dtype));
  if (args.inputs[i]->constant == nullptr)
    return node_error(args, StatusCode::kUnsupported,
                      "input %d '%s' must be a constant (weights), but is computed at run time", i,
                      args.inputs[i]->name.c_str());
  return Status();
}

Status set_output_shape(const PrepareArgs& args, int i, const Shape& shape) {
  KTensor& out = *args.outputs[i];
  const Shape& stored = out.shape;
  bool fits = stored.rank() == shape.rank();
  for (int d = 0; fits && d < shape.rank(); ++d) fits = stored[d] < 0 || stored[d] == shape[d];
  if (!fits)
    return node_error(args, StatusCode::kShapeMismatch,
                      "output %d '%s' is stored as %s but the inputs give %s", i, out.name.c_str(),
                      stored.to_string().c_str(), shape.to_string().c_str());
  for (int d = 0; d < shape.rank(); ++d) {
    if (shape[d] < 0)
      return node_error(args, StatusCode::kShapeMismatch,
                        "output %d '%s' has a negative dimension %s", i, out.name.c_str(),
                        shape.to_string().c_str());
  }
  out.shape = shape;
  return Status();
}

Status normalize_axis(const PrepareArgs& args, int64_t axis, int rank, int* out) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    return node_error(args, StatusCode::kCorruptModel, "axis %lld is out of range for rank %d",
                      static_cast<long long>(axis), rank);
  *out = static_cast<int>(a);
  return Status();
}

}  // namespace strix::kernels
