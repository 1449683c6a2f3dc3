// converter/frontends/onnx/onnx_frontend.h — ONNX model -> converter IR.
//
//   strix::onnx_frontend::ImportOptions options;
//   options.input_shapes["input"] = {1, 3, 224, 224};   // optional
//   strix::Result<strix::ir::Graph> graph = strix::onnx_frontend::import_onnx(bytes, options);
//
// Steps, each failing with a Status and never crashing on file content:
//   1. parse the ModelProto (malformed, truncated or non-ONNX bytes, a model without a
//      graph or with an opset outside [kMinOpset, kMaxOpset] are rejected);
//   2. support check: every node is looked up before any work, and ONE kUnsupported Status
//      lists every unsupported node (index, name, op type, opset, reason);
//   3. ONNX shape inference (onnx::shape_inference, with data propagation). A graph input
//      whose dim 0 is symbolic keeps a dynamic batch (-1) unless input_shapes fixes it; the
//      graph is then inferred twice, with batch 1 and batch 2, to tell batch-dependent
//      values from static ones. Other symbolic dims must be fixed with input_shapes;
//   4. constant folding of shape subgraphs (Shape, Gather, Concat, Constant,
//      ConstantOfShape, Cast, Expand, Where, Range, Slice, Squeeze, Unsqueeze, arithmetic, ...);
//   5. one importer per remaining node (converter/frontends/onnx/ops_*.cc), plus the GELU
//      pattern Div -> Erf -> Add -> Mul -> Mul.
// Errors from steps 3 to 5 name the ONNX node: "node 12 'Conv_3' (Conv, opset 13): ...".
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "converter/ir/graph.h"
#include "strix/status.h"
#include "strix/tensor.h"

namespace strix::onnx_frontend {

constexpr int kMinOpset = 7;
constexpr int kMaxOpset = 17;  // the newest the onnx library Strix builds with knows

struct ImportOptions {
  // Fixed shapes for graph inputs, by name (all dims, the batch included).
  std::map<std::string, std::vector<int64_t>> input_shapes;
  // Names the model in messages ("model 'resnet.onnx'").
  std::string model_name = "model";
};

struct ImportInfo {
  int opset = 0;
  std::string producer_name;  // ModelProto.producer_name
  std::string producer_version;
  int64_t ir_version = 0;
  int num_onnx_nodes = 0;
  int num_folded_nodes = 0;
  // QDQ models (import_qdq.cc), by IR tensor name in the imported graph: the int8
  // quantization of each activation a QuantizeLinear -> DequantizeLinear pair fake-quantizes,
  // and of each weight a DequantizeLinear reads (per channel along `axis`). Empty otherwise.
  std::map<std::string, Quantization> qdq_activations, qdq_weights;
};

Result<ir::Graph> import_onnx(const void* data, size_t size, const ImportOptions& options,
                              ImportInfo* info = nullptr);

// True when the bytes parse as an ONNX model holding QuantizeLinear or DequantizeLinear
// nodes (a QDQ model: INT8 needs no calibration data). False on anything else.
bool has_qdq_nodes(const void* data, size_t size);

// One line per op type with an importer: "Conv", "Relu", ... (sorted), for docs and tests.
std::vector<std::string> supported_op_types();

}  // namespace strix::onnx_frontend
