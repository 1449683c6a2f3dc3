// converter/frontends/onnx/ops_util.h — small helpers shared by the op importers.
#pragma once

#include <string>
#include <vector>

#include "converter/frontends/onnx/importer.h"

// Evaluates a Result<T> expression; returns its Status from the enclosing function on error,
// else declares `var` holding the value.
#define STRIX_ASSIGN_OR_RETURN(var, expr)               \
  auto var##_result = (expr);                           \
  if (!var##_result.ok()) return var##_result.status(); \
  auto var = std::move(var##_result).value()

namespace strix::onnx_frontend {

// Input i as a float tensor: a constant of another dtype becomes an f32 constant (ONNX
// exports sometimes feed int64 scalars to float ops).
Result<int> float_input(NodeContext& ctx, int i);

// Adds one node `op` with inputs [input 0..n) and output 0.
Status simple_op(NodeContext& ctx, fb::OpType op, ir::Options options, int num_inputs);

// "[1x3x?x?]" for messages.
std::string dims_string(const std::vector<int64_t>& dims);

// Precheck: the node's "kernel_shape" attribute, when present, must have 2 entries.
std::string precheck_2d(const onnx::NodeProto& node, int opset);

}  // namespace strix::onnx_frontend
