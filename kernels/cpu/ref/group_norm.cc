// InstanceNormalization and GroupNormalization, f32. See norm.h.
#include <cmath>

#include "kernels/cpu/ref/norm.h"

namespace strix::kernels::ref {

void group_norm_f32(const float* x, const float* scale, const float* bias, float epsilon, int64_t n,
                    int64_t c, int64_t groups, int64_t inner, float* y) {
  const int64_t channels_per_group = c / groups;
  const int64_t block = channels_per_group * inner;  // contiguous values of one group
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t base = (i * c + g * channels_per_group) * inner;
      float mean, var;
      mean_variance_f32(x + base, block, &mean, &var);
      const float inv_std = 1.f / std::sqrt(var + epsilon);
      for (int64_t cg = 0; cg < channels_per_group; ++cg) {
        const int64_t j = g * channels_per_group + cg;
        const int64_t cbase = base + cg * inner;
        for (int64_t k = 0; k < inner; ++k)
          y[cbase + k] = (x[cbase + k] - mean) * inv_std * scale[j] + bias[j];
      }
    }
  }
}

void instance_norm_f32(const float* x, const float* scale, const float* bias, float epsilon,
                       int64_t n, int64_t c, int64_t inner, float* y) {
  group_norm_f32(x, scale, bias, epsilon, n, c, c, inner, y);
}

namespace {

// Inputs: X, scale [C], bias [C]. Instance norm is the case groups == C.
class GroupNormKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    group_norm_f32(static_cast<const float*>(args.inputs[0]),
                   static_cast<const float*>(args.inputs[1]),
                   static_cast<const float*>(args.inputs[2]), epsilon_, n_, c_, groups_, inner_,
                   static_cast<float*>(args.outputs[0]));
  }
  float epsilon_ = 1e-5f;
  int64_t n_ = 0, c_ = 0, groups_ = 1, inner_ = 1;
};

// groups <= 0 means one group per channel (InstanceNormalization).
Result<std::unique_ptr<Kernel>> prepare(const PrepareArgs& args, float epsilon, int64_t groups,
                                        const char* name) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 3, 3, 1));
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kF32));
  STRIX_RETURN_IF_ERROR(expect_f32_output(args));
  STRIX_RETURN_IF_ERROR(expect_epsilon(args, epsilon));
  const Shape& xs = args.inputs[0]->shape;
  if (xs.rank() < 2)
    return node_error(args, StatusCode::kShapeMismatch,
                      "X has shape %s, expected rank >= 2 ([N, C, ...])", xs.to_string().c_str());
  auto k = std::make_unique<GroupNormKernel>();
  k->epsilon_ = epsilon;
  k->n_ = xs[0];
  k->c_ = xs[1];
  for (int d = 2; d < xs.rank(); ++d) k->inner_ *= xs[d];
  k->groups_ = groups > 0 ? groups : (k->c_ > 0 ? k->c_ : 1);
  if (k->c_ % k->groups_ != 0)
    return node_error(args, StatusCode::kShapeMismatch,
                      "num_groups %lld does not divide the %lld channels of X %s",
                      static_cast<long long>(k->groups_), static_cast<long long>(k->c_),
                      xs.to_string().c_str());
  STRIX_RETURN_IF_ERROR(expect_channel_param(args, 1, k->c_, "scale"));
  STRIX_RETURN_IF_ERROR(expect_channel_param(args, 2, k->c_, "bias"));
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, xs));
  k->name = name;
  k->supports_in_place = true;
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace

// NormOptions may be absent: epsilon 1e-5.
Result<std::unique_ptr<Kernel>> make_instance_norm(const PrepareArgs& args) {
  const fb::NormOptions* o = args.node->options_as_NormOptions();
  return prepare(args, o != nullptr ? o->epsilon() : 1e-5f, 0, "instance_norm_f32");
}

// NormOptions is required: num_groups has no meaningful default.
Result<std::unique_ptr<Kernel>> make_group_norm(const PrepareArgs& args) {
  const fb::NormOptions* o = args.node->options_as_NormOptions();
  if (o == nullptr)
    return node_error(args, StatusCode::kCorruptModel, "needs NormOptions (num_groups, epsilon)");
  if (o->num_groups() <= 0)
    return node_error(args, StatusCode::kCorruptModel, "num_groups %d must be > 0",
                      o->num_groups());
  return prepare(args, o->epsilon(), o->num_groups(), "group_norm_f32");
}

}  // namespace strix::kernels::ref
