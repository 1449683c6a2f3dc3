// LayerNormalization, f32. See norm.h.
#include <cmath>
#include <vector>

#include "kernels/cpu/ref/norm.h"

namespace strix::kernels::ref {

void layer_norm_f32(const float* x, const float* scale, const float* bias, float epsilon,
                    int64_t outer, int64_t d, float* y) {
  for (int64_t r = 0; r < outer; ++r) {
    const float* xr = x + r * d;
    float* yr = y + r * d;
    float mean, var;
    mean_variance_f32(xr, d, &mean, &var);
    const float inv_std = 1.f / std::sqrt(var + epsilon);
    for (int64_t j = 0; j < d; ++j) {
      const float v = (xr[j] - mean) * inv_std * scale[j];
      yr[j] = bias != nullptr ? v + bias[j] : v;
    }
  }
}

namespace {

// Copies src, whose shape is broadcastable to dst_shape (aligned on the right; a dim of 1
// repeats; extra leading dims of src are 1), into dst laid out as dst_shape.
void expand_to(const float* src, const Shape& src_shape, const Shape& dst_shape, float* dst) {
  const int rank = dst_shape.rank();
  // Dims of dst that src lacks (src has lower rank) keep stride 0; src's extra leading
  // dims (src has higher rank) are 1 and are skipped.
  const int shift = src_shape.rank() - rank;
  int64_t src_stride[Shape::kMaxRank] = {};
  int64_t stride = 1;
  for (int d = src_shape.rank() - 1; d >= 0; --d) {
    if (d - shift >= 0) src_stride[d - shift] = src_shape[d] == 1 ? 0 : stride;
    stride *= src_shape[d];
  }
  int64_t index[Shape::kMaxRank] = {};
  const int64_t total = dst_shape.num_elements();
  int64_t offset = 0;
  for (int64_t i = 0; i < total; ++i) {
    dst[i] = src[offset];
    for (int d = rank - 1; d >= 0; --d) {  // odometer step
      offset += src_stride[d];
      if (++index[d] < dst_shape[d]) break;
      offset -= src_stride[d] * index[d];
      index[d] = 0;
    }
  }
}

// How eval finds scale or bias as a [d] array.
struct ParamSource {
  bool present = false;
  bool packed = false;        // a constant, expanded to [d] in `values`
  bool expand = false;        // computed and needing broadcast: expanded into scratch
  std::vector<float> values;  // when packed
  Shape shape;                // its own shape, when expand
  size_t scratch_offset = 0;  // bytes, when expand
};

// Inputs: X, scale, optional bias.
class LayerNormKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const float* scale = param(args, 1, scale_);
    const float* bias = param(args, 2, bias_);
    layer_norm_f32(static_cast<const float*>(args.inputs[0]), scale, bias, epsilon_, outer_, d_,
                   static_cast<float*>(args.outputs[0]));
  }

  const float* param(const EvalArgs& args, int i, const ParamSource& p) const {
    if (!p.present) return nullptr;
    if (p.packed) return p.values.data();
    const auto* src = static_cast<const float*>(args.inputs[i]);
    if (!p.expand) return src;
    auto* dst = reinterpret_cast<float*>(static_cast<uint8_t*>(args.scratch) + p.scratch_offset);
    expand_to(src, p.shape, normalized_, dst);
    return dst;
  }

  ParamSource scale_, bias_;
  Shape normalized_;  // X's dims [axis, rank)
  float epsilon_ = 1e-5f;
  int64_t outer_ = 0, d_ = 0;
};

bool broadcastable_to(const Shape& s, const Shape& target) {
  const int shift = s.rank() - target.rank();
  for (int d = 0; d < s.rank(); ++d) {
    const int t = d - shift;
    if (t < 0) {
      if (s[d] != 1) return false;
    } else if (s[d] != 1 && s[d] != target[t]) {
      return false;
    }
  }
  return true;
}

Status prepare_param(const PrepareArgs& args, int i, const char* what, LayerNormKernel* k,
                     ParamSource* p) {
  if (i >= static_cast<int>(args.inputs.size()) || args.inputs[i] == nullptr) return Status();
  STRIX_RETURN_IF_ERROR(expect_input(args, i, DType::kF32));
  const KTensor& t = *args.inputs[i];
  if (!broadcastable_to(t.shape, k->normalized_))
    return node_error(args, StatusCode::kShapeMismatch,
                      "%s (input %d '%s') has shape %s, not broadcastable to the normalized "
                      "shape %s",
                      what, i, t.name.c_str(), t.shape.to_string().c_str(),
                      k->normalized_.to_string().c_str());
  p->present = true;
  if (t.constant != nullptr) {
    p->packed = true;
    p->values.resize(static_cast<size_t>(k->d_));
    expand_to(static_cast<const float*>(t.constant), t.shape, k->normalized_, p->values.data());
    k->packed_bytes += p->values.size() * sizeof(float);
  } else if (t.shape.num_elements() != k->d_) {
    p->expand = true;
    p->shape = t.shape;
    p->scratch_offset = k->scratch_bytes;
    k->scratch_bytes += static_cast<size_t>(k->d_) * sizeof(float);
  }
  return Status();
}

}  // namespace

// LayerNormOptions may be absent: axis -1, epsilon 1e-5 (the schema defaults).
Result<std::unique_ptr<Kernel>> make_layer_norm(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 2, 3, 1));
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kF32));
  STRIX_RETURN_IF_ERROR(expect_f32_output(args));
  const Shape& xs = args.inputs[0]->shape;
  auto k = std::make_unique<LayerNormKernel>();
  int64_t axis = -1;
  if (const fb::LayerNormOptions* o = args.node->options_as_LayerNormOptions()) {
    axis = o->axis();
    k->epsilon_ = o->epsilon();
  }
  STRIX_RETURN_IF_ERROR(expect_epsilon(args, k->epsilon_));
  int a = 0;
  STRIX_RETURN_IF_ERROR(normalize_axis(args, axis, xs.rank(), &a));
  k->outer_ = 1;
  for (int d = 0; d < a; ++d) k->outer_ *= xs[d];
  k->d_ = 1;
  for (int d = a; d < xs.rank(); ++d) {
    k->normalized_.push_back(xs[d]);
    k->d_ *= xs[d];
  }
  STRIX_RETURN_IF_ERROR(prepare_param(args, 1, "scale", k.get(), &k->scale_));
  STRIX_RETURN_IF_ERROR(prepare_param(args, 2, "bias", k.get(), &k->bias_));
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, xs));
  k->name = "layer_norm_f32";
  k->supports_in_place = true;
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
