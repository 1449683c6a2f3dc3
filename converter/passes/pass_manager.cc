// The pass manager: runs the optimizer passes by level until nothing changes (see passes.h).
#include "converter/passes/passes.h"

namespace strix::passes {

Status optimize(ir::Graph& g, int level, OptimizeReport* report) {
  if (report != nullptr) {
    report->nodes_before = static_cast<int>(g.nodes.size());
    report->rewrites.clear();
  }
  struct Pass {
    const char* name;
    int (*run)(ir::Graph&);
    int min_level;
  };
  static const Pass kPasses[] = {
      {"remove_noops", remove_noops, 1},
      {"simplify_reshape_transpose", simplify_reshape_transpose, 1},
      {"remove_dead_nodes", remove_dead_nodes, 1},
      {"fold_batch_norm", fold_batch_norm, 1},
      {"fold_pad", fold_pad, 1},
      {"fuse_silu", fuse_silu, 2},
      {"fuse_activation", fuse_activation, 2},
  };
  std::vector<int> totals(sizeof(kPasses) / sizeof(kPasses[0]), 0);
  // Each rewrite removes a node or shortens a chain, so this ends; the bound is a guard.
  for (int round = 0; round < 16 && level > 0; ++round) {
    int changed = 0;
    for (size_t i = 0; i < totals.size(); ++i) {
      if (level < kPasses[i].min_level) continue;
      int n = kPasses[i].run(g);
      totals[i] += n;
      changed += n;
    }
    if (changed == 0) break;
  }
  if (level > 0) {
    g.remove_dead_nodes();
    STRIX_RETURN_IF_ERROR(g.topological_sort());
  }
  if (report != nullptr) {
    report->nodes_after = static_cast<int>(g.nodes.size());
    for (size_t i = 0; i < totals.size(); ++i)
      if (level >= kPasses[i].min_level) report->rewrites.push_back({kPasses[i].name, totals[i]});
  }
  return Status();
}

}  // namespace strix::passes
