#include "converter/quant/quantize_graph.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "converter/ir/passes.h"
#include "kernels/cpu/ref/requantize.h"

namespace strix::quant {
namespace {

using fb::OpType;
using ir::DType;
using ir::Graph;
using ir::Node;
using ir::Tensor;

const char* op_name(OpType op) { return fb::EnumNameOpType(op); }

bool is_compute_op(OpType op) {
  switch (op) {
    case OpType::Conv2D:
    case OpType::FullyConnected:
    case OpType::MaxPool:
    case OpType::AveragePool:
    case OpType::GlobalAveragePool:
    case OpType::GlobalMaxPool:
    case OpType::Add:
    case OpType::Concat: return true;
    default: return false;
  }
}

std::string activation_reason(const ir::Activation& a) {
  if (a.kind == fb::ActivationKind::None || a.kind == fb::ActivationKind::Relu ||
      a.kind == fb::ActivationKind::Clip)
    return "";
  return std::string("fused activation ") + fb::EnumNameActivationKind(a.kind) +
         " has no int8 kernel";
}

bool is_activation(const Graph& g, int t) { return t >= 0 && !g.tensors[t].is_constant; }

// Per-channel symmetric weights: scales (one per channel along `axis`) and i8 values.
void quantize_weights(const Tensor& w, int axis, std::vector<float>* scales,
                      std::vector<int64_t>* q) {
  int64_t channels = w.shape[axis];
  int64_t inner = 1;
  for (int d = axis + 1; d < w.rank(); ++d) inner *= w.shape[d];
  std::vector<float> amax(static_cast<size_t>(channels), 0.f);
  for (size_t e = 0; e < w.floats.size(); ++e) {
    int64_t c = (static_cast<int64_t>(e) / inner) % channels;
    amax[c] = std::max(amax[c], std::fabs(w.floats[e]));
  }
  scales->resize(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c)
    (*scales)[c] = amax[c] > 0.f && std::isfinite(amax[c]) ? amax[c] / 127.f : 1.f;
  q->resize(w.floats.size());
  for (size_t e = 0; e < w.floats.size(); ++e) {
    int64_t c = (static_cast<int64_t>(e) / inner) % channels;
    (*q)[e] = kernels::ref::quantize_value(w.floats[e], (*scales)[c], 0, -127, 127);
  }
}

class Quantizer {
 public:
  Quantizer(Graph& g, const CalibrationTable& t, const QuantizeOptions& o) : g_(g), t_(t), o_(o) {}

  Status run(QuantizeReport* report) {
    for (const std::string& name : o_.keep_float) {
      bool found = false;
      for (const Node& n : g_.nodes) found = found || n.name == name;
      if (!found)
        return Status(StatusCode::kInvalidArgument,
                      "keep-float node '" + name + "' is not a node of the graph");
    }
    const size_t num_nodes = g_.nodes.size();
    is_i8_.assign(g_.tensors.size(), false);
    int8_node_.assign(num_nodes, false);
    QuantizeReport r;
    for (size_t n = 0; n < num_nodes; ++n) {
      std::string reason = decide(static_cast<int>(n));
      const Node& node = g_.nodes[n];
      NodePrecision p{node.name, op_name(node.op), "int8", "int8"};
      if (!reason.empty()) {
        p.precision = o_.float_is_fp16 ? "fp16" : "fp32";
        p.reason = "float: " + reason;
      } else {
        int8_node_[n] = true;
        ++r.int8_nodes;
        for (int t : node.outputs) is_i8_[t] = true;
      }
      r.nodes.push_back(p);
    }
    // Quantizations of the i8 activations, in graph order (view ops copy their input's).
    std::vector<Quantization> quant(g_.tensors.size());
    for (size_t n = 0; n < num_nodes; ++n) {
      if (!int8_node_[n]) continue;
      const Node& node = g_.nodes[n];
      for (int t : node.outputs) {
        if (shares_input_quantization(node.op)) {
          int in = node.inputs[0];
          quant[t] = is_i8_[in] ? quant[in] : table_quant(in);
        } else {
          quant[t] = table_quant(t);
        }
      }
    }
    STRIX_RETURN_IF_ERROR(rewrite(quant, &r));
    if (o_.float_is_fp16) STRIX_RETURN_IF_ERROR(to_fp16());
    STRIX_RETURN_IF_ERROR(g_.topological_sort());
    if (report != nullptr) *report = std::move(r);
    return Status();
  }

