// Engine build: kernel choice per node, shape inference, aliasing and the memory plan.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "kernels/cpu/thread_pool.h"
#include "sdk/src/device_placement.h"
#include "sdk/src/engine_impl.h"
#include "sdk/src/memory_planner.h"

namespace strix {
namespace {

// The node of an Add fused into the Conv2D before it (try_residual_fusion): never run.
class FusedAwayKernel : public kernels::Kernel {
 public:
  FusedAwayKernel() { name = "fused"; }
  void eval(const kernels::EvalArgs&) const override {}
};

// *index: -1 for the CPU, else the CUDA device ordinal.
Status parse_device(const std::string& device, std::string* canonical, int* index) {
  *index = -1;
  if (device.empty() || device == "cpu") {
    *canonical = "cpu";
    return Status();
  }
  if (device == "cuda" || device.rfind("cuda:", 0) == 0) {
#ifdef STRIX_HAVE_CUDA
    const char* digits = device.c_str() + (device == "cuda" ? 4 : 5);
    char* end = nullptr;
    long n = device == "cuda" ? 0 : std::strtol(digits, &end, 10);
    if (device != "cuda" && (end == digits || *end != '\0' || n < 0 || n > 1023))
      return make_status(StatusCode::kInvalidArgument,
                         "device '%s': expected cuda:N with N a device ordinal", device.c_str());
    *index = static_cast<int>(n);
    *canonical = "cuda:" + std::to_string(n);
    return Status();
#else
    return make_status(StatusCode::kUnsupported,
                       "device '%s': this libstrix was built without the CUDA backend",
                       device.c_str());
#endif
  }
  return make_status(StatusCode::kInvalidArgument,
                     "unknown device '%s' (expected cpu, cuda or cuda:N)", device.c_str());
}

// Union-find over tensors that share memory (views and in-place outputs).
struct AliasSets {
  explicit AliasSets(int n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int root(int t) {
    while (parent[t] != t) t = parent[t] = parent[parent[t]];
    return t;
  }
  void join(int child, int into) { parent[root(child)] = root(into); }
  std::vector<int> parent;
};

class Builder {
 public:
  Builder(EngineImpl& e, const EngineOptions& options) : e_(e), options_(options) {}

  Status build() {
    const ModelImpl& m = *e_.model.impl();
    if (options_.batch < 0)
      return make_status(StatusCode::kInvalidArgument,
                         "batch must be >= 0 (0 keeps the model's), got %lld",
                         static_cast<long long>(options_.batch));
    if (options_.threads < 0)
      return make_status(StatusCode::kInvalidArgument, "threads must be >= 0, got %d",
                         options_.threads);
    int device_index = -1;
    STRIX_RETURN_IF_ERROR(parse_device(options_.device, &e_.report.device, &device_index));
#ifdef STRIX_HAVE_CUDA
    if (device_index >= 0) {  // the device backend first; nodes it cannot run fall back
      Result<std::unique_ptr<kernels::Backend>> cuda = kernels::make_cuda_backend(device_index);
      if (!cuda.ok()) return cuda.status();
      e_.device = cuda.value()->device();
      e_.backends.push_back(std::move(cuda).value());
      e_.cuda_graph = options_.cuda_graph;
    }
#endif
    // CPU: the optimized SIMD kernels first; what they do not cover runs on the reference.
    if (!options_.reference_kernels) e_.backends.push_back(kernels::make_cpu_optimized_backend());
    e_.backends.push_back(kernels::make_cpu_reference_backend());
    e_.threads = options_.threads > 0 ? options_.threads : kernels::physical_cores();
    STRIX_RETURN_IF_ERROR(init_tensors(m));
    STRIX_RETURN_IF_ERROR(prepare_nodes(m));
    if (e_.device) STRIX_RETURN_IF_ERROR(place_on_device(e_));
    plan();
    fill_io_infos();
    return Status();
  }

