// Importers: convolutions, Gemm/MatMul, pools, normalizations, LRN, Softmax.
#include <limits>

#include "converter/frontends/onnx/ops_util.h"

namespace strix::onnx_frontend {
namespace {

using O = fb::OpType;

// Reads the 2-D window attributes shared by Conv, ConvTranspose and the pools.
struct Window {
  std::array<int, 2> kernel{}, strides{1, 1}, dilations{1, 1};
  std::array<int, 4> pads{};
  fb::PaddingMode padding = fb::PaddingMode::Explicit;
};

Status read_window(const NodeContext& ctx, const std::vector<int64_t>& kernel, Window* w) {
  if (kernel.size() != 2)
    return ctx.error(StatusCode::kUnsupported,
                     "only 2-D windows are supported, this one has %zu dims", kernel.size());
  auto get2 = [&](const char* name, std::array<int, 2>* out) -> Status {
    std::vector<int64_t> v = ctx.attr_ints(name);
    if (v.empty()) return Status();
    if (v.size() != 2) return ctx.error(StatusCode::kCorruptModel, "%s needs 2 values", name);
    (*out)[0] = static_cast<int>(v[0]);
    (*out)[1] = static_cast<int>(v[1]);
    return Status();
  };
  w->kernel = {static_cast<int>(kernel[0]), static_cast<int>(kernel[1])};
  STRIX_RETURN_IF_ERROR(get2("strides", &w->strides));
  STRIX_RETURN_IF_ERROR(get2("dilations", &w->dilations));
  std::vector<int64_t> pads = ctx.attr_ints("pads");
  if (!pads.empty()) {
    if (pads.size() != 4) return ctx.error(StatusCode::kCorruptModel, "pads needs 4 values");
    // ONNX [h_begin, w_begin, h_end, w_end] is the schema's [top, left, bottom, right].
    for (int i = 0; i < 4; ++i) w->pads[i] = static_cast<int>(pads[i]);
  }
  std::string auto_pad = ctx.attr_string("auto_pad", "NOTSET");
  if (auto_pad == "SAME_UPPER")
    w->padding = fb::PaddingMode::SameUpper;
  else if (auto_pad == "SAME_LOWER")
    w->padding = fb::PaddingMode::SameLower;
  else if (auto_pad == "VALID")
    w->padding = fb::PaddingMode::Valid;
  else if (auto_pad != "NOTSET")
    return ctx.error(StatusCode::kCorruptModel, "unknown auto_pad '%s'", auto_pad.c_str());
  return Status();
}

// Conv and ConvTranspose: constant weights (4-D, checked by the caller) and bias, and the
// window (kernel from kernel_shape or the weights, strides, dilations, pads).
Status read_conv_window(NodeContext& ctx, const std::vector<int64_t>& w_shape, Window* w) {
  if (!ctx.is_constant(1))
    return ctx.error(StatusCode::kUnsupported, "weights (input 1) must be constant");
  if (ctx.has_input(2) && !ctx.is_constant(2))
    return ctx.error(StatusCode::kUnsupported, "bias (input 2) must be constant");
  std::vector<int64_t> kernel = ctx.attr_ints("kernel_shape");
  if (kernel.empty()) kernel = {w_shape[2], w_shape[3]};
  return read_window(ctx, kernel, w);
}

Status import_conv(NodeContext& ctx) {
  std::vector<int64_t> w_shape = ctx.shape(1);
  if (w_shape.size() != 4)
    return ctx.error(StatusCode::kUnsupported,
                     "only 2-D convolution is supported (4-D weights), weights are %s",
                     dims_string(w_shape).c_str());
  Window w;
  STRIX_RETURN_IF_ERROR(read_conv_window(ctx, w_shape, &w));
  ir::Conv2DOptions o;
  o.kernel = w.kernel;
  o.strides = w.strides;
  o.dilations = w.dilations;
  o.pads = w.pads;
  o.padding = w.padding;
  o.group = static_cast<int>(ctx.attr_int("group", 1));
  return simple_op(ctx, O::Conv2D, o, 3);
}

Status import_conv_transpose(NodeContext& ctx) {
  std::vector<int64_t> w_shape = ctx.shape(1);
  std::vector<int64_t> x_shape = ctx.shape(0);
  if (w_shape.size() != 4 || x_shape.size() != 4)
    return ctx.error(StatusCode::kUnsupported,
                     "only 2-D transposed convolution is supported (4-D weights), weights are %s",
                     dims_string(w_shape).c_str());
  Window w;
  STRIX_RETURN_IF_ERROR(read_conv_window(ctx, w_shape, &w));
  ir::ConvTranspose2DOptions o;
  o.kernel = w.kernel;
  o.strides = w.strides;
  o.dilations = w.dilations;
  o.pads = w.pads;
  o.group = static_cast<int>(ctx.attr_int("group", 1));
  std::vector<int64_t> out_pad = ctx.attr_ints("output_padding");
  if (!out_pad.empty()) {
    if (out_pad.size() != 2)
      return ctx.error(StatusCode::kCorruptModel, "output_padding needs 2 values");
    o.output_padding = {static_cast<int>(out_pad[0]), static_cast<int>(out_pad[1])};
  }
  std::vector<int64_t> out_shape = ctx.attr_ints("output_shape");
  if (out_shape.size() > 2) out_shape.erase(out_shape.begin(), out_shape.end() - 2);
  if (out_shape.empty() &&
      (w.padding == fb::PaddingMode::SameUpper || w.padding == fb::PaddingMode::SameLower))
    out_shape = {x_shape[2] * w.strides[0], x_shape[3] * w.strides[1]};
  if (w.padding == fb::PaddingMode::Valid) o.pads = {0, 0, 0, 0};
  if (!out_shape.empty()) {
    // ONNX: total = stride * (in - 1) + output_padding + (k - 1) * d + 1 - out, split with
    // the odd pixel at the end for SAME_UPPER and at the beginning otherwise. An output_shape
    // larger than the natural output (total < 0) appends zero rows/columns at the end, as
    // ONNX Runtime does: output_padding grows by -total, allowed while it stays below the
    // stride.
    for (int a = 0; a < 2; ++a) {
      int64_t total = o.strides[a] * (x_shape[2 + a] - 1) + o.output_padding[a] +
                      (o.kernel[a] - 1) * o.dilations[a] + 1 - out_shape[a];
      if (total < 0 && o.output_padding[a] - total < o.strides[a]) {
        o.output_padding[a] = static_cast<int>(o.output_padding[a] - total);
        total = 0;
      }
      if (total < 0)
        return ctx.error(StatusCode::kUnsupported,
                         "output_shape needs negative padding (%lld) along axis %d, more than "
                         "output_padding below the stride %d can give",
                         static_cast<long long>(total), a, o.strides[a]);
      int64_t small = total / 2, big = total - total / 2;
      bool upper = w.padding == fb::PaddingMode::SameUpper;
      o.pads[a] = static_cast<int>(upper ? small : big);
      o.pads[a + 2] = static_cast<int>(upper ? big : small);
    }
  }
  return simple_op(ctx, O::ConvTranspose2D, o, 3);
}

Status import_gemm(NodeContext& ctx) {
  ir::FullyConnectedOptions o;
  o.alpha = ctx.attr_float("alpha", 1.f);
  o.beta = ctx.attr_float("beta", 1.f);
  o.trans_a = ctx.attr_int("transA", 0) != 0;
  o.trans_b = ctx.attr_int("transB", 0) != 0;
  return simple_op(ctx, O::FullyConnected, o, 3);
}

Status import_matmul(NodeContext& ctx) { return simple_op(ctx, O::MatMul, ir::MatMulOptions{}, 2); }

Status import_pool(NodeContext& ctx) {
  if (ctx.output_used(1))
    return ctx.error(StatusCode::kUnsupported, "the Indices output is not supported");
  Window w;
  STRIX_RETURN_IF_ERROR(read_window(ctx, ctx.attr_ints("kernel_shape"), &w));
  ir::Pool2DOptions o;
  o.kernel = w.kernel;
  o.strides = w.strides;
  o.dilations = w.dilations;
  o.pads = w.pads;
  o.padding = w.padding;
  o.ceil_mode = ctx.attr_int("ceil_mode", 0) != 0;
  o.count_include_pad = ctx.attr_int("count_include_pad", 0) != 0;
  bool max = ctx.node.op_type() == "MaxPool";
  return simple_op(ctx, max ? O::MaxPool : O::AveragePool, o, 1);
}

std::string precheck_pool(const onnx::NodeProto& node, int opset) {
  for (const auto& a : node.attribute())
    if (a.name() == "kernel_shape" && a.ints_size() != 2)
      return "only 2-D pooling is supported (kernel_shape has " + std::to_string(a.ints_size()) +
             " dims)";
  return "";
}

Status import_global_pool(NodeContext& ctx) {
  bool max = ctx.node.op_type() == "GlobalMaxPool";
  return simple_op(ctx, max ? O::GlobalMaxPool : O::GlobalAveragePool, std::monostate{}, 1);
}

Status import_batch_norm(NodeContext& ctx) {
  if (ctx.opset < 9 && ctx.attr_int("spatial", 1) == 0)
    return ctx.error(StatusCode::kUnsupported, "spatial=0 is not supported");
  if (ctx.attr_int("training_mode", 0) != 0)
    return ctx.error(StatusCode::kUnsupported, "training_mode=1 is not supported (inference only)");
  for (int i = 1; i < ctx.num_outputs(); ++i)
    if (ctx.output_used(i))
      return ctx.error(StatusCode::kUnsupported, "training outputs (output %d) are not supported",
                       i);
  ir::BatchNormOptions o;
  o.epsilon = ctx.attr_float("epsilon", 1e-5f);
  return simple_op(ctx, O::BatchNormalization, o, 5);
}

Status import_instance_norm(NodeContext& ctx) {
  ir::NormOptions o;
  o.epsilon = ctx.attr_float("epsilon", 1e-5f);
  return simple_op(ctx, O::InstanceNormalization, o, 3);
}

Status import_layer_norm(NodeContext& ctx) {
  for (int i = 1; i < ctx.num_outputs(); ++i)
    if (ctx.output_used(i))
      return ctx.error(StatusCode::kUnsupported, "the Mean/InvStdDev outputs are not supported");
  ir::LayerNormOptions o;
  o.axis = static_cast<int>(ctx.attr_int("axis", -1));
  o.epsilon = ctx.attr_float("epsilon", 1e-5f);
  return simple_op(ctx, O::LayerNormalization, o, 3);
}

Status import_lrn(NodeContext& ctx) {
  ir::LRNOptions o;
  o.size = static_cast<int>(ctx.attr_int("size", 1));
  o.alpha = ctx.attr_float("alpha", 1e-4f);
  o.beta = ctx.attr_float("beta", 0.75f);
  o.bias = ctx.attr_float("bias", 1.f);
  return simple_op(ctx, O::LRN, o, 1);
}

// Opset 13+: along one axis. Before 13: the input is flattened to 2-D at `axis` (default 1)
// and normalized over the second dim; when axis is the last dim that is the same thing,
// otherwise it becomes Reshape -> Softmax(-1) -> Reshape.
Status import_softmax(NodeContext& ctx) {
  bool log = ctx.node.op_type() == "LogSoftmax";
  O op = log ? O::LogSoftmax : O::Softmax;
  std::vector<int64_t> shape = ctx.shape(0);
  int64_t rank = static_cast<int64_t>(shape.size());
  int64_t axis = ctx.attr_int("axis", ctx.opset >= 13 ? -1 : 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= std::max<int64_t>(rank, 1))
    return ctx.error(StatusCode::kCorruptModel, "axis %lld is out of range for rank %lld",
                     static_cast<long long>(ctx.attr_int("axis", 0)), static_cast<long long>(rank));
  ir::SoftmaxOptions o;
  o.axis = static_cast<int>(axis);
  if (ctx.opset >= 13 || axis == rank - 1) return simple_op(ctx, op, o, 1);
  int64_t inner = 1;
  for (int64_t d = axis; d < rank; ++d) {
    if (shape[d] < 0)
      return ctx.error(StatusCode::kUnsupported,
                       "opset < 13 flattens the input at axis %lld, which needs static dims "
                       "after it; the input is %s",
                       static_cast<long long>(axis), dims_string(shape).c_str());
    inner *= shape[d];
  }
  if (axis == 0 && shape[0] < 0)
    return ctx.error(StatusCode::kUnsupported,
                     "opset < 13 with axis 0 normalizes across the dynamic batch");
  STRIX_ASSIGN_OR_RETURN(x, ctx.input(0));
  STRIX_ASSIGN_OR_RETURN(y, ctx.output(0));
  const ir::Tensor& xt = ctx.imp.ir().tensors[x];
  int64_t outer = xt.num_elements() < 0 ? -1 : xt.num_elements() / inner;
  int flat = ctx.add_tensor(xt.dtype, {outer, inner}, "_flat2d");
  int soft = ctx.add_tensor(xt.dtype, {outer, inner}, "_softmax2d");
  ctx.add(O::Reshape, ir::ReshapeOptions{{-1, inner}}, {x}, {flat}, "_flatten");
  ctx.add(op, ir::SoftmaxOptions{-1}, {flat}, {soft});
  std::vector<int64_t> back = shape;
  if (back[0] < 0) back[0] = -1;
  ctx.add(O::Reshape, ir::ReshapeOptions{back}, {soft}, {y}, "_unflatten");
  return Status();
}

}  // namespace

void register_nn_ops(std::map<std::string, OpEntry>& t) {
  t["Conv"] = {import_conv, precheck_2d};
  t["ConvTranspose"] = {import_conv_transpose, precheck_2d};
  t["Gemm"] = {import_gemm, nullptr};
  t["MatMul"] = {import_matmul, nullptr};
  t["MaxPool"] = {import_pool, precheck_pool};
  t["AveragePool"] = {import_pool, precheck_pool};
  t["GlobalAveragePool"] = {import_global_pool, nullptr};
  t["GlobalMaxPool"] = {import_global_pool, nullptr};
  t["BatchNormalization"] = {import_batch_norm, nullptr};
  t["InstanceNormalization"] = {import_instance_norm, nullptr};
  t["LayerNormalization"] = {import_layer_norm, nullptr};
  t["LRN"] = {import_lrn, nullptr};
  t["Softmax"] = {import_softmax, nullptr};
  t["LogSoftmax"] = {import_softmax, nullptr};
}

}  // namespace strix::onnx_frontend
