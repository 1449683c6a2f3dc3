// f16 storage with f32 compute, shared by the CPU backends.
#include "kernels/f16_adapter.h"

#include <cstring>
#include <vector>

namespace strix::kernels {
namespace {

// Wraps an f32 kernel for a node whose float tensors are stored as f16: converts f16 inputs
// into f32 scratch, runs the f32 kernel, converts f32 results back into the f16 outputs.
class F16Adapter : public Kernel {
 public:
  struct Slot {
    bool convert = false;  // the tensor is f16 and goes through f32 scratch
    size_t offset = 0;     // of its f32 copy in scratch
    int64_t elements = 0;
  };

  void eval(const EvalArgs& args) const override {
    auto* scratch = static_cast<uint8_t*>(args.scratch);
    const void* in[kMaxPointers];
    void* out[kMaxPointers];
    for (size_t i = 0; i < inputs_.size(); ++i) {
      const Slot& s = inputs_[i];
      if (!s.convert || args.inputs[i] == nullptr) {
        in[i] = constants_[i].empty() ? args.inputs[i] : constants_[i].data();
        continue;
      }
      auto* dst = reinterpret_cast<float*>(scratch + s.offset);
      const auto* src = static_cast<const uint16_t*>(args.inputs[i]);
      for (int64_t e = 0; e < s.elements; ++e) dst[e] = half_to_float(src[e]);
      in[i] = dst;
    }
    for (size_t i = 0; i < outputs_.size(); ++i) {
      const Slot& s = outputs_[i];
      out[i] = s.convert ? scratch + s.offset : args.outputs[i];
    }
    EvalArgs inner_args = args;  // keeps the pool and device state
    inner_args.inputs = in;
    inner_args.outputs = out;
    inner_args.scratch = scratch + inner_scratch_offset_;
    inner_->eval(inner_args);
    for (size_t i = 0; i < outputs_.size(); ++i) {
      const Slot& s = outputs_[i];
      if (!s.convert) continue;
      const auto* src = reinterpret_cast<const float*>(scratch + s.offset);
      auto* dst = static_cast<uint16_t*>(args.outputs[i]);
      for (int64_t e = 0; e < s.elements; ++e) dst[e] = float_to_half(src[e]);
    }
  }

  static constexpr size_t kMaxPointers = 64;
  std::unique_ptr<Kernel> inner_;
  std::vector<Slot> inputs_, outputs_;
  std::vector<std::vector<float>> constants_;  // f32 copies of f16 weights, made once
  size_t inner_scratch_offset_ = 0;
};

size_t align64(size_t n) { return (n + 63) & ~size_t(63); }

}  // namespace

bool has_f16(const PrepareArgs& args) {
  for (const KTensor* t : args.inputs)
    if (t && t->dtype == DType::kF16) return true;
  for (const KTensor* t : args.outputs)
    if (t->dtype == DType::kF16) return true;
  return false;
}

Result<std::unique_ptr<Kernel>> prepare_with_f16_storage(const PrepareArgs& args,
                                                         const F32Factory& f32_factory) {
  if (args.inputs.size() > F16Adapter::kMaxPointers ||
      args.outputs.size() > F16Adapter::kMaxPointers)
    return node_error(args, StatusCode::kUnsupported,
                      "f16 nodes take at most %zu inputs and outputs", F16Adapter::kMaxPointers);
  auto adapter = std::make_unique<F16Adapter>();
  std::vector<KTensor> in_copies(args.inputs.size()), out_copies(args.outputs.size());
  PrepareArgs f32_args = args;
  adapter->inputs_.resize(args.inputs.size());
  adapter->constants_.resize(args.inputs.size());
  size_t scratch = 0;
  for (size_t i = 0; i < args.inputs.size(); ++i) {
    const KTensor* t = args.inputs[i];
    if (t == nullptr) continue;
    in_copies[i] = *t;
    if (t->dtype == DType::kF16) {
      in_copies[i].dtype = DType::kF32;
      int64_t n = t->shape.num_elements();
      if (t->constant) {
        std::vector<float>& c = adapter->constants_[i];
        c.resize(static_cast<size_t>(n));
        const auto* src = static_cast<const uint16_t*>(t->constant);
        for (int64_t e = 0; e < n; ++e) c[e] = half_to_float(src[e]);
        in_copies[i].constant = c.data();
        adapter->packed_bytes += c.size() * sizeof(float);
      } else {
        adapter->inputs_[i] = {true, scratch, n};
        scratch = align64(scratch + static_cast<size_t>(n) * sizeof(float));
      }
    }
    f32_args.inputs[i] = &in_copies[i];
  }
  for (size_t i = 0; i < args.outputs.size(); ++i) {
    out_copies[i] = *args.outputs[i];
    if (out_copies[i].dtype == DType::kF16) out_copies[i].dtype = DType::kF32;
    f32_args.outputs[i] = &out_copies[i];
  }
  Result<std::unique_ptr<Kernel>> inner = f32_factory(f32_args);
  if (!inner.ok()) return inner.status();
  adapter->outputs_.resize(args.outputs.size());
  for (size_t i = 0; i < args.outputs.size(); ++i) {
    args.outputs[i]->shape = out_copies[i].shape;
    if (args.outputs[i]->dtype == DType::kF16) {
      int64_t n = out_copies[i].shape.num_elements();
      adapter->outputs_[i] = {true, scratch, n};
      scratch = align64(scratch + static_cast<size_t>(n) * sizeof(float));
    }
  }
  adapter->inner_ = std::move(inner).value();
  adapter->inner_scratch_offset_ = scratch;
  adapter->scratch_bytes = scratch + adapter->inner_->scratch_bytes;
  adapter->packed_bytes += adapter->inner_->packed_bytes;
  adapter->name = adapter->inner_->name + "(f16 storage)";
  // Conversion goes through scratch, so in-place is as safe as for the inner kernel.
  adapter->supports_in_place = adapter->inner_->supports_in_place;
  return std::unique_ptr<Kernel>(std::move(adapter));
}

}  // namespace strix::kernels