 private:
  // EngineOptions::extra_outputs: tensors a node produces, appended to the outputs.
  Status add_extra_outputs(const ModelImpl& m) {
    if (options_.extra_outputs.empty()) return Status();
    std::vector<bool> produced(m.num_tensors(), false);
    for (uint32_t n = 0; n < m.graph->nodes()->size(); ++n) {
      const auto* outs = m.graph->nodes()->Get(n)->outputs();
      if (outs == nullptr) continue;
      for (int t : *outs)
        if (t >= 0 && t < m.num_tensors()) produced[t] = true;
    }
    for (const std::string& name : options_.extra_outputs) {
      int found = -1;
      for (int t = 0; t < m.num_tensors() && found < 0; ++t)
        if (m.tensors[t].name == name) found = t;
      if (found < 0)
        return make_status(StatusCode::kInvalidArgument,
                           "extra output '%s': the model has no tensor of that name", name.c_str());
      if (!produced[found])
        return make_status(StatusCode::kInvalidArgument,
                           "extra output '%s': not produced by a node (a constant or a graph "
                           "input)",
                           name.c_str());
      if (std::find(e_.output_tensors.begin(), e_.output_tensors.end(), found) ==
          e_.output_tensors.end())
        e_.output_tensors.push_back(found);
    }
    return Status();
  }

  Status init_tensors(const ModelImpl& m) {
    int n = m.num_tensors();
    e_.tensors.resize(n);
    for (int t = 0; t < n; ++t) {
      kernels::KTensor& k = e_.tensors[t];
      const TensorInfo& info = m.tensors[t];
      k.name = info.name;
      k.dtype = info.dtype;
      k.shape = info.shape;
      k.quant = info.quantization.empty() ? nullptr : &info.quantization;
      k.constant = m.constants[t];
    }
    bool relaxed = false;  // the batch differs from the file's: stored shapes are not checked
    for (uint32_t i = 0; i < m.graph->inputs()->size(); ++i) {
      int t = m.graph->inputs()->Get(i);
      e_.input_tensors.push_back(t);
      Shape& s = e_.tensors[t].shape;
      if (s.rank() == 0) {
        if (options_.batch > 0)
          return make_status(StatusCode::kInvalidArgument,
                             "cannot set batch %lld: input '%s' is a scalar",
                             static_cast<long long>(options_.batch), m.tensors[t].name.c_str());
        continue;
      }
      int64_t batch = options_.batch > 0 ? options_.batch : (s[0] < 0 ? 1 : s[0]);
      if (batch != s[0]) relaxed = true;
      s[0] = batch;
    }
    for (uint32_t i = 0; i < m.graph->outputs()->size(); ++i)
      e_.output_tensors.push_back(m.graph->outputs()->Get(i));
    STRIX_RETURN_IF_ERROR(add_extra_outputs(m));
    if (relaxed) {
      std::vector<bool> is_input(n, false);
      for (int t : e_.input_tensors) is_input[t] = true;
      for (int t = 0; t < n; ++t) {
        if (is_input[t] || e_.tensors[t].constant) continue;
        Shape& s = e_.tensors[t].shape;
        for (int d = 0; d < s.rank(); ++d) s[d] = -1;
      }
    }
    return Status();
  }

  // The Add that node `n` (a Conv2D without activation) may absorb on a device backend:
  // the only reader of the conv's output, which is no graph output; its other input is
  // computed before node n (or is a graph input). -1 when there is none; `residual` gets
  // the Add's other input.
  int residual_add_of(const ModelImpl& m, int n, const std::vector<int>& producer,
                      const std::vector<std::vector<int>>& readers, int* residual) const {
    const fb::Node* conv = m.graph->nodes()->Get(n);
    if (conv->op() != fb::OpType::Conv2D || conv->outputs()->size() != 1) return -1;
    const fb::Conv2DOptions* o = conv->options_as_Conv2DOptions();
    if (o != nullptr && o->activation() != nullptr &&
        o->activation()->kind() != fb::ActivationKind::None)
      return -1;
    int t = conv->outputs()->Get(0);
    if (readers[t].size() != 1) return -1;
    if (std::find(e_.output_tensors.begin(), e_.output_tensors.end(), t) != e_.output_tensors.end())
      return -1;
    int a = readers[t][0];
    const fb::Node* add = m.graph->nodes()->Get(a);
    if (a <= n || add->op() != fb::OpType::Add || add->inputs() == nullptr ||
        add->inputs()->size() != 2 || add->outputs()->size() != 1)
      return -1;
    int r = add->inputs()->Get(0) == t ? add->inputs()->Get(1) : add->inputs()->Get(0);
    if (r < 0 || r == t || e_.tensors[r].constant != nullptr) return -1;
    if (producer[r] >= n) return -1;
    if (e_.tensors[r].dtype != e_.tensors[t].dtype) return -1;
    *residual = r;
    return a;
  }