 private:
  Quantization table_quant(int t) const {
    const TensorCalibration& c = t_.tensors.at(g_.tensors[t].name);
    Quantization q;
    q.scales = {c.scale};
    q.zero_points = {c.zero_point};
    return q;
  }

  bool in_table(int t) const { return t_.tensors.count(g_.tensors[t].name) != 0; }

  std::string decide(int n) const {
    const Node& node = g_.nodes[n];
    if (o_.keep_float.count(node.name) != 0) return "kept by option";
    std::string reason = int8_unsupported_reason(g_, n);
    if (!reason.empty()) return reason;
    if (is_int8_view_op(node.op)) {
      if (!is_i8_[node.inputs[0]]) return "input is float (data movement follows its producer)";
      return "";
    }
    for (int t : node.inputs) {
      if (is_activation(g_, t) && !is_i8_[t] && !in_table(t))
        return "tensor '" + g_.tensors[t].name + "' is not in the calibration table";
    }
    for (int t : node.outputs) {
      bool copies = shares_input_quantization(node.op) && is_i8_[node.inputs[0]];
      if (!copies && !in_table(t))
        return "tensor '" + g_.tensors[t].name + "' is not in the calibration table";
    }
    return "";
  }

  // Readers of tensor t among the nodes of the original graph (indices < num_nodes).
  std::vector<int> readers(int t, size_t num_nodes) const {
    std::vector<int> out;
    for (size_t n = 0; n < num_nodes; ++n)
      for (int i : g_.nodes[n].inputs)
        if (i == t) {
          out.push_back(static_cast<int>(n));
          break;
        }
    return out;
  }

  // A weight or bias tensor converted for node n: in place when n is its only reader, else a
  // copy named NAME#SUFFIX.
  int own_constant(int n, int t, const char* suffix, size_t num_nodes) {
    std::vector<int> rs = readers(t, num_nodes);
    if (rs.size() == 1 && rs[0] == n && !g_.is_graph_output(t)) return t;
    Tensor copy = g_.tensors[t];
    copy.name += suffix;
    int c = g_.add_tensor(std::move(copy));
    for (int& i : g_.nodes[n].inputs)
      if (i == t) i = c;
    return c;
  }

  Status quantize_node_constants(int n, size_t num_nodes, const std::vector<Quantization>& quant,
                                 const std::map<int, int>& q_copy) {
    Node& node = g_.nodes[n];
    if (node.op != OpType::Conv2D && node.op != OpType::FullyConnected) return Status();
    int axis = 0;
    if (node.op == OpType::FullyConnected) {
      const auto& o = std::get<ir::FullyConnectedOptions>(node.options);
      axis = o.trans_b ? 0 : 1;
    }
    int x = node.inputs[0];
    auto it = q_copy.find(x);
    float x_scale = is_i8_[x] ? quant[x].scales[0] : g_.tensors[it->second].quant.scales[0];
    int w = own_constant(n, node.inputs[1], "#i8", num_nodes);
    Tensor& wt = g_.tensors[w];
    std::vector<float> w_scales;
    std::vector<int64_t> wq;
    quantize_weights(wt, axis, &w_scales, &wq);
    wt.dtype = DType::kI8;
    wt.floats.clear();
    wt.ints = std::move(wq);
    wt.quant.scales = w_scales;
    wt.quant.zero_points.assign(w_scales.size(), 0);
    wt.quant.axis = axis;
    if (node.inputs.size() > 2 && node.inputs[2] >= 0) {
      int b = own_constant(n, node.inputs[2], "#i32", num_nodes);
      Tensor& bt = g_.tensors[b];
      if (static_cast<size_t>(bt.num_elements()) != w_scales.size())
        return Status(StatusCode::kInvalidArgument,
                      g_.node_label(n) + ": bias '" + bt.name + "' has " +
                          std::to_string(bt.num_elements()) + " values for " +
                          std::to_string(w_scales.size()) + " output channels");
      std::vector<int64_t> bq(w_scales.size());
      std::vector<float> b_scales(w_scales.size());
      for (size_t c = 0; c < w_scales.size(); ++c) {
        double s = static_cast<double>(x_scale) * static_cast<double>(w_scales[c]);
        b_scales[c] = static_cast<float>(s);
        double v = std::nearbyint(static_cast<double>(bt.floats[c]) / s);
        v = std::min<double>(std::max<double>(v, std::numeric_limits<int32_t>::min()),
                             std::numeric_limits<int32_t>::max());
        bq[c] = static_cast<int64_t>(v);
      }
      bt.dtype = DType::kI32;
      bt.floats.clear();
      bt.ints = std::move(bq);
      bt.quant.scales = b_scales;
      bt.quant.zero_points.assign(b_scales.size(), 0);
      bt.quant.axis = bt.rank() - 1;
    }
    return Status();
  }

