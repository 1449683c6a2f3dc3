#include "kernels/cpu/ref/fully_connected.h"

#include "kernels/cpu/ref/layer_util.h"

namespace strix::kernels::ref {
namespace {

class FullyConnectedF32 : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    fully_connected_f32(p_, act_, static_cast<const float*>(args.inputs[0]),
                        static_cast<const float*>(args.inputs[1]),
                        use_c_ ? static_cast<const float*>(args.inputs[2]) : nullptr,
                        static_cast<float*>(args.outputs[0]));
  }
  FullyConnectedParams p_;
  ActivationParams act_;
  bool use_c_ = false;
};

}  // namespace

void fully_connected_f32(const FullyConnectedParams& p, const ActivationParams& act, const float* a,
                         const float* b, const float* c, float* y) {
  // op(A)[i, k] = a[i * a_si + k * a_sk], op(B)[k, j] = b[k * b_sk + j * b_sj].
  const int64_t a_si = p.trans_a ? 1 : p.k, a_sk = p.trans_a ? p.m : 1;
  const int64_t b_sk = p.trans_b ? 1 : p.n, b_sj = p.trans_b ? p.k : 1;
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < p.n; ++j) {
      float acc = 0.f;
      for (int64_t k = 0; k < p.k; ++k) acc += a[i * a_si + k * a_sk] * b[k * b_sk + j * b_sj];
      float v = p.alpha * acc;
      if (c != nullptr) v += p.beta * c[i * p.c_stride_m + j * p.c_stride_n];
      y[i * p.n + j] = apply_activation(act, v);
    }
  }
}

Status fully_connected_shapes(const PrepareArgs& args, FullyConnectedParams* p, int64_t* kb) {
  const KTensor& a = *args.inputs[0];
  const KTensor& b = *args.inputs[1];
  if (a.shape.rank() != 2 || b.shape.rank() != 2)
    return node_error(args, StatusCode::kShapeMismatch,
                      "A '%s' %s and B '%s' %s must both be rank 2", a.name.c_str(),
                      a.shape.to_string().c_str(), b.name.c_str(), b.shape.to_string().c_str());
  p->m = p->trans_a ? a.shape[1] : a.shape[0];
  p->k = p->trans_a ? a.shape[0] : a.shape[1];
  *kb = p->trans_b ? b.shape[1] : b.shape[0];
  p->n = p->trans_b ? b.shape[0] : b.shape[1];
  return Status();
}

Result<std::unique_ptr<Kernel>> make_fully_connected(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 2, 3, 1));
  if (args.inputs[0]->dtype == DType::kI8) return make_fully_connected_i8(args);
  STRIX_RETURN_IF_ERROR(check_options_type(args, fb::OpOptions::FullyConnectedOptions));
  const fb::FullyConnectedOptions* o = args.node->options_as_FullyConnectedOptions();
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kF32));
  STRIX_RETURN_IF_ERROR(expect_input(args, 1, DType::kF32));
  STRIX_RETURN_IF_ERROR(expect_output_dtype(args, 0, DType::kF32));
  const KTensor& a = *args.inputs[0];
  const KTensor& b = *args.inputs[1];
  auto k = std::make_unique<FullyConnectedF32>();
  FullyConnectedParams& p = k->p_;
  if (o != nullptr) {
    p.alpha = o->alpha();
    p.beta = o->beta();
    p.trans_a = o->trans_a();
    p.trans_b = o->trans_b();
  }
  int64_t kb = 0;
  STRIX_RETURN_IF_ERROR(fully_connected_shapes(args, &p, &kb));
  if (kb != p.k)
    return node_error(args, StatusCode::kShapeMismatch,
                      "inner dimensions differ: op(A) of '%s' %s%s has K = %lld, op(B) of '%s' "
                      "%s%s has K = %lld",
                      a.name.c_str(), a.shape.to_string().c_str(), p.trans_a ? "^T" : "",
                      static_cast<long long>(p.k), b.name.c_str(), b.shape.to_string().c_str(),
                      p.trans_b ? "^T" : "", static_cast<long long>(kb));
  const bool has_c = args.inputs.size() > 2 && args.inputs[2] != nullptr;
  if (has_c) {
    STRIX_RETURN_IF_ERROR(expect_input(args, 2, DType::kF32));
    const Shape& c = args.inputs[2]->shape;
    // Right-aligned against [M, N]; each dim equals the target or 1.
    const int64_t target[2] = {p.m, p.n};
    int64_t dims[2] = {1, 1};
    bool fits = c.rank() <= 2;
    for (int d = 0; fits && d < c.rank(); ++d) {
      int64_t dim = c[c.rank() - 1 - d];
      int64_t want = target[1 - d];
      fits = dim == want || dim == 1;
      dims[1 - d] = dim;
    }
    if (!fits)
      return node_error(args, StatusCode::kShapeMismatch,
                        "C '%s' %s does not broadcast to [%lldx%lld]", args.inputs[2]->name.c_str(),
                        c.to_string().c_str(), static_cast<long long>(p.m),
                        static_cast<long long>(p.n));
    p.c_stride_n = dims[1] == 1 ? 0 : 1;
    p.c_stride_m = dims[0] == 1 ? 0 : dims[1];
  }
  k->use_c_ = has_c && p.beta != 0.f;
  STRIX_RETURN_IF_ERROR(fused_activation(args, o ? o->activation() : nullptr, &k->act_));
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, Shape{p.m, p.n}));
  k->name = "fully_connected_f32";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
