// remove_dead_nodes: nodes whose outputs reach no graph output (see passes.h).
#include "converter/passes/passes.h"

namespace strix::passes {

int remove_dead_nodes(ir::Graph& g) {
  size_t before = g.nodes.size();
  g.remove_dead_nodes();
  return static_cast<int>(before - g.nodes.size());
}

}  // namespace strix::passes
