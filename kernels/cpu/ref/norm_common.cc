// Statistics and prepare-time checks shared by the normalization kernels (norm.h).
#include <cmath>

#include "kernels/cpu/ref/norm.h"

namespace strix::kernels::ref {

void mean_variance_f32(const float* x, int64_t n, float* mean, float* var) {
  if (n <= 0) {
    *mean = 0.f;
    *var = 0.f;
    return;
  }
  float sum = 0.f;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  const float mean0 = sum / static_cast<float>(n);
  float sum_d = 0.f, sum_d2 = 0.f;
  for (int64_t i = 0; i < n; ++i) {
    const float d = x[i] - mean0;
    sum_d += d;
    sum_d2 += d * d;
  }
  const float correction = sum_d / static_cast<float>(n);
  const float v = sum_d2 / static_cast<float>(n) - correction * correction;
  *mean = mean0 + correction;
  *var = v > 0.f ? v : 0.f;
}

Status expect_channel_param(const PrepareArgs& args, int i, int64_t c, const char* what) {
  STRIX_RETURN_IF_ERROR(expect_input(args, i, DType::kF32));
  const KTensor& t = *args.inputs[i];
  if (t.shape.rank() != 1 || t.shape[0] != c)
    return node_error(args, StatusCode::kShapeMismatch,
                      "%s (input %d '%s') has shape %s, expected [%lld] (one per channel)", what, i,
                      t.name.c_str(), t.shape.to_string().c_str(), static_cast<long long>(c));
  return Status();
}

Status expect_f32_output(const PrepareArgs& args) {
  const KTensor& out = *args.outputs[0];
  if (out.dtype != DType::kF32)
    return node_error(args, StatusCode::kUnsupported, "output 0 '%s' is %s, expected f32",
                      out.name.c_str(), dtype_name(out.dtype));
  return Status();
}

Status expect_epsilon(const PrepareArgs& args, float epsilon) {
  if (!(epsilon >= 0.f) || std::isinf(epsilon))
    return node_error(args, StatusCode::kCorruptModel, "epsilon %g must be finite and >= 0",
                      static_cast<double>(epsilon));
  return Status();
}

}  // namespace strix::kernels::ref
