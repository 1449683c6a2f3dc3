// converter/ir/graph.h — the converter's mutable graph: tensors (dtype, shape, constant data)
// and nodes (a strix op with its options and the source nodes it came from).
//
//   ir::Graph g;
//   int x = g.add_tensor(ir::Tensor::activation("x", ir::DType::kF32, {-1, 3, 8, 8}));
//   g.inputs.push_back(x);
//   int y = g.add_tensor(ir::Tensor::activation("y", ir::DType::kF32, {-1, 3, 8, 8}));
//   g.add_node({"relu", fb::OpType::Relu, {}, {x}, {y}, {"onnx::Relu_3"}});
//   g.outputs.push_back(y);
//
// Tensors and nodes are referred to by index. Removing a node leaves tensor indices valid;
// unused tensors are simply not written (converter/ir/export.h). Passes that rewrite the
// graph use replace_uses / remove_nodes and finish with topological_sort().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "converter/ir/options.h"
#include "strix/status.h"
#include "strix/tensor.h"

namespace strix::ir {

// Element types the converter meets. kI64, kBool and kF64 exist only during conversion:
// a tensor of those types must be folded away or narrowed before the graph is written.
enum class DType : int8_t { kF32, kF16, kI8, kU8, kI32, kI64, kBool, kF64 };

const char* dtype_name(DType dtype);
bool is_float(DType dtype);  // kF32, kF16, kF64
// The file's dtype, or false for kI64, kBool, kF64.
bool to_file_dtype(DType dtype, fb::DType* out);

struct Tensor {
  std::string name;
  DType dtype = DType::kF32;
  // -1 marks an unknown dimension (only dim 0, the dynamic batch, in a convertible graph).
  std::vector<int64_t> shape;
  // Constant data. Float dtypes keep `floats`, integer and bool dtypes keep `ints`, one value
  // per element in row-major order; the writer converts to the tensor's dtype.
  bool is_constant = false;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  // Affine quantization of an i8/u8/i32 tensor (empty for float tensors): written to the
  // file's Tensor.quantization. INT8 graphs: converter/quant/quantize_graph.h.
  Quantization quant;

  static Tensor activation(std::string name, DType dtype, std::vector<int64_t> shape);
  static Tensor constant_f32(std::string name, std::vector<int64_t> shape,
                             std::vector<float> values);
  static Tensor constant_int(std::string name, DType dtype, std::vector<int64_t> shape,
                             std::vector<int64_t> values);
  // Product of the dims; -1 when a dim is unknown.
  int64_t num_elements() const;
  int rank() const { return static_cast<int>(shape.size()); }
};

struct Node {
  std::string name;
  fb::OpType op = fb::OpType::Relu;
  Options options;
  std::vector<int> inputs;  // -1 marks an omitted optional input
  std::vector<int> outputs;
  std::vector<std::string> source_nodes;  // e.g. the ONNX node names it was made from
};

class Graph {
 public:
  std::vector<Tensor> tensors;
  std::vector<Node> nodes;
  std::vector<int> inputs, outputs;

  int add_tensor(Tensor t);
  int add_node(Node n);

  // Index of the node producing `tensor`, or -1 (graph input, constant, unused).
  int producer(int tensor) const;
  // Indices of the nodes reading `tensor` (a node appears once per use).
  std::vector<int> consumers(int tensor) const;
  bool is_graph_output(int tensor) const;

  // Every use of tensor `from` (node inputs and graph outputs) now reads `to`.
  void replace_uses(int from, int to);
  // Removes the nodes whose flag is set; tensor indices stay valid.
  void remove_nodes(const std::vector<bool>& remove);
  // Removes nodes none of whose outputs is used (transitively).
  void remove_dead_nodes();
  // Orders nodes so that each runs after the producers of its inputs. Fails (kInternal)
  // naming a node on a cycle or reading a tensor that nothing produces.
  Status topological_sort();
  // "node 4 'conv1' (Conv2D, from onnx Conv_3)", for messages.
  std::string node_label(int node) const;
};

}  // namespace strix::ir
