// The CUDA device (kernels/device.h) and backend: memory, streams, graphs, the op table.
#include <cstring>
#include <vector>

#include "kernels/backend.h"
#include "kernels/cpu/ref/movement_util.h"
#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/int8_kernels.h"
#include "kernels/cuda/preprocess.h"
#include "kernels/device.h"

namespace strix::kernels {
namespace cuda {

Status cuda_status(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return Status();
  return make_status(
      e == cudaErrorMemoryAllocation ? StatusCode::kOutOfMemory : StatusCode::kInternal,
      "CUDA: %s failed: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
}

Status cudnn_status(cudnnStatus_t s, const char* what) {
  if (s == CUDNN_STATUS_SUCCESS) return Status();
  StatusCode code = StatusCode::kInternal;
  if (s == CUDNN_STATUS_NOT_SUPPORTED) code = StatusCode::kUnsupported;
  if (s == CUDNN_STATUS_ALLOC_FAILED) code = StatusCode::kOutOfMemory;
  return make_status(code, "cuDNN: %s failed: %s", what, cudnnGetErrorString(s));
}

Status cublas_status(cublasStatus_t s, const char* what) {
  if (s == CUBLAS_STATUS_SUCCESS) return Status();
  Result<const CublasApi*> blas = cublas_api();  // loaded: s came from one of its calls
  return make_status(
      s == CUBLAS_STATUS_ALLOC_FAILED ? StatusCode::kOutOfMemory : StatusCode::kInternal,
      "cuBLAS: %s failed: %s", what, blas.ok() ? blas.value()->status_string(s) : "?");
}

namespace {

constexpr size_t kCublasWorkspace = 32u << 20;

class CudaDevice : public Device {
 public:
  explicit CudaDevice(int index) : index_(index) {}

  Status init() {
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count == 0)
      return make_status(StatusCode::kUnsupported,
                         "device 'cuda:%d': no CUDA device is usable (%s)", index_,
                         e == cudaSuccess ? "0 devices" : cudaGetErrorString(e));
    if (index_ >= count)
      return make_status(StatusCode::kInvalidArgument, "device 'cuda:%d': only %d CUDA device(s)",
                         index_, count);
    STRIX_CUDA_TRY(cudaSetDevice(index_));
    cudaDeviceProp prop;
    STRIX_CUDA_TRY(cudaGetDeviceProperties(&prop, index_));
    name_ = prop.name;
    return Status();
  }

  std::string description() const override {
    return "cuda:" + std::to_string(index_) + " (" + name_ + ")";
  }
  void activate() const override { cudaSetDevice(index_); }

  Result<void*> allocate(size_t bytes) const override {
    void* p = nullptr;
    cudaError_t e = cudaMalloc(&p, bytes ? bytes : 1);
    if (e != cudaSuccess)
      return make_status(StatusCode::kOutOfMemory, "cuda:%d: cannot allocate %zu bytes: %s", index_,
                         bytes, cudaGetErrorString(e));
    if (bytes) cudaMemset(p, 0, bytes);
    return p;
  }
  void release(void* p) const override {
    if (p) cudaFree(p);
  }
  Result<void*> allocate_host(size_t bytes) const override {
    void* p = nullptr;
    cudaError_t e = cudaHostAlloc(&p, bytes ? bytes : 1, cudaHostAllocPortable);
    if (e != cudaSuccess)
      return make_status(StatusCode::kOutOfMemory,
                         "cannot allocate %zu bytes of page-locked memory: %s", bytes,
                         cudaGetErrorString(e));
    std::memset(p, 0, bytes);
    return p;
  }
  void release_host(void* p) const override {
    if (p) cudaFreeHost(p);
  }
  Status upload(void* dst, const void* src, size_t bytes) const override {
    STRIX_CUDA_TRY(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
    return Status();
  }

  Result<void*> create_stream() const override {
    auto s = std::make_unique<CudaStream>();
    s->device = index_;
    STRIX_CUDA_TRY(cudaSetDevice(index_));
    STRIX_CUDA_TRY(cudaStreamCreateWithFlags(&s->stream, cudaStreamNonBlocking));
    STRIX_CUDNN_TRY(cudnnCreate(&s->cudnn));
    STRIX_CUDNN_TRY(cudnnSetStream(s->cudnn, s->stream));
    Result<const CublasApi*> blas = cublas_api();
    if (!blas.ok()) return blas.status();
    s->blas = blas.value();
    STRIX_CUBLAS_TRY(s->blas->create(&s->cublas));
    STRIX_CUBLAS_TRY(s->blas->set_stream(s->cublas, s->stream));
    // A fixed workspace keeps cuBLAS from allocating during graph capture.
    STRIX_CUDA_TRY(cudaMalloc(&s->cublas_workspace, kCublasWorkspace));
    STRIX_CUBLAS_TRY(s->blas->set_workspace(s->cublas, s->cublas_workspace, kCublasWorkspace));
    return static_cast<void*>(s.release());
  }
  void destroy_stream(void* stream) const override {
    auto* s = static_cast<CudaStream*>(stream);
    if (s->cublas) s->blas->destroy(s->cublas);
    if (s->cudnn) cudnnDestroy(s->cudnn);
    if (s->stream) cudaStreamDestroy(s->stream);
    if (s->cublas_workspace) cudaFree(s->cublas_workspace);
    delete s;
  }
  void copy_async(void* dst, const void* src, size_t bytes, CopyKind kind,
                  void* stream) const override {
    auto* s = static_cast<CudaStream*>(stream);
    cudaMemcpyKind k = kind == CopyKind::kHostToDevice   ? cudaMemcpyHostToDevice
                       : kind == CopyKind::kDeviceToHost ? cudaMemcpyDeviceToHost
                                                         : cudaMemcpyDeviceToDevice;
    s->record(cuda_status(cudaMemcpyAsync(dst, src, bytes, k, s->stream), "cudaMemcpyAsync"));
  }
  void convert_layout(void* dst, const void* src, int64_t n, int64_t c, int64_t hw,
                      size_t elem_size, bool to_channels_last, void* stream) const override {
    launch_convert_layout(dst, src, n, c, hw, elem_size, to_channels_last,
                          static_cast<CudaStream*>(stream)->stream);
  }
  Status synchronize(void* stream) const override {
    auto* s = static_cast<CudaStream*>(stream);
    s->record(cuda_status(cudaStreamSynchronize(s->stream), "cudaStreamSynchronize"));
    s->record(cuda_status(cudaGetLastError(), "a kernel launch"));
    Status e = std::move(s->error);
    s->error = Status();
    return e;
  }
  Status begin_capture(void* stream) const override {
    auto* s = static_cast<CudaStream*>(stream);
    STRIX_CUDA_TRY(cudaStreamBeginCapture(s->stream, cudaStreamCaptureModeThreadLocal));
    return Status();
  }
  Result<void*> end_capture(void* stream) const override {
    auto* s = static_cast<CudaStream*>(stream);
    cudaGraph_t graph = nullptr;
    cudaError_t e = cudaStreamEndCapture(s->stream, &graph);
    cudaGetLastError();  // a failed capture leaves its error behind; the work is re-run
    if (e != cudaSuccess || graph == nullptr || !s->error.ok()) {
      if (graph) cudaGraphDestroy(graph);
      s->error = Status();
      return cuda_status(e == cudaSuccess ? cudaErrorStreamCaptureInvalidated : e,
                         "cudaStreamEndCapture");
    }
    cudaGraphExec_t exec = nullptr;
    e = cudaGraphInstantiate(&exec, graph, 0);
    cudaGraphDestroy(graph);
    if (e != cudaSuccess) {
      cudaGetLastError();
      return cuda_status(e, "cudaGraphInstantiate");
    }
    return static_cast<void*>(exec);
  }
  void launch_graph(void* graph, void* stream) const override {
    auto* s = static_cast<CudaStream*>(stream);
    s->record(cuda_status(cudaGraphLaunch(static_cast<cudaGraphExec_t>(graph), s->stream),
                          "cudaGraphLaunch"));
  }
  void destroy_graph(void* graph) const override {
    cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(graph));
  }
  Status preprocess(const PreprocessJob& job, void* stream) const override {
    launch_preprocess(job, static_cast<CudaStream*>(stream)->stream);
    return cuda_status(cudaGetLastError(), "the pre-processing kernel launch");
  }
  Result<void*> create_event() const override {
    cudaEvent_t e = nullptr;
    STRIX_CUDA_TRY(cudaEventCreate(&e));
    return static_cast<void*>(e);
  }
  void destroy_event(void* event) const override {
    cudaEventDestroy(static_cast<cudaEvent_t>(event));
  }
  void record_event(void* event, void* stream) const override {
    auto* s = static_cast<CudaStream*>(stream);
    s->record(cuda_status(cudaEventRecord(static_cast<cudaEvent_t>(event), s->stream),
                          "cudaEventRecord"));
  }
  double elapsed_ms(void* start, void* end) const override {
    float ms = 0.f;
    if (cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(start), static_cast<cudaEvent_t>(end)) !=
        cudaSuccess) {
      cudaGetLastError();
      return 0.0;
    }
    return ms;
  }

 private:
  int index_;
  std::string name_;
};

bool is_float(DType t) { return t == DType::kF32 || t == DType::kF16; }

class CudaBackend : public Backend, public CudaBackendContext {
 public:
  explicit CudaBackend(int index) : device_(index), index_(index) {}
  ~CudaBackend() override {
    if (cudnn_) cudnnDestroy(cudnn_);
  }

