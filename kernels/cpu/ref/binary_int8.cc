// INT8 Add with numpy broadcasting, TFLite arithmetic (specified in binary.h).
#include <algorithm>
#include <cmath>

#include "kernels/cpu/ref/binary.h"
#include "kernels/cpu/ref/int8_params.h"

namespace strix::kernels::ref {
namespace {

class AddI8Kernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    add_i8(q_, plan_, static_cast<const int8_t*>(args.inputs[0]),
           static_cast<const int8_t*>(args.inputs[1]), static_cast<int8_t*>(args.outputs[0]));
  }
  AddI8Params q_;
  BroadcastPlan plan_;
};

}  // namespace

AddI8Params make_add_i8_params(float a_scale, int32_t a_zp, float b_scale, int32_t b_zp,
                               float out_scale, int32_t out_zp, int32_t qmin, int32_t qmax) {
  AddI8Params q;
  q.a_zp = a_zp;
  q.b_zp = b_zp;
  q.out_zp = out_zp;
  q.qmin = qmin;
  q.qmax = qmax;
  double twice_max = 2.0 * std::max<double>(a_scale, b_scale);
  q.a_mul = quantize_multiplier(a_scale / twice_max);
  q.b_mul = quantize_multiplier(b_scale / twice_max);
  q.out_mul = quantize_multiplier(twice_max / (static_cast<double>(1 << q.left_shift) * out_scale));
  return q;
}

void add_i8(const AddI8Params& q, const BroadcastPlan& plan, const int8_t* a, const int8_t* b,
            int8_t* y) {
  for_each_broadcast(plan, [&](int64_t o, int64_t ia, int64_t ib) {
    int32_t sa = (static_cast<int32_t>(a[ia]) - q.a_zp) * (1 << q.left_shift);
    int32_t sb = (static_cast<int32_t>(b[ib]) - q.b_zp) * (1 << q.left_shift);
    int32_t sum = multiply_by_quantized_multiplier(sa, q.a_mul) +
                  multiply_by_quantized_multiplier(sb, q.b_mul);
    y[o] = static_cast<int8_t>(requantize(sum, q.out_mul, q.out_zp, q.qmin, q.qmax));
  });
}

Result<std::unique_ptr<Kernel>> make_add_i8(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 2, 2, 1));
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kI8));
  STRIX_RETURN_IF_ERROR(expect_input(args, 1, DType::kI8));
  const KTensor& out = *args.outputs[0];
  if (out.dtype != DType::kI8)
    return node_error(args, StatusCode::kUnsupported, "output '%s' is %s, expected i8",
                      out.name.c_str(), dtype_name(out.dtype));
  float sa = 0, sb = 0, so = 0;
  int32_t za = 0, zb = 0, zo = 0;
  STRIX_RETURN_IF_ERROR(int8_tensor_quant(args, *args.inputs[0], &sa, &za));
  STRIX_RETURN_IF_ERROR(int8_tensor_quant(args, *args.inputs[1], &sb, &zb));
  STRIX_RETURN_IF_ERROR(int8_tensor_quant(args, out, &so, &zo));

  const Shape& a = args.inputs[0]->shape;
  const Shape& b = args.inputs[1]->shape;
  Shape shape;
  if (!broadcast_shapes(a, b, &shape))
    return node_error(args, StatusCode::kShapeMismatch,
                      "input shapes %s and %s cannot be broadcast together", a.to_string().c_str(),
                      b.to_string().c_str());

  // The fused activation becomes the clamping range.
  const fb::BinaryOptions* o = args.node->options_as_BinaryOptions();
  ActivationParams act = activation_params(o != nullptr ? o->activation() : nullptr);
  int32_t qmin = -128, qmax = 127;
  switch (act.kind) {
    case fb::ActivationKind::None: break;
    case fb::ActivationKind::Relu: qmin = std::max(qmin, zo); break;
    case fb::ActivationKind::Clip:
      if (!(act.alpha <= act.beta))
        return node_error(args, StatusCode::kCorruptModel,
                          "fused Clip min %g is greater than max %g", act.alpha, act.beta);
      qmin = quantize_value(act.alpha, so, zo, -128, 127);
      qmax = quantize_value(act.beta, so, zo, -128, 127);
      break;
    default:
      return node_error(args, StatusCode::kUnsupported,
                        "fused activation %s is not supported for int8 Add (only Relu, Clip)",
                        fb::EnumNameActivationKind(act.kind));
  }

  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, shape));
  auto k = std::make_unique<AddI8Kernel>();
  k->q_ = make_add_i8_params(sa, za, sb, zb, so, zo, qmin, qmax);
  k->plan_ = make_broadcast_plan(a, b, shape);
  k->name = "add_i8";
  k->supports_in_place = shape == a;
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
