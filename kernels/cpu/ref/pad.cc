// Pad: PadOptions (pads in ONNX order, negative = crop; Constant / Reflect / Edge).
// Registered for every dtype: f32 and i32 directly, f16 through the f32 adapter, i8/u8 with
// the Constant value quantized with the output's quantization (0.0 -> the zero point).
#include <cstring>
#include <vector>

#include "kernels/cpu/ref/movement_util.h"
#include "kernels/cpu/ref/requantize.h"
#include "kernels/cpu/ref/transpose_pad.h"

namespace strix::kernels::ref {

using namespace movement;  // NOLINT: this family's helpers (movement_util.h)

int64_t pad_source_index(int64_t o, int64_t dim, int64_t begin, int64_t end, fb::PadMode mode) {
  int64_t lo = begin < 0 ? -begin : 0;             // first input index kept after cropping
  int64_t size = dim - lo - (end < 0 ? -end : 0);  // cropped size
  int64_t j = o - (begin > 0 ? begin : 0);         // position relative to the cropped range
  if (j >= 0 && j < size) return lo + j;
  switch (mode) {
    case fb::PadMode::Edge: return j < 0 ? lo : lo + size - 1;
    case fb::PadMode::Reflect: return j < 0 ? lo - j : lo + 2 * (size - 1) - j;
    default: return -1;
  }
}

void pad_bytes(const void* x, const Shape& in_shape, const int64_t* pads, fb::PadMode mode,
               const void* fill, size_t elem_size, void* y) {
  int rank = in_shape.rank();
  int64_t in_strides[Shape::kMaxRank];
  row_major_strides(in_shape, in_strides);
  Shape out_shape;
  for (int d = 0; d < rank; ++d) out_shape.push_back(in_shape[d] + pads[d] + pads[rank + d]);
  int64_t index[Shape::kMaxRank] = {};
  int64_t n = out_shape.num_elements();
  const auto* src = static_cast<const uint8_t*>(x);
  auto* dst = static_cast<uint8_t*>(y);
  for (int64_t e = 0; e < n; ++e) {
    int64_t offset = 0;
    for (int d = 0; d < rank && offset >= 0; ++d) {
      int64_t s = pad_source_index(index[d], in_shape[d], pads[d], pads[rank + d], mode);
      offset = s < 0 ? -1 : offset + s * in_strides[d];
    }
    const void* from = offset < 0 ? fill : src + offset * static_cast<int64_t>(elem_size);
    std::memcpy(dst + e * elem_size, from, elem_size);
    for (int d = rank - 1; d >= 0; --d) {
      if (++index[d] < out_shape[d]) break;
      index[d] = 0;
    }
  }
}

namespace {

class PadKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    pad_bytes(args.inputs[0], in_shape_, pads_.data(), mode_, fill_, elem_size_, args.outputs[0]);
  }
  Shape in_shape_;
  std::vector<int64_t> pads_;
  fb::PadMode mode_ = fb::PadMode::Constant;
  alignas(8) uint8_t fill_[8] = {};
  size_t elem_size_ = 0;
};

// The Constant value as one element of the output dtype.
Status make_fill(const PrepareArgs& args, float value, PadKernel* k) {
  const KTensor& out = *args.outputs[0];
  switch (out.dtype) {
    case DType::kF32: std::memcpy(k->fill_, &value, 4); return Status();
    case DType::kI8:
    case DType::kU8:
    case DType::kI32: {
      const Quantization* q = out.quant;
      if (q != nullptr && q->scales.size() != 1)
        return node_error(args, StatusCode::kUnsupported,
                          "Constant padding of '%s' with per-axis quantization is not supported",
                          out.name.c_str());
      float scale = q != nullptr ? q->scales[0] : 1.f;
      if (!(scale > 0.f))
        return node_error(args, StatusCode::kCorruptModel, "output '%s' has scale %g",
                          out.name.c_str(), scale);
      int32_t zp = q != nullptr ? static_cast<int32_t>(zero_point_at(*q, 0)) : 0;
      if (out.dtype == DType::kI32) {
        int32_t v = quantize_value(value, scale, zp, -2147483647 - 1, 2147483647);
        std::memcpy(k->fill_, &v, 4);
      } else if (out.dtype == DType::kI8) {
        k->fill_[0] =
            static_cast<uint8_t>(static_cast<int8_t>(quantize_value(value, scale, zp, -128, 127)));
      } else {
        k->fill_[0] = static_cast<uint8_t>(quantize_value(value, scale, zp, 0, 255));
      }
      return Status();
    }
    default:
      return node_error(args, StatusCode::kUnsupported, "has no %s kernel", dtype_name(out.dtype));
  }
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_pad(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 1, 1, 1));
  const fb::PadOptions* o = args.node->options_as_PadOptions();
  if (o == nullptr || o->pads() == nullptr)
    return node_error(args, StatusCode::kCorruptModel, "needs PadOptions with pads");
  const KTensor& in = *args.inputs[0];
  STRIX_RETURN_IF_ERROR(expect_same_dtype_output(args, 0, in.dtype));
  int rank = in.shape.rank();
  std::vector<int64_t> pads = to_int64_vector(o->pads());
  if (static_cast<int>(pads.size()) != 2 * rank)
    return node_error(args, StatusCode::kCorruptModel, "has %zu pads for rank %d (needs %d)",
                      pads.size(), rank, 2 * rank);
  fb::PadMode mode = o->mode();
  if (mode != fb::PadMode::Constant && mode != fb::PadMode::Reflect && mode != fb::PadMode::Edge)
    return node_error(args, StatusCode::kCorruptModel, "unknown pad mode %d",
                      static_cast<int>(mode));
  Shape out;
  for (int d = 0; d < rank; ++d) {
    int64_t dim = in.shape[d], begin = pads[d], end = pads[rank + d];
    int64_t cropped = dim + (begin < 0 ? begin : 0) + (end < 0 ? end : 0);
    if (cropped < 0)
      return node_error(args, StatusCode::kShapeMismatch,
                        "pads %lld, %lld crop more than axis %d of size %lld",
                        static_cast<long long>(begin), static_cast<long long>(end), d,
                        static_cast<long long>(dim));
    int64_t widest = begin > end ? begin : end;
    if (mode == fb::PadMode::Reflect && widest > 0 && widest >= cropped)
      return node_error(args, StatusCode::kShapeMismatch,
                        "Reflect pad %lld on axis %d needs a pad smaller than the axis size %lld",
                        static_cast<long long>(widest), d, static_cast<long long>(cropped));
    if (mode == fb::PadMode::Edge && widest > 0 && cropped == 0)
      return node_error(args, StatusCode::kShapeMismatch, "Edge pad of the empty axis %d", d);
    out.push_back(cropped + (begin > 0 ? begin : 0) + (end > 0 ? end : 0));
  }
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, out));
  auto k = std::make_unique<PadKernel>();
  STRIX_RETURN_IF_ERROR(make_fill(args, o->value(), k.get()));
  k->in_shape_ = in.shape;
  k->pads_ = pads;
  k->mode_ = mode;
  k->elem_size_ = dtype_size(in.dtype);
  k->name = "pad";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
