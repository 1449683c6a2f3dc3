#include "kernels/cpu/ref/conv_geometry.h"

#include "kernels/cpu/ref/layer_util.h"

namespace strix::kernels::ref {

Status check_conv_shapes(const PrepareArgs& args, const Shape& x, const Shape& w,
                         const char* w_layout) {
  const KTensor& xt = *args.inputs[0];
  const KTensor& wt = *args.inputs[1];
  if (x.rank() != 4)
    return node_error(args, StatusCode::kShapeMismatch,
                      "input 0 '%s' must be rank 4 [N,C,H,W], has shape %s", xt.name.c_str(),
                      x.to_string().c_str());
  if (w.rank() != 4)
    return node_error(args, StatusCode::kShapeMismatch,
                      "weights '%s' must be rank 4 [%s], has shape %s", wt.name.c_str(), w_layout,
                      w.to_string().c_str());
  for (int d = 0; d < 4; ++d) {
    if (x[d] < 1 || w[d] < 1)
      return node_error(args, StatusCode::kShapeMismatch,
                        "input 0 %s and weights %s must have positive dimensions",
                        x.to_string().c_str(), w.to_string().c_str());
  }
  return Status();
}

Status check_conv_group(const PrepareArgs& args, int64_t group, int64_t channels) {
  if (group < 1)
    return node_error(args, StatusCode::kCorruptModel, "group %lld must be >= 1",
                      static_cast<long long>(group));
  if (channels % group != 0)
    return node_error(args, StatusCode::kShapeMismatch,
                      "group %lld does not divide the %lld input channels",
                      static_cast<long long>(group), static_cast<long long>(channels));
  return Status();
}

Status read_conv_window(const PrepareArgs& args, const flatbuffers::Vector<int32_t>* kernel,
                        const flatbuffers::Vector<int32_t>* strides,
                        const flatbuffers::Vector<int32_t>* dilations,
                        const flatbuffers::Vector<int32_t>* pads, const Shape& w, ConvWindow* win) {
  STRIX_RETURN_IF_ERROR(read_ints(args, kernel, "kernel", 2, -1, win->kernel));
  STRIX_RETURN_IF_ERROR(read_ints(args, strides, "strides", 2, 1, win->strides));
  STRIX_RETURN_IF_ERROR(read_ints(args, dilations, "dilations", 2, 1, win->dilations));
  STRIX_RETURN_IF_ERROR(read_ints(args, pads, "pads", 4, 0, win->pads));
  if (win->kernel[0] != -1 && (win->kernel[0] != w[2] || win->kernel[1] != w[3]))
    return node_error(
        args, StatusCode::kShapeMismatch, "kernel [%lld, %lld] does not match weights '%s' %s",
        static_cast<long long>(win->kernel[0]), static_cast<long long>(win->kernel[1]),
        args.inputs[1]->name.c_str(), w.to_string().c_str());
  for (int i = 0; i < 2; ++i) {
    if (win->strides[i] < 1)
      return node_error(args, StatusCode::kCorruptModel, "stride %lld must be >= 1",
                        static_cast<long long>(win->strides[i]));
    if (win->dilations[i] < 1)
      return node_error(args, StatusCode::kCorruptModel, "dilation %lld must be >= 1",
                        static_cast<long long>(win->dilations[i]));
  }
  for (int i = 0; i < 4; ++i) {
    if (win->pads[i] < 0)
      return node_error(args, StatusCode::kCorruptModel, "pad %lld must be >= 0",
                        static_cast<long long>(win->pads[i]));
  }
  return Status();
}

Status check_f32_bias(const PrepareArgs& args, int64_t m, bool* has_bias) {
  *has_bias = args.inputs.size() > 2 && args.inputs[2] != nullptr;
  if (!*has_bias) return Status();
  STRIX_RETURN_IF_ERROR(expect_constant(args, 2, DType::kF32));
  const KTensor& b = *args.inputs[2];
  if (b.shape.rank() != 1 || b.shape[0] != m)
    return node_error(args, StatusCode::kShapeMismatch,
                      "bias '%s' has shape %s, expected [%lld] (one per output channel)",
                      b.name.c_str(), b.shape.to_string().c_str(), static_cast<long long>(m));
  return Status();
}

}  // namespace strix::kernels::ref
