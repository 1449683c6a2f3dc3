// kernels/cuda/device_math.cuh — element load/store and the activation functions on the
// device; the formulas are those of kernels/cpu/ref/activation.h, in f32.
#pragma once

#include <cuda_fp16.h>

#include "kernels/cuda/launch.h"

namespace strix::kernels::cuda {

__device__ __forceinline__ float load(const float* p, int64_t i) { return p[i]; }
__device__ __forceinline__ float load(const __half* p, int64_t i) { return __half2float(p[i]); }
__device__ __forceinline__ void store(float* p, int64_t i, float v) { p[i] = v; }
__device__ __forceinline__ void store(__half* p, int64_t i, float v) { p[i] = __float2half_rn(v); }

// fb::ActivationKind values.
enum : int {
  kActNone = 0,
  kActRelu,
  kActClip,
  kActLeakyRelu,
  kActSigmoid,
  kActTanh,
  kActHardSigmoid,
  kActHardSwish,
  kActSiLU,
  kActGelu,
  kActElu,
  kActMish,
  kActSoftplus,
  kActGeluTanh
};

__device__ __forceinline__ float clamp01(float y) { return y < 0.f ? 0.f : (y > 1.f ? 1.f : y); }

__device__ __forceinline__ float activate(const DevActivation& p, float x) {
  switch (p.kind) {
    case kActNone: return x;
    case kActRelu: return x > 0.f ? x : 0.f;
    case kActClip: return x < p.alpha ? p.alpha : (x > p.beta ? p.beta : x);
    case kActLeakyRelu: return x >= 0.f ? x : p.alpha * x;
    case kActSigmoid: return 1.f / (1.f + expf(-x));
    case kActTanh: return tanhf(x);
    case kActHardSigmoid: return clamp01(p.alpha * x + p.beta);
    case kActHardSwish: return x * clamp01(x / 6.f + 0.5f);
    case kActSiLU: return x / (1.f + expf(-x));
    case kActGelu: return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
    case kActElu: return x >= 0.f ? x : p.alpha * (expf(x) - 1.f);
    case kActMish: return x * tanhf(log1pf(expf(x)));
    case kActSoftplus: return x > 0.f ? x + log1pf(expf(-x)) : log1pf(expf(x));
    case kActGeluTanh:
      return 0.5f * x * (1.f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  }
  return x;
}

inline int grid_for(int64_t n, int block) {
  int64_t g = (n + block - 1) / block;
  return static_cast<int>(g < 1 ? 1 : (g > 1048576 ? 1048576 : g));
}

}  // namespace strix::kernels::cuda
