// MaxPool / AveragePool (one thread per output) and the global pools (one warp per plane).
#include <cfloat>

#include "kernels/cuda/device_math.cuh"

namespace strix::kernels::cuda {
namespace {

constexpr int kBlock = 256;

// I: index type (int when every index fits: 32-bit division is several times cheaper).
template <typename T, typename I>
__global__ void pool2d_kernel(bool average, DevPool p, const T* x, T* y) {
  const I n = I(p.planes * p.out_h * p.out_w);
  for (I i = blockIdx.x * I(blockDim.x) + threadIdx.x; i < n; i += I(gridDim.x) * blockDim.x) {
    I ox, oy, plane = 0, ch = 0, cs = 1;  // cs: element stride between pixels
    const T* src;
    if (p.channels_last) {  // i = ((n * out_h + oy) * out_w + ox) * C + ch
      ch = i % I(p.channels);
      ox = (i / I(p.channels)) % I(p.out_w);
      oy = (i / I(p.channels * p.out_w)) % I(p.out_h);
      I n = i / I(p.channels * p.out_w * p.out_h);
      src = x + n * I(p.h * p.w * p.channels) + ch;
      cs = I(p.channels);
    } else {
      ox = i % I(p.out_w);
      oy = (i / I(p.out_w)) % I(p.out_h);
      plane = i / I(p.out_w * p.out_h);
      src = x + plane * I(p.h * p.w);
    }
    const I h = I(p.h), w = I(p.w);
    I y0 = oy * p.stride_h - p.pad_top, x0 = ox * p.stride_w - p.pad_left;
    float acc = average ? 0.f : -FLT_MAX;
    bool any = false;
    I in_range = 0, padded = 0;
    for (int ky = 0; ky < p.kernel_h; ++ky) {
      I iy = y0 + I(ky) * p.dilation_h;
      bool row_in_pad = iy >= -p.pad_top && iy < h + p.pad_bottom;
      for (int kx = 0; kx < p.kernel_w; ++kx) {
        I ix = x0 + I(kx) * p.dilation_w;
        if (row_in_pad && ix >= -p.pad_left && ix < w + p.pad_right) ++padded;
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
        float v = load(src, (iy * w + ix) * cs);
        ++in_range;
        if (average) {
          acc += v;
        } else {
          acc = any ? (v > acc ? v : acc) : v;
        }
        any = true;
      }
    }
    if (average) acc /= float(p.count_include_pad ? padded : in_range);
    store(y, i, acc);
  }
}

template <typename T>
__global__ void global_pool_kernel(bool average, const T* x, T* y, int64_t planes,
                                   int64_t spatial) {
  int warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32, lane = threadIdx.x % 32;
  if (warp >= planes) return;
  const T* src = x + warp * spatial;
  float acc = average ? 0.f : -FLT_MAX;
  for (int64_t i = lane; i < spatial; i += 32) {
    float v = load(src, i);
    acc = average ? acc + v : (v > acc || isnan(v) ? v : acc);
  }
  for (int o = 16; o > 0; o /= 2) {
    float other = __shfl_down_sync(0xffffffffu, acc, o);
    acc = average ? acc + other : (other > acc || isnan(other) ? other : acc);
  }
  if (lane == 0) store(y, warp, average ? acc / float(spatial) : acc);
}

// Channels-last global pool: one thread per (n, c), pixels strided by C (coalesced in c).
template <typename T>
__global__ void global_pool_nhwc_kernel(bool average, const T* x, T* y, int64_t planes,
                                        int64_t spatial, int64_t channels) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < planes;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t n = i / channels, ch = i % channels;
    const T* src = x + n * spatial * channels + ch;
    float acc = average ? 0.f : -FLT_MAX;
    for (int64_t p = 0; p < spatial; ++p) {
      float v = load(src, p * channels);
      acc = average ? acc + v : (v > acc ? v : acc);
    }
    store(y, i, average ? acc / float(spatial) : acc);
  }
}

