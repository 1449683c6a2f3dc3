// Unary activations, broadcasting binary ops and the bias/activation epilogues (launch.h).
#include <cmath>

#include "kernels/cuda/device_math.cuh"

namespace strix::kernels::cuda {
namespace {

constexpr int kBlock = 256;

template <typename T>
__global__ void unary_kernel(DevActivation act, const T* x, T* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    store(y, i, activate(act, load(x, i)));
}

__device__ __forceinline__ float binary_op(int op, float a, float b) {
  switch (op) {
    case kAdd: return a + b;
    case kSub: return a - b;
    case kMul: return a * b;
    case kDiv: return a / b;
    case kMax: return (isnan(a) || isnan(b)) ? NAN : (a > b ? a : b);
    case kMin: return (isnan(a) || isnan(b)) ? NAN : (a < b ? a : b);
    case kPow: return powf(a, b);
  }
  return 0.f;
}

template <typename T>
__global__ void binary_kernel(int op, DevActivation act, DevBroadcast p, const T* a, const T* b,
                              T* y) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < p.count;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t ia = i, ib = i;
    if (!p.same_shape) {
      ia = 0;
      ib = 0;
      int64_t rest = i;
      for (int d = p.rank - 1; d >= 0; --d) {
        int64_t idx = rest % p.dims[d];
        rest /= p.dims[d];
        ia += idx * p.a_strides[d];
        ib += idx * p.b_strides[d];
      }
    }
    store(y, i, activate(act, binary_op(op, load(a, ia), load(b, ib))));
  }
}

// Same-shape f16 operands, 8 elements (16 bytes) per thread and step.
__global__ void binary_same_shape_h8(int op, DevActivation act, const uint4* a, const uint4* b,
                                     uint4* y, int64_t n8) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n8;
       i += int64_t(gridDim.x) * blockDim.x) {
    uint4 va = a[i], vb = b[i], vy;
    const __half* ha = reinterpret_cast<const __half*>(&va);
    const __half* hb = reinterpret_cast<const __half*>(&vb);
    __half* hy = reinterpret_cast<__half*>(&vy);
#pragma unroll
    for (int k = 0; k < 8; ++k)
      hy[k] =
          __float2half_rn(activate(act, binary_op(op, __half2float(ha[k]), __half2float(hb[k]))));
    y[i] = vy;
  }
}

template <typename T>
__global__ void epilogue_kernel(DevActivation act, T* y, int64_t rows, int64_t cols, const T* c,
                                float beta, int64_t csm, int64_t csn) {
  int64_t n = rows * cols;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    float v = load(y, i);
    if (c) v += beta * load(c, (i / cols) * csm + (i % cols) * csn);
    store(y, i, activate(act, v));
  }
}

template <typename T>
__global__ void bias_act_kernel(DevActivation act, T* y, const T* bias, int64_t channels,
                                int64_t spatial, bool channels_last, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    float v = load(y, i);
    if (bias) v += load(bias, channels_last ? i % channels : (i / spatial) % channels);
    store(y, i, activate(act, v));
  }
}

}  // namespace

void launch_unary(const DevActivation& act, const void* x, void* y, int64_t n, bool half,
                  cudaStream_t stream) {
  if (n == 0) return;
  if (half)
    unary_kernel<<<grid_for(n, kBlock), kBlock, 0, stream>>>(act, static_cast<const __half*>(x),
                                                             static_cast<__half*>(y), n);
  else
    unary_kernel<<<grid_for(n, kBlock), kBlock, 0, stream>>>(act, static_cast<const float*>(x),
                                                             static_cast<float*>(y), n);
}

