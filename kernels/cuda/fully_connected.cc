// FullyConnected (Gemm) through cuBLAS, then one epilogue kernel for beta * C and the fused
// activation. f32: CUBLAS_COMPUTE_32F (no TF32); f16: f16 operands, f32 accumulation.
#include "kernels/cpu/ref/fully_connected.h"
#include "kernels/cpu/ref/layer_util.h"
#include "kernels/cuda/cuda_common.h"

namespace strix::kernels::cuda {
namespace {

class FcKernel : public Kernel {
 public:
  void eval(const EvalArgs& a) const override {
    CudaStream* cs = stream_of(a);
    const float zero = 0.f;
    const cudaDataType_t dt = half_ ? CUDA_R_16F : CUDA_R_32F;
    // Row-major Y[M,N] = A·B is column-major Y^T[N,M] = B^T·A^T.
    const int m = static_cast<int>(p_.m), n = static_cast<int>(p_.n), k = static_cast<int>(p_.k);
    STRIX_CUBLAS_RECORD(
        cs,
        cs->blas->gemm_ex(cs->cublas, p_.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                          p_.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &p_.alpha, a.inputs[1],
                          dt, p_.trans_b ? k : n, a.inputs[0], dt, p_.trans_a ? m : k, &zero,
                          a.outputs[0], dt, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    const void* c = use_c_ ? a.inputs[2] : nullptr;
    if (c || act_.kind != 0)
      launch_epilogue(act_, a.outputs[0], p_.m, p_.n, c, p_.beta, p_.c_stride_m, p_.c_stride_n,
                      half_, cs->stream);
  }

  ref::FullyConnectedParams p_;
  DevActivation act_;
  bool use_c_ = false, half_ = false;
};

}  // namespace

Result<std::unique_ptr<Kernel>> make_fully_connected(const CudaBackendContext& b,
                                                     const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(b.validate(args));
  auto k = std::make_unique<FcKernel>();
  const Shape& as = args.inputs[0]->shape;
  const Shape& bs = args.inputs[1]->shape;
  const fb::FullyConnectedOptions* o = args.node->options_as_FullyConnectedOptions();
  ref::FullyConnectedParams& p = k->p_;
  if (o) {
    p.alpha = o->alpha();
    p.beta = o->beta();
    p.trans_a = o->trans_a();
    p.trans_b = o->trans_b();
  }
  p.m = p.trans_a ? as[1] : as[0];
  p.k = p.trans_a ? as[0] : as[1];
  p.n = p.trans_b ? bs[0] : bs[1];
  if (p.m > INT32_MAX || p.n > INT32_MAX || p.k > INT32_MAX)
    return node_error(args, StatusCode::kUnsupported, "dimensions too large for cuBLAS");
  const bool has_c = args.inputs.size() > 2 && args.inputs[2] != nullptr;
  if (has_c) {
    const Shape& c = args.inputs[2]->shape;  // validated: right-aligned, each dim 1 or full
    int64_t dims[2] = {1, 1};
    for (int d = 0; d < c.rank(); ++d) dims[2 - c.rank() + d] = c[d];
    p.c_stride_n = dims[1] == 1 ? 0 : 1;
    p.c_stride_m = dims[0] == 1 ? 0 : dims[1];
  }
  k->use_c_ = has_c && p.beta != 0.f;
  ref::ActivationParams act;
  STRIX_RETURN_IF_ERROR(ref::fused_activation(args, o ? o->activation() : nullptr, &act));
  k->act_ = dev_activation(act);
  k->half_ = args.inputs[0]->dtype == DType::kF16;
  k->name = k->half_ ? "cublas_gemm_f16" : "cublas_gemm_f32";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::cuda