  Status init() {
    STRIX_RETURN_IF_ERROR(device_.init());
    STRIX_CUDNN_TRY(cudnnCreate(&cudnn_));
    ref_ = make_cpu_reference_backend();
    return Status();
  }

  const char* name() const override { return "cuda"; }
  bool is_cpu() const override { return false; }
  Device* device() const override { return const_cast<CudaDevice*>(&device_); }

  bool supports(const PrepareArgs& args) const override {
    using O = fb::OpType;
    O op = args.node->op();
    const bool generic = is_generic(op);
    if (generic) return factory(op) != nullptr && moves_bytes_unchanged(args);
    if (int8_node(args)) return int8_factory(op) != nullptr;
    if (factory(op) == nullptr) return false;
    // Compute ops: every float tensor of one dtype (f32 or f16).
    DType dt = DType::kF32;
    bool first = true;
    for (const KTensor* t : args.inputs) {
      if (t == nullptr) continue;
      if (!is_float(t->dtype)) return false;
      if (first) dt = t->dtype;
      first = false;
      if (t->dtype != dt) return false;
    }
    for (const KTensor* t : args.outputs)
      if (t->dtype != dt) return false;
    return !first;
  }

  // Conv2D + residual Add in one cuDNN call (conv.cc).
  bool fuses_residual_add() const override { return true; }

