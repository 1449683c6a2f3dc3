// The ONNX import driver: parse, support check, shape inference, folding, per-node import.
#include "converter/frontends/onnx/importer.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <climits>
#include <exception>
#include <set>

namespace strix::onnx_frontend {
namespace {

// Large float initializers are not needed by shape inference (it reads only shape-like
// inputs), so the per-world copies of the model drop their data.
void strip_large_initializers(onnx::GraphProto* g) {
  for (onnx::TensorProto& t : *g->mutable_initializer()) {
    int64_t n = 1;
    for (int64_t d : t.dims()) n *= d;
    if (n <= 64 || t.data_type() == onnx::TensorProto::INT64 ||
        t.data_type() == onnx::TensorProto::INT32)
      continue;
    t.clear_raw_data();
    t.clear_float_data();
    t.clear_double_data();
    t.clear_int32_data();
  }
}

TypeInfo type_from_proto(const onnx::TypeProto& type) {
  TypeInfo info;
  if (!type.has_tensor_type()) return info;
  const auto& tt = type.tensor_type();
  info.known_dtype = onnx_dtype(tt.elem_type(), &info.dtype);
  if (tt.has_shape()) {
    info.has_shape = true;
    for (const auto& d : tt.shape().dim())
      info.dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
  }
  return info;
}

void set_dims(onnx::TypeProto* type, const std::vector<int64_t>& dims) {
  auto* shape = type->mutable_tensor_type()->mutable_shape();
  shape->clear_dim();
  for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

std::string join_dims(const std::vector<int64_t>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? "x" : "") + (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  return s;
}

}  // namespace

Value Importer::value(const std::string& name, int w) const {
  auto it = worlds_[w].values.find(name);
  return it == worlds_[w].values.end() ? nullptr : it->second;
}

const TypeInfo* Importer::type(const std::string& name, int w) const {
  auto it = worlds_[w].types.find(name);
  return it == worlds_[w].types.end() ? nullptr : &it->second;
}

bool Importer::is_static_value(const std::string& name) const {
  Value v0 = value(name, 0);
  if (!v0) return false;
  for (int w = 1; w < num_worlds(); ++w) {
    Value v = value(name, w);
    if (!v) return false;
    if (v == v0) continue;
    if (v->shape != v0->shape || v->ints != v0->ints || v->floats != v0->floats) return false;
  }
  return true;
}

std::vector<int64_t> Importer::merged_dims(const std::string& name) const {
  const TypeInfo* t0 = type(name, 0);
  if (t0 == nullptr || !t0->has_shape) return {};
  std::vector<int64_t> dims = t0->dims;
  for (int w = 1; w < num_worlds(); ++w) {
    const TypeInfo* t = type(name, w);
    if (t == nullptr || !t->has_shape || t->dims.size() != dims.size()) return {};
    for (size_t d = 0; d < dims.size(); ++d)
      if (t->dims[d] != dims[d]) dims[d] = -1;
  }
  return dims;
}

int Importer::use_count(const std::string& name) const {
  int n = static_cast<int>(readers(name).size());
  for (const auto& o : graph().output()) n += o.name() == name;
  return n;
}

const std::vector<int>& Importer::readers(const std::string& name) const {
  static const std::vector<int> none;
  auto it = readers_.find(name);
  return it == readers_.end() ? none : it->second;
}

Result<int> Importer::tensor(const std::string& name, const std::string& user_label) {
  auto it = tensors_.find(name);
  if (it != tensors_.end()) return it->second;
  Value v = value(name, 0);
  if (v == nullptr)
    return Status(StatusCode::kCorruptModel,
                  user_label + ": input '" + name + "' is not produced before its use");
  if (!is_static_value(name))
    return Status(StatusCode::kUnsupported,
                  user_label + ": input '" + name +
                      "' is computed from the batch size at conversion time; fix the batch "
                      "with --input-shape");
  ir::Tensor t = *v;
  t.name = name;
  int id = graph_.add_tensor(std::move(t));
  tensors_[name] = id;
  return id;
}

Status Importer::check_support() {
  const onnx::GraphProto& g = graph();
  std::vector<bool> replaced(g.node_size(), false);
  std::map<int, PatternMatch> anchors;
  match_patterns(*this, &replaced, &anchors);
  std::vector<std::string> problems;
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& node = g.node(i);
    std::string reason;
    const std::string& domain = node.domain();
    if (!domain.empty() && domain != "ai.onnx") {
      reason = "domain '" + domain + "' is not supported (only the default ONNX domain)";
    } else if (replaced[i] || anchors.count(i)) {
      continue;
    } else {
      auto it = op_table().find(node.op_type());
      if (it == op_table().end()) {
        reason = unsupported_reason(node.op_type());
        if (reason.empty()) reason = "no importer for this op";
      } else if (it->second.precheck != nullptr) {
        reason = it->second.precheck(node, opset_);
      }
    }
    if (!reason.empty()) problems.push_back(onnx_node_label(node, i, opset_) + ": " + reason);
  }
  if (problems.empty()) return Status();
  std::string msg = model_label() + " has " + std::to_string(problems.size()) +
                    " unsupported node" + (problems.size() == 1 ? "" : "s") + ":";
  for (const std::string& p : problems) msg += "\n  " + p;
  return Status(StatusCode::kUnsupported, msg);
}

Status Importer::infer_shapes() {
  const onnx::GraphProto& g = graph();
  std::set<std::string> initializers;
  for (const auto& t : g.initializer()) initializers.insert(t.name());
  for (const auto& in : g.input())
    if (!initializers.count(in.name())) graph_inputs_.push_back(in.name());
  for (const auto& kv : options_.input_shapes) {
    bool found = false;
    for (const std::string& n : graph_inputs_) found = found || n == kv.first;
    if (!found) {
      std::string names;
      for (const std::string& n : graph_inputs_) names += (names.empty() ? "'" : ", '") + n + "'";
      return Status(StatusCode::kInvalidArgument, model_label() + ": --input-shape names '" +
                                                      kv.first + "', which is not a graph input (" +
                                                      names + ")");
    }
  }
  bool dynamic = false;
  for (const auto& in : g.input()) {
    if (initializers.count(in.name())) continue;
    TypeInfo t = type_from_proto(in.type());
    std::string label = model_label() + ": input '" + in.name() + "'";
    if (!in.type().has_tensor_type())
      return Status(StatusCode::kUnsupported, label + " is not a tensor");
    if (!t.known_dtype)
      return Status(StatusCode::kUnsupported,
                    label + " has the unsupported element type " +
                        onnx_type_name(in.type().tensor_type().elem_type()));
    auto fixed = options_.input_shapes.find(in.name());
    if (fixed != options_.input_shapes.end()) {
      if (t.has_shape && t.dims.size() != fixed->second.size())
        return Status(StatusCode::kInvalidArgument,
                      label + " has rank " + std::to_string(t.dims.size()) +
                          " but --input-shape gives " + join_dims(fixed->second));
      for (size_t d = 0; d < t.dims.size(); ++d) {
        if (t.dims[d] >= 0 && t.dims[d] != fixed->second[d] && d > 0)
          return Status(StatusCode::kInvalidArgument,
                        label + " has the fixed shape " + join_dims(t.dims) +
                            "; --input-shape gives " + join_dims(fixed->second));
      }
      for (int64_t d : fixed->second)
        if (d <= 0)
          return Status(
              StatusCode::kInvalidArgument,
              label + ": --input-shape dims must be positive, got " + join_dims(fixed->second));
      t.dims = fixed->second;
      t.has_shape = true;
    }
    if (!t.has_shape)
      return Status(StatusCode::kUnsupported,
                    label + " has no shape; give one with --input-shape " + in.name() + "=...");
    for (size_t d = 1; d < t.dims.size(); ++d) {
      if (t.dims[d] < 0) {
        const auto& dim = in.type().tensor_type().shape().dim(static_cast<int>(d));
        return Status(StatusCode::kUnsupported,
                      label + " has the dynamic dim " + std::to_string(d) +
                          (dim.dim_param().empty() ? "" : " ('" + dim.dim_param() + "')") +
                          "; only dim 0 (the batch) may be dynamic: fix it with --input-shape " +
                          in.name() + "=" + join_dims(t.dims));
      }
    }
    if (!t.dims.empty() && t.dims[0] < 0) dynamic = true;
    input_dims_[in.name()] = t.dims;
  }

  worlds_.resize(dynamic ? 2 : 1);
  folded_.assign(g.node_size(), false);
  for (const auto& init : g.initializer()) {
    auto t = std::make_shared<ir::Tensor>();
    Status s = tensor_from_proto(init, t.get());
    if (!s.ok())
      return Status(s.code(),
                    model_label() + ": initializer '" + init.name() + "': " + s.message());
    for (World& w : worlds_) w.values[init.name()] = t;
  }
  // ONNX data propagation does not see through every shape computation, so inference and
  // folding alternate: folded values go back to inference as initializers, which lets it
  // infer the nodes that read them (and fold further Shape nodes), until nothing changes.
  stripped_ = model_;
  strip_large_initializers(stripped_.mutable_graph());
  stripped_.mutable_graph()->clear_value_info();
  for (int round = 0; round < 256; ++round) {
    for (int w = 0; w < num_worlds(); ++w) STRIX_RETURN_IF_ERROR(infer_world(w));
    int newly_folded = 0;
    STRIX_RETURN_IF_ERROR(fold_constants(&newly_folded));
    if (newly_folded == 0) break;
  }
  return Status();
}

Status Importer::infer_world(int w) {
  const onnx::GraphProto& g = graph();
  onnx::ModelProto copy = stripped_;
  onnx::GraphProto* cg = copy.mutable_graph();
  for (auto& in : *cg->mutable_input()) {
    auto it = input_dims_.find(in.name());
    if (it == input_dims_.end()) continue;
    std::vector<int64_t> dims = it->second;
    if (!dims.empty() && dims[0] < 0) dims[0] = w + 1;
    set_dims(in.mutable_type(), dims);
  }
  // Folded nodes are replaced by their values where other nodes read them.
  World& world = worlds_[w];
  std::set<std::string> initializers;
  for (const auto& t : g.initializer()) initializers.insert(t.name());
  cg->clear_node();
  for (int i = 0; i < g.node_size(); ++i) {
    if (!folded_[i]) {
      *cg->add_node() = g.node(i);
      continue;
    }
    for (const std::string& out : g.node(i).output()) {
      if (out.empty() || initializers.count(out)) continue;
      bool needed = false;
      for (int r : readers(out)) needed = needed || !folded_[r];
      for (const auto& o : g.output()) needed = needed || o.name() == out;
      Value v = value(out, w);
      if (!needed || !v) continue;
      Status s = tensor_to_proto(*v, out, cg->add_initializer());
      if (!s.ok())
        return Status(s.code(), onnx_node_label(g.node(i), i, opset_) + ": " + s.message());
    }
  }
  try {
    onnx::ShapeInferenceOptions opts(/*check_type=*/false, /*strict_mode=*/1,
                                     /*data_prop=*/true);
    onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(), opts);
  } catch (const std::exception& e) {
    return Status(StatusCode::kCorruptModel,
                  model_label() + ": ONNX shape inference failed: " + e.what());
  }
  world.types.clear();
  for (const auto& v : cg->input()) world.types[v.name()] = type_from_proto(v.type());
  for (const auto& v : cg->value_info()) world.types[v.name()] = type_from_proto(v.type());
  for (const auto& v : cg->output()) {
    TypeInfo t = type_from_proto(v.type());
    auto it = world.types.find(v.name());
    if (it == world.types.end() || (!it->second.has_shape && t.has_shape))
      world.types[v.name()] = t;
  }
  for (const auto& t : cg->initializer()) {
    TypeInfo info;
    info.known_dtype = onnx_dtype(t.data_type(), &info.dtype);
    info.has_shape = true;
    info.dims.assign(t.dims().begin(), t.dims().end());
    world.types[t.name()] = info;
  }
  return Status();
}