// Channels-last f16 max pooling, 8 channels per thread (16-byte loads and stores): the
// pooling of ResNet's stem is bandwidth bound, and one thread per element wasted it.
// Same NaN-free semantics as pool2d_kernel (the first tap, then v > acc).
__global__ void max_pool_nhwc_vec8_kernel(DevPool p, const uint4* x, uint4* y) {
  const int groups = int(p.channels / 8);
  const int total = int(p.planes / p.channels * p.out_h * p.out_w) * groups;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
    const int cg = i % groups;
    int pixel = i / groups;
    const int ox = pixel % int(p.out_w);
    pixel /= int(p.out_w);
    const int oy = pixel % int(p.out_h);
    const int n = pixel / int(p.out_h);
    const int h = int(p.h), w = int(p.w);
    const int y0 = oy * p.stride_h - p.pad_top, x0 = ox * p.stride_w - p.pad_left;
    float acc[8];
    bool any = false;
    for (int ky = 0; ky < p.kernel_h; ++ky) {
      const int iy = y0 + ky * p.dilation_h;
      if (iy < 0 || iy >= h) continue;
      for (int kx = 0; kx < p.kernel_w; ++kx) {
        const int ix = x0 + kx * p.dilation_w;
        if (ix < 0 || ix >= w) continue;
        uint4 raw = x[((int64_t(n) * h + iy) * w + ix) * groups + cg];
        const __half* v = reinterpret_cast<const __half*>(&raw);
#pragma unroll
        for (int e = 0; e < 8; ++e) {
          float f = __half2float(v[e]);
          acc[e] = any ? (f > acc[e] ? f : acc[e]) : f;
        }
        any = true;
      }
    }
    uint4 out;
    __half* o = reinterpret_cast<__half*>(&out);
#pragma unroll
    for (int e = 0; e < 8; ++e) o[e] = __float2half_rn(any ? acc[e] : -FLT_MAX);
    y[i] = out;
  }
}

}  // namespace

void launch_pool2d(bool average, const DevPool& p, const void* x, void* y, bool half,
                   cudaStream_t stream) {
  int64_t n = p.planes * p.out_h * p.out_w;
  if (n == 0) return;
  const bool small = p.planes * p.h * p.w < (int64_t(1) << 31) - 1 && n < (int64_t(1) << 30);
  const int g = grid_for(n, kBlock);
  if (half && !average && p.channels_last && p.channels % 8 == 0 && small &&
      reinterpret_cast<uintptr_t>(x) % 16 == 0 && reinterpret_cast<uintptr_t>(y) % 16 == 0) {
    max_pool_nhwc_vec8_kernel<<<grid_for(n / 8, kBlock), kBlock, 0, stream>>>(
        p, static_cast<const uint4*>(x), static_cast<uint4*>(y));
    return;
  }
  if (half) {
    auto* xs = static_cast<const __half*>(x);
    auto* ys = static_cast<__half*>(y);
    if (small)
      pool2d_kernel<__half, int><<<g, kBlock, 0, stream>>>(average, p, xs, ys);
    else
      pool2d_kernel<__half, int64_t><<<g, kBlock, 0, stream>>>(average, p, xs, ys);
  } else {
    auto* xs = static_cast<const float*>(x);
    auto* ys = static_cast<float*>(y);
    if (small)
      pool2d_kernel<float, int><<<g, kBlock, 0, stream>>>(average, p, xs, ys);
    else
      pool2d_kernel<float, int64_t><<<g, kBlock, 0, stream>>>(average, p, xs, ys);
  }
}

void launch_global_pool(bool average, const void* x, void* y, int64_t planes, int64_t spatial,
                        int64_t channels, bool channels_last, bool half, cudaStream_t stream) {
  if (planes == 0) return;
  if (channels_last) {
    if (half)
      global_pool_nhwc_kernel<<<grid_for(planes, kBlock), kBlock, 0, stream>>>(
          average, static_cast<const __half*>(x), static_cast<__half*>(y), planes, spatial,
          channels);
    else
      global_pool_nhwc_kernel<<<grid_for(planes, kBlock), kBlock, 0, stream>>>(
          average, static_cast<const float*>(x), static_cast<float*>(y), planes, spatial, channels);
    return;
  }
  int blocks = static_cast<int>((planes * 32 + kBlock - 1) / kBlock);
  if (half)
    global_pool_kernel<<<blocks, kBlock, 0, stream>>>(average, static_cast<const __half*>(x),
                                                      static_cast<__half*>(y), planes, spatial);
  else
    global_pool_kernel<<<blocks, kBlock, 0, stream>>>(average, static_cast<const float*>(x),
                                                      static_cast<float*>(y), planes, spatial);
}

}  // namespace strix::kernels::cuda