  Status rewrite(const std::vector<Quantization>& quant, QuantizeReport* r) {
    const size_t num_nodes = g_.nodes.size();
    const size_t num_tensors = g_.tensors.size();
    // 1. Quantize: every float activation an INT8 node reads, once.
    std::map<int, int> q_copy;  // float tensor -> its "#i8" copy
    for (size_t n = 0; n < num_nodes; ++n) {
      if (!int8_node_[n]) continue;
      for (int t : g_.nodes[n].inputs) {
        if (!is_activation(g_, t) || is_i8_[t] || q_copy.count(t) != 0) continue;
        Tensor copy =
            Tensor::activation(g_.tensors[t].name + "#i8", DType::kI8, g_.tensors[t].shape);
        copy.quant = table_quant(t);
        int c = g_.add_tensor(std::move(copy));
        q_copy[t] = c;
        g_.add_node(Node{
            g_.tensors[t].name + "#quantize", OpType::Quantize, std::monostate{}, {t}, {c}, {}});
        ++r->quantize_nodes;
      }
    }
    // 2. Weights and biases (before the inputs are redirected: they read the x scale).
    for (size_t n = 0; n < num_nodes; ++n)
      if (int8_node_[n])
        STRIX_RETURN_IF_ERROR(
            quantize_node_constants(static_cast<int>(n), num_nodes, quant, q_copy));
    for (size_t n = 0; n < num_nodes; ++n) {
      if (!int8_node_[n]) continue;
      for (int& t : g_.nodes[n].inputs) {
        auto it = q_copy.find(t);
        if (it != q_copy.end()) t = it->second;
      }
    }
    // 3. The i8 activations, and a Dequantize for each one a float node or the graph reads.
    for (size_t t = 0; t < num_tensors; ++t) {
      if (!is_i8_[t]) continue;
      bool float_reader = false;
      for (size_t n = 0; n < num_nodes; ++n) {
        if (int8_node_[n]) continue;
        for (int i : g_.nodes[n].inputs) float_reader = float_reader || i == static_cast<int>(t);
      }
      const int ti = static_cast<int>(t);
      if (g_.is_graph_output(ti)) {
        // The graph output keeps its name and f32; the producer writes an i8 copy "T#i8".
        Tensor copy =
            Tensor::activation(g_.tensors[t].name + "#i8", DType::kI8, g_.tensors[t].shape);
        copy.quant = quant[t];
        int c = g_.add_tensor(std::move(copy));
        for (size_t n = 0; n < num_nodes; ++n) {
          if (!int8_node_[n]) continue;
          for (int& o : g_.nodes[n].outputs)
            if (o == ti) o = c;
          for (int& i : g_.nodes[n].inputs)
            if (i == ti) i = c;
        }
        g_.add_node(Node{g_.tensors[t].name + "#dequantize",
                         OpType::Dequantize,
                         std::monostate{},
                         {c},
                         {ti},
                         {}});
        ++r->dequantize_nodes;
        continue;
      }
      g_.tensors[t].dtype = DType::kI8;
      g_.tensors[t].quant = quant[t];
      if (!float_reader) continue;
      int f = g_.add_tensor(
          Tensor::activation(g_.tensors[t].name + "#f32", DType::kF32, g_.tensors[t].shape));
      for (size_t n = 0; n < num_nodes; ++n) {
        if (int8_node_[n]) continue;
        for (int& i : g_.nodes[n].inputs)
          if (i == ti) i = f;
      }
      g_.add_node(Node{
          g_.tensors[t].name + "#dequantize", OpType::Dequantize, std::monostate{}, {ti}, {f}, {}});
      ++r->dequantize_nodes;
    }
    return Status();
  }

