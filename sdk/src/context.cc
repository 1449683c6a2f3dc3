// Context: one arena and the per-node pointer tables, resolved once so run() is a loop.
// With a device: a page-locked host arena (inputs, outputs, CPU-fallback tensors), a device
// arena, one stream, and the steps grouped into segments that alternate between the device
// (enqueued on the stream, captured into a graph once) and the CPU (run on this thread).
#include <cstdlib>
#include <cstring>

#include "kernels/cpu/thread_pool.h"
#include "kernels/device.h"
#include "sdk/src/context_access.h"
#include "sdk/src/engine_impl.h"
#include "strix/context.h"

namespace strix {

struct ContextImpl {
  std::shared_ptr<const Engine> engine;
  uint8_t* arena = nullptr;
  // Per node: pointers to its inputs and outputs, and its scratch; the tensor of each slot.
  std::vector<const void*> input_ptrs;
  std::vector<void*> output_ptrs;
  std::vector<int> input_slot_tensor, output_slot_tensor;
  struct Step {
    const kernels::Kernel* kernel;
    kernels::EvalArgs args;
    CompiledNode::Copy copy = CompiledNode::kNoCopy;  // a copy: inputs[0] -> outputs[0]
    size_t copy_bytes = 0;
    bool skip_copy = false;  // the destination is caller memory (set_device_input)
    // An input copy whose destination was written on the device for the next run() only
    // (vision::Preprocessor::run_batch, ContextAccess); run() clears it.
    bool written_on_device = false;
    bool on_device = false;
    // Copies to or from a channels-last device tensor: through scratch, converting.
    bool convert = false;
    int64_t conv_n = 0, conv_c = 0, conv_hw = 0;
    size_t elem_size = 0;
    const void* zero_copy_source = nullptr;  // caller's NCHW device memory (convert only)
    int node = -1;                           // index in e.nodes / EngineReport::nodes
    int phase = 1;  // 0: leading input copies, 1: compute, 2: trailing output copies
  };
  std::vector<Step> steps;
  std::vector<TensorView> inputs, outputs;
  // CPU kernels' workers (EngineImpl::threads, the calling thread included); null for 1.
  std::unique_ptr<kernels::ThreadPool> pool;

  // Devices only.
  const kernels::Device* device = nullptr;
  uint8_t* device_arena = nullptr;
  void* stream = nullptr;
  bool use_graph = true;
  // Device pre-processing (ContextAccess): the leading input copies form their own segments
  // (so a run that skips some of them replays the compute graph unchanged), and the frames
  // are staged in these buffers.
  bool split_input_copies = false;
  bool any_written_on_device = false;
  uint8_t* frame_host = nullptr;
  uint8_t* frame_device = nullptr;
  size_t frame_bytes = 0;
  struct Segment {
    bool on_device = false;
    int phase = 1;
    size_t begin = 0, end = 0;  // steps [begin, end)
    void* graph = nullptr;
    bool capture_failed = false;
    void* start_event = nullptr;  // timing only
    void* end_event = nullptr;
  };
  std::vector<Segment> segments;
  Status last_error;
  bool timing = false;
  bool per_node = false;
  std::vector<void*> node_events;  // per_node: two per step
  DeviceTiming last_timing;

  // Groups consecutive steps on one side (and, when timing, of one phase) into segments.
  Status build_segments() {
    drop_graphs();
    for (Segment& s : segments) {
      if (s.start_event) device->destroy_event(s.start_event);
      if (s.end_event) device->destroy_event(s.end_event);
    }
    segments.clear();
    for (void* ev : node_events) device->destroy_event(ev);
    node_events.clear();
    if (timing && per_node) {
      for (size_t i = 0; i < 2 * steps.size(); ++i) {
        Result<void*> ev = device->create_event();
        if (!ev.ok()) return ev.status();
        node_events.push_back(ev.value());
      }
    }
    for (size_t i = 0; i < steps.size(); ++i) {
      const Step& step = steps[i];
      const bool new_phase = segments.empty() || segments.back().phase != step.phase;
      if (segments.empty() || segments.back().on_device != step.on_device ||
          (timing && new_phase) ||
          (split_input_copies && new_phase && (step.phase == 0 || segments.back().phase == 0))) {
        Segment s;
        s.on_device = step.on_device;
        s.phase = step.phase;
        s.begin = i;
        segments.push_back(s);
      }
      segments.back().end = i + 1;
    }
    if (timing) {
      for (Segment& s : segments) {
        if (!s.on_device) continue;
        Result<void*> a = device->create_event();
        if (!a.ok()) return a.status();
        s.start_event = a.value();
        Result<void*> b = device->create_event();
        if (!b.ok()) return b.status();
        s.end_event = b.value();
      }
    }
    return Status();
  }

