// Importers: activations, binary arithmetic, Clip, Cast, Identity/Dropout, and the shared
// helpers of ops_util.h.
#include <limits>

#include "converter/frontends/onnx/ops_util.h"

namespace strix::onnx_frontend {

std::string dims_string(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? "x" : "") + (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  return s + "]";
}

std::string precheck_2d(const onnx::NodeProto& node, int opset) {
  for (const auto& a : node.attribute())
    if (a.name() == "kernel_shape" && a.ints_size() != 2)
      return "only 2-D convolution is supported (kernel_shape has " +
             std::to_string(a.ints_size()) + " dims)";
  return "";
}

Result<int> float_input(NodeContext& ctx, int i) {
  if (ctx.is_constant(i)) {
    STRIX_ASSIGN_OR_RETURN(c, ctx.constant(i, "operand"));
    if (c.dtype != ir::DType::kF32 && c.dtype != ir::DType::kF16) {
      ir::Tensor f = ir::Tensor::constant_f32(ctx.node.input(i) + "_f32", c.shape, {});
      if (ir::is_float(c.dtype))
        f.floats = c.floats;
      else
        f.floats.assign(c.ints.begin(), c.ints.end());
      return ctx.add_constant(std::move(f));
    }
  }
  return ctx.input(i);
}

// Ops that move bytes and run on every dtype; every other op computes in float only (an
// integer tensor at run time is a quantized one in Strix, never a plain ONNX integer).
bool moves_bytes(fb::OpType op) {
  switch (op) {
    case fb::OpType::Reshape:
    case fb::OpType::Flatten:
    case fb::OpType::Squeeze:
    case fb::OpType::Unsqueeze:
    case fb::OpType::Concat:
    case fb::OpType::Split:
    case fb::OpType::Slice:
    case fb::OpType::Gather:
    case fb::OpType::Transpose:
    case fb::OpType::Pad:
    case fb::OpType::Cast: return true;
    default: return false;
  }
}

Status simple_op(NodeContext& ctx, fb::OpType op, ir::Options options, int num_inputs) {
  std::vector<int> inputs;
  for (int i = 0; i < num_inputs && i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) {
      inputs.push_back(-1);
      continue;
    }
    STRIX_ASSIGN_OR_RETURN(t, ctx.input(i));
    inputs.push_back(t);
  }
  if (!inputs.empty() && inputs[0] >= 0 && !moves_bytes(op)) {
    ir::DType dt = ctx.imp.ir().tensors[inputs[0]].dtype;
    if (!ir::is_float(dt))
      return ctx.error(StatusCode::kUnsupported,
                       "%s on %s input at run time is not supported (float only)",
                       ctx.node.op_type().c_str(), ir::dtype_name(dt));
  }
  while (!inputs.empty() && inputs.back() < 0) inputs.pop_back();
  STRIX_ASSIGN_OR_RETURN(y, ctx.output(0));
  ctx.add(op, std::move(options), inputs, {y});
  return Status();
}

