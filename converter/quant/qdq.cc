#include "converter/quant/qdq.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "converter/quant/compare.h"
#include "converter/quant/quantize_graph.h"

namespace strix::quant {
namespace {

using fb::OpType;
using ir::DType;
using ir::Graph;
using ir::Node;
using ir::Tensor;

// A name not yet used by any tensor of `g`: `base`, else base + "_2", "_3", ...
std::string unique_name(const std::set<std::string>& used, const std::string& base) {
  if (!used.count(base)) return base;
  for (int i = 2;; ++i) {
    std::string n = base + "_" + std::to_string(i);
    if (!used.count(n)) return n;
  }
}

int64_t round_clamp(double v, int64_t lo, int64_t hi) {
  double r = std::nearbyint(v);
  return static_cast<int64_t>(std::min<double>(std::max<double>(r, lo), hi));
}

// Step 1 for node n (Conv2D or FullyConnected with an i8 weight constant).
bool rescale_weights(Graph& g, const Node& n, const std::map<std::string, Quantization>& weights) {
  if (n.inputs.size() < 2 || n.inputs[1] < 0) return false;
  Tensor& w = g.tensors[n.inputs[1]];
  if (!w.is_constant || w.dtype != DType::kI8 || w.quant.empty()) return false;
  auto it = weights.find(strip_suffix(w.name));
  if (it == weights.end()) return false;
  const Quantization& given = it->second;
  Quantization& have = w.quant;
  if (given.scales.size() != have.scales.size() ||
      (have.scales.size() > 1 && given.axis != have.axis))
    return false;
  for (int64_t z : given.zero_points)
    if (z != 0) return false;
  if (given.scales == have.scales) return false;
  const int64_t channels = static_cast<int64_t>(have.scales.size());
  int64_t inner = 1;
  if (channels > 1)
    for (int d = have.axis + 1; d < w.rank(); ++d) inner *= w.shape[d];
  // quantize_graph's grid is at least as fine as the given one (max|w| <= 127 * given), so
  // round(q * have / given) recovers the model's integers exactly.
  for (size_t e = 0; e < w.ints.size(); ++e) {
    size_t c = channels > 1 ? static_cast<size_t>((static_cast<int64_t>(e) / inner) % channels) : 0;
    w.ints[e] =
        round_clamp(w.ints[e] * static_cast<double>(have.scales[c]) / given.scales[c], -128, 127);
  }
  // The bias follows: i32 at x_scale * w_scale[c].
  if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
    Tensor& b = g.tensors[n.inputs[2]];
    const Quantization& xq = g.tensors[n.inputs[0]].quant;
    if (b.is_constant && b.dtype == DType::kI32 && !b.quant.empty() && !xq.empty()) {
      const size_t bc = b.quant.scales.size();
      for (size_t e = 0; e < b.ints.size(); ++e) {
        size_t c = bc > 1 ? e % bc : 0;
        size_t wc = channels > 1 ? std::min(e, static_cast<size_t>(channels - 1)) : 0;
        double new_scale = static_cast<double>(xq.scales[0]) * given.scales[wc];
        b.ints[e] = round_clamp(b.ints[e] * static_cast<double>(b.quant.scales[c]) / new_scale,
                                INT32_MIN, INT32_MAX);
      }
      std::vector<float> scales;
      for (size_t e = 0; e < b.ints.size(); ++e) {
        size_t wc = channels > 1 ? std::min(e, static_cast<size_t>(channels - 1)) : 0;
        scales.push_back(xq.scales[0] * given.scales[wc]);
      }
      if (channels == 1) scales.resize(1);
      b.quant.scales = scales;
      b.quant.zero_points.assign(scales.size(), 0);
      b.quant.axis = 0;
    }
  }
  have.scales = given.scales;
  have.zero_points.assign(given.scales.size(), 0);
  return true;
}

}  // namespace

