#include "kernels/cpu/ref/layer_util.h"

namespace strix::kernels::ref {

Status check_options_type(const PrepareArgs& args, fb::OpOptions expected) {
  fb::OpOptions type = args.node->options_type();
  if (type != fb::OpOptions::NONE && type != expected)
    return node_error(args, StatusCode::kCorruptModel, "has %s options, expected %s",
                      fb::EnumNameOpOptions(type), fb::EnumNameOpOptions(expected));
  return Status();
}

Status fused_activation(const PrepareArgs& args, const fb::Activation* activation,
                        ActivationParams* out) {
  *out = activation_params(activation);
  if (out->kind < fb::ActivationKind::MIN || out->kind > fb::ActivationKind::MAX)
    return node_error(args, StatusCode::kCorruptModel, "unknown fused activation kind %d",
                      static_cast<int>(out->kind));
  if (out->kind == fb::ActivationKind::Clip && !(out->alpha <= out->beta))
    return node_error(args, StatusCode::kCorruptModel,
                      "fused Clip activation has min %g greater than max %g", out->alpha,
                      out->beta);
  return Status();
}

Status read_ints(const PrepareArgs& args, const flatbuffers::Vector<int32_t>* values,
                 const char* what, int count, int64_t fallback, int64_t* out) {
  if (values == nullptr || values->size() == 0) {
    for (int i = 0; i < count; ++i) out[i] = fallback;
    return Status();
  }
  if (static_cast<int>(values->size()) != count)
    return node_error(args, StatusCode::kCorruptModel, "%s has %u values, expected %d", what,
                      values->size(), count);
  for (int i = 0; i < count; ++i) out[i] = values->Get(i);
  return Status();
}

Status expect_output_dtype(const PrepareArgs& args, int i, DType dtype) {
  const KTensor& t = *args.outputs[i];
  if (t.dtype != dtype)
    return node_error(args, StatusCode::kUnsupported, "output %d '%s' is %s, expected %s", i,
                      t.name.c_str(), dtype_name(t.dtype), dtype_name(dtype));
  return Status();
}

}  // namespace strix::kernels::ref
