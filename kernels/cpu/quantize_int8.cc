// Quantize f32 -> i8 with one scale and zero point for the optimized CPU backend (the ISA's
// `quantize`, isa_int8.h: exactly ref::quantize_value per element). Per-channel or u8
// quantization runs on the reference. Tasks: chunks of kChunk elements.
#include <algorithm>

#include "kernels/cpu/common.h"
#include "kernels/cpu/int8_common.h"
#include "kernels/cpu/ref/quantize.h"

namespace strix::kernels::cpu {
namespace {

constexpr int64_t kChunk = 16384;

class QuantizeI8Kernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<int8_t*>(args.outputs[0]);
    parallel_for(args.pool, ceil_div(n_, kChunk), [&](int64_t c, int) {
      const int64_t i = c * kChunk;
      isa_->quantize(x + i, std::min(kChunk, n_ - i), scale_, zp_, y + i);
    });
  }

  const IsaInt8Kernels* isa_ = nullptr;
  float scale_ = 1;
  int32_t zp_ = 0;
  int64_t n_ = 0;
};

}  // namespace

Result<std::unique_ptr<Kernel>> make_quantize_i8(const PrepareArgs& args,
                                                 const IsaInt8Kernels& isa) {
  // Validation, messages and the output shape: exactly the reference's.
  Result<std::unique_ptr<Kernel>> reference = ref::make_quantize(args);
  if (!reference.ok()) return reference.status();
  const KTensor& out = *args.outputs[0];
  if (out.dtype != DType::kI8) return unsupported(args, "not f32 -> i8");
  if (out.quant->scales.size() != 1) return unsupported(args, "per-channel quantization");
  auto k = std::make_unique<QuantizeI8Kernel>();
  k->isa_ = &isa;
  k->scale_ = out.quant->scales[0];
  k->zp_ = out.quant->zero_points.empty() ? 0 : static_cast<int32_t>(out.quant->zero_points[0]);
  k->n_ = out.shape.num_elements();
  k->name = std::string("quantize_f32_i8_") + isa.name;
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::cpu
