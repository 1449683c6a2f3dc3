#include "converter/ir/passes.h"

#include <limits>

namespace strix::ir {
namespace {

// "tensor 'x' (read by node 3 'gather' (Gather, from 'Gather_7'))".
std::string tensor_label(const Graph& g, int t) {
  std::string label = "tensor '" + g.tensors[t].name + "'";
  std::vector<int> readers = g.consumers(t);
  int p = g.producer(t);
  if (p >= 0) return label + " (output of " + g.node_label(p) + ")";
  if (!readers.empty()) return label + " (read by " + g.node_label(readers[0]) + ")";
  return label;
}

std::vector<bool> used_tensors(const Graph& g) {
  std::vector<bool> used(g.tensors.size(), false);
  for (int t : g.inputs) used[t] = true;
  for (int t : g.outputs) used[t] = true;
  for (const Node& n : g.nodes) {
    for (int t : n.inputs)
      if (t >= 0) used[t] = true;
    for (int t : n.outputs) used[t] = true;
  }
  return used;
}

}  // namespace

Status narrow_integers(Graph& g) {
  std::vector<bool> used = used_tensors(g);
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    Tensor& tensor = g.tensors[t];
    if (!used[t]) continue;
    if (tensor.dtype == DType::kBool || tensor.dtype == DType::kF64)
      return Status(StatusCode::kUnsupported, tensor_label(g, static_cast<int>(t)) + " has dtype " +
                                                  dtype_name(tensor.dtype) +
                                                  ", which Strix cannot hold at run time");
    if (tensor.dtype != DType::kI64) continue;
    for (int64_t v : tensor.ints) {
      if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
        return Status(StatusCode::kUnsupported, tensor_label(g, static_cast<int>(t)) +
                                                    " holds the int64 value " + std::to_string(v) +
                                                    ", out of the int32 range Strix uses");
    }
    tensor.dtype = DType::kI32;
  }
  return Status();
}

Status convert_to_fp16(Graph& g) {
  std::vector<bool> used = used_tensors(g);
  std::vector<bool> boundary(g.tensors.size(), false);
  for (int t : g.inputs) boundary[t] = true;
  for (int t : g.outputs) boundary[t] = true;
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    Tensor& tensor = g.tensors[t];
    if (used[t] && !boundary[t] && tensor.dtype == DType::kF32) tensor.dtype = DType::kF16;
  }
  for (Node& n : g.nodes) {
    if (auto* cast = std::get_if<CastOptions>(&n.options)) {
      if (cast->to == fb::DType::F32 && !g.is_graph_output(n.outputs[0])) cast->to = fb::DType::F16;
    }
  }
  // A Reshape from a graph input straight to a graph output (the importer's copy for an ONNX
  // output that is the input's value) stays f32: it moves bytes, and f16 would round them.
  std::vector<bool> f32_copy(g.nodes.size(), false);
  std::vector<bool> is_input(g.tensors.size(), false);
  for (int t : g.inputs) is_input[t] = true;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const Node& n = g.nodes[k];
    f32_copy[k] = n.op == fb::OpType::Reshape && n.inputs.size() == 1 && n.inputs[0] >= 0 &&
                  is_input[n.inputs[0]] && g.is_graph_output(n.outputs[0]) &&
                  g.tensors[n.inputs[0]].dtype == DType::kF32;
  }
  std::vector<Node> prologue;
  for (int input : g.inputs) {
    Tensor& in = g.tensors[input];
    if (in.dtype != DType::kF32) continue;
    // An input read by no node but f32 copies needs no f16 copy.
    bool read = false;
    for (size_t k = 0; k < g.nodes.size(); ++k)
      for (int i : g.nodes[k].inputs) read = read || (i == input && !f32_copy[k]);
    if (!read) continue;
    Tensor half = Tensor::activation(in.name + "_f16", DType::kF16, in.shape);
    int h = g.add_tensor(std::move(half));
    // Redirect node uses only: a graph input that is also an output stays as it is.
    for (size_t k = 0; k < g.nodes.size(); ++k)
      for (int& i : g.nodes[k].inputs)
        if (i == input && !f32_copy[k]) i = h;
    CastOptions to16;
    to16.to = fb::DType::F16;
    prologue.push_back(
        Node{g.tensors[input].name + "_to_f16", fb::OpType::Cast, to16, {input}, {h}, {}});
  }
  for (int& output : g.outputs) {
    Tensor& out = g.tensors[output];
    int p = g.producer(output);
    if (out.dtype != DType::kF32 || p < 0) continue;
    if (static_cast<size_t>(p) < f32_copy.size() && f32_copy[p]) continue;
    const auto* cast = std::get_if<CastOptions>(&g.nodes[p].options);
    if (cast != nullptr && cast->to == fb::DType::F32) continue;  // already casts to f32
    // The producer writes an f16 copy; a Cast restores the f32 output under its own name.
    Tensor half = Tensor::activation(out.name + "_f16", DType::kF16, out.shape);
    int h = g.add_tensor(std::move(half));
    for (int& o : g.nodes[p].outputs)
      if (o == output) o = h;
    for (Node& n : g.nodes)
      for (int& i : n.inputs)
        if (i == output) i = h;
    CastOptions to32;
    to32.to = fb::DType::F32;
    g.add_node(Node{g.tensors[output].name + "_to_f32", fb::OpType::Cast, to32, {h}, {output}, {}});
  }
  g.nodes.insert(g.nodes.begin(), prologue.begin(), prologue.end());
  return g.topological_sort();
}

}  // namespace strix::ir
