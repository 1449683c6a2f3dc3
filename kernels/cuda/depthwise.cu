// Depthwise Conv2D on channels-last f16 tensors (one filter per channel, multiplier 1), with
// the bias and activation fused. cuDNN's engines for depthwise convolutions are slow at small
// batch (tens of microseconds per layer); this kernel is bound by memory bandwidth instead.
// Each thread computes two neighbouring channels (half2 loads) of one output pixel, so a warp
// reads contiguous bytes; the window's taps come from L1/L2. f32 accumulation.
#include "kernels/cuda/device_math.cuh"

namespace strix::kernels::cuda {
namespace {

constexpr int kBlock = 256;

// VEC = 2: channels are even and the tensors 4-byte aligned (half2 loads); VEC = 1 otherwise.
template <int VEC>
__global__ void depthwise_nhwc_kernel(DevDepthwise p, DevActivation act, const __half* x,
                                      const __half* w, const __half* bias, __half* y) {
  const int groups = p.c / VEC;
  const int total = p.n * p.oh * p.ow * groups;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
    const int cg = i % groups;
    int pixel = i / groups;
    const int ox = pixel % p.ow;
    pixel /= p.ow;
    const int oy = pixel % p.oh;
    const int n = pixel / p.oh;
    const int c = cg * VEC;
    float acc[VEC];
#pragma unroll
    for (int v = 0; v < VEC; ++v) acc[v] = bias != nullptr ? __half2float(bias[c + v]) : 0.f;
    const int y0 = oy * p.stride_h - p.pad_top, x0 = ox * p.stride_w - p.pad_left;
    const __half* xn = x + static_cast<int64_t>(n) * p.h * p.w * p.c + c;
    for (int ky = 0; ky < p.kh; ++ky) {
      const int iy = y0 + ky * p.dilation_h;
      if (iy < 0 || iy >= p.h) continue;
      for (int kx = 0; kx < p.kw; ++kx) {
        const int ix = x0 + kx * p.dilation_w;
        if (ix < 0 || ix >= p.w) continue;
        const __half* src = xn + (static_cast<int64_t>(iy) * p.w + ix) * p.c;
        const int tap = ky * p.kw + kx;
        if (VEC == 2) {
          const float2 xv = __half22float2(*reinterpret_cast<const __half2*>(src));
          acc[0] += xv.x * __half2float(w[c * p.kh * p.kw + tap]);
          acc[VEC - 1] += xv.y * __half2float(w[(c + 1) * p.kh * p.kw + tap]);
        } else {
          acc[0] += __half2float(src[0]) * __half2float(w[c * p.kh * p.kw + tap]);
        }
      }
    }
    __half* dst = y + static_cast<int64_t>(i) * VEC;
    if (VEC == 2) {
      *reinterpret_cast<__half2*>(dst) =
          __floats2half2_rn(activate(act, acc[0]), activate(act, acc[VEC - 1]));
    } else {
      dst[0] = __float2half_rn(activate(act, acc[0]));
    }
  }
}

}  // namespace

void launch_depthwise_nhwc(const DevDepthwise& p, const DevActivation& act, const void* x,
                           const void* w, const void* bias, void* y, cudaStream_t stream) {
  const auto* xs = static_cast<const __half*>(x);
  const auto* ws = static_cast<const __half*>(w);
  const auto* bs = static_cast<const __half*>(bias);
  auto* ys = static_cast<__half*>(y);
  const bool vec2 = p.c % 2 == 0 && reinterpret_cast<uintptr_t>(x) % 4 == 0 &&
                    reinterpret_cast<uintptr_t>(y) % 4 == 0;
  const int64_t n = static_cast<int64_t>(p.n) * p.oh * p.ow * (vec2 ? p.c / 2 : p.c);
  if (n == 0) return;
  if (vec2)
    depthwise_nhwc_kernel<2><<<grid_for(n, kBlock), kBlock, 0, stream>>>(p, act, xs, ws, bs, ys);
  else
    depthwise_nhwc_kernel<1><<<grid_for(n, kBlock), kBlock, 0, stream>>>(p, act, xs, ws, bs, ys);
}

}  // namespace strix::kernels::cuda
