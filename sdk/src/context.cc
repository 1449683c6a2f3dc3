// Context: one arena and the per-node pointer tables, resolved once so run() is a loop.
#include <cstdlib>
#include <cstring>

#include "sdk/src/engine_impl.h"
#include "strix/context.h"

namespace strix {

struct ContextImpl {
  std::shared_ptr<const Engine> engine;
  uint8_t* arena = nullptr;
  // Per node: pointers to its inputs and outputs, and its scratch.
  std::vector<const void*> input_ptrs;
  std::vector<void*> output_ptrs;
  struct Step {
    const kernels::Kernel* kernel;
    kernels::EvalArgs args;
  };
  std::vector<Step> steps;
  std::vector<TensorView> inputs, outputs;

  ~ContextImpl() { std::free(arena); }
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
  c->arena = static_cast<uint8_t*>(std::aligned_alloc(64, bytes));
  if (c->arena == nullptr)
    return make_status(StatusCode::kOutOfMemory, "cannot allocate a %zu-byte activation arena", bytes);
  std::memset(c->arena, 0, bytes);
  auto address = [&](int t) -> void* {
    if (t < 0) return nullptr;
    const TensorPlacement& p = e.placements[t];
    if (p.kind == TensorPlacement::kConstant) return const_cast<void*>(p.constant);
    if (p.kind == TensorPlacement::kArena) return c->arena + p.offset;
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
    step.args.inputs = c->input_ptrs.data() + c->input_ptrs.size();
    for (int t : n.inputs) c->input_ptrs.push_back(address(t));
    step.args.outputs = c->output_ptrs.data() + c->output_ptrs.size();
    for (int t : n.outputs) c->output_ptrs.push_back(address(t));
    step.args.scratch = n.kernel->scratch_bytes ? c->arena + n.scratch_offset : nullptr;
    c->steps.push_back(step);
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
    return make_status(StatusCode::kInvalidArgument, "input index %d is out of range (the model has %zu)",
                       i, impl_->inputs.size());
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
  for (const ContextImpl::Step& step : impl_->steps) step.kernel->eval(step.args);
}

const Engine& Context::engine() const { return *impl_->engine; }

}  // namespace strix
