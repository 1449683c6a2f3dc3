// Conv2D through cuDNN (NCHW, f32 and f16). The algorithm is measured once per shape
// (cudnnFindConvolutionForwardAlgorithmEx) when the Engine is built and remembered for the
// process. Bias + ReLU run fused in cudnnConvolutionBiasActivationForward where cuDNN
// accepts it; other epilogues run in one elementwise kernel after the convolution.
// f32 uses CUDNN_FMA_MATH (no TF32: results within float rounding of the reference);
// f16 uses tensor cores with f32 accumulation.
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "kernels/cpu/ref/conv.h"
#include "kernels/cpu/ref/layer_util.h"
#include "kernels/cuda/conv_graph.h"
#include "kernels/cuda/cuda_common.h"
#include "kernels/device.h"

namespace strix::kernels::cuda {
namespace {

constexpr size_t kMaxWorkspace = 256u << 20;

struct AlgoChoice {
  cudnnConvolutionFwdAlgo_t algo;
  cudnnMathType_t math;
  size_t workspace;
  bool fused_ok;
  float ms;  // cudnnFind's time of the convolution alone
};

std::mutex g_cache_mutex;
std::map<std::string, AlgoChoice>& algo_cache() {
  static auto* cache = new std::map<std::string, AlgoChoice>();  // never destroyed
  return *cache;
}

class ConvKernel : public Kernel {
 public:
  ~ConvKernel() override {
    if (x_) cudnnDestroyTensorDescriptor(x_);
    if (y_) cudnnDestroyTensorDescriptor(y_);
    if (b_) cudnnDestroyTensorDescriptor(b_);
    if (w_) cudnnDestroyFilterDescriptor(w_);
    if (conv_) cudnnDestroyConvolutionDescriptor(conv_);
    if (act_desc_) cudnnDestroyActivationDescriptor(act_desc_);
  }

  void eval(const EvalArgs& a) const override {
    CudaStream* cs = stream_of(a);
    const float one = 1.f, zero = 0.f;
    const void* bias = has_bias_ ? a.inputs[2] : nullptr;
    if (fused_) {
      const void* z = residual_ ? a.inputs[3] : a.outputs[0];
      STRIX_CUDNN_RECORD(cs, cudnnConvolutionBiasActivationForward(
                                 cs->cudnn, &one, x_, a.inputs[0], w_, a.inputs[1], conv_, algo_,
                                 a.scratch, workspace_, residual_ ? &one : &zero, y_, z, b_, bias,
                                 act_desc_, y_, a.outputs[0]));
      return;
    }
    STRIX_CUDNN_RECORD(
        cs, cudnnConvolutionForward(cs->cudnn, &one, x_, a.inputs[0], w_, a.inputs[1], conv_, algo_,
                                    a.scratch, workspace_, &zero, y_, a.outputs[0]));
    if (bias || act_.kind != 0)
      launch_bias_activation(act_, a.outputs[0], bias, p_.n, p_.m, p_.oh * p_.ow, half_, half_,
                             cs->stream);
  }

