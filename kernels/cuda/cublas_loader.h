// kernels/cuda/cublas_loader.h — the few cuBLAS entry points the CUDA backend uses, resolved from
// libcublas with dlopen the first time a CUDA stream is made (internal).
//
// Why: loading libcublas maps libcublasLt, whose relocations and static initialization cost
// about 150 MiB of resident memory. Linked directly, every process using a CUDA-enabled
// libstrix paid that at start-up, also when it only ran on the CPU. Loaded here, only processes
// that create a CUDA Context do.
#pragma once

#include <cublas_v2.h>

#include "strix/status.h"

namespace strix::kernels::cuda {

struct CublasApi {
  cublasStatus_t (*create)(cublasHandle_t*) = nullptr;
  cublasStatus_t (*destroy)(cublasHandle_t) = nullptr;
  cublasStatus_t (*set_stream)(cublasHandle_t, cudaStream_t) = nullptr;
  cublasStatus_t (*set_workspace)(cublasHandle_t, void*, size_t) = nullptr;
  cublasStatus_t (*gemm_ex)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
                            const void*, const void*, cudaDataType, int, const void*, cudaDataType,
                            int, const void*, void*, cudaDataType, int, cublasComputeType_t,
                            cublasGemmAlgo_t) = nullptr;
  const char* (*status_string)(cublasStatus_t) = nullptr;
};

// The loaded API (once per process, thread-safe). Errors (kUnsupported) name the library and
// the missing symbol.
Result<const CublasApi*> cublas_api();

}  // namespace strix::kernels::cuda