  void drop_graphs() {
    for (Segment& s : segments) {
      if (s.graph) device->destroy_graph(s.graph);
      s.graph = nullptr;
      s.capture_failed = false;
    }
  }

  void enqueue(const Segment& s) const {
    for (size_t i = s.begin; i < s.end; ++i) {
      const Step& step = steps[i];
      if (!node_events.empty()) device->record_event(node_events[2 * i], stream);
      if (step.copy == CompiledNode::kNoCopy) {
        step.kernel->eval(step.args);
      } else if (step.written_on_device) {
        // Nothing to copy: the destination already holds this run's input.
      } else if (step.convert && step.copy_bytes) {
        if (step.copy == CompiledNode::kToDevice) {
          const void* src = step.zero_copy_source;
          if (src == nullptr) {
            device->copy_async(step.args.scratch, step.args.inputs[0], step.copy_bytes,
                               kernels::CopyKind::kHostToDevice, stream);
            src = step.args.scratch;
          }
          device->convert_layout(step.args.outputs[0], src, step.conv_n, step.conv_c, step.conv_hw,
                                 step.elem_size, true, stream);
        } else {
          device->convert_layout(step.args.scratch, step.args.inputs[0], step.conv_n, step.conv_c,
                                 step.conv_hw, step.elem_size, false, stream);
          device->copy_async(step.args.outputs[0], step.args.scratch, step.copy_bytes,
                             kernels::CopyKind::kDeviceToHost, stream);
        }
      } else if (!step.skip_copy && step.copy_bytes) {
        device->copy_async(step.args.outputs[0], step.args.inputs[0], step.copy_bytes,
                           step.copy == CompiledNode::kToDevice ? kernels::CopyKind::kHostToDevice
                                                                : kernels::CopyKind::kDeviceToHost,
                           stream);
      }
      if (!node_events.empty()) device->record_event(node_events[2 * i + 1], stream);
    }
  }