  // The float part in FP16: convert_to_fp16, then f32 again where Quantize reads and
  // Dequantize writes (their kernels are f32 only).
  Status to_fp16() {
    STRIX_RETURN_IF_ERROR(ir::convert_to_fp16(g_));
    const size_t num_nodes = g_.nodes.size();
    for (size_t n = 0; n < num_nodes; ++n) {
      if (g_.nodes[n].op != OpType::Quantize) continue;
      int in = g_.nodes[n].inputs[0];
      if (g_.tensors[in].dtype != DType::kF16) continue;
      // An f16 copy of an f32 graph input: read the input itself.
      int p = g_.producer(in);
      if (p >= 0 && g_.nodes[p].op == OpType::Cast && g_.nodes[p].inputs.size() == 1 &&
          g_.tensors[g_.nodes[p].inputs[0]].dtype == DType::kF32) {
        g_.nodes[n].inputs[0] = g_.nodes[p].inputs[0];
        continue;
      }
      int f = g_.add_tensor(
          Tensor::activation(g_.tensors[in].name + "#f32", DType::kF32, g_.tensors[in].shape));
      ir::CastOptions c;
      c.to = fb::DType::F32;
      g_.add_node(Node{g_.tensors[in].name + "#to_f32", OpType::Cast, c, {in}, {f}, {}});
      g_.nodes[n].inputs[0] = f;
    }
    std::vector<bool> drop(g_.nodes.size(), false);
    for (size_t n = 0; n < num_nodes; ++n) {
      if (g_.nodes[n].op != OpType::Dequantize) continue;
      int out = g_.nodes[n].outputs[0];
      if (g_.tensors[out].dtype != DType::kF16) continue;
      // A graph output: convert_to_fp16 put a Cast to f32 after the (now f16) Dequantize
      // output; the Dequantize writes the graph output itself instead.
      std::vector<int> readers = g_.consumers(out);
      if (readers.size() == 1 && !g_.is_graph_output(out)) {
        const Node& r = g_.nodes[readers[0]];
        const auto* cast = std::get_if<ir::CastOptions>(&r.options);
        if (r.op == OpType::Cast && cast != nullptr && cast->to == fb::DType::F32 &&
            g_.is_graph_output(r.outputs[0])) {
          g_.nodes[n].outputs[0] = r.outputs[0];
          drop[readers[0]] = true;
          continue;
        }
      }
      // "T#f32" (now f16) becomes "T#f16", written by a Cast from a new f32 "T#f32".
      std::string name = g_.tensors[out].name;
      int f = g_.add_tensor(Tensor::activation(name, DType::kF32, g_.tensors[out].shape));
      std::string base = name.size() > 4 && name.compare(name.size() - 4, 4, "#f32") == 0
                             ? name.substr(0, name.size() - 4)
                             : name;
      g_.tensors[out].name = base + "#f16";
      g_.nodes[n].outputs[0] = f;
      ir::CastOptions c;
      c.to = fb::DType::F16;
      g_.add_node(Node{base + "#to_f16", OpType::Cast, c, {f}, {out}, {}});
    }
    drop.resize(g_.nodes.size(), false);
    g_.remove_nodes(drop);
    STRIX_RETURN_IF_ERROR(g_.topological_sort());
    g_.remove_dead_nodes();
    return Status();
  }

