// Helpers shared by the optimizer passes (converter/passes/passes.h).
#include "converter/passes/passes.h"

namespace strix::passes::detail {

int only_reader(const ir::Graph& g, int tensor) {
  if (tensor < 0 || g.is_graph_output(tensor)) return -1;
  std::vector<int> readers = g.consumers(tensor);
  return readers.size() == 1 ? readers[0] : -1;
}

void absorb_sources(ir::Node& to, const ir::Node& from) {
  if (from.source_nodes.empty()) {
    to.source_nodes.push_back(from.name);
    return;
  }
  to.source_nodes.insert(to.source_nodes.end(), from.source_nodes.begin(), from.source_nodes.end());
}

int add_constant(ir::Graph& g, const std::string& name, std::vector<int64_t> shape,
                 std::vector<float> values) {
  return g.add_tensor(ir::Tensor::constant_f32(name, std::move(shape), std::move(values)));
}

}  // namespace strix::passes::detail
