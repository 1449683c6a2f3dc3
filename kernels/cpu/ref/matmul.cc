#include "kernels/cpu/ref/matmul.h"

#include "kernels/cpu/ref/layer_util.h"

namespace strix::kernels::ref {
namespace {

class MatMulF32 : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    matmul_f32(p_, act_, static_cast<const float*>(args.inputs[0]),
               static_cast<const float*>(args.inputs[1]), static_cast<float*>(args.outputs[0]));
  }
  MatMulParams p_;
  ActivationParams act_;
};

}  // namespace

void matmul_f32(const MatMulParams& p, const ActivationParams& act, const float* a, const float* b,
                float* y) {
  int64_t batches = 1;
  for (int d = 0; d < p.batch_rank; ++d) batches *= p.batch_dims[d];
  int64_t index[Shape::kMaxRank] = {};  // the current batch index, last dim fastest
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t a_off = 0, b_off = 0;
    for (int d = 0; d < p.batch_rank; ++d) {
      a_off += index[d] * p.a_batch_strides[d];
      b_off += index[d] * p.b_batch_strides[d];
    }
    const float* am = a + a_off;
    const float* bm = b + b_off;
    float* ym = y + bi * p.m * p.n;
    for (int64_t i = 0; i < p.m; ++i) {
      for (int64_t j = 0; j < p.n; ++j) {
        float acc = 0.f;
        for (int64_t k = 0; k < p.k; ++k) acc += am[i * p.k + k] * bm[k * p.n + j];
        ym[i * p.n + j] = apply_activation(act, acc);
      }
    }
    for (int d = p.batch_rank - 1; d >= 0; --d) {
      if (++index[d] < p.batch_dims[d]) break;
      index[d] = 0;
    }
  }
}

Status matmul_params(const PrepareArgs& args, const Shape& a_in, const Shape& b_in, MatMulParams* p,
                     Shape* y) {
  if (a_in.rank() < 1 || b_in.rank() < 1)
    return node_error(args, StatusCode::kShapeMismatch,
                      "inputs must have rank >= 1, have shapes %s and %s", a_in.to_string().c_str(),
                      b_in.to_string().c_str());
  // Promote 1-D operands to matrices.
  Shape a = a_in, b = b_in;
  if (a.rank() == 1) a = Shape{1, a_in[0]};
  if (b.rank() == 1) b = Shape{b_in[0], 1};
  p->m = a[a.rank() - 2];
  p->k = a[a.rank() - 1];
  p->n = b[b.rank() - 1];
  if (b[b.rank() - 2] != p->k)
    return node_error(args, StatusCode::kShapeMismatch,
                      "inner dimensions differ: A %s has K = %lld, B %s has K = %lld",
                      a_in.to_string().c_str(), static_cast<long long>(p->k),
                      b_in.to_string().c_str(), static_cast<long long>(b[b.rank() - 2]));
  const int ra = a.rank() - 2, rb = b.rank() - 2;
  p->batch_rank = ra > rb ? ra : rb;
  // Element strides of a matrix along each batch dim of A and B (row-major).
  int64_t a_stride = p->m * p->k, b_stride = p->k * p->n;
  for (int d = p->batch_rank - 1; d >= 0; --d) {
    const int da = d - (p->batch_rank - ra), db = d - (p->batch_rank - rb);
    const int64_t ea = da >= 0 ? a[da] : 1, eb = db >= 0 ? b[db] : 1;
    if (ea != eb && ea != 1 && eb != 1)
      return node_error(args, StatusCode::kShapeMismatch,
                        "batch dimensions of A %s and B %s do not broadcast",
                        a_in.to_string().c_str(), b_in.to_string().c_str());
    p->batch_dims[d] = ea == 1 ? eb : ea;
    p->a_batch_strides[d] = ea == 1 ? 0 : a_stride;
    p->b_batch_strides[d] = eb == 1 ? 0 : b_stride;
    a_stride *= ea;
    b_stride *= eb;
  }
  Shape out;
  for (int d = 0; d < p->batch_rank; ++d) out.push_back(p->batch_dims[d]);
  if (a_in.rank() > 1) out.push_back(p->m);
  if (b_in.rank() > 1) out.push_back(p->n);
  *y = out;
  return Status();
}

Result<std::unique_ptr<Kernel>> make_matmul(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 2, 2, 1));
  STRIX_RETURN_IF_ERROR(check_options_type(args, fb::OpOptions::MatMulOptions));
  const fb::MatMulOptions* o = args.node->options_as_MatMulOptions();
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kF32));
  STRIX_RETURN_IF_ERROR(expect_input(args, 1, DType::kF32));
  STRIX_RETURN_IF_ERROR(expect_output_dtype(args, 0, DType::kF32));
  auto k = std::make_unique<MatMulF32>();
  Shape y;
  STRIX_RETURN_IF_ERROR(
      matmul_params(args, args.inputs[0]->shape, args.inputs[1]->shape, &k->p_, &y));
  STRIX_RETURN_IF_ERROR(fused_activation(args, o ? o->activation() : nullptr, &k->act_));
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, y));
  k->name = "matmul_f32";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
