// converter/frontends/onnx/importer.h — internals of the ONNX frontend shared by its files.
//
// A "world" is one run of ONNX shape inference with every dynamic batch dim fixed (1 in
// world 0, 2 in world 1; static models have world 0 only). Constant folding runs in each
// world, so a value or dim that differs between the worlds depends on the batch size.
#pragma once

#include <cstdarg>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <onnx/onnx_pb.h>

#include "converter/frontends/onnx/onnx_frontend.h"
#include "converter/ir/graph.h"
#include "strix/status.h"

namespace strix::onnx_frontend {

// A value known at conversion time (ir::Tensor with is_constant set).
using Value = std::shared_ptr<const ir::Tensor>;

// What shape inference says about one tensor.
struct TypeInfo {
  ir::DType dtype = ir::DType::kF32;
  bool known_dtype = false;
  bool has_shape = false;
  std::vector<int64_t> dims;  // -1 where the dim is unknown
};

struct World {
  std::unordered_map<std::string, TypeInfo> types;
  std::unordered_map<std::string, Value> values;
};

// ONNX element type -> converter dtype; false for types Strix never holds (string, complex).
bool onnx_dtype(int elem_type, ir::DType* out);
const char* onnx_type_name(int elem_type);
// Reads an initializer or a Constant's tensor. Fails on external data, strings, bad sizes.
Status tensor_from_proto(const onnx::TensorProto& proto, ir::Tensor* out);
// Writes a value as an initializer named `name`.
Status tensor_to_proto(const ir::Tensor& t, const std::string& name, onnx::TensorProto* out);

// "node 12 'Conv_3' (Conv, opset 13)".
std::string onnx_node_label(const onnx::NodeProto& node, int index, int opset);

class Importer;

// What an op importer sees: one ONNX node and helpers to read it and add IR nodes.
class NodeContext {
 public:
  NodeContext(Importer& importer, const onnx::NodeProto& node, int index, int opset)
      : imp(importer), node(node), index(index), opset(opset) {}

  Importer& imp;
  const onnx::NodeProto& node;
  const int index;
  const int opset;

  // ---- attributes
  const onnx::AttributeProto* attr(const char* name) const;
  int64_t attr_int(const char* name, int64_t fallback) const;
  float attr_float(const char* name, float fallback) const;
  std::string attr_string(const char* name, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const char* name) const;  // empty when absent
  std::vector<float> attr_floats(const char* name) const;

  // ---- inputs (ONNX marks an omitted optional input with an empty name)
  int num_inputs() const { return node.input_size(); }
  bool has_input(int i) const { return i < node.input_size() && !node.input(i).empty(); }
  // The IR tensor of input i; constants become IR constants on first use.
  Result<int> input(int i);
  // Shape of input i: -1 for a dim that depends on the batch (or is unknown).
  std::vector<int64_t> shape(int i) const;
  ir::DType dtype(int i) const;
  // True when input i is known at conversion time and does not depend on the batch.
  bool is_constant(int i) const;
  // Constant input i (see is_constant); `what` names it in the error.
  Result<std::vector<int64_t>> ints(int i, const char* what) const;
  Result<std::vector<float>> floats(int i, const char* what) const;
  Result<ir::Tensor> constant(int i, const char* what) const;

  // ---- outputs
  int num_outputs() const { return node.output_size(); }
  bool output_used(int i) const;
  Result<int> output(int i);
  // Shape of output i as inferred: -1 for a batch-dependent or unknown dim.
  std::vector<int64_t> output_shape(int i) const;
  // Output i of the node as inferred in world w (dims may be -1 when unknown).
  const TypeInfo* output_type(int i, int world) const;
  int num_worlds() const;
  // Output i is the same tensor as `tensor` (Identity, Dropout): no node is added.
  void alias_output(int i, int tensor);

  // ---- building
  // Adds an IR node named after this ONNX node (with `suffix` for helper nodes).
  void add(fb::OpType op, ir::Options options, std::vector<int> inputs, std::vector<int> outputs,
           const std::string& suffix = "");
  int add_tensor(ir::DType dtype, std::vector<int64_t> shape, const std::string& suffix);
  int add_constant(ir::Tensor tensor);
  // Extra ONNX node names recorded as sources of the nodes added from now on (patterns).
  std::vector<std::string> extra_sources;