  // What every kernel factory gets for node `n` (inputs and outputs are the caller's).
  kernels::PrepareArgs base_args(const ModelImpl& m, const fb::Node* node, int n) const {
    kernels::PrepareArgs args;
    args.node = node;
    args.node_label = "model '" + m.origin + "': " + node_label(node, n);
    args.custom_ops = options_.custom_ops;
    args.threads = e_.threads;
    return args;
  }

  static NodeReport base_report(const fb::Node* node) {
    NodeReport report;
    report.name = node->name() ? node->name()->str() : std::string();
    report.op = fb::EnumNameOpType(node->op());
    return report;
  }

  Status prepare_nodes(const ModelImpl& m) {
    const auto* nodes = m.graph->nodes();
    e_.nodes.resize(nodes->size());
    // Producers and readers of every tensor, for build-time fusion on device backends.
    std::vector<int> producer(e_.tensors.size(), -1);
    std::vector<std::vector<int>> readers(e_.tensors.size());
    for (uint32_t n = 0; n < nodes->size(); ++n) {
      const fb::Node* node = nodes->Get(n);
      for (int t : *node->outputs()) producer[t] = static_cast<int>(n);
      if (node->inputs())
        for (int t : *node->inputs())
          if (t >= 0) readers[t].push_back(static_cast<int>(n));
    }
    std::vector<int> fused_into(nodes->size(), -1);
    for (uint32_t n = 0; n < nodes->size(); ++n) {
      const fb::Node* node = nodes->Get(n);
      CompiledNode& cn = e_.nodes[n];
      if (fused_into[n] >= 0) {  // an Add absorbed by the conv before it: nothing to run
        cn.kernel = std::make_unique<FusedAwayKernel>();
        cn.skip = true;
        cn.on_device = e_.nodes[fused_into[n]].on_device;
        NodeReport report = base_report(node);
        report.backend = e_.report.nodes[fused_into[n]].backend;
        report.kernel = "fused into '" + e_.report.nodes[fused_into[n]].name + "'";
        e_.report.nodes.push_back(std::move(report));
        continue;
      }
      if (try_residual_fusion(m, static_cast<int>(n), producer, readers, &fused_into)) continue;
      kernels::PrepareArgs args = base_args(m, node, static_cast<int>(n));
      if (node->inputs()) {
        for (int t : *node->inputs()) {
          cn.inputs.push_back(t);
          args.inputs.push_back(t < 0 ? nullptr : &e_.tensors[t]);
        }
      }
      for (int t : *node->outputs()) {
        cn.outputs.push_back(t);
        args.outputs.push_back(&e_.tensors[t]);
      }
      std::vector<DType> stored_dtypes;
      for (const kernels::KTensor* o : args.outputs) stored_dtypes.push_back(o->dtype);

      NodeReport report = base_report(node);
      const kernels::Backend* chosen = nullptr;
      Status last_error;
      for (const auto& backend : e_.backends) {
        if (!backend->supports(args)) continue;
        Result<std::unique_ptr<kernels::Kernel>> k = backend->prepare(args);
        if (k.ok()) {
          cn.kernel = std::move(k).value();
          chosen = backend.get();
          break;
        }
        if (k.status().code() != StatusCode::kUnsupported || backend == e_.backends.back())
          return k.status();
        last_error = k.status();
      }
      if (chosen == nullptr) {
        if (!last_error.ok()) return last_error;
        const kernels::KTensor* first = args.inputs.empty() ? nullptr : args.inputs[0];
        return Status(StatusCode::kUnsupported,
                      args.node_label + ": no backend runs " + report.op +
                          (first ? std::string(" with ") + dtype_name(first->dtype) + " input"
                                 : std::string()));
      }
      for (size_t o = 0; o < args.outputs.size(); ++o) {
        const kernels::KTensor& out = *args.outputs[o];
        if (out.dtype != stored_dtypes[o])
          return Status(StatusCode::kInternal,
                        args.node_label + ": kernel changed an output dtype");
        for (int d = 0; d < out.shape.rank(); ++d) {
          if (out.shape[d] < 0)
            return Status(StatusCode::kInternal,
                          args.node_label + ": kernel '" + cn.kernel->name + "' left output '" +
                              out.name + "' with an unknown shape " + out.shape.to_string());
        }
      }
      report.backend = chosen->name();
      report.kernel = cn.kernel->name;
      cn.on_device = chosen->device() != nullptr;
      if (e_.device && !cn.on_device) {
        report.fallback = true;
        ++e_.report.num_fallbacks;
      }
      e_.report.packed_weights_bytes += cn.kernel->packed_bytes;
      e_.report.nodes.push_back(std::move(report));
    }
    return Status();
  }

