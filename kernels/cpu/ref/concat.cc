#include "kernels/cpu/ref/concat.h"

#include <cstring>
#include <vector>

#include "kernels/cpu/ref/movement_util.h"

namespace strix::kernels::ref {

using namespace movement;  // NOLINT: this family's helpers (movement_util.h)

void concat_bytes(const void* const* x, const int64_t* row_bytes, int n, int64_t outer, void* y) {
  auto* dst = static_cast<uint8_t*>(y);
  for (int64_t o = 0; o < outer; ++o) {
    for (int i = 0; i < n; ++i) {
      const auto* src = static_cast<const uint8_t*>(x[i]) + o * row_bytes[i];
      std::memcpy(dst, src, static_cast<size_t>(row_bytes[i]));
      dst += row_bytes[i];
    }
  }
}

QuantizedMultiplier requantize_values_multiplier(double real_multiplier) {
  return quantize_multiplier(real_multiplier / static_cast<double>(1 << kRequantizeLeftShift));
}

void requantize_values(const void* x, int64_t n, bool is_signed, int32_t in_zp,
                       QuantizedMultiplier m, int32_t out_zp, void* y) {
  if (is_signed) {
    const auto* src = static_cast<const int8_t*>(x);
    auto* dst = static_cast<int8_t*>(y);
    for (int64_t i = 0; i < n; ++i)
      dst[i] = static_cast<int8_t>(
          requantize((src[i] - in_zp) * (1 << kRequantizeLeftShift), m, out_zp, -128, 127));
  } else {
    const auto* src = static_cast<const uint8_t*>(x);
    auto* dst = static_cast<uint8_t*>(y);
    for (int64_t i = 0; i < n; ++i)
      dst[i] = static_cast<uint8_t>(
          requantize((src[i] - in_zp) * (1 << kRequantizeLeftShift), m, out_zp, 0, 255));
  }
}

namespace {

class ConcatKernel : public Kernel {
 public:
  struct Requant {
    bool active = false;  // false: a byte copy
    int32_t in_zp = 0, out_zp = 0;
    QuantizedMultiplier m;
  };

  void eval(const EvalArgs& args) const override {
    if (!any_requant_) {
      concat_bytes(args.inputs, row_bytes_.data(), static_cast<int>(row_bytes_.size()), outer_,
                   args.outputs[0]);
      return;
    }
    auto* dst = static_cast<uint8_t*>(args.outputs[0]);
    for (int64_t o = 0; o < outer_; ++o) {
      for (size_t i = 0; i < row_bytes_.size(); ++i) {
        const auto* src = static_cast<const uint8_t*>(args.inputs[i]) + o * row_bytes_[i];
        const Requant& r = requant_[i];
        if (r.active) {
          requantize_values(src, row_bytes_[i], is_signed_, r.in_zp, r.m, r.out_zp, dst);
        } else {
          std::memcpy(dst, src, static_cast<size_t>(row_bytes_[i]));
        }
        dst += row_bytes_[i];
      }
    }
  }

  std::vector<int64_t> row_bytes_;
  std::vector<Requant> requant_;
  int64_t outer_ = 0;
  bool any_requant_ = false;
  bool is_signed_ = true;
};

// Fills r for an int8/uint8 input whose quantization differs from the output's. A side
// without quantization means there is nothing to convert: the bytes are copied.
Status plan_requant(const PrepareArgs& args, int i, ConcatKernel::Requant* r) {
  const Quantization* in = args.inputs[i]->quant;
  const Quantization* out = args.outputs[0]->quant;
  if (in == nullptr || out == nullptr || same_quantization(in, out)) return Status();
  if (in->scales.size() != 1 || out->scales.size() != 1)
    return node_error(args, StatusCode::kUnsupported,
                      "input %d '%s' needs requantization and only per-tensor quantization is "
                      "supported for that",
                      i, args.inputs[i]->name.c_str());
  if (!(in->scales[0] > 0.f) || !(out->scales[0] > 0.f))
    return node_error(args, StatusCode::kCorruptModel, "input %d or the output has scale <= 0", i);
  int64_t lo = args.inputs[i]->dtype == DType::kI8 ? -128 : 0;
  int64_t in_zp = zero_point_at(*in, 0), out_zp = zero_point_at(*out, 0);
  if (in_zp < lo || in_zp > lo + 255 || out_zp < lo || out_zp > lo + 255)
    return node_error(args, StatusCode::kCorruptModel,
                      "zero point %lld of input %d or %lld of the output is outside the %s range",
                      static_cast<long long>(in_zp), i, static_cast<long long>(out_zp),
                      dtype_name(args.inputs[i]->dtype));
  r->active = true;
  r->in_zp = static_cast<int32_t>(in_zp);
  r->out_zp = static_cast<int32_t>(out_zp);
  r->m = requantize_values_multiplier(static_cast<double>(in->scales[0]) / out->scales[0]);
  return Status();
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_concat(const PrepareArgs& args) {
  int n = static_cast<int>(args.inputs.size());
  if (n == 0) return node_error(args, StatusCode::kCorruptModel, "needs at least one input");
  STRIX_RETURN_IF_ERROR(expect_arity(args, n, n, 1));
  const fb::ConcatOptions* o = args.node->options_as_ConcatOptions();
  if (o == nullptr) return node_error(args, StatusCode::kCorruptModel, "needs ConcatOptions");
  const KTensor& first = *args.inputs[0];
  int rank = first.shape.rank();
  if (rank == 0) return node_error(args, StatusCode::kShapeMismatch, "cannot concatenate scalars");
  int axis = 0;
  STRIX_RETURN_IF_ERROR(normalize_axis(args, o->axis(), rank, &axis));
  STRIX_RETURN_IF_ERROR(expect_same_dtype_output(args, 0, first.dtype));
  Shape out = first.shape;
  out[axis] = 0;
  for (int i = 0; i < n; ++i) {
    const KTensor& t = *args.inputs[i];
    if (t.dtype != first.dtype)
      return node_error(args, StatusCode::kShapeMismatch, "input %d '%s' is %s, input 0 is %s", i,
                        t.name.c_str(), dtype_name(t.dtype), dtype_name(first.dtype));
    bool fits = t.shape.rank() == rank;
    for (int d = 0; fits && d < rank; ++d) fits = d == axis || t.shape[d] == first.shape[d];
    if (!fits)
      return node_error(args, StatusCode::kShapeMismatch,
                        "input %d '%s' %s does not fit input 0 %s outside axis %d", i,
                        t.name.c_str(), t.shape.to_string().c_str(),
                        first.shape.to_string().c_str(), axis);
    out[axis] += t.shape[axis];
  }
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, out));

  auto k = std::make_unique<ConcatKernel>();
  size_t es = dtype_size(first.dtype);
  int64_t inner = dims_product(first.shape, axis + 1, rank);
  k->outer_ = dims_product(first.shape, 0, axis);
  k->requant_.resize(static_cast<size_t>(n));
  k->is_signed_ = first.dtype == DType::kI8;
  for (int i = 0; i < n; ++i) {
    k->row_bytes_.push_back(args.inputs[i]->shape[axis] * inner * static_cast<int64_t>(es));
    if (first.dtype == DType::kI8 || first.dtype == DType::kU8) {
      STRIX_RETURN_IF_ERROR(plan_requant(args, i, &k->requant_[i]));
      k->any_requant_ = k->any_requant_ || k->requant_[i].active;
    }
  }
  k->name = k->any_requant_ ? "concat_requantize" : "concat";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