  ~ContextImpl() {
    if (device) {
      device->activate();
      if (stream) device->synchronize(stream);
      timing = false;
      build_segments();  // releases graphs and events
      if (stream) device->destroy_stream(stream);
      device->release(device_arena);
      device->release_host(arena);
      device->release(frame_device);
      device->release_host(frame_host);
    } else {
      std::free(arena);
    }
  }
};

Context::Context() = default;
Context::Context(Context&&) noexcept = default;
Context& Context::operator=(Context&&) noexcept = default;
Context::~Context() = default;

Result<Context> Engine::create_context() const {
  const EngineImpl& e = *impl_;
  auto c = std::make_unique<ContextImpl>();
  c->engine = shared_from_this();
  size_t bytes = e.arena_bytes == 0 ? 64 : e.arena_bytes;
  if (e.device) {
    c->device = e.device;
    c->use_graph = e.cuda_graph;
    e.device->activate();
    Result<void*> host = e.device->allocate_host(bytes);
    if (!host.ok()) return host.status();
    c->arena = static_cast<uint8_t*>(host.value());
    Result<void*> dev = e.device->allocate(e.device_arena_bytes == 0 ? 256 : e.device_arena_bytes);
    if (!dev.ok()) return dev.status();
    c->device_arena = static_cast<uint8_t*>(dev.value());
    Result<void*> stream = e.device->create_stream();
    if (!stream.ok()) return stream.status();
    c->stream = stream.value();
  } else {
    c->arena = static_cast<uint8_t*>(std::aligned_alloc(64, bytes));
    if (c->arena == nullptr)
      return make_status(StatusCode::kOutOfMemory, "cannot allocate a %zu-byte activation arena",
                         bytes);
    std::memset(c->arena, 0, bytes);
  }
  if (e.threads > 1) c->pool = std::make_unique<kernels::ThreadPool>(e.threads);
  auto address = [&](int t) -> void* {
    if (t < 0) return nullptr;
    const TensorPlacement& p = e.placements[t];
    if (p.kind == TensorPlacement::kConstant) return const_cast<void*>(p.constant);
    if (p.kind == TensorPlacement::kArena) return c->arena + p.offset;
    if (p.kind == TensorPlacement::kDeviceArena) return c->device_arena + p.offset;
    return nullptr;
  };
  size_t num_in = 0, num_out = 0;
  for (const CompiledNode& n : e.nodes) {
    num_in += n.inputs.size();
    num_out += n.outputs.size();
  }
  c->input_ptrs.reserve(num_in);
  c->output_ptrs.reserve(num_out);  // reserved: the Steps point into these vectors
  for (const CompiledNode& n : e.nodes) {
    if (n.skip) continue;
    ContextImpl::Step step{n.kernel.get(), {}};
    step.node = static_cast<int>(&n - e.nodes.data());
    step.args.inputs = c->input_ptrs.data() + c->input_ptrs.size();
    for (int t : n.inputs) {
      c->input_ptrs.push_back(address(t));
      c->input_slot_tensor.push_back(t);
    }
    step.args.outputs = c->output_ptrs.data() + c->output_ptrs.size();
    for (int t : n.outputs) {
      c->output_ptrs.push_back(address(t));
      c->output_slot_tensor.push_back(t);
    }
    if (n.kernel->scratch_bytes)
      step.args.scratch = (n.on_device ? c->device_arena : c->arena) + n.scratch_offset;
    if (n.on_device) step.args.device = c->stream;
    if (!n.on_device) step.args.pool = c->pool.get();
    step.on_device = n.on_device;
    step.copy = n.copy;
    if (n.copy != CompiledNode::kNoCopy) step.copy_bytes = e.placements[n.outputs[0]].bytes;
    if (n.convert_layout) {
      const Shape& s = e.tensors[n.outputs[0]].shape;
      step.convert = true;
      step.conv_n = s[0];
      step.conv_c = s[1];
      step.conv_hw = s[2] * s[3];
      step.elem_size = dtype_size(e.tensors[n.outputs[0]].dtype);
    }
    c->steps.push_back(step);
  }
  if (c->device) {
    for (size_t i = 0; i < c->steps.size() && c->steps[i].copy == CompiledNode::kToDevice; ++i)
      c->steps[i].phase = 0;
    for (size_t i = c->steps.size(); i > 0 && c->steps[i - 1].copy == CompiledNode::kToHost; --i)
      c->steps[i - 1].phase = 2;
    STRIX_RETURN_IF_ERROR(c->build_segments());
  }
  auto view = [&](int t) {
    TensorView v;
    v.data = address(t);
    v.dtype = e.tensors[t].dtype;
    v.shape = e.tensors[t].shape;
    return v;
  };
  for (int t : e.input_tensors) c->inputs.push_back(view(t));
  for (int t : e.output_tensors) c->outputs.push_back(view(t));
  Context context;
  context.impl_ = std::move(c);
  return context;
}

TensorView Context::input(int i) const { return impl_->inputs[i]; }
TensorView Context::output(int i) const { return impl_->outputs[i]; }

Status Context::set_input(int i, const void* data, size_t bytes) {
  if (i < 0 || i >= static_cast<int>(impl_->inputs.size()))
    return make_status(StatusCode::kInvalidArgument,
                       "input index %d is out of range (the model has %zu)", i,
                       impl_->inputs.size());
  const TensorView& v = impl_->inputs[i];
  if (bytes != v.byte_size())
    return make_status(StatusCode::kShapeMismatch,
                       "input %d '%s' is %s %s (%zu bytes), got %zu bytes", i,
                       impl_->engine->input(i).name.c_str(), v.shape.to_string().c_str(),
                       dtype_name(v.dtype), v.byte_size(), bytes);
  if (bytes) std::memcpy(v.data, data, bytes);
  return Status();
}

void Context::run() {
  ContextImpl& c = *impl_;
  if (c.device == nullptr) {
    for (const ContextImpl::Step& step : c.steps) step.kernel->eval(step.args);
    return;
  }
  c.device->activate();
  Status error;
  bool pending = false;  // device work enqueued and not yet waited for
  for (ContextImpl::Segment& seg : c.segments) {
    if (!seg.on_device) {
      if (pending) {
        Status s = c.device->synchronize(c.stream);
        if (error.ok()) error = s;
        pending = false;
      }
      for (size_t i = seg.begin; i < seg.end; ++i) c.steps[i].kernel->eval(c.steps[i].args);
      continue;
    }
    pending = true;
    if (c.timing) c.device->record_event(seg.start_event, c.stream);
    // The input copies less those written on the device: enqueued directly, not as a graph.
    const bool direct = seg.phase == 0 && c.any_written_on_device;
    if (!direct && c.use_graph && !c.per_node && seg.graph == nullptr && !seg.capture_failed) {
      if (c.device->begin_capture(c.stream).ok()) {
        c.enqueue(seg);
        Result<void*> graph = c.device->end_capture(c.stream);
        if (graph.ok()) {
          seg.graph = graph.value();
        } else {
          seg.capture_failed = true;
        }
      } else {
        seg.capture_failed = true;
      }
    }
    if (seg.graph && !direct) {
      c.device->launch_graph(seg.graph, c.stream);
    } else {
      c.enqueue(seg);
    }
    if (c.timing) c.device->record_event(seg.end_event, c.stream);
  }
  if (pending) {
    Status s = c.device->synchronize(c.stream);
    if (error.ok()) error = s;
  }
  if (c.any_written_on_device) {
    for (ContextImpl::Step& step : c.steps) step.written_on_device = false;
    c.any_written_on_device = false;
  }
  c.last_error = error;
  if (c.timing) {
    DeviceTiming t;
    if (c.per_node) {
      t.node_ms.assign(c.engine->report().nodes.size(), 0.0);
      for (size_t i = 0; i < c.steps.size(); ++i)
        if (c.steps[i].on_device)
          t.node_ms[c.steps[i].node] +=
              c.device->elapsed_ms(c.node_events[2 * i], c.node_events[2 * i + 1]);
    }
    for (const ContextImpl::Segment& seg : c.segments) {
      if (!seg.on_device) continue;
      double ms = c.device->elapsed_ms(seg.start_event, seg.end_event);
      (seg.phase == 0 ? t.h2d_ms : seg.phase == 2 ? t.d2h_ms : t.compute_ms) += ms;
    }
    c.last_timing = t;
  }
}

Status Context::enable_timing(bool on, bool per_node) {
  ContextImpl& c = *impl_;
  if (c.device == nullptr)
    return Status(StatusCode::kUnsupported, "enable_timing: the Engine runs on the CPU");
  c.timing = on;
  c.per_node = on && per_node;
  c.last_timing = DeviceTiming();
  c.device->activate();
  return c.build_segments();
}

DeviceTiming Context::last_timing() const { return impl_->last_timing; }

Status Context::last_error() const { return impl_->last_error; }

Status Context::set_device_input(int i, void* device_ptr) {
  ContextImpl& c = *impl_;
  if (i < 0 || i >= static_cast<int>(c.inputs.size()))
    return make_status(StatusCode::kInvalidArgument,
                       "input index %d is out of range (the model has %zu)", i, c.inputs.size());
  const EngineImpl& e = *c.engine->impl();
  if (c.device == nullptr)
    return make_status(StatusCode::kUnsupported,
                       "set_device_input: the Engine runs on the CPU (device '%s')",
                       e.report.device.c_str());
  int source = e.input_tensors[i], mirror = -1;
  for (size_t t = 0; t < e.device_mirror_of.size(); ++t)
    if (e.device_mirror_of[t] == source && e.tensor_on_device[t]) mirror = static_cast<int>(t);
  if (mirror < 0 || e.placements[mirror].kind != TensorPlacement::kDeviceArena)
    return make_status(StatusCode::kUnsupported,
                       "set_device_input: input %d '%s' is not read by any device node", i,
                       e.input_infos[i].name.c_str());
  for (ContextImpl::Step& step : c.steps) {
    size_t slot = static_cast<size_t>(step.args.outputs - c.output_ptrs.data());
    if (step.copy == CompiledNode::kToDevice && step.convert &&
        c.output_slot_tensor[slot] == mirror) {
      // Channels-last on the device: convert straight from the caller's memory.
      step.zero_copy_source = device_ptr;
      c.drop_graphs();
      return Status();
    }
  }
  // The mirror lives for the whole run, so only its views share its offset.
  const size_t offset = e.placements[mirror].offset;
  auto same_memory = [&](int t) {
    return t >= 0 && e.placements[t].kind == TensorPlacement::kDeviceArena &&
           e.placements[t].offset == offset;
  };
  void* target = device_ptr ? device_ptr : c.device_arena + offset;
  for (size_t s = 0; s < c.input_ptrs.size(); ++s)
    if (same_memory(c.input_slot_tensor[s])) c.input_ptrs[s] = target;
  for (size_t s = 0; s < c.output_ptrs.size(); ++s)
    if (same_memory(c.output_slot_tensor[s])) c.output_ptrs[s] = target;
  size_t slot = 0;
  for (ContextImpl::Step& step : c.steps) {
    // Steps hold pointers into output_ptrs in order; find this step's first output slot.
    slot = static_cast<size_t>(step.args.outputs - c.output_ptrs.data());
    if (step.copy == CompiledNode::kToDevice && c.output_slot_tensor[slot] == mirror)
      step.skip_copy = device_ptr != nullptr;
  }
  c.drop_graphs();
  return Status();
}

const Engine& Context::engine() const { return *impl_->engine; }

// ---- Device pre-processing (sdk/src/context_access.h) ----

namespace {

// The leading input copy that is the only reader of graph input i's host memory, or null.
const ContextImpl::Step* sole_input_copy(const ContextImpl& c, int i) {
  const EngineImpl& e = *c.engine->impl();
  const int input = e.input_tensors[i];
  const TensorPlacement& home = e.placements[input];
  if (home.kind != TensorPlacement::kArena) return nullptr;
  auto overlaps = [&](int t) {  // t shares bytes with the input (views, aliases)
    if (t < 0) return false;
    const TensorPlacement& p = e.placements[t];
    return p.kind == TensorPlacement::kArena && p.offset < home.offset + home.bytes &&
           home.offset < p.offset + p.bytes;
  };
  for (int t : e.output_tensors)
    if (overlaps(t)) return nullptr;
  const ContextImpl::Step* copy = nullptr;
  for (const ContextImpl::Step& step : c.steps) {
    const size_t first = static_cast<size_t>(step.args.inputs - c.input_ptrs.data());
    const size_t count = c.engine->impl()->nodes[step.node].inputs.size();
    for (size_t k = first; k < first + count; ++k) {
      if (!overlaps(c.input_slot_tensor[k])) continue;
      const bool leading_copy = step.copy == CompiledNode::kToDevice && step.phase == 0 &&
                                c.input_slot_tensor[k] == input && copy == nullptr;
      if (!leading_copy) return nullptr;
      copy = &step;
    }
  }
  return copy;
}

}  // namespace

DeviceInputTarget ContextAccess::device_input(const Context& ctx, int i) {
  const ContextImpl& c = *ctx.impl_;
  DeviceInputTarget t;
  if (c.device == nullptr) return t;
  const ContextImpl::Step* copy = sole_input_copy(c, i);
  if (copy == nullptr) return t;
  const size_t slot = static_cast<size_t>(copy->args.outputs - c.output_ptrs.data());
  const EngineImpl& e = *c.engine->impl();
  t.device = c.device;
  t.stream = c.stream;
  t.data = c.output_ptrs[slot];
  t.channels_last = kernels::device_channels_last(e.tensors[c.output_slot_tensor[slot]]);
  t.caller_memory = copy->skip_copy || copy->zero_copy_source != nullptr;
  return t;
}

Status ContextAccess::frame_buffers(Context& ctx, size_t bytes, uint8_t** host, uint8_t** device) {
  ContextImpl& c = *ctx.impl_;
  c.device->activate();
  STRIX_RETURN_IF_ERROR(c.device->synchronize(c.stream));
  if (bytes > c.frame_bytes) {
    c.device->release(c.frame_device);
    c.device->release_host(c.frame_host);
    c.frame_device = c.frame_host = nullptr;
    c.frame_bytes = 0;
    const size_t grown = bytes + bytes / 4;  // a little room for larger frames later
    Result<void*> h = c.device->allocate_host(grown);
    if (!h.ok()) return h.status();
    c.frame_host = static_cast<uint8_t*>(h.value());
    Result<void*> d = c.device->allocate(grown);
    if (!d.ok()) return d.status();
    c.frame_device = static_cast<uint8_t*>(d.value());
    c.frame_bytes = grown;
  }
  *host = c.frame_host;
  *device = c.frame_device;
  return Status();
}

Status ContextAccess::mark_written_on_device(Context& ctx, int i) {
  ContextImpl& c = *ctx.impl_;
  const ContextImpl::Step* copy = sole_input_copy(c, i);
  if (copy == nullptr)
    return make_status(StatusCode::kInternal, "input %d is not copied to the device", i);
  if (!c.split_input_copies) {
    c.split_input_copies = true;
    STRIX_RETURN_IF_ERROR(c.build_segments());  // once per Context: recaptures the graphs
  }
  c.steps[static_cast<size_t>(copy - c.steps.data())].written_on_device = true;
  c.any_written_on_device = true;
  return Status();
}

}  // namespace strix
