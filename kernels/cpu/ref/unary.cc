#include "kernels/cpu/ref/unary.h"

#include <cmath>

#include "kernels/cpu/ref/registry.h"

namespace strix::kernels::ref {

void unary_f32(const ActivationParams& p, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = apply_activation(p, x[i]);
}

void power_f32(float shift, float scale, float power, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::pow(shift + scale * x[i], power);
}

ActivationParams activation_params(const fb::Activation* a) {
  ActivationParams p;
  if (a != nullptr) {
    p.kind = a->kind();
    p.alpha = a->alpha();
    p.beta = a->beta();
  }
  return p;
}

namespace {

class UnaryKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    unary_f32(params_, static_cast<const float*>(args.inputs[0]),
              static_cast<float*>(args.outputs[0]), n_);
  }
  ActivationParams params_;
  int64_t n_ = 0;
};

class PowerKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    power_f32(shift_, scale_, power_, static_cast<const float*>(args.inputs[0]),
              static_cast<float*>(args.outputs[0]), n_);
  }
  float shift_ = 0, scale_ = 1, power_ = 1;
  int64_t n_ = 0;
};

fb::ActivationKind activation_of(fb::OpType op) {
  switch (op) {
    case fb::OpType::Relu: return fb::ActivationKind::Relu;
    case fb::OpType::Clip: return fb::ActivationKind::Clip;
    case fb::OpType::LeakyRelu: return fb::ActivationKind::LeakyRelu;
    case fb::OpType::Elu: return fb::ActivationKind::Elu;
    case fb::OpType::Sigmoid: return fb::ActivationKind::Sigmoid;
    case fb::OpType::Tanh: return fb::ActivationKind::Tanh;
    case fb::OpType::HardSigmoid: return fb::ActivationKind::HardSigmoid;
    case fb::OpType::HardSwish: return fb::ActivationKind::HardSwish;
    case fb::OpType::SiLU: return fb::ActivationKind::SiLU;
    case fb::OpType::Gelu: return fb::ActivationKind::Gelu;
    case fb::OpType::Mish: return fb::ActivationKind::Mish;
    case fb::OpType::Softplus: return fb::ActivationKind::Softplus;
    default: return fb::ActivationKind::None;
  }
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_unary(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 1, 1, 1));
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kF32));
  auto k = std::make_unique<UnaryKernel>();
  fb::OpType op = args.node->op();
  k->params_.kind = activation_of(op);
  if (const fb::UnaryOptions* o = args.node->options_as_UnaryOptions()) {
    k->params_.alpha = o->alpha();
    k->params_.beta = o->beta();
  } else if (op == fb::OpType::Clip || op == fb::OpType::LeakyRelu || op == fb::OpType::Elu ||
             op == fb::OpType::HardSigmoid) {
    return node_error(args, StatusCode::kCorruptModel, "needs UnaryOptions (alpha, beta)");
  }
  if (op == fb::OpType::Gelu) {
    const fb::GeluOptions* g = args.node->options_as_GeluOptions();
    if (g != nullptr && g->tanh_approximation()) k->params_.kind = fb::ActivationKind::GeluTanh;
  }
  if (op == fb::OpType::Clip && !(k->params_.alpha <= k->params_.beta))
    return node_error(args, StatusCode::kCorruptModel, "Clip min %g is greater than max %g",
                      k->params_.alpha, k->params_.beta);
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, args.inputs[0]->shape));
  k->n_ = args.inputs[0]->shape.num_elements();
  k->name = "unary_f32";
  k->supports_in_place = true;
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_power(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 1, 1, 1));
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kF32));
  const fb::PowerOptions* o = args.node->options_as_PowerOptions();
  if (o == nullptr) return node_error(args, StatusCode::kCorruptModel, "needs PowerOptions");
  auto k = std::make_unique<PowerKernel>();
  k->shift_ = o->shift();
  k->scale_ = o->scale();
  k->power_ = o->power();
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, args.inputs[0]->shape));
  k->n_ = args.inputs[0]->shape.num_elements();
  k->name = "power_f32";
  k->supports_in_place = true;
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