CalibrationTable qdq_table(const std::map<std::string, Quantization>& activations) {
  CalibrationTable t;
  t.calibrator = "qdq";
  for (const auto& kv : activations) {
    const Quantization& q = kv.second;
    if (q.scales.size() != 1) continue;
    TensorCalibration c;
    c.scale = q.scales[0];
    c.zero_point = static_cast<int32_t>(q.zero_points.empty() ? 0 : q.zero_points[0]);
    c.min = c.scale * static_cast<float>(-128 - c.zero_point);
    c.max = c.scale * static_cast<float>(127 - c.zero_point);
    c.threshold = std::max(std::fabs(c.min), std::fabs(c.max));
    t.tensors[kv.first] = c;
  }
  return t;
}

namespace {

// Names of every tensor of g.
std::set<std::string> tensor_names(const Graph& g) {
  std::set<std::string> names;
  for (const Tensor& t : g.tensors) names.insert(t.name);
  return names;
}

// Used float activations by name.
std::map<std::string, int> float_activations(const Graph& g) {
  std::vector<bool> used(g.tensors.size(), false);
  for (int t : g.inputs) used[t] = true;
  for (int t : g.outputs) used[t] = true;
  for (const Node& n : g.nodes) {
    for (int t : n.inputs)
      if (t >= 0) used[t] = true;
    for (int t : n.outputs) used[t] = true;
  }
  std::map<std::string, int> by_name;
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    const Tensor& x = g.tensors[t];
    if (used[t] && !x.is_constant && (x.dtype == DType::kF32 || x.dtype == DType::kF16))
      by_name.emplace(x.name, static_cast<int>(t));
  }
  return by_name;
}

// Quantize -> Dequantize of tensor t (quantization q) for the nodes `float_readers` and, when
// `as_output`, for t as a graph output (its producer then writes a new "T#float"). Reuses
// `q_copy` (an i8 Quantize output of t with q) when >= 0; `quantizers`: nodes quantizing t,
// which read the producer's new tensor when t moves. Suffixes name the new tensors.
void fake_quantize(Graph& g, int t, const Quantization& q, const std::vector<int>& float_readers,
                   bool as_output, int q_copy, const std::vector<int>& quantizers,
                   const char* i8_suffix, const char* float_suffix, std::set<std::string>* names) {
  const Tensor x = g.tensors[t];
  int source = t;
  if (as_output) {
    Tensor raw = Tensor::activation(unique_name(*names, x.name + "#float"), x.dtype, x.shape);
    names->insert(raw.name);
    source = g.add_tensor(std::move(raw));
    int producer = g.producer(t);
    for (int& o : g.nodes[producer].outputs)
      if (o == t) o = source;
    for (int c : quantizers)
      for (int& i : g.nodes[c].inputs)
        if (i == t) i = source;
  }
  if (q_copy < 0) {
    Tensor qt = Tensor::activation(unique_name(*names, x.name + i8_suffix), DType::kI8, x.shape);
    qt.quant = q;
    names->insert(qt.name);
    q_copy = g.add_tensor(std::move(qt));
    std::string node = unique_name(*names, x.name + "#fake_quantize");
    names->insert(node);
    g.add_node(Node{node, OpType::Quantize, std::monostate{}, {source}, {q_copy}, {}});
  }
  int dq = t;
  if (!float_readers.empty() && !as_output) {
    std::string suffix = float_suffix;
    if (suffix.empty()) suffix = x.dtype == DType::kF16 ? "#f16" : "#f32";
    Tensor d = Tensor::activation(unique_name(*names, x.name + suffix), x.dtype, x.shape);
    names->insert(d.name);
    dq = g.add_tensor(std::move(d));
    for (int c : float_readers)
      for (int& i : g.nodes[c].inputs)
        if (i == t) i = dq;
  }
  std::string node = unique_name(*names, x.name + "#fake_dequantize");
  names->insert(node);
  g.add_node(Node{node, OpType::Dequantize, std::monostate{}, {q_copy}, {dq}, {}});
}

bool fuses_into_producer(OpType op) { return op == OpType::Relu || op == OpType::Clip; }

}  // namespace