Status Importer::fold_constants(int* newly_folded) {
  const onnx::GraphProto& g = graph();
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& node = g.node(i);
    if (folded_[i] || !is_foldable_op(node.op_type())) continue;
    std::string label = onnx_node_label(node, i, opset_);
    bool all = true;
    std::vector<Value> first_inputs;
    std::vector<Value> first_outputs;
    std::vector<std::vector<Value>> results(num_worlds());
    for (int w = 0; w < num_worlds() && all; ++w) {
      std::vector<Value> inputs;
      std::vector<const TypeInfo*> types;
      for (const std::string& name : node.input()) {
        inputs.push_back(name.empty() ? nullptr : value(name, w));
        types.push_back(name.empty() ? nullptr : type(name, w));
      }
      bool folded = false;
      // Outside Shape/Size, equal inputs give equal outputs: world 1 reuses world 0's.
      bool shape_op = node.op_type() == "Shape" || node.op_type() == "Size";
      if (w > 0 && !shape_op && inputs == first_inputs) {
        results[w] = first_outputs;
        folded = true;
      } else {
        STRIX_RETURN_IF_ERROR(fold_node(node, opset_, inputs, types, label, &results[w], &folded));
      }
      if (!folded) all = false;
      if (w == 0) {
        first_inputs = inputs;
        first_outputs = results[w];
      }
    }
    if (!all) continue;
    for (int w = 0; w < num_worlds(); ++w)
      for (int o = 0; o < node.output_size() && o < static_cast<int>(results[w].size()); ++o)
        if (!node.output(o).empty()) worlds_[w].values[node.output(o)] = results[w][o];
    folded_[i] = true;
    ++num_folded_;
    ++*newly_folded;
  }
  return Status();
}