  // Compiles Conv2D node `n` together with the Add after it on the preferred backend when
  // that backend fuses residual Adds (see residual_add_of). true when it did.
  bool try_residual_fusion(const ModelImpl& m, int n, const std::vector<int>& producer,
                           const std::vector<std::vector<int>>& readers,
                           std::vector<int>* fused_into) {
    if (e_.backends.empty() || !e_.backends.front()->fuses_residual_add()) return false;
    int residual = -1;
    int a = residual_add_of(m, n, producer, readers, &residual);
    if (a < 0) return false;
    const fb::Node* conv = m.graph->nodes()->Get(n);
    const fb::Node* add = m.graph->nodes()->Get(a);
    int out = add->outputs()->Get(0);
    kernels::PrepareArgs args = base_args(m, conv, n);
    args.node_label += " + " + node_label(add, a);
    std::vector<int> inputs;
    for (int t : *conv->inputs()) inputs.push_back(t);
    inputs.resize(3, -1);
    inputs.push_back(residual);
    for (int t : inputs) args.inputs.push_back(t < 0 ? nullptr : &e_.tensors[t]);
    kernels::KTensor saved = e_.tensors[out];
    args.outputs.push_back(&e_.tensors[out]);
    args.fused_residual = true;
    args.fused_conv_output = &e_.tensors[conv->outputs()->Get(0)];
    const fb::BinaryOptions* bo = add->options_as_BinaryOptions();
    args.residual_activation = bo != nullptr ? bo->activation() : nullptr;
    const kernels::Backend& backend = *e_.backends.front();
    if (!backend.supports(args)) return false;
    Result<std::unique_ptr<kernels::Kernel>> k = backend.prepare(args);
    bool usable = k.ok() && e_.tensors[out].dtype == saved.dtype;
    for (int d = 0; usable && d < e_.tensors[out].shape.rank(); ++d)
      usable = e_.tensors[out].shape[d] >= 0;
    if (!usable) {
      e_.tensors[out] = saved;  // compiled separately instead
      return false;
    }
    CompiledNode& cn = e_.nodes[n];
    cn.kernel = std::move(k).value();
    cn.inputs = inputs;
    cn.outputs = {out};
    cn.on_device = backend.device() != nullptr;
    // The conv's own output is never materialized; it takes the Add's shape for reports.
    e_.tensors[conv->outputs()->Get(0)].shape = e_.tensors[out].shape;
    (*fused_into)[a] = n;
    NodeReport report = base_report(conv);
    report.op = "Conv2D+Add";
    report.backend = backend.name();
    report.kernel = cn.kernel->name;
    e_.report.packed_weights_bytes += cn.kernel->packed_bytes;
    e_.report.nodes.push_back(std::move(report));
    return true;
  }

