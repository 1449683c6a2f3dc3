// fuse_silu: Mul(x, Sigmoid(x)) -> SiLU(x) (see passes.h).
#include "converter/passes/passes.h"

namespace strix::passes {

int fuse_silu(ir::Graph& g) {
  std::vector<bool> remove(g.nodes.size(), false);
  int count = 0;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const ir::Node& sig = g.nodes[k];
    if (remove[k] || sig.op != fb::OpType::Sigmoid || sig.inputs.size() != 1 ||
        sig.outputs.size() != 1)
      continue;
    const int x = sig.inputs[0], s = sig.outputs[0];
    if (!ir::is_float(g.tensors[s].dtype)) continue;
    int m = detail::only_reader(g, s);
    if (m < 0 || remove[m] || g.nodes[m].op != fb::OpType::Mul) continue;
    ir::Node& mul = g.nodes[m];
    const auto* o = std::get_if<ir::BinaryOptions>(&mul.options);
    if (o != nullptr && o->activation.kind != fb::ActivationKind::None) continue;
    if (mul.inputs.size() != 2) continue;
    int other = mul.inputs[0] == s ? mul.inputs[1] : mul.inputs[0];
    if (other != x || g.tensors[mul.outputs[0]].shape != g.tensors[x].shape) continue;
    // The Mul becomes SiLU(x); the Sigmoid goes.
    std::vector<std::string> sources =
        sig.source_nodes.empty() ? std::vector<std::string>{sig.name} : sig.source_nodes;
    mul.op = fb::OpType::SiLU;
    mul.options = ir::UnaryOptions{};
    mul.inputs = {x};
    sources.insert(sources.end(), mul.source_nodes.begin(), mul.source_nodes.end());
    mul.source_nodes = std::move(sources);
    remove[k] = true;
    ++count;
  }
  g.remove_nodes(remove);
  return count;
}

}  // namespace strix::passes
