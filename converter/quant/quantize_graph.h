// converter/quant/quantize_graph.h — rewrites a fused FP32 graph into an INT8 graph from a
// calibration table (converter/quant/calib_table.h).
//
// INT8 nodes: Conv2D (grouped and depthwise too; fused activation None, Relu or Clip),
// FullyConnected (no trans_a, alpha 1, beta 1 with a bias), MaxPool, AveragePool,
// GlobalAveragePool, GlobalMaxPool, Add (fused None/Relu/Clip), Concat, and the data
// movement ops Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Pad, Slice and Split when
// their input is INT8 (they follow their producer). Everything else stays float.
//
//   Weights   i8, symmetric per output channel: scale[c] = max|w[c]| / 127 (1 for an
//             all-zero channel), q = round_half_even(w / scale[c]) in [-127, 127].
//   Bias      i32 at scale x_scale * w_scale[c], zero point 0.
//   Activations  i8 per tensor, scale and zero point from the table; a view op's and a max
//             pool's output take their input's quantization.
//
// Graph inputs and outputs stay f32. A Quantize node enters each INT8 region and a
// Dequantize leaves it, one per tensor, shared by all its readers. (converter/quant/int8_io.h
// may then make graph inputs and outputs i8: `strixc convert --int8-io`.)
//
// NAMING CONTRACT (`strixc compare` relies on it): an i8 tensor keeps the name of the float
// tensor whose value it represents; the Quantize output of float tensor T is "T#i8", the
// Dequantize output of i8 tensor T is "T#f32" ('#' marks a copy of the same value in another
// dtype). A graph output T produced by an INT8 node keeps its name and dtype f32 (the
// Dequantize writes it); the i8 value is then "T#i8". With float_is_fp16, an f16 value T
// that enters INT8 is cast to "T#f32" first, and a Dequantize output "T#f32" is cast to
// "T#f16" for its f16 readers. Weights converted in place keep their names (a weight also
// read by a float node gets a copy "W#i8" / "B#i32").
#pragma once

#include <set>
#include <string>
#include <vector>

#include "converter/ir/graph.h"
#include "converter/quant/calib_table.h"
#include "strix/status.h"

namespace strix::quant {

struct QuantizeOptions {
  std::set<std::string> keep_float;  // node names left in float (mixed precision)
  bool float_is_fp16 = false;        // the float rest in FP16 instead of FP32
};

struct NodePrecision {
  std::string node;       // the node's name in the FP32 graph
  std::string op;         // e.g. "Conv2D"
  std::string precision;  // "int8", "fp32" or "fp16"
  std::string reason;     // "int8", "float: op has no int8 kernel", "float: kept by option", ...
};

struct QuantizeReport {
  std::vector<NodePrecision> nodes;  // the FP32 graph's nodes, in order
  int int8_nodes = 0;
  int quantize_nodes = 0;    // inserted Quantize nodes
  int dequantize_nodes = 0;  // inserted Dequantize nodes
};

// "" when node `n` can run in INT8 (given int8 inputs), else why not ("op has no int8
// kernel", "fused activation Sigmoid", "weights are not constant", ...).
std::string int8_unsupported_reason(const ir::Graph& g, int n);
// True for the data movement ops that run in INT8 when their input does.
bool is_int8_view_op(fb::OpType op);
// Data movement ops and max pools: their output must carry their input's quantization.
bool shares_input_quantization(fb::OpType op);
// The activation tensors calibration measures: every non-constant input and output of a
// node that can run in INT8, in graph order, without repeats.
std::vector<int> calibration_tensors(const ir::Graph& g);

// Rewrites `g` (a fused FP32 graph, topologically sorted) in place and leaves it sorted. A
// node whose tensors `t` lacks stays float ("float: tensor 'x' is not in the calibration
// table"). Fails (kInvalidArgument) on a keep_float name that is no node of `g`, and on
// errors of the graph itself. `report` may be null.
Status quantize_graph(ir::Graph& g, const CalibrationTable& t, const QuantizeOptions& o,
                      QuantizeReport* report);

}  // namespace strix::quant