  // Decides views and in-place outputs, then places every arena buffer.
  void plan() {
    int num_tensors = static_cast<int>(e_.tensors.size());
    int num_nodes = static_cast<int>(e_.nodes.size());
    int end = num_nodes;  // graph outputs live until after the last node
    std::vector<int> first(num_tensors, -1), last(num_tensors, -1);
    std::vector<bool> is_input(num_tensors, false), is_output(num_tensors, false);
    // Graph inputs keep their memory for the whole run: callers write them once and may
    // run many times.
    for (int t : e_.input_tensors) {
      is_input[t] = true;
      first[t] = 0;
      last[t] = end;
    }
    // Device copies of graph inputs likewise (and they may be replaced by caller memory:
    // Context::set_device_input).
    for (int t = 0; t < static_cast<int>(e_.device_mirror_of.size()); ++t) {
      int source = e_.device_mirror_of[t];
      if (source < 0 || !e_.tensor_on_device[t]) continue;
      if (std::find(e_.input_tensors.begin(), e_.input_tensors.end(), source) ==
          e_.input_tensors.end())
        continue;
      is_input[t] = true;
      first[t] = 0;
      last[t] = end;
    }
    for (int n = 0; n < num_nodes; ++n) {
      for (int t : e_.nodes[n].inputs)
        if (t >= 0) last[t] = std::max(last[t], n);
      for (int t : e_.nodes[n].outputs) {
        if (first[t] < 0) first[t] = n;
        last[t] = std::max(last[t], n);
      }
    }
    for (int t : e_.output_tensors) {
      is_output[t] = true;
      last[t] = end;
    }

    // Alias groups. A group's life is the union of its members'.
    AliasSets sets(num_tensors);
    std::vector<int> group_last = last;
    std::vector<bool> group_has_input = is_input;
    auto merge = [&](int child, int parent) {
      int r = sets.root(parent);
      group_last[r] = std::max(group_last[r], group_last[sets.root(child)]);
      sets.join(child, r);
    };
    std::vector<const void*> constant_of(num_tensors, nullptr);
    for (int t = 0; t < num_tensors; ++t) constant_of[t] = e_.tensors[t].constant;

    for (int n = 0; n < num_nodes; ++n) {
      CompiledNode& cn = e_.nodes[n];
      const kernels::Kernel& k = *cn.kernel;
      if (cn.inputs.empty() || cn.inputs[0] < 0 || cn.outputs.empty()) continue;
      int in = cn.inputs[0], out = cn.outputs[0];
      const kernels::KTensor& ti = e_.tensors[in];
      const kernels::KTensor& to = e_.tensors[out];
      bool same_bytes = ti.shape.num_elements() * dtype_size(ti.dtype) ==
                        to.shape.num_elements() * dtype_size(to.dtype);
      if (k.is_view && same_bytes) {
        if (constant_of[in] != nullptr) {
          // A view of weights is weights, unless the caller may write it (graph output).
          if (!is_output[out]) {
            constant_of[out] = constant_of[in];
            cn.skip = true;
          }
          continue;
        }
        // A graph output that would alias a graph input gets its own memory (callers may
        // write outputs; inputs must survive for the next run): eval copies.
        if (!(is_output[out] && group_has_input[sets.root(in)])) {
          merge(out, in);
          cn.skip = true;
          e_.report.nodes[n].in_place = true;
          continue;
        }
      }
      if (k.supports_in_place && same_bytes && ti.dtype == to.dtype && constant_of[in] == nullptr) {
        int r = sets.root(in);
        // Legal only when nothing reads the input's memory after this node, and the memory is
        // not a graph input (callers set inputs once and run many times).
        if (group_last[r] == n && !group_has_input[r] && !is_output[in]) {
          // No other input of this node may read the same memory (x + x, x * view(x)).
          bool shared = false;
          for (size_t j = 1; j < cn.inputs.size(); ++j)
            shared = shared || (cn.inputs[j] >= 0 && sets.root(cn.inputs[j]) == r);
          if (!shared) {
            merge(out, in);
            e_.report.nodes[n].in_place = true;
          }
        }
      }
    }
    // Input groups: a view of a graph input shares the input's memory; mark the group.
    for (int t = 0; t < num_tensors; ++t)
      if (is_input[t]) group_has_input[sets.root(t)] = true;

    // One planned buffer per group root, plus scratch per node.
    std::vector<PlannedBuffer> buffers;
    std::vector<bool> buffer_on_device;  // per buffer, filled below
    auto on_device = [&](int t) { return !e_.tensor_on_device.empty() && e_.tensor_on_device[t]; };
    std::vector<int> buffer_of_root(num_tensors, -1);
    size_t unplanned = 0;
    for (int t = 0; t < num_tensors; ++t) {
      if (constant_of[t] != nullptr || (first[t] < 0 && !is_input[t])) continue;
      int r = sets.root(t);
      size_t bytes = e_.tensors[t].shape.num_elements() * dtype_size(e_.tensors[t].dtype);
      unplanned += bytes;
      if (buffer_of_root[r] < 0) {
        buffer_of_root[r] = static_cast<int>(buffers.size());
        buffers.push_back(PlannedBuffer{bytes, first[t] < 0 ? 0 : first[t], group_last[r], 0});
      }
      PlannedBuffer& b = buffers[buffer_of_root[r]];
      b.size = std::max(b.size, bytes);
      b.first = std::min(b.first, first[t] < 0 ? 0 : first[t]);
      b.last = std::max(b.last, std::max(group_last[r], last[t]));
    }
    buffer_on_device.assign(buffers.size(), false);
    for (int t = 0; t < num_tensors; ++t)
      if (buffer_of_root[t] >= 0) buffer_on_device[buffer_of_root[t]] = on_device(t);
    std::vector<int> scratch_buffer(num_nodes, -1);
    for (int n = 0; n < num_nodes; ++n) {
      size_t s = e_.nodes[n].kernel->scratch_bytes;
      if (s == 0 || e_.nodes[n].skip) continue;
      scratch_buffer[n] = static_cast<int>(buffers.size());
      buffers.push_back(PlannedBuffer{s, n, n, 0});
      unplanned += s;
      buffer_on_device.push_back(e_.nodes[n].on_device);
    }
    e_.arena_bytes = plan_per_device(buffers, buffer_on_device, &e_.device_arena_bytes);

    e_.placements.assign(num_tensors, TensorPlacement{});
    for (int t = 0; t < num_tensors; ++t) {
      TensorPlacement& p = e_.placements[t];
      p.bytes = e_.tensors[t].shape.num_elements() * dtype_size(e_.tensors[t].dtype);
      if (constant_of[t] != nullptr) {
        p.kind = TensorPlacement::kConstant;
        p.constant = constant_of[t];
      } else if (buffer_of_root[sets.root(t)] >= 0) {
        p.kind = on_device(t) ? TensorPlacement::kDeviceArena : TensorPlacement::kArena;
        p.offset = buffers[buffer_of_root[sets.root(t)]].offset;
      }
    }
    for (int n = 0; n < num_nodes; ++n)
      if (scratch_buffer[n] >= 0) e_.nodes[n].scratch_offset = buffers[scratch_buffer[n]].offset;

    EngineReport& r = e_.report;
    r.arena_bytes = e_.arena_bytes;
    r.device_arena_bytes = e_.device_arena_bytes;
    r.activation_bytes_unplanned = unplanned;
    r.weights_bytes = e_.model.weights_bytes();
  }

