// Factories of the INT8 Quantize / Dequantize / MaxPool / GlobalAveragePool / Add kernels
// (int8_ops.cu). Quantizations are per tensor; anything else is kUnsupported here and the
// node falls back to the CPU.
#include <cmath>

#include "kernels/cpu/ref/binary.h"
#include "kernels/cpu/ref/int8_params.h"
#include "kernels/cpu/ref/pool.h"
#include "kernels/cuda/int8_kernels.h"
#include "kernels/cuda/int8_launch.h"
#include "kernels/device.h"

namespace strix::kernels::cuda {

DeviceConstants::~DeviceConstants() {
  for (void* p : ptrs_) cudaFree(p);
}

Status DeviceConstants::add(const void* host, size_t bytes) {
  void* p = nullptr;
  STRIX_CUDA_TRY(cudaMalloc(&p, bytes > 0 ? bytes : 1));
  ptrs_.push_back(p);
  if (bytes > 0) STRIX_CUDA_TRY(cudaMemcpy(p, host, bytes, cudaMemcpyHostToDevice));
  return Status();
}

namespace {

// [n, c, hw] of a rank-4 tensor, or [1, 1, count] of any other.
void dims_of(const Shape& s, int64_t* n, int64_t* c, int64_t* hw) {
  if (s.rank() == 4) {
    *n = s[0];
    *c = s[1];
    *hw = s[2] * s[3];
  } else {
    *n = 1;
    *c = 1;
    *hw = s.num_elements();
  }
}

Status per_tensor(const PrepareArgs& args, const KTensor& t, float* scale, int32_t* zp) {
  const Quantization* q = t.quant;
  if (q == nullptr || q->scales.size() != 1 || q->zero_points.size() > 1)
    return node_error(args, StatusCode::kUnsupported,
                      "the CUDA int8 kernels need a per-tensor quantization of '%s'",
                      t.name.c_str());
  *scale = q->scales[0];
  *zp = q->zero_points.empty() ? 0 : static_cast<int32_t>(q->zero_points[0]);
  return Status();
}

class QuantizeKernel : public Kernel {
 public:
  void eval(const EvalArgs& a) const override {
    cudaStream_t s = stream_of(a)->stream;
    if (quantize_)
      launch_quantize_i8(static_cast<const float*>(a.inputs[0]), static_cast<int8_t*>(a.outputs[0]),
                         n_, c_, hw_, scale_, zp_, convert_, s);
    else
      launch_dequantize_i8(static_cast<const int8_t*>(a.inputs[0]),
                           static_cast<float*>(a.outputs[0]), n_, c_, hw_, scale_, zp_, convert_,
                           s);
  }
  bool quantize_ = true, convert_ = false;
  int64_t n_ = 0, c_ = 0, hw_ = 0;
  float scale_ = 1;
  int32_t zp_ = 0;
};

Result<std::unique_ptr<Kernel>> make_quant(const CudaBackendContext& b, const PrepareArgs& args,
                                           bool quantize) {
  STRIX_RETURN_IF_ERROR(b.validate(args));
  const KTensor& x = *args.inputs[0];
  const KTensor& y = *args.outputs[0];
  const KTensor& i8 = quantize ? y : x;
  const KTensor& f32 = quantize ? x : y;
  if (i8.dtype != DType::kI8 || f32.dtype != DType::kF32)
    return node_error(args, StatusCode::kUnsupported, "the CUDA kernel converts f32 <-> i8 only");
  if (x.shape.num_elements() >= (int64_t(1) << 31))
    return node_error(args, StatusCode::kUnsupported, "tensor too large for the int8 kernels");
  auto k = std::make_unique<QuantizeKernel>();
  STRIX_RETURN_IF_ERROR(per_tensor(args, i8, &k->scale_, &k->zp_));
  k->quantize_ = quantize;
  k->convert_ = device_channels_last(i8) && !device_channels_last(f32);
  dims_of(x.shape, &k->n_, &k->c_, &k->hw_);
  k->name = quantize ? "cuda_quantize_i8" : "cuda_dequantize_i8";
  return std::unique_ptr<Kernel>(std::move(k));
}

class PoolI8Kernel : public Kernel {
 public:
  void eval(const EvalArgs& a) const override {
    cudaStream_t s = stream_of(a)->stream;
    const auto* x = static_cast<const int8_t*>(a.inputs[0]);
    auto* y = static_cast<int8_t*>(a.outputs[0]);
    if (global_)
      launch_global_avg_pool_i8(x, y, n_, spatial_, c_, in_zp_, out_zp_, same_scale_, mult_, shift_,
                                s);
    else
      launch_max_pool_i8(p_, x, y, s);
  }
  bool global_ = false;
  DevPool p_{};
  int64_t n_ = 0, c_ = 0, spatial_ = 0;
  int32_t in_zp_ = 0, out_zp_ = 0, mult_ = 0;
  int shift_ = 0;
  bool same_scale_ = true;
};

class AddI8Kernel : public Kernel {
 public:
  void eval(const EvalArgs& a) const override {
    launch_add_i8(q_, static_cast<const int8_t*>(a.inputs[0]),
                  static_cast<const int8_t*>(a.inputs[1]), static_cast<int8_t*>(a.outputs[0]),
                  count_, stream_of(a)->stream);
  }
  DevAddI8 q_;
  int64_t count_ = 0;
};

}  // namespace

Result<std::unique_ptr<Kernel>> make_quantize_i8(const CudaBackendContext& b,
                                                 const PrepareArgs& args) {
  return make_quant(b, args, true);
}

Result<std::unique_ptr<Kernel>> make_dequantize_i8(const CudaBackendContext& b,
                                                   const PrepareArgs& args) {
  return make_quant(b, args, false);
}

Result<std::unique_ptr<Kernel>> make_pool_i8(const CudaBackendContext& b, const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(b.validate(args));
  const fb::OpType op = args.node->op();
  const KTensor& x = *args.inputs[0];
  if (x.shape.rank() != 4)
    return node_error(args, StatusCode::kUnsupported, "CUDA int8 pooling needs a rank-4 input");
  if (x.shape.num_elements() >= (int64_t(1) << 31))
    return node_error(args, StatusCode::kUnsupported, "tensor too large for the int8 kernels");
  float si = 0, so = 0;
  int32_t zi = 0, zo = 0;
  STRIX_RETURN_IF_ERROR(per_tensor(args, x, &si, &zi));
  STRIX_RETURN_IF_ERROR(per_tensor(args, *args.outputs[0], &so, &zo));
  auto k = std::make_unique<PoolI8Kernel>();
  k->n_ = x.shape[0];
  k->c_ = x.shape[1];
  if (op == fb::OpType::GlobalAveragePool) {
    k->global_ = true;
    k->spatial_ = x.shape[2] * x.shape[3];
    k->in_zp_ = zi;
    k->out_zp_ = zo;
    k->same_scale_ = si == so;  // as ref::make_pool_quant
    if (!k->same_scale_) {
      ref::QuantizedMultiplier m = ref::quantize_multiplier(
          static_cast<double>(si) / (static_cast<double>(so) * k->spatial_));
      k->mult_ = m.multiplier;
      k->shift_ = m.shift;
    }
    k->name = "cuda_global_average_pool_i8";
  } else if (op == fb::OpType::MaxPool) {
    ref::Pool2DParams pp;
    STRIX_RETURN_IF_ERROR(ref::make_pool2d_params(args, x.shape, false, &pp));
    k->p_ = DevPool{pp.kernel_h,   pp.kernel_w,   pp.stride_h, pp.stride_w,
                    pp.dilation_h, pp.dilation_w, pp.pad_top,  pp.pad_left,
                    pp.pad_bottom, pp.pad_right,  false,       x.shape[0] * x.shape[1],
                    x.shape[2],    x.shape[3],    pp.out_h,    pp.out_w,
                    x.shape[1],    true};
    k->name = "cuda_max_pool_i8";
  } else {
    return node_error(args, StatusCode::kUnsupported, "no CUDA int8 kernel for %s",
                      fb::EnumNameOpType(op));
  }
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_add_i8(const CudaBackendContext& b, const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(b.validate(args));  // also checks the fused activation
  const KTensor& a = *args.inputs[0];
  const KTensor& c = *args.inputs[1];
  const KTensor& y = *args.outputs[0];
  if (args.node->op() != fb::OpType::Add || a.shape != c.shape || a.shape != y.shape ||
      y.shape.num_elements() >= (int64_t(1) << 31))
    return node_error(args, StatusCode::kUnsupported,
                      "the CUDA int8 Add needs two inputs of the output's shape");
  float sa = 0, sb = 0, so = 0;
  int32_t za = 0, zb = 0, zo = 0;
  STRIX_RETURN_IF_ERROR(per_tensor(args, a, &sa, &za));
  STRIX_RETURN_IF_ERROR(per_tensor(args, c, &sb, &zb));
  STRIX_RETURN_IF_ERROR(per_tensor(args, y, &so, &zo));
  const fb::BinaryOptions* o = args.node->options_as_BinaryOptions();
  ref::ActivationParams act = ref::activation_params(o != nullptr ? o->activation() : nullptr);
  int32_t qmin = -128, qmax = 127;
  if (act.kind == fb::ActivationKind::Relu) {
    qmin = zo > qmin ? zo : qmin;
  } else if (act.kind == fb::ActivationKind::Clip) {
    qmin = ref::quantize_value(act.alpha, so, zo, -128, 127);
    qmax = ref::quantize_value(act.beta, so, zo, -128, 127);
  } else if (act.kind != fb::ActivationKind::None) {
    return node_error(args, StatusCode::kUnsupported, "activation after an int8 Add");
  }
  ref::AddI8Params q = ref::make_add_i8_params(sa, za, sb, zb, so, zo, qmin, qmax);
  auto k = std::make_unique<AddI8Kernel>();
  k->q_ = dev_add_params(q);
  k->count_ = y.shape.num_elements();
  k->supports_in_place = true;
  k->name = "cuda_add_i8";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::cuda
