// INT8 Add for the optimized CPU backend: both inputs and the output of one shape (no
// broadcasting; other shapes: kUnsupported, the reference runs). The arithmetic is
// ref::add_i8's (binary_int8.cc, TFLite's): each input's term is tabulated per byte value with
// ref's own functions and the output requantize runs in the ISA's `add` (isa_int8.h), so the
// bytes are identical. The tables also go as byte planes (for byte-permute lookups) with a
// bound on the sum (for the short requantize). Tasks: chunks of kChunk elements.
#include <algorithm>
#include <vector>

#include "kernels/cpu/common.h"
#include "kernels/cpu/int8_common.h"
#include "kernels/cpu/ref/binary.h"

namespace strix::kernels::cpu {
namespace {

constexpr int64_t kChunk = 16384;

class AddI8Kernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* a = static_cast<const int8_t*>(args.inputs[0]);
    const auto* b = static_cast<const int8_t*>(args.inputs[1]);
    auto* y = static_cast<int8_t*>(args.outputs[0]);
    parallel_for(args.pool, ceil_div(n_, kChunk), [&](int64_t c, int) {
      const int64_t i = c * kChunk;
      isa_->add(a + i, b + i, std::min(kChunk, n_ - i), p_, y + i);
    });
  }

  const IsaInt8Kernels* isa_ = nullptr;
  Int8AddParams p_;                 // points into lut_, lut_bytes_
  std::vector<int32_t> lut_;        // [a byte], then [b byte]
  std::vector<uint8_t> lut_bytes_;  // lut_ as byte planes (Int8AddParams::lut_bytes)
  int64_t n_ = 0;
};

}  // namespace

Result<std::unique_ptr<Kernel>> make_add_i8(const PrepareArgs& args, const IsaInt8Kernels& isa) {
  // Validation, messages and the output shape: exactly the reference's.
  Result<std::unique_ptr<Kernel>> reference = ref::make_binary(args);
  if (!reference.ok()) return reference.status();
  if (args.node->op() != fb::OpType::Add || args.inputs[0]->dtype != DType::kI8)
    return unsupported(args, "not an int8 Add");
  const Shape& out = args.outputs[0]->shape;
  if (args.inputs[0]->shape != out || args.inputs[1]->shape != out)
    return unsupported(args, "int8 Add with broadcasting");
  // The constants as make_add_i8 resolves them (validated above).
  float sa = 0, sb = 0, so = 0;
  int32_t za = 0, zb = 0, zo = 0;
  STRIX_RETURN_IF_ERROR(ref::int8_tensor_quant(args, *args.inputs[0], &sa, &za));
  STRIX_RETURN_IF_ERROR(ref::int8_tensor_quant(args, *args.inputs[1], &sb, &zb));
  STRIX_RETURN_IF_ERROR(ref::int8_tensor_quant(args, *args.outputs[0], &so, &zo));
  const fb::BinaryOptions* o = args.node->options_as_BinaryOptions();
  const ref::ActivationParams act = ref::activation_params(o ? o->activation() : nullptr);
  int32_t qmin = -128, qmax = 127;
  if (act.kind == fb::ActivationKind::Relu) qmin = std::max(qmin, zo);
  if (act.kind == fb::ActivationKind::Clip) {
    qmin = ref::quantize_value(act.alpha, so, zo, -128, 127);
    qmax = ref::quantize_value(act.beta, so, zo, -128, 127);
  }
  const ref::AddI8Params q = ref::make_add_i8_params(sa, za, sb, zb, so, zo, qmin, qmax);
  auto k = std::make_unique<AddI8Kernel>();
  k->isa_ = &isa;
  k->n_ = out.num_elements();
  // The input terms of ref::add_i8 for every byte value.
  k->lut_.resize(512);
  for (int v = -128; v < 128; ++v) {
    const auto i = static_cast<uint8_t>(v);
    k->lut_[i] = ref::multiply_by_quantized_multiplier((v - q.a_zp) * (1 << q.left_shift), q.a_mul);
    k->lut_[256 + i] =
        ref::multiply_by_quantized_multiplier((v - q.b_zp) * (1 << q.left_shift), q.b_mul);
  }
  k->lut_bytes_.resize(2 * 4 * 256);
  int64_t max_a = 0, max_b = 0;
  for (int t = 0; t < 2; ++t)
    for (int i = 0; i < 256; ++i) {
      const int32_t v = k->lut_[t * 256 + i];
      for (int b = 0; b < 4; ++b)
        k->lut_bytes_[(t * 4 + b) * 256 + i] =
            static_cast<uint8_t>(static_cast<uint32_t>(v) >> (8 * b));
      int64_t& m = t == 0 ? max_a : max_b;
      m = std::max<int64_t>(m, v < 0 ? -static_cast<int64_t>(v) : v);
    }
  Int8AddParams& p = k->p_;
  p.lut_a = k->lut_.data();
  p.lut_b = k->lut_.data() + 256;
  p.lut_bytes = k->lut_bytes_.data();
  p.sum_bound = max_a + max_b;
  p.out_mult = q.out_mul.multiplier;
  p.out_lshift = q.out_mul.shift > 0 ? q.out_mul.shift : 0;
  p.out_rshift = q.out_mul.shift > 0 ? 0 : -q.out_mul.shift;
  p.out_zp = q.out_zp;
  p.qmin = q.qmin;
  p.qmax = q.qmax;
  k->packed_bytes = k->lut_.size() * sizeof(int32_t) + k->lut_bytes_.size();
  k->supports_in_place = true;
  k->name = std::string("add_i8_") + isa.name;
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::cpu