  void fill_io_infos() {
    const ModelImpl& m = *e_.model.impl();
    auto info = [&](int t) {
      // A device Engine's outputs may be host mirrors (device_placement.h) of model tensors.
      int source = t;
      while (source >= m.num_tensors()) source = e_.device_mirror_of[source];
      TensorInfo i = m.tensors[source];
      i.shape = e_.tensors[t].shape;
      return i;
    };
    for (int t : e_.input_tensors) e_.input_infos.push_back(info(t));
    for (int t : e_.output_tensors) e_.output_infos.push_back(info(t));
  }

  EngineImpl& e_;
  const EngineOptions& options_;
};

}  // namespace

Engine::Engine(std::unique_ptr<EngineImpl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::shared_ptr<Engine>> Engine::create(const Model& model, const EngineOptions& options) {
  if (!model.valid())
    return make_status(StatusCode::kInvalidArgument, "Engine::create: the model is empty");
  auto impl = std::make_unique<EngineImpl>();
  impl->model = model;
  Builder builder(*impl, options);
  STRIX_RETURN_IF_ERROR(builder.build());
  return std::shared_ptr<Engine>(new Engine(std::move(impl)));
}

const Model& Engine::model() const { return impl_->model; }
const EngineReport& Engine::report() const { return impl_->report; }
int Engine::num_inputs() const { return static_cast<int>(impl_->input_infos.size()); }
int Engine::num_outputs() const { return static_cast<int>(impl_->output_infos.size()); }
const TensorInfo& Engine::input(int i) const { return impl_->input_infos[i]; }
const TensorInfo& Engine::output(int i) const { return impl_->output_infos[i]; }

int Engine::find_input(const std::string& name) const {
  for (int i = 0; i < num_inputs(); ++i)
    if (impl_->input_infos[i].name == name) return i;
  return -1;
}

int Engine::find_output(const std::string& name) const {
  for (int i = 0; i < num_outputs(); ++i)
    if (impl_->output_infos[i].name == name) return i;
  return -1;
}

}  // namespace strix
