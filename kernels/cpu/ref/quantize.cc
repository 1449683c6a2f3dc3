// Quantize (f32 -> i8/u8, the output's quantization) and Dequantize (i8/u8/i32 -> f32, the
// input's quantization).
#include "kernels/cpu/ref/quantize.h"

#include <cmath>

#include "kernels/cpu/ref/movement_util.h"
#include "kernels/cpu/ref/requantize.h"

namespace strix::kernels::ref {

using namespace movement;  // NOLINT: this family's helpers (movement_util.h)

void quantize_f32(const float* x, int64_t n, const AffineQuantParams& p, bool is_signed, void* y) {
  int64_t channels = static_cast<int64_t>(p.scales.size());
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = (i / p.inner) % channels;
    if (is_signed) {
      static_cast<int8_t*>(y)[i] =
          static_cast<int8_t>(quantize_value(x[i], p.scales[c], p.zero_points[c], -128, 127));
    } else {
      static_cast<uint8_t*>(y)[i] =
          static_cast<uint8_t>(quantize_value(x[i], p.scales[c], p.zero_points[c], 0, 255));
    }
  }
}

void dequantize_to_f32(const void* x, DType from, int64_t n, const AffineQuantParams& p, float* y) {
  int64_t channels = static_cast<int64_t>(p.scales.size());
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = (i / p.inner) % channels;
    int64_t q = 0;
    switch (from) {
      case DType::kI8: q = static_cast<const int8_t*>(x)[i]; break;
      case DType::kU8: q = static_cast<const uint8_t*>(x)[i]; break;
      default: q = static_cast<const int32_t*>(x)[i]; break;
    }
    y[i] = p.scales[c] * static_cast<float>(q - p.zero_points[c]);
  }
}

namespace {

class QuantizeKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    quantize_f32(static_cast<const float*>(args.inputs[0]), n_, params_, is_signed_,
                 args.outputs[0]);
  }
  AffineQuantParams params_;
  int64_t n_ = 0;
  bool is_signed_ = true;
};

class DequantizeKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    dequantize_to_f32(args.inputs[0], from_, n_, params_, static_cast<float*>(args.outputs[0]));
  }
  AffineQuantParams params_;
  DType from_ = DType::kI8;
  int64_t n_ = 0;
};

// Reads and validates the quantization of tensor t, whose integers are of dtype `qtype`.
Status quant_params(const PrepareArgs& args, const KTensor& t, DType qtype, AffineQuantParams* p) {
  const Quantization* q = t.quant;
  if (q == nullptr || q->empty())
    return node_error(args, StatusCode::kCorruptModel, "tensor '%s' has no quantization",
                      t.name.c_str());
  size_t channels = q->scales.size();
  if (!q->zero_points.empty() && q->zero_points.size() != 1 && q->zero_points.size() != channels)
    return node_error(args, StatusCode::kCorruptModel,
                      "tensor '%s' has %zu scales but %zu zero points", t.name.c_str(), channels,
                      q->zero_points.size());
  int64_t lo = qtype == DType::kI8 ? -128 : (qtype == DType::kU8 ? 0 : INT32_MIN);
  int64_t hi = qtype == DType::kI8 ? 127 : (qtype == DType::kU8 ? 255 : INT32_MAX);
  p->scales = q->scales;
  p->zero_points.clear();
  for (size_t c = 0; c < channels; ++c) {
    if (!(q->scales[c] > 0.f) || std::isinf(q->scales[c]))
      return node_error(args, StatusCode::kCorruptModel, "tensor '%s' has scale %g", t.name.c_str(),
                        q->scales[c]);
    int64_t zp = zero_point_at(*q, c);
    if (zp < lo || zp > hi)
      return node_error(args, StatusCode::kCorruptModel,
                        "tensor '%s' has zero point %lld, outside the %s range", t.name.c_str(),
                        static_cast<long long>(zp), dtype_name(qtype));
    p->zero_points.push_back(static_cast<int32_t>(zp));
  }
  p->inner = 1;
  if (channels > 1) {
    int axis = 0;
    STRIX_RETURN_IF_ERROR(normalize_axis(args, q->axis, t.shape.rank(), &axis));
    if (t.shape[axis] != static_cast<int64_t>(channels))
      return node_error(args, StatusCode::kCorruptModel,
                        "tensor '%s' has %zu scales for axis %d of size %lld", t.name.c_str(),
                        channels, axis, static_cast<long long>(t.shape[axis]));
    p->inner = dims_product(t.shape, axis + 1, t.shape.rank());
  }
  return Status();
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_quantize(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 1, 1, 1));
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kF32));
  KTensor& out = *args.outputs[0];
  if (out.dtype != DType::kI8 && out.dtype != DType::kU8)
    return node_error(args, StatusCode::kUnsupported, "output '%s' is %s, expected i8 or u8",
                      out.name.c_str(), dtype_name(out.dtype));
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, args.inputs[0]->shape));
  auto k = std::make_unique<QuantizeKernel>();
  STRIX_RETURN_IF_ERROR(quant_params(args, out, out.dtype, &k->params_));
  k->n_ = out.shape.num_elements();
  k->is_signed_ = out.dtype == DType::kI8;
  k->name = out.dtype == DType::kI8 ? "quantize_f32_i8" : "quantize_f32_u8";
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_dequantize(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 1, 1, 1));
  const KTensor& in = *args.inputs[0];
  if (in.dtype != DType::kI8 && in.dtype != DType::kU8 && in.dtype != DType::kI32)
    return node_error(args, StatusCode::kUnsupported, "input '%s' is %s, expected i8, u8 or i32",
                      in.name.c_str(), dtype_name(in.dtype));
  STRIX_RETURN_IF_ERROR(expect_same_dtype_output(args, 0, DType::kF32));
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, in.shape));
  auto k = std::make_unique<DequantizeKernel>();
  STRIX_RETURN_IF_ERROR(quant_params(args, in, in.dtype, &k->params_));
  k->from_ = in.dtype;
  k->n_ = in.shape.num_elements();
  k->name = std::string("dequantize_") + dtype_name(in.dtype) + "_f32";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
