// Add, Sub, Mul, Div, Max, Min, Pow and PRelu, f32, with numpy broadcasting (binary.h).
#include "kernels/cpu/ref/binary.h"

#include <cmath>

namespace strix::kernels::ref {

bool broadcast_shapes(const Shape& a, const Shape& b, Shape* out) {
  int rank = a.rank() > b.rank() ? a.rank() : b.rank();
  Shape s;
  for (int d = 0; d < rank; ++d) {
    // Right-aligned: dim d of the output is dim d - (rank - r) of an input of rank r.
    int da = d - (rank - a.rank()), db = d - (rank - b.rank());
    int64_t x = da >= 0 ? a[da] : 1;
    int64_t y = db >= 0 ? b[db] : 1;
    if (x != y && x != 1 && y != 1) return false;
    s.push_back(x == 1 ? y : x);
  }
  *out = s;
  return true;
}

BroadcastPlan make_broadcast_plan(const Shape& a, const Shape& b, const Shape& out) {
  BroadcastPlan p;
  p.rank = out.rank() > 0 ? out.rank() : 1;
  p.count = 1;
  for (int d = 0; d < out.rank(); ++d) p.dims[d] = out[d];
  if (out.rank() == 0) p.dims[0] = 1;
  // Row-major strides of each input, aligned to the right of the output's dims.
  const Shape* inputs[2] = {&a, &b};
  int64_t* strides[2] = {p.a_strides, p.b_strides};
  for (int t = 0; t < 2; ++t) {
    const Shape& s = *inputs[t];
    int64_t stride = 1;
    for (int d = p.rank - 1; d >= 0; --d) {
      int sd = d - (p.rank - s.rank());
      int64_t dim = sd >= 0 ? s[sd] : 1;
      strides[t][d] = dim == 1 ? 0 : stride;
      stride *= dim;
    }
  }
  for (int d = 0; d < p.rank; ++d) p.count *= p.dims[d];
  return p;
}

namespace {

template <typename Op>
void binary_loop(const ActivationParams& act, const BroadcastPlan& plan, const float* a,
                 const float* b, float* y, Op op) {
  for_each_broadcast(plan, [&](int64_t o, int64_t ia, int64_t ib) {
    y[o] = apply_activation(act, op(a[ia], b[ib]));
  });
}

}  // namespace

void binary_f32(fb::OpType op, const ActivationParams& act, const BroadcastPlan& plan,
                const float* a, const float* b, float* y) {
  switch (op) {
    case fb::OpType::Add:
      return binary_loop(act, plan, a, b, y, [](float u, float v) { return u + v; });
    case fb::OpType::Sub:
      return binary_loop(act, plan, a, b, y, [](float u, float v) { return u - v; });
    case fb::OpType::Mul:
      return binary_loop(act, plan, a, b, y, [](float u, float v) { return u * v; });
    case fb::OpType::Div:
      return binary_loop(act, plan, a, b, y, [](float u, float v) { return u / v; });
    case fb::OpType::Max:  // NaN in either operand gives NaN
      return binary_loop(act, plan, a, b, y,
                         [](float u, float v) { return (u > v || u != u) ? u : v; });
    case fb::OpType::Min:
      return binary_loop(act, plan, a, b, y,
                         [](float u, float v) { return (u < v || u != u) ? u : v; });
    case fb::OpType::Pow:
      return binary_loop(act, plan, a, b, y, [](float u, float v) { return std::pow(u, v); });
    default: return;
  }
}

void prelu_f32(const BroadcastPlan& plan, const float* x, const float* slope, float* y) {
  for_each_broadcast(plan, [&](int64_t o, int64_t ix, int64_t is) {
    float v = x[ix];
    y[o] = v >= 0.f ? v : slope[is] * v;
  });
}

namespace {

class BinaryKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    binary_f32(op_, act_, plan_, static_cast<const float*>(args.inputs[0]),
               static_cast<const float*>(args.inputs[1]), static_cast<float*>(args.outputs[0]));
  }
  fb::OpType op_ = fb::OpType::Add;
  ActivationParams act_;
  BroadcastPlan plan_;
};

class PReluKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    prelu_f32(plan_, static_cast<const float*>(args.inputs[0]),
              static_cast<const float*>(args.inputs[1]), static_cast<float*>(args.outputs[0]));
  }
  BroadcastPlan plan_;
};

Status expect_f32_binary(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 2, 2, 1));
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kF32));
  STRIX_RETURN_IF_ERROR(expect_input(args, 1, DType::kF32));
  if (args.outputs[0]->dtype != DType::kF32)
    return node_error(args, StatusCode::kShapeMismatch, "output '%s' is %s, expected f32",
                      args.outputs[0]->name.c_str(), dtype_name(args.outputs[0]->dtype));
  return Status();
}

const char* binary_kernel_name(fb::OpType op) {
  switch (op) {
    case fb::OpType::Add: return "add_f32";
    case fb::OpType::Sub: return "sub_f32";
    case fb::OpType::Mul: return "mul_f32";
    case fb::OpType::Div: return "div_f32";
    case fb::OpType::Max: return "max_f32";
    case fb::OpType::Min: return "min_f32";
    case fb::OpType::Pow: return "pow_f32";
    default: return nullptr;
  }
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_binary(const PrepareArgs& args) {
  fb::OpType op = args.node->op();
  const char* name = binary_kernel_name(op);
  if (name == nullptr)
    return node_error(args, StatusCode::kInternal, "op %s is not a binary op",
                      fb::EnumNameOpType(op));
  STRIX_RETURN_IF_ERROR(expect_arity(args, 2, 2, 1));
  if (op == fb::OpType::Add && args.inputs[0]->dtype == DType::kI8) return make_add_i8(args);
  STRIX_RETURN_IF_ERROR(expect_f32_binary(args));
  const Shape& a = args.inputs[0]->shape;
  const Shape& b = args.inputs[1]->shape;
  Shape out;
  if (!broadcast_shapes(a, b, &out))
    return node_error(args, StatusCode::kShapeMismatch,
                      "input shapes %s and %s cannot be broadcast together", a.to_string().c_str(),
                      b.to_string().c_str());
  auto k = std::make_unique<BinaryKernel>();
  const fb::BinaryOptions* o = args.node->options_as_BinaryOptions();
  k->act_ = activation_params(o != nullptr ? o->activation() : nullptr);
  if (k->act_.kind == fb::ActivationKind::Clip && !(k->act_.alpha <= k->act_.beta))
    return node_error(args, StatusCode::kCorruptModel, "fused Clip min %g is greater than max %g",
                      k->act_.alpha, k->act_.beta);
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, out));
  k->op_ = op;
  k->plan_ = make_broadcast_plan(a, b, out);
  k->name = name;
  k->supports_in_place = out == a;
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_prelu(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_f32_binary(args));
  const Shape& x = args.inputs[0]->shape;
  const Shape& slope = args.inputs[1]->shape;
  Shape out;
  if (!broadcast_shapes(x, slope, &out) || out != x)
    return node_error(args, StatusCode::kShapeMismatch,
                      "slope %s cannot be broadcast to the input shape %s",
                      slope.to_string().c_str(), x.to_string().c_str());
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, x));
  auto k = std::make_unique<PReluKernel>();
  k->plan_ = make_broadcast_plan(x, slope, x);
  k->name = "prelu_f32";
  k->supports_in_place = true;
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
