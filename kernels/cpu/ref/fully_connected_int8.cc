// FullyConnected with int8 activations and weights (declared in fully_connected.h).
#include "kernels/cpu/ref/fully_connected.h"
#include "kernels/cpu/ref/layer_util.h"

namespace strix::kernels::ref {
namespace {

class FullyConnectedI8 : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    fully_connected_i8(p_, q_, static_cast<const int8_t*>(args.inputs[0]),
                       static_cast<const int8_t*>(args.inputs[1]),
                       has_bias_ ? static_cast<const int32_t*>(args.inputs[2]) : nullptr,
                       static_cast<int8_t*>(args.outputs[0]));
  }
  FullyConnectedParams p_;
  QuantParams q_;
  bool has_bias_ = false;
};

}  // namespace

void fully_connected_i8(const FullyConnectedParams& p, const QuantParams& q, const int8_t* a,
                        const int8_t* b, const int32_t* bias, int8_t* y) {
  // B[k, j] = b[k * b_sk + j * b_sj].
  const int64_t b_sk = p.trans_b ? 1 : p.n, b_sj = p.trans_b ? p.k : 1;
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < p.n; ++j) {
      int32_t acc = bias ? bias[j] : 0;
      for (int64_t k = 0; k < p.k; ++k)
        acc += (static_cast<int32_t>(a[i * p.k + k]) - q.x_zero_point) *
               static_cast<int32_t>(b[k * b_sk + j * b_sj]);
      y[i * p.n + j] =
          static_cast<int8_t>(requantize(acc, q.multipliers[j], q.y_zero_point, q.qmin, q.qmax));
    }
  }
}

Result<std::unique_ptr<Kernel>> make_fully_connected_i8(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 2, 3, 1));
  STRIX_RETURN_IF_ERROR(check_options_type(args, fb::OpOptions::FullyConnectedOptions));
  const fb::FullyConnectedOptions* o = args.node->options_as_FullyConnectedOptions();
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kI8));
  STRIX_RETURN_IF_ERROR(expect_constant(args, 1, DType::kI8));
  auto k = std::make_unique<FullyConnectedI8>();
  FullyConnectedParams& p = k->p_;
  k->has_bias_ = args.inputs.size() > 2 && args.inputs[2] != nullptr;
  if (o != nullptr) {
    if (o->trans_a())
      return node_error(args, StatusCode::kUnsupported,
                        "int8 FullyConnected does not support trans_a");
    if (o->alpha() != 1.f)
      return node_error(args, StatusCode::kUnsupported, "int8 FullyConnected needs alpha 1, has %g",
                        o->alpha());
    if (k->has_bias_ && o->beta() != 1.f)
      return node_error(args, StatusCode::kUnsupported,
                        "int8 FullyConnected needs beta 1 with a bias, has %g", o->beta());
    p.trans_b = o->trans_b();
  }
  int64_t kb = 0;
  STRIX_RETURN_IF_ERROR(fully_connected_shapes(args, &p, &kb));
  const KTensor& a = *args.inputs[0];
  const KTensor& b = *args.inputs[1];
  if (kb != p.k)
    return node_error(args, StatusCode::kShapeMismatch,
                      "inner dimensions differ: A '%s' %s has K = %lld, op(B) of '%s' %s%s has "
                      "K = %lld",
                      a.name.c_str(), a.shape.to_string().c_str(), static_cast<long long>(p.k),
                      b.name.c_str(), b.shape.to_string().c_str(), p.trans_b ? "^T" : "",
                      static_cast<long long>(kb));
  if (p.k > kMaxInt8Reduction)
    return node_error(args, StatusCode::kUnsupported,
                      "reduction length %lld exceeds %lld, the int32 accumulator could overflow",
                      static_cast<long long>(p.k), static_cast<long long>(kMaxInt8Reduction));
  if (k->has_bias_ && args.inputs[2]->shape.rank() > 2)
    return node_error(args, StatusCode::kShapeMismatch, "bias '%s' %s must be [N] or [1, N]",
                      args.inputs[2]->name.c_str(), args.inputs[2]->shape.to_string().c_str());
  STRIX_RETURN_IF_ERROR(int8_quant_params(args, 1, p.trans_b ? 0 : 1, p.n, k->has_bias_ ? 2 : -1,
                                          o ? o->activation() : nullptr, &k->q_));
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, Shape{p.m, p.n}));
  k->name = "fully_connected_i8";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
