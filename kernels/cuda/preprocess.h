// kernels/cuda/preprocess.h — launcher of the one-pass pre-processing kernel (internal).
#pragma once

#include <cuda_runtime.h>

#include "kernels/preprocess_job.h"

namespace strix::kernels::cuda {

// Enqueues on `stream`, for every frame k < job.count, one kernel that writes item k of
// job.dst (one thread per output pixel, every channel of it), then zero-fills items
// [count, batch). Returns at once; a launch error is left for cudaGetLastError().
void launch_preprocess(const PreprocessJob& job, cudaStream_t stream);

}  // namespace strix::kernels::cuda
