// kernels/cuda/cuda_common.h — what the CUDA backend's C++ files share (internal).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <memory>
#include <string>

#include "kernels/cpu/ref/activation.h"
#include "kernels/cuda/cublas_loader.h"
#include "kernels/cuda/launch.h"
#include "kernels/kernel.h"

namespace strix::kernels::cuda {

// A Context's execution state on the GPU: EvalArgs::device points at one. Kernels enqueue
// on `stream` with the handles bound to it and record failed library calls in `error`.
struct CudaStream {
  int device = 0;
  cudaStream_t stream = nullptr;
  cudnnHandle_t cudnn = nullptr;
  cublasHandle_t cublas = nullptr;
  const CublasApi* blas = nullptr;  // cuBLAS, loaded on first use (cublas_loader.h)
  void* cublas_workspace = nullptr;
  Status error;  // the first error since the last synchronize
  void record(Status s) {
    if (error.ok() && !s.ok()) error = std::move(s);
  }
};

inline CudaStream* stream_of(const EvalArgs& args) { return static_cast<CudaStream*>(args.device); }

// kOk, or a Status naming the failed call and the library's message.
Status cuda_status(cudaError_t e, const char* what);
Status cudnn_status(cudnnStatus_t s, const char* what);
Status cublas_status(cublasStatus_t s, const char* what);

#define STRIX_CUDA_TRY(expr) \
  STRIX_RETURN_IF_ERROR(::strix::kernels::cuda::cuda_status((expr), #expr))
#define STRIX_CUDNN_TRY(expr) \
  STRIX_RETURN_IF_ERROR(::strix::kernels::cuda::cudnn_status((expr), #expr))
#define STRIX_CUBLAS_TRY(expr) \
  STRIX_RETURN_IF_ERROR(::strix::kernels::cuda::cublas_status((expr), #expr))
// At eval: record instead of returning.
#define STRIX_CUDNN_RECORD(cs, expr)                                       \
  do {                                                                     \
    cudnnStatus_t strix_s_ = (expr);                                       \
    if (strix_s_ != CUDNN_STATUS_SUCCESS)                                  \
      (cs)->record(::strix::kernels::cuda::cudnn_status(strix_s_, #expr)); \
  } while (0)
#define STRIX_CUBLAS_RECORD(cs, expr)                                       \
  do {                                                                      \
    cublasStatus_t strix_s_ = (expr);                                       \
    if (strix_s_ != CUBLAS_STATUS_SUCCESS)                                  \
      (cs)->record(::strix::kernels::cuda::cublas_status(strix_s_, #expr)); \
  } while (0)

inline DevActivation dev_activation(const ref::ActivationParams& p) {
  return DevActivation{static_cast<int>(p.kind), p.alpha, p.beta};
}

// Build-time services of the backend that kernels use while being prepared.
class CudaBackendContext {
 public:
  virtual ~CudaBackendContext() = default;
  virtual int device_index() const = 0;
  // A cuDNN / cuBLAS handle for measurements at build (on the default stream).
  virtual cudnnHandle_t cudnn() const = 0;
  // Validates the node and infers its output shapes with the reference backend, so that
  // both backends accept exactly the same graphs with the same messages.
  virtual Status validate(const PrepareArgs& args) const = 0;
};

// Factories (PrepareArgs already passed CudaBackend::supports: float dtypes).
Result<std::unique_ptr<Kernel>> make_conv2d(const CudaBackendContext& b, const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_fully_connected(const CudaBackendContext& b,
                                                     const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_unary(const CudaBackendContext& b, const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_binary(const CudaBackendContext& b, const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_pool(const CudaBackendContext& b, const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_softmax(const CudaBackendContext& b, const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_concat(const CudaBackendContext& b, const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_view(const CudaBackendContext& b, const PrepareArgs& args);

}  // namespace strix::kernels::cuda