  Result<std::unique_ptr<Kernel>> prepare(const PrepareArgs& args) const override {
    device_.activate();
    const bool generic = is_generic(args.node->op());
    auto f = !generic && int8_node(args) ? int8_factory(args.node->op()) : factory(args.node->op());
    if (f == nullptr) return node_error(args, StatusCode::kUnsupported, "no CUDA kernel");
    return f(*this, args);
  }

  int device_index() const override { return index_; }
  cudnnHandle_t cudnn() const override { return cudnn_; }
  Status validate(const PrepareArgs& args) const override {
    if (!ref_->supports(args))
      return node_error(args, StatusCode::kUnsupported, "the reference backend rejects the node");
    Result<std::unique_ptr<Kernel>> k = ref_->prepare(args);
    return k.ok() ? Status() : k.status();
  }

 private:
  using Factory = Result<std::unique_ptr<Kernel>> (*)(const CudaBackendContext&,
                                                      const PrepareArgs&);
  // Data movement, for any dtype (bytes).
  static bool is_generic(fb::OpType op) {
    using O = fb::OpType;
    return op == O::Concat || op == O::Reshape || op == O::Flatten || op == O::Squeeze ||
           op == O::Unsqueeze;
  }
  // The data-movement kernels copy bytes: a quantized input must have the output's
  // quantization (the reference Concat requantizes inputs whose parameters differ; such a
  // node stays on the CPU).
  static bool moves_bytes_unchanged(const PrepareArgs& args) {
    const Quantization* out = args.outputs.empty() ? nullptr : args.outputs[0]->quant;
    for (const KTensor* t : args.inputs) {
      if (t == nullptr || !is_quantized(t->dtype)) continue;
      if (!ref::movement::same_quantization(t->quant, out)) return false;
    }
    return true;
  }
  static bool is_quantized(DType d) { return d == DType::kI8 || d == DType::kU8; }
  // A node with an i8 input or output runs on the INT8 kernels (int8_kernels.h).
  static bool int8_node(const PrepareArgs& args) {
    for (const KTensor* t : args.inputs)
      if (t != nullptr && t->dtype == DType::kI8) return true;
    for (const KTensor* t : args.outputs)
      if (t->dtype == DType::kI8) return true;
    return false;
  }
  static Factory int8_factory(fb::OpType op) {
    using O = fb::OpType;
    switch (op) {
      case O::Conv2D: return make_conv2d_i8;
      case O::FullyConnected: return make_fully_connected_i8;
      case O::Quantize: return make_quantize_i8;
      case O::Dequantize: return make_dequantize_i8;
      case O::MaxPool:
      case O::GlobalAveragePool: return make_pool_i8;
      case O::Add: return make_add_i8;
      default: return nullptr;
    }
  }
  static Factory factory(fb::OpType op) {
    using O = fb::OpType;
    switch (op) {
      case O::Conv2D: return make_conv2d;
      case O::FullyConnected: return make_fully_connected;
      case O::Relu:
      case O::Clip:
      case O::LeakyRelu:
      case O::Elu:
      case O::Sigmoid:
      case O::Tanh:
      case O::HardSigmoid:
      case O::HardSwish:
      case O::SiLU:
      case O::Gelu:
      case O::Mish:
      case O::Softplus: return make_unary;
      case O::Add:
      case O::Sub:
      case O::Mul:
      case O::Div:
      case O::Max:
      case O::Min:
      case O::Pow: return make_binary;
      case O::MaxPool:
      case O::AveragePool:
      case O::GlobalAveragePool:
      case O::GlobalMaxPool: return make_pool;
      case O::Softmax:
      case O::LogSoftmax: return make_softmax;
      case O::Concat: return make_concat;
      case O::Reshape:
      case O::Flatten:
      case O::Squeeze:
      case O::Unsqueeze: return make_view;
      default: return nullptr;
    }
  }

  CudaDevice device_;
  int index_;
  cudnnHandle_t cudnn_ = nullptr;
  std::unique_ptr<Backend> ref_;
};

static_assert(static_cast<int>(fb::ActivationKind::GeluTanh) == 13 &&
                  static_cast<int>(fb::ActivationKind::Relu) == 1,
              "device_math.cuh mirrors fb::ActivationKind");

}  // namespace
}  // namespace cuda

Result<std::unique_ptr<Backend>> make_cuda_backend(int index) {
  auto b = std::make_unique<cuda::CudaBackend>(index);
  STRIX_RETURN_IF_ERROR(b->init());
  return std::unique_ptr<Backend>(std::move(b));
}

}  // namespace strix::kernels