namespace {

using O = fb::OpType;

Status unary(NodeContext& ctx, O op, float alpha = 0, float beta = 0) {
  return simple_op(ctx, op, ir::UnaryOptions{alpha, beta}, 1);
}

Status import_relu(NodeContext& ctx) { return unary(ctx, O::Relu); }
Status import_sigmoid(NodeContext& ctx) { return unary(ctx, O::Sigmoid); }
Status import_tanh(NodeContext& ctx) { return unary(ctx, O::Tanh); }
Status import_hard_swish(NodeContext& ctx) { return unary(ctx, O::HardSwish); }
Status import_softplus(NodeContext& ctx) { return unary(ctx, O::Softplus); }
Status import_leaky_relu(NodeContext& ctx) {
  return unary(ctx, O::LeakyRelu, ctx.attr_float("alpha", 0.01f));
}
Status import_elu(NodeContext& ctx) { return unary(ctx, O::Elu, ctx.attr_float("alpha", 1.f)); }
Status import_hard_sigmoid(NodeContext& ctx) {
  return unary(ctx, O::HardSigmoid, ctx.attr_float("alpha", 0.2f), ctx.attr_float("beta", 0.5f));
}

Status import_prelu(NodeContext& ctx) {
  STRIX_ASSIGN_OR_RETURN(x, ctx.input(0));
  STRIX_ASSIGN_OR_RETURN(slope, float_input(ctx, 1));
  STRIX_ASSIGN_OR_RETURN(y, ctx.output(0));
  ctx.add(O::PRelu, std::monostate{}, {x, slope}, {y});
  return Status();
}

// Clip: min/max are attributes before opset 11, optional constant inputs after.
Status import_clip(NodeContext& ctx) {
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
  if (ctx.opset < 11) {
    lo = ctx.attr_float("min", lo);
    hi = ctx.attr_float("max", hi);
  } else {
    const char* names[2] = {"min", "max"};
    float* bounds[2] = {&lo, &hi};
    for (int i = 1; i <= 2; ++i) {
      if (!ctx.has_input(i)) continue;
      STRIX_ASSIGN_OR_RETURN(v, ctx.floats(i, names[i - 1]));
      if (v.size() != 1)
        return ctx.error(StatusCode::kCorruptModel, "%s must be a scalar", names[i - 1]);
      *bounds[i - 1] = v[0];
    }
  }
  return unary(ctx, O::Clip, lo, hi);
}

// x ^ p and friends through Power: y = (shift + scale * x) ^ power.
Status power(NodeContext& ctx, float scale, float power_value) {
  return simple_op(ctx, O::Power, ir::PowerOptions{0.f, scale, power_value}, 1);
}
Status import_neg(NodeContext& ctx) { return power(ctx, -1.f, 1.f); }
Status import_sqrt(NodeContext& ctx) { return power(ctx, 1.f, 0.5f); }
Status import_reciprocal(NodeContext& ctx) { return power(ctx, 1.f, -1.f); }

O binary_op(const std::string& type) {
  if (type == "Add" || type == "Sum") return O::Add;
  if (type == "Sub") return O::Sub;
  if (type == "Mul") return O::Mul;
  if (type == "Div") return O::Div;
  if (type == "Max") return O::Max;
  if (type == "Min") return O::Min;
  return O::Pow;
}

// Add/Sub/Mul/Div/Pow and the variadic Max/Min/Sum (chained pairwise).
Status import_binary(NodeContext& ctx) {
  O op = binary_op(ctx.node.op_type());
  std::vector<int> operands;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    STRIX_ASSIGN_OR_RETURN(t, float_input(ctx, i));
    operands.push_back(t);
  }
  if (operands.empty()) return ctx.error(StatusCode::kCorruptModel, "has no inputs");
  STRIX_ASSIGN_OR_RETURN(y, ctx.output(0));
  if (!ir::is_float(ctx.imp.ir().tensors[y].dtype))
    return ctx.error(StatusCode::kUnsupported, "integer %s at run time is not supported",
                     ctx.node.op_type().c_str());
  // Pow(float X, integer Y) (T2 may differ from T1): the run-time exponent is cast to f32.
  if (op == O::Pow && operands.size() == 2) {
    const ir::Tensor& e = ctx.imp.ir().tensors[operands[1]];
    if (!ir::is_float(e.dtype)) {
      int f = ctx.imp.ir().add_tensor(
          ir::Tensor::activation(e.name + "_f32", ir::DType::kF32, e.shape));
      ir::CastOptions o;
      o.to = fb::DType::F32;
      ctx.add(O::Cast, o, {operands[1]}, {f}, "_exponent_to_f32");
      operands[1] = f;
    }
  }
  if (operands.size() == 1) {
    ctx.alias_output(0, operands[0]);
    return Status();
  }
  int acc = operands[0];
  for (size_t i = 1; i < operands.size(); ++i) {
    bool last = i + 1 == operands.size();
    int out = last ? y
                   : ctx.add_tensor(ctx.imp.ir().tensors[y].dtype, ctx.imp.ir().tensors[y].shape,
                                    "_partial" + std::to_string(i));
    ctx.add(op, ir::BinaryOptions{}, {acc, operands[i]}, {out},
            last ? "" : "_" + std::to_string(i));
    acc = out;
  }
  return Status();
}

Status import_identity(NodeContext& ctx) {
  for (int i = 1; i < ctx.num_outputs(); ++i)
    if (ctx.output_used(i))
      return ctx.error(StatusCode::kUnsupported, "the mask output of Dropout is not supported");
  STRIX_ASSIGN_OR_RETURN(x, ctx.input(0));
  ctx.alias_output(0, x);
  return Status();
}

Status import_cast(NodeContext& ctx) {
  int to_type = static_cast<int>(ctx.attr_int("to", 0));
  ir::DType to;
  if (!onnx_dtype(to_type, &to) || to == ir::DType::kBool)
    return ctx.error(StatusCode::kUnsupported, "Cast to %s is not supported at run time",
                     onnx_type_name(to_type));
  // At run time f64 is f32 and every wider integer is i32.
  if (to == ir::DType::kF64) to = ir::DType::kF32;
  if (to == ir::DType::kI64) to = ir::DType::kI32;
  STRIX_ASSIGN_OR_RETURN(x, ctx.input(0));
  ir::DType from = ctx.imp.ir().tensors[x].dtype;
  if (from == ir::DType::kF64) from = ir::DType::kF32;
  if (from == ir::DType::kI64) from = ir::DType::kI32;
  if (from == to) {
    ctx.alias_output(0, x);
    return Status();
  }
  STRIX_ASSIGN_OR_RETURN(y, ctx.output(0));
  ctx.imp.ir().tensors[y].dtype = to;
  ir::CastOptions o;
  ir::to_file_dtype(to, &o.to);
  ctx.add(O::Cast, o, {x}, {y});
  return Status();
}

}  // namespace

void register_elementwise_ops(std::map<std::string, OpEntry>& t) {
  t["Relu"] = {import_relu, nullptr};
  t["Sigmoid"] = {import_sigmoid, nullptr};
  t["Tanh"] = {import_tanh, nullptr};
  t["HardSwish"] = {import_hard_swish, nullptr};
  t["Softplus"] = {import_softplus, nullptr};
  t["LeakyRelu"] = {import_leaky_relu, nullptr};
  t["Elu"] = {import_elu, nullptr};
  t["HardSigmoid"] = {import_hard_sigmoid, nullptr};
  t["PRelu"] = {import_prelu, nullptr};
  t["Clip"] = {import_clip, nullptr};
  t["Neg"] = {import_neg, nullptr};
  t["Sqrt"] = {import_sqrt, nullptr};
  t["Reciprocal"] = {import_reciprocal, nullptr};
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum"})
    t[op] = {import_binary, nullptr};
  t["Identity"] = {import_identity, nullptr};
  t["Dropout"] = {import_identity, nullptr};
  t["Cast"] = {import_cast, nullptr};
}

}  // namespace strix::onnx_frontend