Status fake_quantize_qdq(Graph& g, const std::map<std::string, Quantization>& activations,
                         bool int8, QdqReport* report) {
  std::set<std::string> names = tensor_names(g);
  std::map<std::string, int> by_name = float_activations(g);
  int count = 0;
  for (const auto& kv : activations) {
    auto found = by_name.find(kv.first);
    if (found == by_name.end() || kv.second.scales.size() != 1) continue;
    const int t = found->second;
    const int producer = g.producer(t);
    std::vector<int> readers;
    for (int c : g.consumers(t)) {
      if (std::find(readers.begin(), readers.end(), c) != readers.end()) continue;
      if (int8 && (int8_unsupported_reason(g, c).empty() || fuses_into_producer(g.nodes[c].op)))
        continue;
      readers.push_back(c);
    }
    bool as_output = g.is_graph_output(t) && producer >= 0 &&
                     (!int8 || !int8_unsupported_reason(g, producer).empty());
    if (readers.empty() && !as_output) continue;
    fake_quantize(g, t, kv.second, readers, as_output, -1, {}, "#fq_i8", "#fq", &names);
    ++count;
  }
  if (report != nullptr) report->fake_quantized += count;
  return g.topological_sort();
}

Status apply_qdq(Graph& g, const std::map<std::string, Quantization>& activations,
                 const std::map<std::string, Quantization>& weights, QdqReport* report,
                 bool fake_quantize_float) {
  QdqReport r;
  for (const Node& n : g.nodes)
    if (n.op == OpType::Conv2D || n.op == OpType::FullyConnected)
      r.weights_rescaled += rescale_weights(g, n, weights);
  std::set<std::string> names = tensor_names(g);
  std::map<std::string, int> by_name = float_activations(g);
  for (const auto& kv : activations) {
    if (!fake_quantize_float) break;
    auto found = by_name.find(kv.first);
    if (found == by_name.end() || kv.second.scales.size() != 1) continue;
    const int t = found->second;
    const int producer = g.producer(t);
    // Already the output of a fake quantization (fake_quantize_qdq).
    if (producer >= 0 && g.nodes[producer].op == OpType::Dequantize) continue;
    std::vector<int> quantizers, float_readers;
    for (int c : g.consumers(t)) {
      std::vector<int>& list = g.nodes[c].op == OpType::Quantize ? quantizers : float_readers;
      if (std::find(list.begin(), list.end(), c) == list.end()) list.push_back(c);
    }
    const bool as_output = g.is_graph_output(t) && producer >= 0;
    if (float_readers.empty() && !as_output) continue;
    // quantize_graph's "T#i8" when its parameters are the recorded ones.
    int q = -1;
    for (int c : quantizers) {
      int out = g.nodes[c].outputs[0];
      const Quantization& oq = g.tensors[out].quant;
      if (g.tensors[out].dtype == DType::kI8 && oq.scales == kv.second.scales &&
          oq.zero_points == kv.second.zero_points)
        q = out;
    }
    fake_quantize(g, t, kv.second, float_readers, as_output, q, quantizers, "#i8", "", &names);
    ++r.fake_quantized;
  }
  // Quantize(Dequantize(q)) with q's own parameters is q: the fake quantization that
  // fake_quantize_qdq put after a tensor quantize_graph made INT8 reads it directly.
  for (Node& n : g.nodes) {
    if (n.op != OpType::Quantize || n.inputs.empty() || n.inputs[0] < 0) continue;
    int p = g.producer(n.inputs[0]);
    if (p < 0 || g.nodes[p].op != OpType::Dequantize) continue;
    int q = g.nodes[p].inputs[0], out = n.outputs[0];
    const Tensor& a = g.tensors[q];
    const Tensor& b = g.tensors[out];
    if (a.dtype != b.dtype || a.quant.scales != b.quant.scales ||
        a.quant.zero_points != b.quant.zero_points || g.is_graph_output(out))
      continue;
    g.replace_uses(out, q);
  }
  // remove_dead_nodes needs the nodes in order (the new ones were appended).
  STRIX_RETURN_IF_ERROR(g.topological_sort());
  g.remove_dead_nodes();
  if (report != nullptr) *report = r;
  return g.topological_sort();
}

}  // namespace strix::quant
