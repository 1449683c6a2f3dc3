// Conv2D with int8 activations and weights (declared in conv.h).
#include "kernels/cpu/ref/conv.h"
#include "kernels/cpu/ref/layer_util.h"

namespace strix::kernels::ref {
namespace {

class Conv2DI8 : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    conv2d_i8(p_, q_, static_cast<const int8_t*>(args.inputs[0]),
              static_cast<const int8_t*>(args.inputs[1]),
              has_bias_ ? static_cast<const int32_t*>(args.inputs[2]) : nullptr,
              static_cast<int8_t*>(args.outputs[0]));
  }
  Conv2DParams p_;
  QuantParams q_;
  bool has_bias_ = false;
};

}  // namespace

void conv2d_i8(const Conv2DParams& p, const QuantParams& q, const int8_t* x, const int8_t* w,
               const int32_t* bias, int8_t* y) {
  const int64_t cg = p.c / p.group, mg = p.m / p.group;
  for (int64_t b = 0; b < p.n; ++b) {
    for (int64_t oc = 0; oc < p.m; ++oc) {
      const int64_t g = oc / mg;
      const int8_t* w_oc = w + oc * cg * p.kh * p.kw;
      int8_t* y_oc = y + (b * p.m + oc) * p.oh * p.ow;
      for (int64_t oy = 0; oy < p.oh; ++oy) {
        for (int64_t ox = 0; ox < p.ow; ++ox) {
          // Padding holds real 0, i.e. x_q == x_zp: it adds nothing.
          int32_t acc = bias ? bias[oc] : 0;
          for (int64_t ic = 0; ic < cg; ++ic) {
            const int8_t* x_ic = x + (b * p.c + g * cg + ic) * p.h * p.w;
            const int8_t* w_ic = w_oc + ic * p.kh * p.kw;
            for_each_conv_tap(p, x_ic, w_ic, oy, ox, [&](int8_t xv, int8_t wv) {
              acc += (static_cast<int32_t>(xv) - q.x_zero_point) * static_cast<int32_t>(wv);
            });
          }
          y_oc[oy * p.ow + ox] = static_cast<int8_t>(
              requantize(acc, q.multipliers[oc], q.y_zero_point, q.qmin, q.qmax));
        }
      }
    }
  }
}

Result<std::unique_ptr<Kernel>> make_conv2d_i8(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 2, 3, 1));
  STRIX_RETURN_IF_ERROR(check_options_type(args, fb::OpOptions::Conv2DOptions));
  const fb::Conv2DOptions* o = args.node->options_as_Conv2DOptions();
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kI8));
  STRIX_RETURN_IF_ERROR(expect_constant(args, 1, DType::kI8));
  auto k = std::make_unique<Conv2DI8>();
  STRIX_RETURN_IF_ERROR(
      conv2d_params(args, o, args.inputs[0]->shape, args.inputs[1]->shape, &k->p_));
  const Conv2DParams& p = k->p_;
  if (p.c / p.group * p.kh * p.kw > kMaxInt8Reduction)
    return node_error(args, StatusCode::kUnsupported,
                      "reduction length %lld exceeds %lld, the int32 accumulator could overflow",
                      static_cast<long long>(p.c / p.group * p.kh * p.kw),
                      static_cast<long long>(kMaxInt8Reduction));
  k->has_bias_ = args.inputs.size() > 2 && args.inputs[2] != nullptr;
  STRIX_RETURN_IF_ERROR(int8_quant_params(args, 1, 0, p.m, k->has_bias_ ? 2 : -1,
                                          o ? o->activation() : nullptr, &k->q_));
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, Shape{p.n, p.m, p.oh, p.ow}));
  k->name = "conv2d_i8";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
