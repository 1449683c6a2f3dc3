// Cast: CastOptions.to between f32, f16, i8, u8 and i32. Every value goes through double,
// which holds all of them exactly.
#include <cmath>
#include <cstring>

#include "kernels/cpu/ref/quantize.h"

namespace strix::kernels::ref {
namespace {

double load(const void* x, DType dtype, int64_t i) {
  switch (dtype) {
    case DType::kF32: return static_cast<const float*>(x)[i];
    case DType::kF16: return half_to_float(static_cast<const uint16_t*>(x)[i]);
    case DType::kI8: return static_cast<const int8_t*>(x)[i];
    case DType::kU8: return static_cast<const uint8_t*>(x)[i];
    case DType::kI32: return static_cast<const int32_t*>(x)[i];
  }
  return 0.0;
}

// Truncates toward zero, then saturates to [lo, hi]; NaN -> 0.
double to_integer(double v, double lo, double hi) {
  if (std::isnan(v)) return 0.0;
  v = std::trunc(v);
  return v < lo ? lo : (v > hi ? hi : v);
}

void store(double v, void* y, DType dtype, int64_t i) {
  switch (dtype) {
    case DType::kF32: static_cast<float*>(y)[i] = static_cast<float>(v); break;
    case DType::kF16: static_cast<uint16_t*>(y)[i] = float_to_half(static_cast<float>(v)); break;
    case DType::kI8:
      static_cast<int8_t*>(y)[i] = static_cast<int8_t>(to_integer(v, -128, 127));
      break;
    case DType::kU8:
      static_cast<uint8_t*>(y)[i] = static_cast<uint8_t>(to_integer(v, 0, 255));
      break;
    case DType::kI32:
      static_cast<int32_t*>(y)[i] =
          static_cast<int32_t>(to_integer(v, -2147483648.0, 2147483647.0));
      break;
  }
}

class CastKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    cast_values(args.inputs[0], from_, args.outputs[0], to_, n_);
  }
  DType from_ = DType::kF32, to_ = DType::kF32;
  int64_t n_ = 0;
};

}  // namespace

void cast_values(const void* x, DType from, void* y, DType to, int64_t n) {
  if (from == to) {
    if (x != y) std::memcpy(y, x, static_cast<size_t>(n) * dtype_size(from));
    return;
  }
  for (int64_t i = 0; i < n; ++i) store(load(x, from, i), y, to, i);
}

Result<std::unique_ptr<Kernel>> make_cast(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 1, 1, 1));
  const fb::CastOptions* o = args.node->options_as_CastOptions();
  if (o == nullptr) return node_error(args, StatusCode::kCorruptModel, "needs CastOptions");
  const KTensor& in = *args.inputs[0];
  const KTensor& out = *args.outputs[0];
  auto to = static_cast<DType>(o->to());
  if (dtype_size(to) == 0 || dtype_size(in.dtype) == 0)
    return node_error(args, StatusCode::kCorruptModel, "unknown dtype %d",
                      static_cast<int>(o->to()));
  if (out.dtype != to)
    return node_error(args, StatusCode::kShapeMismatch, "casts to %s but output '%s' is %s",
                      dtype_name(to), out.name.c_str(), dtype_name(out.dtype));
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, in.shape));
  auto k = std::make_unique<CastKernel>();
  k->from_ = in.dtype;
  k->to_ = to;
  k->n_ = in.shape.num_elements();
  k->name = std::string("cast_") + dtype_name(in.dtype) + "_to_" + dtype_name(to);
  // Element i is read before it is written, so equal element sizes are safe in place.
  k->supports_in_place = dtype_size(to) == dtype_size(in.dtype);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
