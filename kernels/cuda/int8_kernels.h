// kernels/cuda/int8_kernels.h — factories of the CUDA backend's INT8 kernels (internal).
// Each validates the node through the reference backend first (CudaBackendContext::validate),
// so the CPU and CUDA backends accept the same INT8 models with the same messages.
#pragma once

#include <memory>
#include <vector>

#include "kernels/cpu/ref/binary.h"
#include "kernels/cuda/cuda_common.h"
#include "kernels/cuda/int8_launch.h"

namespace strix::kernels::cuda {

// Device memory a kernel owns: constants uploaded at prepare, freed with the kernel.
class DeviceConstants {
 public:
  DeviceConstants() = default;
  DeviceConstants(const DeviceConstants&) = delete;
  DeviceConstants& operator=(const DeviceConstants&) = delete;
  ~DeviceConstants();
  // Appends a device copy of `bytes` bytes at `host` (synchronous).
  Status add(const void* host, size_t bytes);
  const void* get(int i) const { return ptrs_[static_cast<size_t>(i)]; }

 private:
  std::vector<void*> ptrs_;
};

// The device copy of the reference Add's constants.
inline DevAddI8 dev_add_params(const ref::AddI8Params& q) {
  DevAddI8 d;
  d.a_zp = q.a_zp;
  d.b_zp = q.b_zp;
  d.out_zp = q.out_zp;
  d.left_shift = q.left_shift;
  d.a_mult = q.a_mul.multiplier;
  d.a_shift = q.a_mul.shift;
  d.b_mult = q.b_mul.multiplier;
  d.b_shift = q.b_mul.shift;
  d.out_mult = q.out_mul.multiplier;
  d.out_shift = q.out_mul.shift;
  d.qmin = q.qmin;
  d.qmax = q.qmax;
  return d;
}

// Conv2D (also as the fused Conv2D + residual Add) and FullyConnected with i8 activations.
Result<std::unique_ptr<Kernel>> make_conv2d_i8(const CudaBackendContext& b,
                                               const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_fully_connected_i8(const CudaBackendContext& b,
                                                        const PrepareArgs& args);
// Quantize (f32 -> i8, per tensor), Dequantize (i8 -> f32, per tensor), MaxPool and
// GlobalAveragePool on i8, Add of two same-shape i8 tensors.
Result<std::unique_ptr<Kernel>> make_quantize_i8(const CudaBackendContext& b,
                                                 const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_dequantize_i8(const CudaBackendContext& b,
                                                   const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_pool_i8(const CudaBackendContext& b, const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_add_i8(const CudaBackendContext& b, const PrepareArgs& args);

}  // namespace strix::kernels::cuda