  Status init(const CudaBackendContext& b, const PrepareArgs& args) {
    const bool half = args.inputs[0]->dtype == DType::kF16;
    half_ = half;
    const cudnnDataType_t dt = half ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
    STRIX_CUDNN_TRY(cudnnCreateTensorDescriptor(&x_));
    STRIX_CUDNN_TRY(cudnnCreateTensorDescriptor(&y_));
    STRIX_CUDNN_TRY(cudnnCreateTensorDescriptor(&b_));
    STRIX_CUDNN_TRY(cudnnCreateFilterDescriptor(&w_));
    STRIX_CUDNN_TRY(cudnnCreateConvolutionDescriptor(&conv_));
    STRIX_CUDNN_TRY(cudnnCreateActivationDescriptor(&act_desc_));
    auto i = [](int64_t v) { return static_cast<int>(v); };
    // f16 tensors (and the uploaded filters) are channels-last on the device (device.h).
    const cudnnTensorFormat_t fmt = half ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
    STRIX_CUDNN_TRY(cudnnSetTensor4dDescriptor(x_, fmt, dt, i(p_.n), i(p_.c), i(p_.h), i(p_.w)));
    STRIX_CUDNN_TRY(cudnnSetTensor4dDescriptor(y_, fmt, dt, i(p_.n), i(p_.m), i(p_.oh), i(p_.ow)));
    STRIX_CUDNN_TRY(cudnnSetTensor4dDescriptor(b_, fmt, dt, 1, i(p_.m), 1, 1));
    STRIX_CUDNN_TRY(
        cudnnSetFilter4dDescriptor(w_, dt, fmt, i(p_.m), i(p_.c / p_.group), i(p_.kh), i(p_.kw)));
    STRIX_CUDNN_TRY(cudnnSetConvolution2dDescriptor(
        conv_, i(p_.pad_top), i(p_.pad_left), i(p_.stride_h), i(p_.stride_w), i(p_.dilation_h),
        i(p_.dilation_w), CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    STRIX_CUDNN_TRY(cudnnSetConvolutionGroupCount(conv_, i(p_.group)));
    STRIX_CUDNN_TRY(
        cudnnSetConvolutionMathType(conv_, half ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
    // Fused bias + ReLU (any algorithm), or bias alone (identity: cuDNN accepts it with
    // IMPLICIT_PRECOMP_GEMM only; the trial call in measure() decides).
    const bool relu = act_.kind == static_cast<int>(fb::ActivationKind::Relu);
    STRIX_CUDNN_TRY(cudnnSetActivationDescriptor(
        act_desc_, relu ? CUDNN_ACTIVATION_RELU : CUDNN_ACTIVATION_IDENTITY,
        CUDNN_NOT_PROPAGATE_NAN, 0.0));
    const bool want_fused = has_bias_ && (relu || act_.kind == 0);

    char key[256];
    std::snprintf(key, sizeof(key),
                  "%d|%d|%lld,%lld,%lld,%lld|%lld,%lld,%lld|%lld,%lld,%lld,%lld,%lld,%lld,%lld|%d",
                  b.device_index(), half ? 16 : 32, (long long)p_.n, (long long)p_.c,
                  (long long)p_.h, (long long)p_.w, (long long)p_.m, (long long)p_.kh,
                  (long long)p_.kw, (long long)p_.stride_h, (long long)p_.stride_w,
                  (long long)p_.dilation_h, (long long)p_.dilation_w, (long long)p_.pad_top,
                  (long long)p_.pad_left, (long long)p_.group, want_fused ? (relu ? 2 : 1) : 0);
    AlgoChoice choice;
    {
      std::lock_guard<std::mutex> lock(g_cache_mutex);
      auto it = algo_cache().find(key);
      if (it != algo_cache().end()) {
        choice = it->second;
      } else {
        STRIX_RETURN_IF_ERROR(measure(b, half, want_fused, relu, &choice));
        algo_cache()[key] = choice;
      }
    }
    algo_ = choice.algo;
    workspace_ = choice.workspace;
    fused_ = want_fused && choice.fused_ok;
    measured_ms_ = choice.ms;
    STRIX_CUDNN_TRY(cudnnSetConvolutionMathType(conv_, choice.math));
    scratch_bytes = workspace_;
    name = std::string("cudnn_conv2d_") + (half ? "f16" : "f32") +
           (fused_ ? (residual_ ? (relu ? "_bias_add_relu" : "_bias_add")
                                : (relu ? "_bias_relu" : "_bias"))
                   : "") +
           "_algo" + std::to_string(static_cast<int>(algo_));
    return Status();
  }

  ref::Conv2DParams p_;
  DevActivation act_;
  bool has_bias_ = false;
  bool residual_ = false;  // inputs[3] is added before the activation (fused_residual)
  float measured_ms_ = 0;  // the chosen algorithm's time on scratch data
  bool fused() const { return fused_; }

 private:
  // Times every algorithm on scratch buffers and keeps the fastest that fits the workspace
  // limit; then checks that the fused call accepts it.
  Status measure(const CudaBackendContext& b, bool half, bool want_fused, bool relu,
                 AlgoChoice* out) {
    const size_t es = half ? 2 : 4;
    const size_t xb = p_.n * p_.c * p_.h * p_.w * es, yb = p_.n * p_.m * p_.oh * p_.ow * es;
    const size_t wb = p_.m * (p_.c / p_.group) * p_.kh * p_.kw * es, bb = p_.m * es;
    void *x = nullptr, *y = nullptr, *w = nullptr, *bias = nullptr, *ws = nullptr;
    size_t ws_size = kMaxWorkspace;
    auto release = [&]() {
      cudaFree(x);
      cudaFree(y);
      cudaFree(w);
      cudaFree(bias);
      cudaFree(ws);
    };
    cudaError_t e = cudaMalloc(&x, xb);
    if (e == cudaSuccess) e = cudaMalloc(&y, yb);
    if (e == cudaSuccess) e = cudaMalloc(&w, wb);
    if (e == cudaSuccess) e = cudaMalloc(&bias, bb);
    while (e == cudaSuccess && cudaMalloc(&ws, ws_size) != cudaSuccess && ws_size > (1u << 20)) {
      cudaGetLastError();
      ws_size /= 4;
    }
    if (e != cudaSuccess || ws == nullptr) {
      release();
      cudaGetLastError();
      return make_status(StatusCode::kOutOfMemory,
                         "CUDA: no memory to measure convolution algorithms");
    }
    // Non-zero data (0x3c bytes: 1.06 in f16, 0.0115 in f32).
    cudaMemset(x, 0x3c, xb);
    cudaMemset(w, 0x3c, wb);
    cudaMemset(bias, 0x3c, bb);
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int returned = 0;
    // Twice: the first pass pays for loading each algorithm's kernels (lazy module loading)
    // and clock ramp-up, which made the choice noisy; the second pass decides.
    cudnnStatus_t s = CUDNN_STATUS_SUCCESS;
    for (int pass = 0; pass < 2 && s == CUDNN_STATUS_SUCCESS; ++pass)
      s = cudnnFindConvolutionForwardAlgorithmEx(b.cudnn(), x_, x, w_, w, conv_, y_, y,
                                                 CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf,
                                                 ws, ws_size);
    if (s != CUDNN_STATUS_SUCCESS) {
      release();
      return cudnn_status(s, "cudnnFindConvolutionForwardAlgorithmEx");
    }
    int best = -1;
    for (int r = 0; r < returned && best < 0; ++r)
      if (perf[r].status == CUDNN_STATUS_SUCCESS && perf[r].memory <= ws_size) best = r;
    if (best < 0) {
      release();
      return make_status(StatusCode::kUnsupported, "cuDNN has no algorithm for this convolution");
    }
    out->algo = perf[best].algo;
    out->math = perf[best].mathType;
    out->workspace = perf[best].memory;
    out->ms = perf[best].time;
    out->fused_ok = false;
    if (want_fused && (relu || out->algo == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM)) {
      cudnnSetConvolutionMathType(conv_, out->math);
      const float one = 1.f, zero = 0.f;
      s = cudnnConvolutionBiasActivationForward(b.cudnn(), &one, x_, x, w_, w, conv_, out->algo, ws,
                                                out->workspace, &zero, y_, y, b_, bias, act_desc_,
                                                y_, y);
      out->fused_ok = s == CUDNN_STATUS_SUCCESS && cudaDeviceSynchronize() == cudaSuccess;
    }
    // Without the fused call, eval() adds a bias / activation pass over the output: its time
    // belongs to this candidate too, or the Engine would prefer it to the graph API's fused
    // epilogue (MobileNetV2's clipped ReLU at batch 256).
    const bool separate_epilogue = (has_bias_ || act_.kind != 0) && !out->fused_ok;
    if (separate_epilogue) out->ms += time_bias_activation(y, bias, half);
    cudaDeviceSynchronize();
    cudaGetLastError();
    release();
    return Status();
  }

  // Best-of-3 time (ms) of eval()'s separate bias / activation pass on the scratch output y.
  float time_bias_activation(void* y, const void* bias, bool half) const {
    cudaEvent_t start = nullptr, stop = nullptr;
    float best = 0.f;
    if (cudaEventCreate(&start) == cudaSuccess && cudaEventCreate(&stop) == cudaSuccess) {
      auto run = [&] {
        launch_bias_activation(act_, y, has_bias_ ? bias : nullptr, p_.n, p_.m, p_.oh * p_.ow, half,
                               half, nullptr);
      };
      run();  // warm-up
      for (int r = 0; r < 3; ++r) {
        cudaEventRecord(start, nullptr);
        run();
        cudaEventRecord(stop, nullptr);
        float ms = 0.f;
        if (cudaEventSynchronize(stop) != cudaSuccess ||
            cudaEventElapsedTime(&ms, start, stop) != cudaSuccess)
          break;
        best = r == 0 || ms < best ? ms : best;
      }
    }
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
    cudaGetLastError();
    return best;
  }

  cudnnTensorDescriptor_t x_ = nullptr, y_ = nullptr, b_ = nullptr;
  cudnnFilterDescriptor_t w_ = nullptr;
  cudnnConvolutionDescriptor_t conv_ = nullptr;
  cudnnActivationDescriptor_t act_desc_ = nullptr;
  cudnnConvolutionFwdAlgo_t algo_ = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  size_t workspace_ = 0;
  bool fused_ = false;
  bool half_ = false;
};

// Best-of-3 time (ms) of the depthwise kernel on scratch data, or -1 when it cannot run.
float time_depthwise(const DevDepthwise& p, const DevActivation& act, bool has_bias) {
  const size_t xb = size_t(p.n) * p.h * p.w * p.c * 2, yb = size_t(p.n) * p.oh * p.ow * p.c * 2;
  const size_t wb = size_t(p.c) * p.kh * p.kw * 2, bb = size_t(p.c) * 2;
  void *x = nullptr, *y = nullptr, *w = nullptr, *bias = nullptr;
  float best = -1.f;
  cudaEvent_t start = nullptr, stop = nullptr;
  if (cudaMalloc(&x, xb) == cudaSuccess && cudaMalloc(&y, yb) == cudaSuccess &&
      cudaMalloc(&w, wb) == cudaSuccess && cudaMalloc(&bias, bb) == cudaSuccess &&
      cudaEventCreate(&start) == cudaSuccess && cudaEventCreate(&stop) == cudaSuccess) {
    cudaMemset(x, 0x3c, xb);
    cudaMemset(w, 0x3c, wb);
    cudaMemset(bias, 0x3c, bb);
    launch_depthwise_nhwc(p, act, x, w, has_bias ? bias : nullptr, y, nullptr);  // warm-up
    for (int r = 0; r < 3 && cudaDeviceSynchronize() == cudaSuccess; ++r) {
      cudaEventRecord(start, nullptr);
      launch_depthwise_nhwc(p, act, x, w, has_bias ? bias : nullptr, y, nullptr);
      cudaEventRecord(stop, nullptr);
      float ms = 0.f;
      if (cudaEventSynchronize(stop) != cudaSuccess) break;
      cudaEventElapsedTime(&ms, start, stop);
      if (best < 0.f || ms < best) best = ms;
    }
  }
  if (start) cudaEventDestroy(start);
  if (stop) cudaEventDestroy(stop);
  for (void* ptr : {x, y, w, bias}) cudaFree(ptr);
  cudaGetLastError();
  return best;
}

// Depthwise f16 (channels-last) through our own kernel (depthwise.cu).
class DepthwiseKernel : public Kernel {
 public:
  void eval(const EvalArgs& a) const override {
    launch_depthwise_nhwc(p_, act_, a.inputs[0], a.inputs[1], has_bias_ ? a.inputs[2] : nullptr,
                          a.outputs[0], stream_of(a)->stream);
  }
  DevDepthwise p_{};
  DevActivation act_;
  bool has_bias_ = false;
};

}  // namespace

Result<std::unique_ptr<Kernel>> make_conv2d(const CudaBackendContext& b, const PrepareArgs& args) {
  // A residual fusion (PrepareArgs::fused_residual) is validated as the plain conv.
  PrepareArgs plain = args;
  if (args.fused_residual) {
    if (args.inputs.size() != 4 || args.inputs[3] == nullptr)
      return node_error(args, StatusCode::kInternal, "residual fusion without a residual");
    plain.inputs.resize(3);
    while (!plain.inputs.empty() && plain.inputs.back() == nullptr) plain.inputs.pop_back();
    plain.fused_residual = false;
  }
  STRIX_RETURN_IF_ERROR(b.validate(plain));
  auto k = std::make_unique<ConvKernel>();
  const fb::Conv2DOptions* o = args.node->options_as_Conv2DOptions();
  STRIX_RETURN_IF_ERROR(
      ref::conv2d_params(plain, o, args.inputs[0]->shape, args.inputs[1]->shape, &k->p_));
  ref::ActivationParams act;
  const fb::Activation* activation = o ? o->activation() : nullptr;
  if (args.fused_residual) activation = args.residual_activation;
  STRIX_RETURN_IF_ERROR(ref::fused_activation(plain, activation, &act));
  k->act_ = dev_activation(act);
  k->has_bias_ = args.inputs.size() > 2 && args.inputs[2] != nullptr;
  k->residual_ = args.fused_residual;
  if (k->residual_) {
    const KTensor& r = *args.inputs[3];
    const KTensor& y = *args.outputs[0];
    if (r.shape != y.shape || r.dtype != y.dtype)
      return node_error(args, StatusCode::kUnsupported, "residual shape differs from the output");
    // Legacy cuDNN fuses z only as act(conv + z + bias) with ReLU or identity.
    const bool relu = k->act_.kind == static_cast<int>(fb::ActivationKind::Relu);
    if (k->act_.kind != 0 && !relu && args.inputs[0]->dtype != DType::kF16)
      return node_error(args, StatusCode::kUnsupported, "activation after the residual");
  }
  const ref::Conv2DParams& p = k->p_;
  // Candidates, each with its time measured on scratch data when the Engine is built; the
  // fastest is kept: our depthwise kernel (f16), the cuDNN graph API (f16: fused epilogue,
  // runtime-fused and newest engines) and cuDNN's legacy API. Which wins depends on the
  // shape: e.g. cuDNN's depthwise engines take tens of microseconds at batch 1, where ours
  // is bandwidth bound, but win at batch 256. STRIX_CUDNN_LEGACY=1 keeps the legacy API only.
  const char* legacy_env = std::getenv("STRIX_CUDNN_LEGACY");
  const bool legacy_only = legacy_env != nullptr && legacy_env[0] == '1';
  std::unique_ptr<Kernel> best;
  float best_ms = 0.f;
  auto offer = [&](std::unique_ptr<Kernel> kernel, float ms) {
    if (!best || ms < best_ms) {
      best = std::move(kernel);
      best_ms = ms;
    }
  };
  const int64_t int_max = (int64_t(1) << 31) - 1;
  if (args.inputs[0]->dtype == DType::kF16 && !legacy_only && !k->residual_ && p.group == p.c &&
      p.m == p.c && p.n * p.h * p.w * p.c < int_max && p.n * p.oh * p.ow * p.m < int_max) {
    auto dw = std::make_unique<DepthwiseKernel>();
    auto i = [](int64_t v) { return static_cast<int>(v); };
    dw->p_ =
        DevDepthwise{i(p.n),          i(p.c),          i(p.h),       i(p.w),        i(p.oh),
                     i(p.ow),         i(p.kh),         i(p.kw),      i(p.stride_h), i(p.stride_w),
                     i(p.dilation_h), i(p.dilation_w), i(p.pad_top), i(p.pad_left)};
    dw->act_ = k->act_;
    dw->has_bias_ = k->has_bias_;
    dw->name = "cuda_depthwise_nhwc_f16";
    float ms = time_depthwise(dw->p_, dw->act_, dw->has_bias_);
    if (ms >= 0.f) offer(std::move(dw), ms);
  }
  if (args.inputs[0]->dtype == DType::kF16 && !legacy_only) {
    float graph_ms = 0.f;
    Result<std::unique_ptr<Kernel>> graph =
        make_conv2d_graph(b, args, p, k->act_, k->has_bias_, k->residual_, &graph_ms);
    if (graph.ok()) {
      offer(std::move(graph).value(), graph_ms);
    } else if (graph.status().code() != StatusCode::kUnsupported) {
      return Status(graph.status().code(), args.node_label + ": " + graph.status().message());
    }
  }
  auto legacy_error = [&](Status s) -> Result<std::unique_ptr<Kernel>> {
    if (best) return std::move(best);
    return s;
  };
  if (p.pad_top != p.pad_bottom || p.pad_left != p.pad_right)
    return legacy_error(node_error(args, StatusCode::kUnsupported, "cuDNN needs symmetric pads"));
  if (p.n * p.c * p.h * p.w > (int64_t(1) << 31) || p.n * p.m * p.oh * p.ow > (int64_t(1) << 31))
    return legacy_error(
        node_error(args, StatusCode::kUnsupported, "tensor too large for a cuDNN descriptor"));
  Status s = k->init(b, args);
  if (!s.ok()) return legacy_error(Status(s.code(), args.node_label + ": " + s.message()));
  // The legacy API takes the residual only in its fused call (bias + ReLU/identity).
  if (k->residual_ && !k->fused())
    return legacy_error(
        node_error(args, StatusCode::kUnsupported, "cuDNN cannot fuse this residual"));
  // Every candidate's time includes its epilogue (the legacy one's separate pass too).
  float legacy_ms = k->measured_ms_;
  offer(std::move(k), legacy_ms);
  return best;
}

}  // namespace strix::kernels::cuda
