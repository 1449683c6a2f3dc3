// The optimized CPU backend ("cpu"): SIMD kernels chosen at run time for the host's ISA
// (AVX-512 or AVX2+FMA on x86, NEON on AArch64), placed before the reference backend. It answers
// supports() for f32 (and f16-stored) nodes of the ops below; a factory returns kUnsupported for a
// configuration it has no fast path for, and the Engine then uses the reference kernel for that
// node. INT8 Conv2D, FullyConnected, Add, MaxPool, GlobalAveragePool and Quantize go to the INT8
// kernels (isa_int8.h: AVX-512 VNNI or AVX2, NEON with or without sdot). On a CPU or build without
// a SIMD kernel set (or with STRIX_CPU_ISA=scalar) it supports nothing.
// Residual fusion (Conv2D + Add, PrepareArgs::fused_residual): the f32 group-1 conv kernels
// (conv.cc) add the residual in their epilogue; INT8, f16-stored and depthwise convs return
// kUnsupported, and the Engine compiles the conv and the Add separately.
#include "kernels/backend.h"
#include "kernels/cpu/common.h"
#include "kernels/cpu/concat.h"
#include "kernels/cpu/int8_common.h"
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
    case fb::OpType::Concat: return make_concat;
    default: return nullptr;
  }
}

// INT8 nodes (input 0 i8) of these ops, and Quantize to i8, go to the INT8 kernels
// (conv_int8.cc, gemm_int8.cc, add_int8.cc, pool_int8.cc, quantize_int8.cc).
using Int8Factory = Result<std::unique_ptr<Kernel>> (*)(const PrepareArgs&, const IsaInt8Kernels&);

Int8Factory int8_factory_of(const PrepareArgs& args) {
  if (args.node->op() == fb::OpType::Quantize && args.outputs.size() == 1 &&
      args.outputs[0]->dtype == DType::kI8)
    return make_quantize_i8;
  if (args.inputs.empty() || args.inputs[0] == nullptr || args.inputs[0]->dtype != DType::kI8)
    return nullptr;
  switch (args.node->op()) {
    case fb::OpType::Conv2D: return make_conv2d_i8;
    case fb::OpType::FullyConnected: return make_fully_connected_i8;
    case fb::OpType::Add: return make_add_i8;
    case fb::OpType::MaxPool: return make_max_pool_i8;
    case fb::OpType::GlobalAveragePool: return make_global_average_pool_i8;
    default: return nullptr;
  }
}

class OptimizedBackend : public Backend {
 public:
  OptimizedBackend() : isa_(isa_kernels(selected_isa())), int8_(isa_int8_kernels(selected_isa())) {}
  const char* name() const override { return "cpu"; }
  bool is_cpu() const override { return true; }
  bool fuses_residual_add() const override { return isa_ != nullptr; }

  bool supports(const PrepareArgs& args) const override {
    if (int8_ != nullptr && int8_factory_of(args) != nullptr) return true;
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
    if (args.fused_residual) {
      if (isa_ == nullptr || args.node->op() != fb::OpType::Conv2D)
        return unsupported(args, "residual fusion not covered");
      if ((int8_ != nullptr && int8_factory_of(args) != nullptr) || has_f16(args))
        return unsupported(args, "residual fusion of an INT8 or f16-stored convolution");
    }
    if (Int8Factory f8 = int8_ ? int8_factory_of(args) : nullptr) return f8(args, *int8_);
    Factory f = isa_ ? factory_of(args.node->op()) : nullptr;
    if (f == nullptr) return unsupported(args, "op not covered");
    // Concat copies bytes: the reference's byte copy beats converting f16 storage to f32.
    if (args.node->op() == fb::OpType::Concat && has_f16(args))
      return unsupported(args, "f16 concat (the reference copies the bytes)");
    if (has_f16(args))
      return prepare_with_f16_storage(args,
                                      [f, this](const PrepareArgs& a) { return f(a, *isa_); });
    return f(args, *isa_);
  }

 private:
  const IsaKernels* isa_;
  const IsaInt8Kernels* int8_;
};

}  // namespace
}  // namespace strix::kernels::cpu

namespace strix::kernels {
std::unique_ptr<Backend> make_cpu_optimized_backend() {
  return std::make_unique<cpu::OptimizedBackend>();
}
}  // namespace strix::kernels