Status Importer::make_inputs() {
  for (const std::string& name : graph_inputs_) {
    const TypeInfo* t = type(name, 0);
    std::vector<int64_t> dims = input_dims_[name];
    int id = graph_.add_tensor(ir::Tensor::activation(name, t->dtype, dims));
    graph_.inputs.push_back(id);
    tensors_[name] = id;
  }
  return Status();
}

Status Importer::import_nodes() {
  const onnx::GraphProto& g = graph();
  std::vector<bool> replaced(g.node_size(), false);
  std::map<int, PatternMatch> anchors;
  match_patterns(*this, &replaced, &anchors);
  for (int i = 0; i < g.node_size(); ++i) {
    if (folded_[i] || replaced[i]) continue;
    const onnx::NodeProto& node = g.node(i);
    NodeContext ctx(*this, node, i, opset_);
    auto anchor = anchors.find(i);
    if (anchor != anchors.end()) {
      current_pattern = &anchor->second;
      for (int m : anchor->second.members)
        if (m != i) ctx.extra_sources.push_back(g.node(m).name());
      Status s = anchor->second.import(ctx);
      current_pattern = nullptr;
      STRIX_RETURN_IF_ERROR(s);
      continue;
    }
    auto it = op_table().find(node.op_type());
    if (it == op_table().end() || it->second.import == nullptr) {
      std::string reason = node.op_type() == "Erf"
                               ? "Erf is imported only as part of the GELU pattern "
                                 "x * 0.5 * (1 + erf(x / sqrt(2)))"
                               : "it is only supported when its value is known at conversion "
                                 "time (a static shape computation), and its inputs are not";
      return ctx.error(StatusCode::kUnsupported, "%s", reason.c_str());
    }
    STRIX_RETURN_IF_ERROR(it->second.import(ctx));
    for (int o = 0; o < node.output_size(); ++o) {
      const std::string& name = node.output(o);
      if (!name.empty() && use_count(name) > 0 && !has_tensor(name))
        return ctx.error(StatusCode::kUnsupported, "output %d '%s' is used but not supported", o,
                         name.c_str());
    }
  }
  return Status();
}