  // ---- errors: "node 12 'Conv_3' (Conv, opset 13): <message>"
  Status error(StatusCode code, const char* format, ...) const
      __attribute__((format(printf, 3, 4)));
  std::string label() const;
};

using ImportFn = Status (*)(NodeContext& ctx);
// Returns "" when the node is supported as far as its attributes tell, else the reason.
using PrecheckFn = std::string (*)(const onnx::NodeProto& node, int opset);

struct OpEntry {
  ImportFn import = nullptr;  // null: the op only exists in foldable shape subgraphs
  PrecheckFn precheck = nullptr;
};

// The op tables of ops_*.cc, merged by registry.cc.
void register_nn_ops(std::map<std::string, OpEntry>& table);
void register_elementwise_ops(std::map<std::string, OpEntry>& table);
void register_tensor_ops(std::map<std::string, OpEntry>& table);
void register_qdq_ops(std::map<std::string, OpEntry>& table);  // import_qdq.cc
const std::map<std::string, OpEntry>& op_table();
// Reason why a known but unimported op is not supported, or "" (registry.cc).
std::string unsupported_reason(const std::string& op_type);

// Constant folding of one node (fold.cc). Sets *folded when every output was computed;
// inputs[i] is null for a non-constant input, types[i] its inferred type. Errors name the
// node through `label`.
Status fold_node(const onnx::NodeProto& node, int opset, const std::vector<Value>& inputs,
                 const std::vector<const TypeInfo*>& types, const std::string& label,
                 std::vector<Value>* outputs, bool* folded);
bool is_foldable_op(const std::string& op_type);

// Pattern matching (patterns.cc): GELU from Div -> Erf -> Add -> Mul -> Mul. Fills
// `replaced` (nodes absorbed by a pattern) and `anchors` (node index -> importer called
// in its place).
struct PatternMatch {
  ImportFn import = nullptr;
  std::vector<int> members;  // every node of the pattern, the anchor last
  std::string input;         // ONNX name of the pattern input
};
class Importer;
void match_patterns(Importer& imp, std::vector<bool>* replaced,
                    std::map<int, PatternMatch>* anchors);
// DequantizeLinear(QuantizeLinear(x)) pairs (import_qdq.cc), called by match_patterns.
void match_qdq_pairs(Importer& imp, std::vector<bool>* replaced,
                     std::map<int, PatternMatch>* anchors);
// QuantizeLinear / DequantizeLinear of constants (import_qdq.cc), called by fold_node: every
// input is known. Round half to even and saturation as ONNX specifies.
Status fold_qdq(const onnx::NodeProto& node, int opset, const std::vector<Value>& inputs,
                const std::string& label, std::vector<Value>* outputs);
// Records the quantization of every folded DequantizeLinear that became an IR constant (QDQ
// weights) in Importer::qdq_weights; called at the end of the import.
void record_qdq_weights(Importer& imp);

class Importer {
 public:
  Importer(const onnx::ModelProto& model, const ImportOptions& options)
      : model_(model), options_(options) {}

  Result<ir::Graph> run(ImportInfo* info);

  const onnx::GraphProto& graph() const { return model_.graph(); }
  int opset() const { return opset_; }
  int num_worlds() const { return static_cast<int>(worlds_.size()); }
  const World& world(int w) const { return worlds_[w]; }
  ir::Graph& ir() { return graph_; }
  // Folded value of `name` in world w, or null.
  Value value(const std::string& name, int w) const;
  const TypeInfo* type(const std::string& name, int w) const;
  // True when `name` has a value in every world and the values are equal.
  bool is_static_value(const std::string& name) const;
  // Dims of `name`, -1 where unknown or different between worlds.
  std::vector<int64_t> merged_dims(const std::string& name) const;
  // The IR tensor for ONNX value `name` (created from its value or inferred type).
  Result<int> tensor(const std::string& name, const std::string& user_label);
  void set_tensor(const std::string& name, int t) { tensors_[name] = t; }
  bool has_tensor(const std::string& name) const { return tensors_.count(name) != 0; }
  // Number of nodes reading `name`, plus 1 if it is a graph output.
  int use_count(const std::string& name) const;
  const std::vector<int>& readers(const std::string& name) const;
  const PatternMatch* current_pattern = nullptr;
  // QDQ parameters by IR tensor index (import_qdq.cc); run() reports them by name.
  std::map<int, Quantization> qdq_activations, qdq_weights;

 private:
  Status check_support();
  // Fixes the input shapes, then alternates inference (every world) and folding.
  Status infer_shapes();
  Status infer_world(int w);
  Status fold_constants(int* newly_folded);
  Status import_nodes();
  Status make_inputs();
  Status make_outputs();
  std::string model_label() const { return "model '" + options_.model_name + "'"; }

  const onnx::ModelProto& model_;
  onnx::ModelProto stripped_;  // model_ without large initializers, for inference
  ImportOptions options_;
  int opset_ = 0;
  std::vector<World> worlds_;
  std::vector<bool> folded_;
  std::unordered_map<std::string, std::vector<int>> readers_;
  std::unordered_map<std::string, int> tensors_;            // ONNX name -> IR tensor
  std::vector<std::string> graph_inputs_;                   // real inputs (not initializers)
  std::map<std::string, std::vector<int64_t>> input_dims_;  // world-0 dims, -1 = batch
  ir::Graph graph_;
  int num_folded_ = 0;
};

}  // namespace strix::onnx_frontend
