// Softmax and LogSoftmax, f32. See softmax.h.
#include "kernels/cpu/ref/softmax.h"

#include <cmath>

namespace strix::kernels::ref {
namespace {

// Max of the `len` values x[0], x[inner], x[2 * inner], ...
float strided_max(const float* x, int64_t len, int64_t inner) {
  float m = -INFINITY;
  for (int64_t a = 0; a < len; ++a) m = x[a * inner] > m ? x[a * inner] : m;
  return m;
}

}  // namespace

void softmax_f32(const float* x, int64_t outer, int64_t len, int64_t inner, float* y) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const float* xr = x + o * len * inner + i;
      float* yr = y + o * len * inner + i;
      const float max = strided_max(xr, len, inner);
      float sum = 0.f;
      for (int64_t a = 0; a < len; ++a) {
        const float e = std::exp(xr[a * inner] - max);
        yr[a * inner] = e;
        sum += e;
      }
      const float inv_sum = 1.f / sum;
      for (int64_t a = 0; a < len; ++a) yr[a * inner] *= inv_sum;
    }
  }
}

void log_softmax_f32(const float* x, int64_t outer, int64_t len, int64_t inner, float* y) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const float* xr = x + o * len * inner + i;
      float* yr = y + o * len * inner + i;
      const float max = strided_max(xr, len, inner);
      float sum = 0.f;
      for (int64_t a = 0; a < len; ++a) sum += std::exp(xr[a * inner] - max);
      const float log_sum = std::log(sum);
      for (int64_t a = 0; a < len; ++a) yr[a * inner] = xr[a * inner] - max - log_sum;
    }
  }
}

namespace {

class SoftmaxKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    if (log_) {
      log_softmax_f32(x, outer_, len_, inner_, y);
    } else {
      softmax_f32(x, outer_, len_, inner_, y);
    }
  }
  bool log_ = false;
  int64_t outer_ = 1, len_ = 1, inner_ = 1;
};

}  // namespace

// SoftmaxOptions may be absent: axis -1 (the schema and ONNX opset 13 default).
Result<std::unique_ptr<Kernel>> make_softmax(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 1, 1, 1));
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kF32));
  if (args.outputs[0]->dtype != DType::kF32)
    return node_error(args, StatusCode::kUnsupported, "output 0 '%s' is %s, expected f32",
                      args.outputs[0]->name.c_str(), dtype_name(args.outputs[0]->dtype));
  const Shape& xs = args.inputs[0]->shape;
  int64_t axis = -1;
  if (const fb::SoftmaxOptions* o = args.node->options_as_SoftmaxOptions()) axis = o->axis();
  int a = 0;
  STRIX_RETURN_IF_ERROR(normalize_axis(args, axis, xs.rank(), &a));
  auto k = std::make_unique<SoftmaxKernel>();
  k->log_ = args.node->op() == fb::OpType::LogSoftmax;
  for (int d = 0; d < a; ++d) k->outer_ *= xs[d];
  k->len_ = xs[a];
  for (int d = a + 1; d < xs.rank(); ++d) k->inner_ *= xs[d];
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, xs));
  k->name = k->log_ ? "log_softmax_f32" : "softmax_f32";
  k->supports_in_place = true;
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
