// remove_noops: nodes that copy their input unchanged (see passes.h).
#include "converter/passes/passes.h"

namespace strix::passes {
namespace {

bool is_noop(const ir::Graph& g, const ir::Node& n) {
  if (n.inputs.empty() || n.outputs.size() != 1 || n.inputs[0] < 0) return false;
  const ir::Tensor& in = g.tensors[n.inputs[0]];
  const ir::Tensor& out = g.tensors[n.outputs[0]];
  if (in.dtype != out.dtype || in.shape != out.shape) return false;
  switch (n.op) {
    case fb::OpType::Reshape:
    case fb::OpType::Flatten:
    case fb::OpType::Squeeze:
    case fb::OpType::Unsqueeze:
    case fb::OpType::Cast: return true;
    case fb::OpType::Transpose: {
      const auto* o = std::get_if<ir::TransposeOptions>(&n.options);
      if (o == nullptr || o->perm.empty()) return false;
      for (size_t i = 0; i < o->perm.size(); ++i)
        if (o->perm[i] != static_cast<int>(i)) return false;
      return true;
    }
    case fb::OpType::Pad: {
      const auto* o = std::get_if<ir::PadOptions>(&n.options);
      if (o == nullptr || n.inputs.size() != 1) return false;
      for (int64_t p : o->pads)
        if (p != 0) return false;
      return true;
    }
    default: return false;
  }
}

}  // namespace

int remove_noops(ir::Graph& g) {
  std::vector<bool> remove(g.nodes.size(), false);
  int count = 0;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const ir::Node& n = g.nodes[k];
    if (!is_noop(g, n) || g.is_graph_output(n.outputs[0])) continue;
    g.replace_uses(n.outputs[0], n.inputs[0]);
    remove[k] = true;
    ++count;
  }
  g.remove_nodes(remove);
  return count;
}

}  // namespace strix::passes
