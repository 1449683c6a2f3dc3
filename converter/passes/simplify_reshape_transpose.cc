// simplify_reshape_transpose: Reshape chains and Transpose pairs (see passes.h).
#include "converter/passes/passes.h"

namespace strix::passes {
namespace {

bool is_reshape_like(fb::OpType op) {
  return op == fb::OpType::Reshape || op == fb::OpType::Flatten || op == fb::OpType::Squeeze ||
         op == fb::OpType::Unsqueeze;
}

// Reshape options reaching `out` from any input of the same element count: the known dims
// with -1 for an unknown dim 0 (the dynamic batch). False when a later dim is unknown.
bool target_shape(const ir::Tensor& out, std::vector<int64_t>* shape) {
  *shape = out.shape;
  for (size_t i = 1; i < shape->size(); ++i)
    if ((*shape)[i] < 0) return false;
  return true;
}

}  // namespace

int simplify_reshape_transpose(ir::Graph& g) {
  int count = 0;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    ir::Node& n = g.nodes[k];
    if (n.inputs.empty() || n.inputs[0] < 0 || n.outputs.size() != 1) continue;
    int p = g.producer(n.inputs[0]);
    if (p < 0) continue;
    const ir::Node& first = g.nodes[p];
    if (first.inputs.empty() || first.inputs[0] < 0) continue;
    const int x = first.inputs[0];
    if (n.op == fb::OpType::Reshape && is_reshape_like(first.op) && n.inputs.size() == 1) {
      std::vector<int64_t> shape;
      const ir::Tensor& in = g.tensors[x];
      const ir::Tensor& out = g.tensors[n.outputs[0]];
      if (in.dtype != out.dtype || !target_shape(out, &shape)) continue;
      // A -1 output batch needs a -1 input batch (the same dynamic dim).
      const bool in_dynamic = !in.shape.empty() && in.shape[0] < 0;
      const bool out_dynamic = !shape.empty() && shape[0] < 0;
      if (in_dynamic != out_dynamic) continue;
      std::vector<std::string> sources =
          first.source_nodes.empty() ? std::vector<std::string>{first.name} : first.source_nodes;
      sources.insert(sources.end(), n.source_nodes.begin(), n.source_nodes.end());
      n.inputs[0] = x;
      n.options = ir::ReshapeOptions{shape};
      n.source_nodes = std::move(sources);
      ++count;
      continue;
    }
    if (n.op == fb::OpType::Transpose && first.op == fb::OpType::Transpose) {
      const auto* p1 = std::get_if<ir::TransposeOptions>(&first.options);
      const auto* p2 = std::get_if<ir::TransposeOptions>(&n.options);
      if (p1 == nullptr || p2 == nullptr || p1->perm.empty() || p1->perm.size() != p2->perm.size())
        continue;
      // out[i] = mid[p2[i]] = x[p1[p2[i]]].
      std::vector<int> q(p2->perm.size());
      bool valid = true;
      for (size_t i = 0; i < q.size() && valid; ++i) {
        valid = p2->perm[i] >= 0 && p2->perm[i] < static_cast<int>(q.size());
        if (valid) q[i] = p1->perm[p2->perm[i]];
      }
      if (!valid) continue;
      std::vector<std::string> sources =
          first.source_nodes.empty() ? std::vector<std::string>{first.name} : first.source_nodes;
      sources.insert(sources.end(), n.source_nodes.begin(), n.source_nodes.end());
      n.inputs[0] = x;
      n.options = ir::TransposeOptions{q};
      n.source_nodes = std::move(sources);
      ++count;
      // An identity Transpose is then removed by remove_noops (unless it is a graph output).
    }
  }
  return count;
}

}  // namespace strix::passes