Status Importer::make_outputs() {
  const onnx::GraphProto& g = graph();
  std::set<int> taken(graph_.inputs.begin(), graph_.inputs.end());
  for (const auto& out : graph().output()) {
    auto it = tensors_.find(out.name());
    if (it == tensors_.end()) {
      if (value(out.name(), 0) != nullptr)
        return Status(StatusCode::kUnsupported,
                      model_label() + ": output '" + out.name() +
                          "' is a constant known at conversion time; Strix outputs must be "
                          "computed by the graph");
      return Status(StatusCode::kCorruptModel,
                    model_label() + ": output '" + out.name() + "' is not produced by any node");
    }
    int t = it->second;
    if (graph_.tensors[t].name != out.name()) {
      if (!taken.count(t)) {
        // An output reached through Identity keeps the ONNX output's name.
        graph_.tensors[t].name = out.name();
      } else {
        // The output is the same value as a graph input or an earlier output (Identity,
        // Dropout, one-input Sum, no-op ReduceSum, Cast to the same type): a Reshape to the
        // same shape (0 copies each dim) gives it its own tensor under the ONNX name.
        const ir::DType dtype = graph_.tensors[t].dtype;
        const std::vector<int64_t> shape = graph_.tensors[t].shape;
        int copy = graph_.add_tensor(ir::Tensor::activation(out.name(), dtype, shape));
        ir::Node n;
        n.name = out.name() + "_copy";
        n.op = fb::OpType::Reshape;
        n.options = ir::ReshapeOptions{std::vector<int64_t>(shape.size(), 0)};
        n.inputs = {t};
        n.outputs = {copy};
        for (const auto& node : g.node())
          for (const std::string& o : node.output())
            if (o == out.name()) n.source_nodes.push_back(node.name());
        graph_.add_node(std::move(n));
        t = copy;
      }
    }
    taken.insert(t);
    graph_.outputs.push_back(t);
  }
  return Status();
}

