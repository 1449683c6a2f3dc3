// converter/passes/passes.h — graph optimizer passes over the converter IR (converter/ir/),
// one file each, and the pass manager that runs them by level.
//
// Every pass keeps the graph's numerical meaning (up to float rounding), keeps graph input
// and output tensors (names and indices) as they are, never edits a constant tensor that
// another node may read (rewritten weights are new tensors) and records, in the surviving
// node's source_nodes, the source nodes of every node it absorbs. Passes return how many
// rewrites they made; they may leave dead nodes and an unsorted node list behind:
// optimize() cleans up and sorts.
#pragma once

#include <string>
#include <vector>

#include "converter/ir/graph.h"
#include "strix/status.h"

namespace strix::passes {

// remove_noops.cc: Reshape/Flatten/Squeeze/Unsqueeze whose output shape is the input's,
// Transpose with the identity permutation, Cast to the same dtype, Pad of all zeros. A node
// whose output is a graph output is kept (the output keeps its name).
int remove_noops(ir::Graph& g);

// remove_dead_nodes.cc: nodes none of whose outputs reaches a graph output.
int remove_dead_nodes(ir::Graph& g);

// fold_batch_norm.cc: Conv2D (no fused activation) -> BatchNormalization becomes one Conv2D
// with W'[m] = W[m] * s[m], b' = (b - mean) * s + bias, s = scale / sqrt(var + eps);
// FullyConnected [M,N] -> BatchNormalization scales the N columns of B and rewrites C
// (beta becomes 1). Weights and BN parameters must be f32 constants; the Conv/FC output
// must be read by the BatchNormalization only and not be a graph output.
int fold_batch_norm(ir::Graph& g);

// fuse_silu.cc: Mul(x, Sigmoid(x)) (either input order) becomes SiLU(x) when the Sigmoid
// output is read by that Mul only and is no graph output.
int fuse_silu(ir::Graph& g);

// fuse_activation.cc: Conv2D / ConvTranspose2D / FullyConnected / MatMul / Add / Sub / Mul /
// Div (f32 or f16, no activation yet) followed by an activation op (Relu, Clip, LeakyRelu,
// Sigmoid, Tanh, HardSigmoid, HardSwish, SiLU, Gelu, Elu, Mish, Softplus) becomes one node
// with the activation in its options, when the intermediate tensor has that one reader and
// is no graph output.
int fuse_activation(ir::Graph& g);

// fold_pad.cc: a constant-0 Pad of the spatial dims (2, 3) of a rank-4 tensor, non-negative,
// read only by Conv2D input 0 (explicit padding), is added to the Conv2D's pads.
int fold_pad(ir::Graph& g);

// simplify_reshape_transpose.cc: Reshape/Flatten/Squeeze/Unsqueeze -> Reshape reads the
// first node's input (one Reshape to the final shape); Transpose -> Transpose becomes one
// Transpose with the composed permutation, or nothing when that is the identity.
int simplify_reshape_transpose(ir::Graph& g);

struct OptimizeReport {
  int nodes_before = 0;
  int nodes_after = 0;
  std::vector<std::pair<std::string, int>> rewrites;  // (pass name, rewrites), in run order
};

// Level 0: nothing. Level 1: remove_noops, remove_dead_nodes, simplify_reshape_transpose,
// fold_batch_norm, fold_pad (the graph's kernels stay as they are, fewer of them).
// Level 2: level 1 + fuse_silu and fuse_activation (fused epilogues). Runs the passes until
// nothing changes, then sorts the graph topologically. Constant folding is done at import
// (converter/frontends/onnx/fold.cc).
Status optimize(ir::Graph& g, int level, OptimizeReport* report = nullptr);

// Helpers shared by the passes (pass_util.cc).
namespace detail {
// The one node reading `tensor`, when exactly one node reads it exactly once and it is no
// graph output; else -1.
int only_reader(const ir::Graph& g, int tensor);
// Appends `from`'s source nodes (or its name when it has none) to `to`'s.
void absorb_sources(ir::Node& to, const ir::Node& from);
// A new f32 constant tensor named `name`.
int add_constant(ir::Graph& g, const std::string& name, std::vector<int64_t> shape,
                 std::vector<float> values);
}  // namespace detail

}  // namespace strix::passes
