#include "converter/quant/int8_io.h"

#include <cstdio>

namespace strix::quant {
namespace {

using fb::OpType;
using ir::DType;
using ir::Graph;

bool is_int8(DType d) { return d == DType::kI8 || d == DType::kU8; }

bool same_quant(const Quantization& a, const Quantization& b) {
  return a.scales == b.scales && a.zero_points == b.zero_points;
}

bool per_tensor(const Quantization& q) { return q.scales.size() == 1 && q.zero_points.size() <= 1; }

std::string op_label(const Graph& g, int node) { return fb::EnumNameOpType(g.nodes[node].op); }

// "" when graph input `x` qualifies (its Quantize nodes in `quantizes`), else why not.
std::string input_reason(const Graph& g, int x, std::vector<int>* quantizes) {
  const ir::Tensor& t = g.tensors[x];
  if (t.dtype != DType::kF32)
    return std::string("stays ") + ir::dtype_name(t.dtype) + ": not an f32 input";
  if (g.is_graph_output(x)) return "stays f32: it is also a graph output";
  std::vector<int> readers = g.consumers(x);
  if (readers.empty()) return "stays f32: no node reads it";
  for (int n : readers)
    if (g.nodes[n].op != OpType::Quantize)
      return "stays f32: feeds a " + op_label(g, n) + " directly";
  const ir::Tensor& first = g.tensors[g.nodes[readers[0]].outputs[0]];
  for (int n : readers) {
    int q = g.nodes[n].outputs[0];
    const ir::Tensor& qt = g.tensors[q];
    if (g.is_graph_output(q)) return "stays f32: its quantized copy is a graph output";
    if (!is_int8(qt.dtype))
      return std::string("stays f32: quantized to ") + ir::dtype_name(qt.dtype);
    if (!per_tensor(qt.quant)) return "stays f32: quantized per channel";
    if (qt.dtype != first.dtype || !same_quant(qt.quant, first.quant))
      return "stays f32: its Quantize nodes differ in quantization";
  }
  *quantizes = readers;
  return "";
}

// "" when graph output `y` qualifies (`*dequantize` is its producer), else why not.
std::string output_reason(const Graph& g, int y, int* dequantize) {
  const ir::Tensor& t = g.tensors[y];
  if (t.dtype != DType::kF32)
    return std::string("stays ") + ir::dtype_name(t.dtype) + ": not an f32 output";
  int p = g.producer(y);
  if (p < 0) return "stays f32: no node writes it";
  if (g.nodes[p].op != OpType::Dequantize)
    return "stays f32: written by a " + op_label(g, p) + ", not a Dequantize";
  int q = g.nodes[p].inputs[0];
  const ir::Tensor& qt = g.tensors[q];
  if (!is_int8(qt.dtype))
    return std::string("stays f32: its Dequantize reads ") + ir::dtype_name(qt.dtype);
  if (qt.is_constant) return "stays f32: its Dequantize reads a constant";
  for (int in : g.inputs)
    if (in == q) return "stays f32: its int8 value is a graph input";
  if (g.is_graph_output(q)) return "stays f32: its int8 value is also a graph output";
  if (!per_tensor(qt.quant)) return "stays f32: quantized per channel";
  *dequantize = p;
  return "";
}

}  // namespace

Status int8_io(Graph& g, Int8IoReport* report) {
  Int8IoReport r;
  std::vector<bool> drop(g.nodes.size(), false);
  for (int x : g.inputs) {
    Int8IoEntry e{true, g.tensors[x].name, false, g.tensors[x].dtype, {}, ""};
    std::vector<int> quantizes;
    e.reason = input_reason(g, x, &quantizes);
    if (e.reason.empty()) {
      const ir::Tensor& first = g.tensors[g.nodes[quantizes[0]].outputs[0]];
      e.converted = true;
      e.dtype = first.dtype;
      e.quant = first.quant;
      g.tensors[x].dtype = first.dtype;
      g.tensors[x].quant = first.quant;
      for (int n : quantizes) {
        g.replace_uses(g.nodes[n].outputs[0], x);
        drop[n] = true;
        ++r.quantize_removed;
      }
      ++r.inputs_converted;
    }
    r.entries.push_back(e);
  }
  std::vector<int> kept_dequantize;  // Dequantize nodes whose graph output became int8
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    const int y = g.outputs[k];
    Int8IoEntry e{false, g.tensors[y].name, false, g.tensors[y].dtype, {}, ""};
    int dq = -1;
    e.reason = output_reason(g, y, &dq);
    if (e.reason.empty()) {
      const int q = g.nodes[dq].inputs[0];
      e.converted = true;
      e.dtype = g.tensors[q].dtype;
      e.quant = g.tensors[q].quant;
      g.tensors[q].name = g.tensors[y].name;
      g.tensors[y].name += "#f32";
      g.outputs[k] = q;
      kept_dequantize.push_back(dq);
      ++r.outputs_converted;
    }
    r.entries.push_back(e);
  }
  // A Dequantize stays only for the float nodes (or outputs) still reading its f32 tensor.
  for (int dq : kept_dequantize) {
    int f = g.nodes[dq].outputs[0];
    if (!g.consumers(f).empty() || g.is_graph_output(f)) continue;
    drop[dq] = true;
    ++r.dequantize_removed;
  }
  g.remove_nodes(drop);
  STRIX_RETURN_IF_ERROR(g.topological_sort());
  if (report != nullptr) *report = std::move(r);
  return Status();
}

std::string format_entry(const Int8IoEntry& e) {
  std::string line = std::string(e.is_input ? "input" : "output") + " '" + e.name + "': ";
  if (!e.converted) return line + e.reason;
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%s (scale %g, zero point %lld)",
                e.dtype == DType::kU8 ? "uint8" : "int8", e.quant.scales[0],
                static_cast<long long>(e.quant.zero_points.empty() ? 0 : e.quant.zero_points[0]));
  return line + buf;
}

}  // namespace strix::quant