Result<ir::Graph> Importer::run(ImportInfo* info) {
  const onnx::GraphProto& g = graph();
  for (const auto& op : model_.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") opset_ = static_cast<int>(op.version());
  for (int i = 0; i < g.node_size(); ++i)
    for (const std::string& name : g.node(i).input())
      if (!name.empty()) readers_[name].push_back(i);
  if (info != nullptr) {
    info->opset = opset_;
    info->producer_name = model_.producer_name();
    info->producer_version = model_.producer_version();
    info->ir_version = model_.ir_version();
    info->num_onnx_nodes = g.node_size();
  }
  STRIX_RETURN_IF_ERROR(check_support());
  STRIX_RETURN_IF_ERROR(infer_shapes());
  STRIX_RETURN_IF_ERROR(make_inputs());
  STRIX_RETURN_IF_ERROR(import_nodes());
  STRIX_RETURN_IF_ERROR(make_outputs());
  graph_.remove_dead_nodes();
  STRIX_RETURN_IF_ERROR(graph_.topological_sort());
  record_qdq_weights(*this);
  if (info != nullptr) {
    info->num_folded_nodes = num_folded_;
    for (const auto& kv : qdq_activations)
      info->qdq_activations.emplace(graph_.tensors[kv.first].name, kv.second);
    for (const auto& kv : qdq_weights)
      info->qdq_weights.emplace(graph_.tensors[kv.first].name, kv.second);
  }
  return std::move(graph_);
}

Result<ir::Graph> import_onnx(const void* data, size_t size, const ImportOptions& options,
                              ImportInfo* info) {
  const std::string label = "model '" + options.model_name + "'";
  auto corrupt = [&](const std::string& what) {
    return Status(StatusCode::kCorruptModel, label + " " + what);
  };
  if (size == 0) return corrupt("is empty");
  if (size > static_cast<size_t>(INT_MAX))
    return Status(StatusCode::kUnsupported,
                  label + " is larger than 2 GB (ONNX external data is not supported)");
  try {
    onnx::ModelProto model;
    if (!model.ParseFromArray(data, static_cast<int>(size)))
      return corrupt(
          "is not a valid ONNX file: protobuf parsing failed (truncated or not a ModelProto)");
    if (model.ir_version() <= 0) return corrupt("is not an ONNX model: it has no ir_version");
    if (!model.has_graph()) return corrupt("has no graph");
    int opset = -1;
    for (const auto& op : model.opset_import())
      if (op.domain().empty() || op.domain() == "ai.onnx") opset = static_cast<int>(op.version());
    if (opset < 0) return corrupt("declares no opset for the default ONNX domain");
    if (opset < kMinOpset || opset > kMaxOpset)
      return Status(StatusCode::kUnsupported,
                    label + " uses opset " + std::to_string(opset) + "; Strix imports opsets " +
                        std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset));
    try {
      onnx::checker::check_model(model);
    } catch (const std::exception& e) {
      return corrupt(std::string("fails the ONNX checker: ") + e.what());
    }
    Importer importer(model, options);
    return importer.run(info);
  } catch (const std::exception& e) {
    return Status(StatusCode::kInternal, label + ": unexpected error during import: " + e.what());
  }
}

}  // namespace strix::onnx_frontend
