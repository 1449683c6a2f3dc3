// QDQ (quantization-aware) models: QuantizeLinear / DequantizeLinear as explicit
// quantization.
//
//   DequantizeLinear(QuantizeLinear(x, s, z), s, z)   (per tensor, same s and z)
//       -> x itself; the pair's (s, z) is recorded for x (Importer::qdq_activations), and
//          quantize_graph later gives x exactly that quantization (no calibration needed).
//   DequantizeLinear(W_q constant, s, z, axis)
//       -> folded (fold_qdq) to the float constant s * (W_q - z); record_qdq_weights records
//          its (s, z, axis) for the weight (Importer::qdq_weights): INT8 weights use those
//          scales as they are. QuantizeLinear of a float constant folds the same way.
// A pair with per-axis activation parameters, and a lone Q or DQ on a computed tensor,
// become Strix Quantize / Dequantize nodes, numerically like ONNX Runtime. A pair whose DQ
// uses other parameters than its Q is refused (kUnsupported, naming the node).
// uint8 parameters map to int8 as q_i8 = q_u8 - 128, z_i8 = z_u8 - 128 (the same reals).
#include <algorithm>
#include <climits>
#include <cmath>
#include <exception>

#include "converter/frontends/onnx/ops_util.h"

namespace strix::onnx_frontend {
namespace {

// Quantization parameters of a QuantizeLinear / DequantizeLinear node.
struct QParams {
  std::vector<float> scales;
  std::vector<int64_t> zero_points;  // one per scale, in the quantized type's domain
  ir::DType qtype = ir::DType::kU8;
  int axis = 1;  // normalized against the data rank when per axis
};

int64_t qmin(ir::DType t) {
  return t == ir::DType::kU8 ? 0 : t == ir::DType::kI8 ? -128 : INT32_MIN;
}
int64_t qmax(ir::DType t) {
  return t == ir::DType::kU8 ? 255 : t == ir::DType::kI8 ? 127 : INT32_MAX;
}

// Reads inputs 1 (scale) and 2 (zero point) of `node` from the folded values, for data of
// rank `rank`. `data_type`: the quantized type when there is no zero point (DQ: its input).
Status read_qparams(const Importer& imp, const onnx::NodeProto& node, const std::string& label,
                    int opset, int rank, ir::DType data_type, QParams* q) {
  auto err = [&](const std::string& m) {
    return Status(StatusCode::kUnsupported, label + ": " + m);
  };
  if (node.input_size() < 2) return Status(StatusCode::kCorruptModel, label + ": scale is missing");
  Value s = imp.value(node.input(1), 0);
  if (!s || !imp.is_static_value(node.input(1)) || !ir::is_float(s->dtype))
    return err("the scale must be a float constant");
  q->scales = s->floats;
  for (float v : q->scales)
    if (!(v > 0) || !std::isfinite(v)) return err("scales must be finite and > 0");
  q->qtype = data_type;
  if (node.input_size() > 2 && !node.input(2).empty()) {
    Value z = imp.value(node.input(2), 0);
    if (!z || !imp.is_static_value(node.input(2)) || ir::is_float(z->dtype))
      return err("the zero point must be an integer constant");
    q->qtype = z->dtype;
    q->zero_points = z->ints;
  } else {
    q->zero_points.assign(q->scales.size(), 0);
  }
  if (q->qtype != ir::DType::kU8 && q->qtype != ir::DType::kI8 && q->qtype != ir::DType::kI32)
    return err(std::string("quantized type ") + ir::dtype_name(q->qtype) +
               " is not supported (uint8, int8, int32)");
  if (q->zero_points.size() != q->scales.size())
    return err("scale and zero point have different lengths");
  int64_t axis = 1;
  for (const auto& a : node.attribute())
    if (a.name() == "axis") axis = a.i();
  if (q->scales.size() > 1) {
    if (opset < 13) return err("per-axis quantization needs opset 13");
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return err("axis out of range");
  }
  q->axis = static_cast<int>(axis);
  return Status();
}

bool same_params(const QParams& a, const QParams& b) {
  return a.scales == b.scales && a.zero_points == b.zero_points && a.qtype == b.qtype &&
         (a.scales.size() == 1 || a.axis == b.axis);
}

Quantization to_quantization(const QParams& q) {
  Quantization out;
  out.scales = q.scales;
  out.zero_points = q.zero_points;
  out.axis = q.scales.size() > 1 ? q.axis : 0;
  return out;
}

// The same reals in int8: u8 zero points shift by -128.
Quantization to_int8(const QParams& q) {
  Quantization out = to_quantization(q);
  if (q.qtype == ir::DType::kU8)
    for (int64_t& z : out.zero_points) z -= 128;
  return out;
}

// Channel of element e for per-axis parameters over `shape`.
size_t channel_of(const QParams& q, const std::vector<int64_t>& shape, int64_t e) {
  if (q.scales.size() <= 1) return 0;
  int64_t inner = 1;
  for (size_t d = q.axis + 1; d < shape.size(); ++d) inner *= shape[d];
  return static_cast<size_t>((e / inner) % shape[q.axis]);
}

// Round half to even, as QuantizeLinear does.
int64_t quantize_value(float x, float scale, int64_t zp, ir::DType t) {
  double v = std::nearbyint(static_cast<double>(x) / scale) + zp;
  return static_cast<int64_t>(std::min<double>(std::max<double>(v, qmin(t)), qmax(t)));
}

Status check_axis_len(const QParams& q, const std::vector<int64_t>& shape, const std::string& l) {
  if (q.scales.size() > 1 && (q.axis >= static_cast<int>(shape.size()) ||
                              shape[q.axis] != static_cast<int64_t>(q.scales.size())))
    return Status(StatusCode::kCorruptModel, l + ": per-axis scales do not match the data's axis");
  return Status();
}

// Strix Quantize node: float tensor `x` -> a new tensor `name` of the quantized type.
int emit_quantize(NodeContext& ctx, int x, const QParams& q, const std::string& name) {
  ir::Graph& g = ctx.imp.ir();
  ir::Tensor t = ir::Tensor::activation(
      name, q.qtype == ir::DType::kI8 ? ir::DType::kI8 : ir::DType::kU8, g.tensors[x].shape);
  t.quant = to_quantization(q);
  int id = g.add_tensor(std::move(t));
  ctx.add(fb::OpType::Quantize, std::monostate{}, {x}, {id}, "_quantize");
  return id;
}

// QuantizeLinear alone: a Quantize node (uint8 or int8 output).
Status import_quantize(NodeContext& ctx) {
  STRIX_ASSIGN_OR_RETURN(x, ctx.input(0));
  QParams q;
  STRIX_RETURN_IF_ERROR(read_qparams(ctx.imp, ctx.node, ctx.label(), ctx.opset,
                                     static_cast<int>(ctx.shape(0).size()), ir::DType::kU8, &q));
  STRIX_RETURN_IF_ERROR(check_axis_len(q, ctx.imp.ir().tensors[x].shape, ctx.label()));
  if (q.qtype == ir::DType::kI32)
    return ctx.error(StatusCode::kUnsupported, "QuantizeLinear to int32 is not supported");
  STRIX_ASSIGN_OR_RETURN(y, ctx.output(0));
  ctx.imp.ir().tensors[y].quant = to_quantization(q);
  ctx.add(fb::OpType::Quantize, std::monostate{}, {x}, {y});
  return Status();
}

// DequantizeLinear of a computed tensor (constants are folded): a Dequantize node.
Status import_dequantize(NodeContext& ctx) {
  QParams q;
  std::vector<int64_t> shape = ctx.shape(0);
  STRIX_RETURN_IF_ERROR(read_qparams(ctx.imp, ctx.node, ctx.label(), ctx.opset,
                                     static_cast<int>(shape.size()), ctx.dtype(0), &q));
  STRIX_ASSIGN_OR_RETURN(x, ctx.input(0));
  ir::Tensor& xt = ctx.imp.ir().tensors[x];
  STRIX_RETURN_IF_ERROR(check_axis_len(q, xt.shape, ctx.label()));
  Quantization quant = to_quantization(q);
  if (xt.quant.empty()) {
    xt.quant = quant;
  } else if (xt.quant.scales != quant.scales || xt.quant.zero_points != quant.zero_points) {
    return ctx.error(StatusCode::kUnsupported,
                     "'%s' is dequantized with other parameters than it was quantized with",
                     ctx.node.input(0).c_str());
  }
  STRIX_ASSIGN_OR_RETURN(y, ctx.output(0));
  ctx.add(fb::OpType::Dequantize, std::monostate{}, {x}, {y});
  return Status();
}

// The anchor (a DequantizeLinear) of a DQ(Q(x)) pair; the QuantizeLinear is the first member.
Status import_qdq_pair(NodeContext& ctx) {
  Importer& imp = ctx.imp;
  const onnx::NodeProto& qnode = imp.graph().node(imp.current_pattern->members.front());
  std::string qlabel = onnx_node_label(qnode, imp.current_pattern->members.front(), ctx.opset);
  const std::string& x_name = qnode.input(0);
  int rank = static_cast<int>(imp.merged_dims(x_name).size());
  QParams qq, dq;
  STRIX_RETURN_IF_ERROR(read_qparams(imp, qnode, qlabel, ctx.opset, rank, ir::DType::kU8, &qq));
  STRIX_RETURN_IF_ERROR(read_qparams(imp, ctx.node, ctx.label(), ctx.opset, rank, qq.qtype, &dq));
  if (qq.qtype == ir::DType::kI32)
    return Status(StatusCode::kUnsupported, qlabel + ": QuantizeLinear to int32 is not supported");
  Result<int> x = imp.tensor(x_name, qlabel);
  if (!x.ok()) return x.status();
  const bool float_x = ir::is_float(imp.ir().tensors[x.value()].dtype);
  if (!float_x) return Status(StatusCode::kUnsupported, qlabel + ": input must be a float tensor");
  if (same_params(qq, dq) && qq.scales.size() == 1) {
    ctx.alias_output(0, x.value());
    imp.qdq_activations.emplace(x.value(), to_int8(qq));  // the first pair on x wins
    return Status();
  }
  // Explicit nodes: Quantize (once per QuantizeLinear) and this Dequantize.
  STRIX_RETURN_IF_ERROR(check_axis_len(qq, imp.ir().tensors[x.value()].shape, qlabel));
  int q;
  if (imp.has_tensor(qnode.output(0))) {
    Result<int> r = imp.tensor(qnode.output(0), qlabel);
    if (!r.ok()) return r.status();
    q = r.value();
  } else {
    q = emit_quantize(ctx, x.value(), qq, qnode.output(0));
    imp.set_tensor(qnode.output(0), q);
  }
  const Quantization dq_quant = to_quantization(dq);
  const ir::Tensor& qt = imp.ir().tensors[q];
  if (qt.quant.scales != dq_quant.scales || qt.quant.zero_points != dq_quant.zero_points)
    return ctx.error(StatusCode::kUnsupported,
                     "dequantizes '%s' with other parameters than it was quantized with",
                     qnode.output(0).c_str());
  STRIX_ASSIGN_OR_RETURN(y, ctx.output(0));
  ctx.add(fb::OpType::Dequantize, std::monostate{}, {q}, {y});
  return Status();
}

}  // namespace

Status fold_qdq(const onnx::NodeProto& node, int opset, const std::vector<Value>& in,
                const std::string& label, std::vector<Value>* out) {
  const bool dequantize = node.op_type() == "DequantizeLinear";
  const ir::Tensor& x = *in[0];
  if (dequantize == ir::is_float(x.dtype))
    return Status(StatusCode::kCorruptModel,
                  label + (dequantize ? ": input must be an integer tensor"
                                      : ": input must be a float tensor"));
  QParams q;
  auto fail = [&](const std::string& m) {
    return Status(StatusCode::kUnsupported, label + ": " + m);
  };
  if (in.size() < 2 || !in[1] || !ir::is_float(in[1]->dtype))
    return fail("the scale must be a float constant");
  q.scales = in[1]->floats;
  for (float v : q.scales)
    if (!(v > 0) || !std::isfinite(v)) return fail("scales must be finite and > 0");
  q.qtype = dequantize ? x.dtype : ir::DType::kU8;
  if (in.size() > 2 && in[2]) {
    if (ir::is_float(in[2]->dtype)) return fail("the zero point must be an integer constant");
    q.qtype = in[2]->dtype;
    q.zero_points = in[2]->ints;
  } else {
    q.zero_points.assign(q.scales.size(), 0);
  }
  if (q.zero_points.size() != q.scales.size())
    return fail("scale and zero point have different lengths");
  int64_t axis = 1;
  for (const auto& a : node.attribute())
    if (a.name() == "axis") axis = a.i();
  if (axis < 0) axis += x.rank();
  q.axis = static_cast<int>(axis);
  if (q.scales.size() > 1 && opset < 13) return fail("per-axis quantization needs opset 13");
  STRIX_RETURN_IF_ERROR(check_axis_len(q, x.shape, label));
  auto y = std::make_shared<ir::Tensor>();
  y->is_constant = true;
  y->shape = x.shape;
  y->name = node.output(0);
  const size_t n = dequantize ? x.ints.size() : x.floats.size();
  if (dequantize) {
    y->dtype = ir::DType::kF32;
    y->floats.resize(n);
  } else {
    y->dtype = q.qtype;
    y->ints.resize(n);
  }
  for (size_t e = 0; e < n; ++e) {
    size_t c = channel_of(q, x.shape, static_cast<int64_t>(e));
    if (dequantize)
      y->floats[e] =
          static_cast<float>((x.ints[e] - q.zero_points[c]) * static_cast<double>(q.scales[c]));
    else
      y->ints[e] = quantize_value(x.floats[e], q.scales[c], q.zero_points[c], q.qtype);
  }
  out->push_back(y);
  return Status();
}

void record_qdq_weights(Importer& imp) {
  const onnx::GraphProto& g = imp.graph();
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& n = g.node(i);
    if (n.op_type() != "DequantizeLinear" || n.output_size() != 1 || n.input_size() < 2) continue;
    const std::string& name = n.output(0);
    Value w = imp.value(name, 0);
    Value x = imp.value(n.input(0), 0);
    if (!w || !x || !imp.has_tensor(name)) continue;  // not folded, or not used
    QParams q;
    if (!read_qparams(imp, n, "", imp.opset(), x->rank(), x->dtype, &q).ok()) continue;
    if (q.qtype == ir::DType::kI32) continue;  // biases follow the weights' scales
    Result<int> t = imp.tensor(name, "");
    if (t.ok()) imp.qdq_weights[t.value()] = to_int8(q);
  }
}

