// Softmax / LogSoftmax: one block per (outer, inner) row of length `axis`.
#include <cfloat>

#include "kernels/cuda/device_math.cuh"

namespace strix::kernels::cuda {
namespace {

constexpr int kBlock = 256;

__device__ float block_reduce(float v, bool is_max, float* shared) {
  for (int o = 16; o > 0; o /= 2) {
    float other = __shfl_down_sync(0xffffffffu, v, o);
    v = is_max ? fmaxf(v, other) : v + other;
  }
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // shared may still be read by the previous reduction
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < blockDim.x / 32 ? shared[lane] : (is_max ? -FLT_MAX : 0.f);
    for (int o = 16; o > 0; o /= 2) {
      float other = __shfl_down_sync(0xffffffffu, v, o);
      v = is_max ? fmaxf(v, other) : v + other;
    }
    if (lane == 0) shared[0] = v;
  }
  __syncthreads();
  return shared[0];
}

template <typename T>
__global__ void softmax_kernel(bool log, const T* x, T* y, int64_t axis, int64_t inner) {
  __shared__ float shared[32];
  int64_t row = blockIdx.x, o = row / inner, in = row % inner;
  const int64_t base = o * axis * inner + in;
  float m = -FLT_MAX;
  for (int64_t i = threadIdx.x; i < axis; i += blockDim.x) m = fmaxf(m, load(x, base + i * inner));
  m = block_reduce(m, true, shared);
  float s = 0.f;
  for (int64_t i = threadIdx.x; i < axis; i += blockDim.x) s += expf(load(x, base + i * inner) - m);
  s = block_reduce(s, false, shared);
  const float log_s = logf(s), inv = 1.f / s;
  for (int64_t i = threadIdx.x; i < axis; i += blockDim.x) {
    float v = load(x, base + i * inner) - m;
    store(y, base + i * inner, log ? v - log_s : expf(v) * inv);
  }
}

}  // namespace

void launch_softmax(bool log, const void* x, void* y, int64_t outer, int64_t axis, int64_t inner,
                    bool half, cudaStream_t stream) {
  int64_t rows = outer * inner;
  if (rows == 0 || axis == 0) return;
  int block = axis >= kBlock ? kBlock : (axis <= 32 ? 32 : static_cast<int>((axis + 31) / 32 * 32));
  if (half)
    softmax_kernel<<<static_cast<unsigned>(rows), block, 0, stream>>>(
        log, static_cast<const __half*>(x), static_cast<__half*>(y), axis, inner);
  else
    softmax_kernel<<<static_cast<unsigned>(rows), block, 0, stream>>>(
        log, static_cast<const float*>(x), static_cast<float*>(y), axis, inner);
}

}  // namespace strix::kernels::cuda
