// BatchNormalization (inference mode), f32. See norm.h.
#include <cmath>
#include <vector>

#include "kernels/cpu/ref/norm.h"

namespace strix::kernels::ref {

void batch_norm_coefficients_f32(const float* scale, const float* bias, const float* mean,
                                 const float* var, float epsilon, int64_t c, float* a, float* b) {
  for (int64_t j = 0; j < c; ++j) {
    a[j] = scale[j] / std::sqrt(var[j] + epsilon);
    b[j] = bias[j] - mean[j] * a[j];
  }
}

void channel_affine_f32(const float* x, const float* a, const float* b, int64_t n, int64_t c,
                        int64_t inner, float* y) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < c; ++j) {
      const int64_t base = (i * c + j) * inner;
      for (int64_t k = 0; k < inner; ++k) y[base + k] = a[j] * x[base + k] + b[j];
    }
  }
}

void batch_norm_f32(const float* x, const float* scale, const float* bias, const float* mean,
                    const float* var, float epsilon, int64_t n, int64_t c, int64_t inner,
                    float* y) {
  for (int64_t j = 0; j < c; ++j) {
    float a, b;
    batch_norm_coefficients_f32(scale + j, bias + j, mean + j, var + j, epsilon, 1, &a, &b);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t base = (i * c + j) * inner;
      for (int64_t k = 0; k < inner; ++k) y[base + k] = a * x[base + k] + b;
    }
  }
}

namespace {

// Inputs: X, scale, bias, mean, var.
class BatchNormKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    if (folded_) {
      channel_affine_f32(x, a_.data(), b_.data(), n_, c_, inner_, y);
      return;
    }
    batch_norm_f32(x, static_cast<const float*>(args.inputs[1]),
                   static_cast<const float*>(args.inputs[2]),
                   static_cast<const float*>(args.inputs[3]),
                   static_cast<const float*>(args.inputs[4]), epsilon_, n_, c_, inner_, y);
  }

  bool folded_ = false;       // the four parameters are constants, folded into a_, b_
  std::vector<float> a_, b_;  // [c] when folded_
  float epsilon_ = 1e-5f;
  int64_t n_ = 0, c_ = 0, inner_ = 1;
};

}  // namespace

// BatchNormOptions may be absent: epsilon then takes the schema default (1e-5).
Result<std::unique_ptr<Kernel>> make_batch_norm(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 5, 5, 1));
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kF32));
  STRIX_RETURN_IF_ERROR(expect_f32_output(args));
  const Shape& xs = args.inputs[0]->shape;
  if (xs.rank() < 2)
    return node_error(args, StatusCode::kShapeMismatch,
                      "X has shape %s, expected rank >= 2 ([N, C, ...])", xs.to_string().c_str());
  auto k = std::make_unique<BatchNormKernel>();
  k->n_ = xs[0];
  k->c_ = xs[1];
  for (int d = 2; d < xs.rank(); ++d) k->inner_ *= xs[d];
  static const char* const kNames[] = {"", "scale", "bias", "mean", "var"};
  bool all_constant = true;
  for (int i = 1; i <= 4; ++i) {
    STRIX_RETURN_IF_ERROR(expect_channel_param(args, i, k->c_, kNames[i]));
    all_constant = all_constant && args.inputs[i]->constant != nullptr;
  }
  if (const fb::BatchNormOptions* o = args.node->options_as_BatchNormOptions())
    k->epsilon_ = o->epsilon();
  STRIX_RETURN_IF_ERROR(expect_epsilon(args, k->epsilon_));
  if (all_constant) {
    const auto* var = static_cast<const float*>(args.inputs[4]->constant);
    for (int64_t j = 0; j < k->c_; ++j) {
      if (!(var[j] + k->epsilon_ > 0.f))
        return node_error(args, StatusCode::kCorruptModel, "var[%lld] + epsilon = %g, must be > 0",
                          static_cast<long long>(j), static_cast<double>(var[j] + k->epsilon_));
    }
    k->folded_ = true;
    k->a_.resize(static_cast<size_t>(k->c_));
    k->b_.resize(static_cast<size_t>(k->c_));
    batch_norm_coefficients_f32(static_cast<const float*>(args.inputs[1]->constant),
                                static_cast<const float*>(args.inputs[2]->constant),
                                static_cast<const float*>(args.inputs[3]->constant), var,
                                k->epsilon_, k->c_, k->a_.data(), k->b_.data());
    k->packed_bytes = 2 * static_cast<size_t>(k->c_) * sizeof(float);
  }
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, xs));
  k->name = k->folded_ ? "batch_norm_f32(folded)" : "batch_norm_f32";
  k->supports_in_place = true;
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
