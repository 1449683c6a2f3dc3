#include "converter/ir/graph.h"

#include <utility>

namespace strix::ir {

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "f32";
    case DType::kF16: return "f16";
    case DType::kI8: return "i8";
    case DType::kU8: return "u8";
    case DType::kI32: return "i32";
    case DType::kI64: return "i64";
    case DType::kBool: return "bool";
    case DType::kF64: return "f64";
  }
  return "?";
}

bool is_float(DType dtype) {
  return dtype == DType::kF32 || dtype == DType::kF16 || dtype == DType::kF64;
}

bool to_file_dtype(DType dtype, fb::DType* out) {
  switch (dtype) {
    case DType::kF32: *out = fb::DType::F32; return true;
    case DType::kF16: *out = fb::DType::F16; return true;
    case DType::kI8: *out = fb::DType::I8; return true;
    case DType::kU8: *out = fb::DType::U8; return true;
    case DType::kI32: *out = fb::DType::I32; return true;
    default: return false;
  }
}

Tensor Tensor::activation(std::string name, DType dtype, std::vector<int64_t> shape) {
  Tensor t;
  t.name = std::move(name);
  t.dtype = dtype;
  t.shape = std::move(shape);
  return t;
}

Tensor Tensor::constant_f32(std::string name, std::vector<int64_t> shape,
                            std::vector<float> values) {
  Tensor t = activation(std::move(name), DType::kF32, std::move(shape));
  t.is_constant = true;
  t.floats = std::move(values);
  return t;
}

Tensor Tensor::constant_int(std::string name, DType dtype, std::vector<int64_t> shape,
                            std::vector<int64_t> values) {
  Tensor t = activation(std::move(name), dtype, std::move(shape));
  t.is_constant = true;
  t.ints = std::move(values);
  return t;
}

int64_t Tensor::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    n *= d;
  }
  return n;
}

int Graph::add_tensor(Tensor t) {
  tensors.push_back(std::move(t));
  return static_cast<int>(tensors.size()) - 1;
}

int Graph::add_node(Node n) {
  nodes.push_back(std::move(n));
  return static_cast<int>(nodes.size()) - 1;
}

int Graph::producer(int tensor) const {
  for (size_t n = 0; n < nodes.size(); ++n)
    for (int o : nodes[n].outputs)
      if (o == tensor) return static_cast<int>(n);
  return -1;
}

std::vector<int> Graph::consumers(int tensor) const {
  std::vector<int> result;
  for (size_t n = 0; n < nodes.size(); ++n)
    for (int i : nodes[n].inputs)
      if (i == tensor) result.push_back(static_cast<int>(n));
  return result;
}

bool Graph::is_graph_output(int tensor) const {
  for (int o : outputs)
    if (o == tensor) return true;
  return false;
}

void Graph::replace_uses(int from, int to) {
  for (Node& n : nodes)
    for (int& i : n.inputs)
      if (i == from) i = to;
  for (int& o : outputs)
    if (o == from) o = to;
}

void Graph::remove_nodes(const std::vector<bool>& remove) {
  std::vector<Node> kept;
  kept.reserve(nodes.size());
  for (size_t n = 0; n < nodes.size(); ++n)
    if (n >= remove.size() || !remove[n]) kept.push_back(std::move(nodes[n]));
  nodes = std::move(kept);
}

void Graph::remove_dead_nodes() {
  std::vector<bool> used(tensors.size(), false);
  for (int o : outputs) used[o] = true;
  std::vector<bool> remove(nodes.size(), false);
  // Walking backwards over a topologically ordered list finds everything in one pass; other
  // orders converge in a few.
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t k = nodes.size(); k-- > 0;) {
      if (remove[k]) continue;
      bool live = false;
      for (int o : nodes[k].outputs) live = live || used[o];
      if (!live) {
        remove[k] = true;
        changed = true;
        continue;
      }
      for (int i : nodes[k].inputs) {
        if (i >= 0 && !used[i]) {
          used[i] = true;
          changed = true;
        }
      }
    }
  }
  remove_nodes(remove);
}

Status Graph::topological_sort() {
  const int num_nodes = static_cast<int>(nodes.size());
  std::vector<int> producer_of(tensors.size(), -1);
  for (int n = 0; n < num_nodes; ++n)
    for (int o : nodes[n].outputs) producer_of[o] = n;
  // 0 = not visited, 1 = on the stack, 2 = placed.
  std::vector<int> state(num_nodes, 0);
  std::vector<int> order;
  order.reserve(num_nodes);
  for (int root = 0; root < num_nodes; ++root) {
    if (state[root] != 0) continue;
    // Iterative DFS: (node, next input to look at).
    std::vector<std::pair<int, size_t>> stack{{root, 0}};
    state[root] = 1;
    while (!stack.empty()) {
      auto& [n, next] = stack.back();
      if (next < nodes[n].inputs.size()) {
        int t = nodes[n].inputs[next++];
        if (t < 0) continue;
        int p = producer_of[t];
        if (p < 0) {
          const Tensor& tensor = tensors[t];
          bool is_input = false;
          for (int i : inputs) is_input = is_input || i == t;
          if (!tensor.is_constant && !is_input)
            return Status(StatusCode::kInternal,
                          node_label(n) + " reads '" + tensor.name + "', which nothing produces");
          continue;
        }
        if (state[p] == 1) return Status(StatusCode::kInternal, node_label(p) + " is on a cycle");
        if (state[p] == 0) {
          state[p] = 1;
          stack.push_back({p, 0});
        }
        continue;
      }
      state[n] = 2;
      order.push_back(n);
      stack.pop_back();
    }
  }
  std::vector<Node> sorted;
  sorted.reserve(num_nodes);
  for (int n : order) sorted.push_back(std::move(nodes[n]));
  nodes = std::move(sorted);
  return Status();
}

std::string Graph::node_label(int node) const {
  const Node& n = nodes[node];
  std::string label =
      "node " + std::to_string(node) + " '" + n.name + "' (" + fb::EnumNameOpType(n.op);
  if (!n.source_nodes.empty()) {
    label += ", from";
    for (size_t i = 0; i < n.source_nodes.size(); ++i)
      label += (i ? ", '" : " '") + n.source_nodes[i] + "'";
  }
  return label + ")";
}

}  // namespace strix::ir