bool has_qdq_nodes(const void* data, size_t size) {
  if (size == 0 || size > static_cast<size_t>(INT_MAX)) return false;
  try {
    onnx::ModelProto model;
    if (!model.ParseFromArray(data, static_cast<int>(size))) return false;
    for (const onnx::NodeProto& n : model.graph().node())
      if (n.op_type() == "QuantizeLinear" || n.op_type() == "DequantizeLinear") return true;
  } catch (const std::exception&) {
  }
  return false;
}

void register_qdq_ops(std::map<std::string, OpEntry>& t) {
  t["QuantizeLinear"] = {import_quantize, nullptr};
  t["DequantizeLinear"] = {import_dequantize, nullptr};
}

void match_qdq_pairs(Importer& imp, std::vector<bool>* replaced,
                     std::map<int, PatternMatch>* anchors) {
  const onnx::GraphProto& g = imp.graph();
  std::map<std::string, int> producer;
  for (int i = 0; i < g.node_size(); ++i)
    for (const std::string& o : g.node(i).output()) producer[o] = i;
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& q = g.node(i);
    if (q.op_type() != "QuantizeLinear" || q.output_size() != 1 || q.input_size() < 1) continue;
    const std::string& out = q.output(0);
    const std::vector<int>& readers = imp.readers(out);
    if (readers.empty() || imp.use_count(out) != static_cast<int>(readers.size())) continue;
    bool all_dq = true;
    for (int r : readers)
      all_dq = all_dq && g.node(r).op_type() == "DequantizeLinear" && g.node(r).input_size() >= 2 &&
               g.node(r).input(0) == out && anchors->count(r) == 0;
    if (!all_dq) continue;
    (*replaced)[i] = true;
    for (int r : readers) {
      PatternMatch m;
      m.import = import_qdq_pair;
      m.members = {i, r};
      m.input = q.input(0);
      (*anchors)[r] = m;
    }
  }
}

}  // namespace strix::onnx_frontend
