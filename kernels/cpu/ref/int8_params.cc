#include "kernels/cpu/ref/int8_params.h"

#include <cmath>

#include "kernels/cpu/ref/layer_util.h"

namespace strix::kernels::ref {
namespace {

bool valid_scale(float s) { return std::isfinite(s) && s > 0.f; }

// Per-tensor activation quantization of input 0 (out_index < 0) or output out_index.
Status per_tensor(const PrepareArgs& args, const KTensor& t, const char* role, int index,
                  float* scale, int32_t* zero_point) {
  if (t.quant == nullptr || t.quant->empty())
    return node_error(args, StatusCode::kCorruptModel, "%s %d '%s' is i8 but has no quantization",
                      role, index, t.name.c_str());
  const Quantization& q = *t.quant;
  if (q.scales.size() != 1 || q.zero_points.size() > 1)
    return node_error(args, StatusCode::kUnsupported,
                      "%s %d '%s' must be quantized per tensor, has %zu scales", role, index,
                      t.name.c_str(), q.scales.size());
  if (!valid_scale(q.scales[0]))
    return node_error(args, StatusCode::kCorruptModel, "%s %d '%s' has an invalid scale %g", role,
                      index, t.name.c_str(), q.scales[0]);
  int64_t zp = q.zero_points.empty() ? 0 : q.zero_points[0];
  if (zp < -128 || zp > 127)
    return node_error(args, StatusCode::kCorruptModel,
                      "%s %d '%s' has zero point %lld outside the i8 range", role, index,
                      t.name.c_str(), static_cast<long long>(zp));
  *scale = q.scales[0];
  *zero_point = static_cast<int32_t>(zp);
  return Status();
}

// Weight scales, expanded to one per channel.
Status weight_scales(const PrepareArgs& args, int w_index, int w_axis, int64_t channels,
                     std::vector<float>* scales) {
  const KTensor& w = *args.inputs[w_index];
  if (w.quant == nullptr || w.quant->empty())
    return node_error(args, StatusCode::kCorruptModel,
                      "input %d '%s' is i8 but has no quantization", w_index, w.name.c_str());
  const Quantization& q = *w.quant;
  size_t n = q.scales.size();
  if (n != 1) {
    if (static_cast<int64_t>(n) != channels)
      return node_error(args, StatusCode::kCorruptModel,
                        "input %d '%s' has %zu scales, expected 1 or %lld (one per output channel)",
                        w_index, w.name.c_str(), n, static_cast<long long>(channels));
    int axis = 0;
    STRIX_RETURN_IF_ERROR(normalize_axis(args, q.axis, w.shape.rank(), &axis));
    if (axis != w_axis)
      return node_error(args, StatusCode::kUnsupported,
                        "input %d '%s' is quantized per channel along axis %d, expected the "
                        "output-channel axis %d",
                        w_index, w.name.c_str(), q.axis, w_axis);
  }
  if (!q.zero_points.empty() && q.zero_points.size() != n)
    return node_error(args, StatusCode::kCorruptModel,
                      "input %d '%s' has %zu scales but %zu zero points", w_index, w.name.c_str(),
                      n, q.zero_points.size());
  for (int64_t zp : q.zero_points) {
    if (zp != 0)
      return node_error(args, StatusCode::kUnsupported,
                        "input %d '%s' has zero point %lld; int8 weights must be symmetric (0)",
                        w_index, w.name.c_str(), static_cast<long long>(zp));
  }
  for (float s : q.scales) {
    if (!valid_scale(s))
      return node_error(args, StatusCode::kCorruptModel, "input %d '%s' has an invalid scale %g",
                        w_index, w.name.c_str(), s);
  }
  scales->assign(static_cast<size_t>(channels), q.scales[0]);
  if (n != 1) scales->assign(q.scales.begin(), q.scales.end());
  return Status();
}

Status check_bias(const PrepareArgs& args, int bias_index, int64_t channels, float x_scale,
                  const std::vector<float>& w_scales) {
  STRIX_RETURN_IF_ERROR(expect_constant(args, bias_index, DType::kI32));
  const KTensor& b = *args.inputs[bias_index];
  if (b.shape.num_elements() != channels || b.shape.rank() < 1 ||
      b.shape[b.shape.rank() - 1] != channels)
    return node_error(args, StatusCode::kShapeMismatch,
                      "bias input %d '%s' has shape %s, expected %lld values (one per output "
                      "channel)",
                      bias_index, b.name.c_str(), b.shape.to_string().c_str(),
                      static_cast<long long>(channels));
  if (b.quant == nullptr || b.quant->empty()) return Status();
  const Quantization& q = *b.quant;
  if (q.scales.size() != 1 && static_cast<int64_t>(q.scales.size()) != channels)
    return node_error(args, StatusCode::kCorruptModel,
                      "bias input %d '%s' has %zu scales, expected 1 or %lld", bias_index,
                      b.name.c_str(), q.scales.size(), static_cast<long long>(channels));
  for (int64_t zp : q.zero_points) {
    if (zp != 0)
      return node_error(args, StatusCode::kCorruptModel,
                        "bias input %d '%s' has zero point %lld, expected 0", bias_index,
                        b.name.c_str(), static_cast<long long>(zp));
  }
  for (int64_t c = 0; c < channels; ++c) {
    double want = static_cast<double>(x_scale) * w_scales[c];
    double have = q.scales[q.scales.size() == 1 ? 0 : c];
    if (!(std::fabs(have - want) <= 1e-6 * want))
      return node_error(args, StatusCode::kCorruptModel,
                        "bias input %d '%s' channel %lld has scale %g, expected x_scale * w_scale "
                        "= %g",
                        bias_index, b.name.c_str(), static_cast<long long>(c), have, want);
  }
  return Status();
}

}  // namespace

Status int8_quant_params(const PrepareArgs& args, int w_index, int w_axis, int64_t channels,
                         int bias_index, const fb::Activation* activation, QuantParams* q) {
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kI8));
  STRIX_RETURN_IF_ERROR(expect_constant(args, w_index, DType::kI8));
  STRIX_RETURN_IF_ERROR(expect_output_dtype(args, 0, DType::kI8));
  float x_scale = 0, y_scale = 0;
  STRIX_RETURN_IF_ERROR(per_tensor(args, *args.inputs[0], "input", 0, &x_scale, &q->x_zero_point));
  std::vector<float> w_scales;
  STRIX_RETURN_IF_ERROR(weight_scales(args, w_index, w_axis, channels, &w_scales));
  if (bias_index >= 0 && bias_index < static_cast<int>(args.inputs.size()) &&
      args.inputs[bias_index] != nullptr)
    STRIX_RETURN_IF_ERROR(check_bias(args, bias_index, channels, x_scale, w_scales));
  STRIX_RETURN_IF_ERROR(
      per_tensor(args, *args.outputs[0], "output", 0, &y_scale, &q->y_zero_point));

  q->multipliers.resize(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c)
    q->multipliers[c] = quantize_multiplier(static_cast<double>(x_scale) * w_scales[c] / y_scale);

  ActivationParams act;
  STRIX_RETURN_IF_ERROR(fused_activation(args, activation, &act));
  q->qmin = -128;
  q->qmax = 127;
  switch (act.kind) {
    case fb::ActivationKind::None: break;
    case fb::ActivationKind::Relu:
      q->qmin = quantize_value(0.f, y_scale, q->y_zero_point, -128, 127);
      break;
    case fb::ActivationKind::Clip:
      q->qmin = quantize_value(act.alpha, y_scale, q->y_zero_point, -128, 127);
      q->qmax = quantize_value(act.beta, y_scale, q->y_zero_point, -128, 127);
      break;
    default:
      return node_error(args, StatusCode::kUnsupported,
                        "fused activation %s is not supported for int8 (only None, Relu, Clip)",
                        fb::EnumNameActivationKind(act.kind));
  }
  return Status();
}

Status int8_tensor_quant(const PrepareArgs& args, const KTensor& t, float* scale, int32_t* zp) {
  const Quantization* q = t.quant;
  if (q == nullptr || q->scales.size() != 1 || q->zero_points.size() > 1)
    return node_error(args, StatusCode::kUnsupported,
                      "int8 tensor '%s' must be quantized per tensor (one scale)", t.name.c_str());
  *scale = q->scales[0];
  int64_t z = q->zero_points.empty() ? 0 : q->zero_points[0];
  if (!(*scale > 0.f) || !std::isfinite(*scale) || z < -128 || z > 127)
    return node_error(args, StatusCode::kCorruptModel,
                      "tensor '%s' has an invalid int8 quantization (scale %g, zero point %lld)",
                      t.name.c_str(), *scale, static_cast<long long>(z));
  *zp = static_cast<int32_t>(z);
  return Status();
}

}  // namespace strix::kernels::ref
