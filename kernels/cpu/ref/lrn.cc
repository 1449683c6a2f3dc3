// LRN (local response normalization across channels, ONNX semantics), f32. See norm.h.
#include <cmath>

#include "kernels/cpu/ref/norm.h"

namespace strix::kernels::ref {

void lrn_f32(const LrnParams& p, const float* x, int64_t n, int64_t c, int64_t inner, float* y) {
  const int64_t before = (p.size - 1) / 2;  // floor((size - 1) / 2)
  const int64_t after = p.size / 2;         // ceil((size - 1) / 2)
  const float alpha_over_size = p.alpha / static_cast<float>(p.size);
  for (int64_t i = 0; i < n; ++i) {
    const float* xi = x + i * c * inner;
    float* yi = y + i * c * inner;
    for (int64_t j = 0; j < c; ++j) {
      const int64_t lo = j - before < 0 ? 0 : j - before;
      const int64_t hi = j + after > c - 1 ? c - 1 : j + after;
      for (int64_t k = 0; k < inner; ++k) {
        float square_sum = 0.f;
        for (int64_t jj = lo; jj <= hi; ++jj) {
          const float v = xi[jj * inner + k];
          square_sum += v * v;
        }
        yi[j * inner + k] =
            xi[j * inner + k] / std::pow(p.bias + alpha_over_size * square_sum, p.beta);
      }
    }
  }
}

namespace {

class LrnKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    lrn_f32(params_, static_cast<const float*>(args.inputs[0]), n_, c_, inner_,
            static_cast<float*>(args.outputs[0]));
  }
  LrnParams params_;
  int64_t n_ = 0, c_ = 0, inner_ = 1;
};

}  // namespace

Result<std::unique_ptr<Kernel>> make_lrn(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 1, 1, 1));
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kF32));
  STRIX_RETURN_IF_ERROR(expect_f32_output(args));
  const fb::LRNOptions* o = args.node->options_as_LRNOptions();
  if (o == nullptr)
    return node_error(args, StatusCode::kCorruptModel,
                      "needs LRNOptions (size, alpha, beta, bias)");
  if (o->size() < 1)
    return node_error(args, StatusCode::kCorruptModel, "LRN size %d must be >= 1", o->size());
  const Shape& xs = args.inputs[0]->shape;
  if (xs.rank() < 2)
    return node_error(args, StatusCode::kShapeMismatch,
                      "X has shape %s, expected rank >= 2 ([N, C, ...])", xs.to_string().c_str());
  auto k = std::make_unique<LrnKernel>();
  k->params_.size = o->size();
  k->params_.alpha = o->alpha();
  k->params_.beta = o->beta();
  k->params_.bias = o->bias();
  k->n_ = xs[0];
  k->c_ = xs[1];
  for (int d = 2; d < xs.rank(); ++d) k->inner_ *= xs[d];
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, xs));
  k->name = "lrn_f32";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