void launch_binary(BinaryOp op, const DevActivation& act, const DevBroadcast& p, const void* a,
                   const void* b, void* y, bool half, cudaStream_t stream) {
  if (p.count == 0) return;
  if (half && p.same_shape && p.count % 8 == 0 &&
      ((reinterpret_cast<uintptr_t>(a) | reinterpret_cast<uintptr_t>(b) |
        reinterpret_cast<uintptr_t>(y)) &
       15) == 0) {
    int64_t n8 = p.count / 8;
    binary_same_shape_h8<<<grid_for(n8, kBlock), kBlock, 0, stream>>>(
        op, act, static_cast<const uint4*>(a), static_cast<const uint4*>(b), static_cast<uint4*>(y),
        n8);
    return;
  }
  int g = grid_for(p.count, kBlock);
  if (half)
    binary_kernel<<<g, kBlock, 0, stream>>>(op, act, p, static_cast<const __half*>(a),
                                            static_cast<const __half*>(b), static_cast<__half*>(y));
  else
    binary_kernel<<<g, kBlock, 0, stream>>>(op, act, p, static_cast<const float*>(a),
                                            static_cast<const float*>(b), static_cast<float*>(y));
}

void launch_epilogue(const DevActivation& act, void* y, int64_t rows, int64_t cols, const void* c,
                     float beta, int64_t csm, int64_t csn, bool half, cudaStream_t stream) {
  int64_t n = rows * cols;
  if (n == 0) return;
  if (half)
    epilogue_kernel<<<grid_for(n, kBlock), kBlock, 0, stream>>>(
        act, static_cast<__half*>(y), rows, cols, static_cast<const __half*>(c), beta, csm, csn);
  else
    epilogue_kernel<<<grid_for(n, kBlock), kBlock, 0, stream>>>(
        act, static_cast<float*>(y), rows, cols, static_cast<const float*>(c), beta, csm, csn);
}

void launch_bias_activation(const DevActivation& act, void* y, const void* bias, int64_t batch,
                            int64_t channels, int64_t spatial, bool channels_last, bool half,
                            cudaStream_t stream) {
  int64_t n = batch * channels * spatial;
  if (n == 0) return;
  if (half)
    bias_act_kernel<<<grid_for(n, kBlock), kBlock, 0, stream>>>(
        act, static_cast<__half*>(y), static_cast<const __half*>(bias), channels, spatial,
        channels_last, n);
  else
    bias_act_kernel<<<grid_for(n, kBlock), kBlock, 0, stream>>>(
        act, static_cast<float*>(y), static_cast<const float*>(bias), channels, spatial,
        channels_last, n);
}

namespace {
template <typename E>
__global__ void convert_layout_kernel(E* dst, const E* src, int64_t c, int64_t hw,
                                      bool to_channels_last, int64_t total) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    // i indexes dst.
    if (to_channels_last) {  // dst [n, hw, c] <- src [n, c, hw]
      int64_t ch = i % c, p = (i / c) % hw, n = i / (c * hw);
      dst[i] = src[(n * c + ch) * hw + p];
    } else {  // dst [n, c, hw] <- src [n, hw, c]
      int64_t p = i % hw, ch = (i / hw) % c, n = i / (c * hw);
      dst[i] = src[(n * hw + p) * c + ch];
    }
  }
}
}  // namespace

void launch_convert_layout(void* dst, const void* src, int64_t n, int64_t c, int64_t hw,
                           size_t elem_size, bool to_channels_last, cudaStream_t stream) {
  int64_t total = n * c * hw;
  if (total == 0) return;
  if (elem_size == 1)
    convert_layout_kernel<<<grid_for(total, kBlock), kBlock, 0, stream>>>(
        static_cast<uint8_t*>(dst), static_cast<const uint8_t*>(src), c, hw, to_channels_last,
        total);
  else if (elem_size == 2)
    convert_layout_kernel<<<grid_for(total, kBlock), kBlock, 0, stream>>>(
        static_cast<uint16_t*>(dst), static_cast<const uint16_t*>(src), c, hw, to_channels_last,
        total);
  else
    convert_layout_kernel<<<grid_for(total, kBlock), kBlock, 0, stream>>>(
        static_cast<uint32_t*>(dst), static_cast<const uint32_t*>(src), c, hw, to_channels_last,
        total);
}

}  // namespace strix::kernels::cuda
