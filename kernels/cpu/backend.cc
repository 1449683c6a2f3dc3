// The optimized CPU backend ("cpu"): SIMD kernels chosen at run time for the host's ISA
// (AVX-512 or AVX2+FMA on x86, NEON on AArch64), placed before the reference backend. It answers
// supports() for f32 (and f16-stored) nodes of the ops below; a factory returns kUnsupported for a
// configuration it has no fast path for, and the Engine then uses the reference kernel for that
// node. On a CPU or build without a SIMD kernel set (or with STRIX_CPU_ISA=scalar) it
// supports nothing.
#include "kernels/backend.h"
#include "kernels/cpu/common.h"
#include "kernels/f16_adapter.h"

namespace strix::kernels::cpu {
namespace {

using Factory = Result<std::unique_ptr<Kernel>> (*)(const PrepareArgs&, const IsaKernels&);

Factory factory_of(fb::OpType op) {
  switch (op) {
    case fb::OpType::Conv2D: return make_conv2d;
    case fb::OpType::FullyConnected: return make_fully_connected;
    case fb::OpType::MatMul: return make_matmul;
    case fb::OpType::MaxPool:
    case fb::OpType::AveragePool: return make_pool2d;
    case fb::OpType::GlobalAveragePool: return make_global_average_pool;
    case fb::OpType::Relu:
    case fb::OpType::Clip:
    case fb::OpType::LeakyRelu:
    case fb::OpType::HardSigmoid:
    case fb::OpType::HardSwish:
    case fb::OpType::Sigmoid:
    case fb::OpType::SiLU: return make_unary;
    case fb::OpType::Add:
    case fb::OpType::Sub:
    case fb::OpType::Mul:
    case fb::OpType::Div: return make_binary;
    default: return nullptr;
  }
}

class OptimizedBackend : public Backend {
 public:
  OptimizedBackend() : isa_(isa_kernels(selected_isa())) {}
  const char* name() const override { return "cpu"; }
  bool is_cpu() const override { return true; }

  bool supports(const PrepareArgs& args) const override {
    if (isa_ == nullptr || factory_of(args.node->op()) == nullptr) return false;
    // f32, or f16 storage computed in f32 (kernels/f16_adapter.h).
    auto float_type = [](DType d) { return d == DType::kF32 || d == DType::kF16; };
    for (const KTensor* t : args.inputs)
      if (t != nullptr && !float_type(t->dtype)) return false;
    for (const KTensor* t : args.outputs)
      if (!float_type(t->dtype)) return false;
    return true;
  }

  Result<std::unique_ptr<Kernel>> prepare(const PrepareArgs& args) const override {
    Factory f = isa_ ? factory_of(args.node->op()) : nullptr;
    if (f == nullptr) return unsupported(args, "op not covered");
    if (has_f16(args))
      return prepare_with_f16_storage(args,
                                      [f, this](const PrepareArgs& a) { return f(a, *isa_); });
    return f(args, *isa_);
  }

 private:
  const IsaKernels* isa_;
};

}  // namespace
}  // namespace strix::kernels::cpu

namespace strix::kernels {
std::unique_ptr<Backend> make_cpu_optimized_backend() {
  return std::make_unique<cpu::OptimizedBackend>();
}
}  // namespace strix::kernels