  Graph& g_;
  const CalibrationTable& t_;
  const QuantizeOptions& o_;
  std::vector<bool> is_i8_;
  std::vector<bool> int8_node_;
};

}  // namespace

bool is_int8_view_op(OpType op) {
  switch (op) {
    case OpType::Reshape:
    case OpType::Flatten:
    case OpType::Transpose:
    case OpType::Squeeze:
    case OpType::Unsqueeze:
    case OpType::Pad:
    case OpType::Slice:
    case OpType::Split: return true;
    default: return false;
  }
}

bool shares_input_quantization(OpType op) {
  return is_int8_view_op(op) || op == OpType::MaxPool || op == OpType::GlobalMaxPool;
}

std::string int8_unsupported_reason(const Graph& g, int n) {
  const Node& node = g.nodes[n];
  if (!is_compute_op(node.op) && !is_int8_view_op(node.op)) return "op has no int8 kernel";
  for (int t : node.inputs) {
    if (!is_activation(g, t)) continue;
    if (g.tensors[t].dtype != DType::kF32)
      return std::string("input '") + g.tensors[t].name + "' is " +
             ir::dtype_name(g.tensors[t].dtype) + ", not f32";
  }
  for (int t : node.outputs)
    if (g.tensors[t].dtype != DType::kF32)
      return std::string("output '") + g.tensors[t].name + "' is not f32";
  if (node.inputs.empty() || !is_activation(g, node.inputs[0])) return "input 0 is a constant";
  switch (node.op) {
    case OpType::Conv2D:
    case OpType::FullyConnected: {
      if (node.inputs.size() < 2 || node.inputs[1] < 0 || !g.tensors[node.inputs[1]].is_constant)
        return "weights are not constant";
      if (node.inputs.size() > 2 && node.inputs[2] >= 0 && !g.tensors[node.inputs[2]].is_constant)
        return "bias is not constant";
      const Tensor& w = g.tensors[node.inputs[1]];
      if (node.op == OpType::Conv2D) {
        const auto& o = std::get<ir::Conv2DOptions>(node.options);
        if (w.rank() != 4) return "weights are not 4-D";
        if (w.shape[1] * w.shape[2] * w.shape[3] > 65536)
          return "reduction longer than 65536 (int32 accumulator)";
        return activation_reason(o.activation);
      }
      const auto& o = std::get<ir::FullyConnectedOptions>(node.options);
      if (w.rank() != 2) return "weights are not 2-D";
      if (o.trans_a) return "trans_a has no int8 kernel";
      if (o.alpha != 1.f) return "alpha is not 1";
      if (node.inputs.size() > 2 && node.inputs[2] >= 0 && o.beta != 1.f) return "beta is not 1";
      if (w.shape[o.trans_b ? 1 : 0] > 65536)
        return "reduction longer than 65536 (int32 accumulator)";
      return activation_reason(o.activation);
    }
    case OpType::Add: {
      for (int t : node.inputs)
        if (!is_activation(g, t)) return "an input is a constant";
      return activation_reason(std::get<ir::BinaryOptions>(node.options).activation);
    }
    case OpType::Concat:
      for (int t : node.inputs)
        if (!is_activation(g, t)) return "an input is a constant";
      return "";
    default: return "";
  }
}

std::vector<int> calibration_tensors(const Graph& g) {
  std::vector<int> out;
  std::vector<bool> seen(g.tensors.size(), false);
  auto add = [&](int t) {
    if (!is_activation(g, t) || seen[t]) return;
    seen[t] = true;
    out.push_back(t);
  };
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    if (!int8_unsupported_reason(g, static_cast<int>(n)).empty()) continue;
    for (int t : g.nodes[n].inputs) add(t);
    for (int t : g.nodes[n].outputs) add(t);
  }
  return out;
}

Status quantize_graph(Graph& g, const CalibrationTable& t, const QuantizeOptions& o,
                      QuantizeReport* report) {
  try {
    return Quantizer(g, t, o).run(report);
  } catch (const std::exception& e) {
    return Status(StatusCode::kInternal, std::string("quantize_graph: ") + e.what());
  }
}

}  // namespace strix::quant
