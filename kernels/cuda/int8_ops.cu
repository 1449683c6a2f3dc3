// INT8 Quantize / Dequantize (with the NCHW <-> channels-last change of the device layout),
// max pooling, global average pooling and Add: the reference arithmetic
// (kernels/cpu/ref/quantize.cc, pool_int8.cc, binary_int8.cc) in device code.
#include "kernels/cuda/int8_math.cuh"

namespace strix::kernels::cuda {
namespace {

constexpr int kBlock = 256;

int grid_of(int64_t total) {
  int64_t g = (total + kBlock - 1) / kBlock;
  return static_cast<int>(g < 65535 * 8 ? (g < 1 ? 1 : g) : 65535 * 8);
}

// 32-bit indices: the factories refuse tensors of 2^31 elements or more (64-bit division
// costs tens of instructions per element).
#define STRIX_GRID_STRIDE(i, total)                                                  \
  for (int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x); i < (total); \
       i += static_cast<int>(gridDim.x * blockDim.x))

// ref::quantize_value: round half to even of real / scale (IEEE division), + zp, clamp.
__device__ __forceinline__ int8_t quantize_one(float real, float scale, int32_t zp) {
  const float q = rintf(__fdiv_rn(real, scale)) + static_cast<float>(zp);
  if (!(q >= -128.f)) return -128;
  if (q > 127.f) return 127;
  return static_cast<int8_t>(static_cast<int>(q));
}

// i indexes y; with to_channels_last y is [n, hw, c] and x [n, c, hw].
__global__ void quantize_kernel(const float* __restrict__ x, int8_t* __restrict__ y, int c, int hw,
                                int total, float scale, int32_t zp, bool cl) {
  STRIX_GRID_STRIDE(i, total) {
    int src = i;
    if (cl) {
      const int ch = i % c, p = (i / c) % hw, n = i / (c * hw);
      src = (n * c + ch) * hw + p;
    }
    y[i] = quantize_one(x[src], scale, zp);
  }
}

// Few channels to channels-last: one thread per pixel i of [n, hw] reads its c values from the c
// planes (consecutive threads, consecutive floats) and writes its c bytes together.
__global__ void quantize_pixels_kernel(const float* __restrict__ x, int8_t* __restrict__ y, int c,
                                       int hw, int pixels, float scale, int32_t zp) {
  STRIX_GRID_STRIDE(i, pixels) {
    const int n = i / hw, p = i - n * hw;
    const float* src = x + static_cast<size_t>(n) * c * hw + p;
    for (int ch = 0; ch < c; ++ch) y[i * c + ch] = quantize_one(__ldg(src + ch * hw), scale, zp);
  }
}

// i indexes y; with from_channels_last x is [n, hw, c] and y [n, c, hw].
__global__ void dequantize_kernel(const int8_t* __restrict__ x, float* __restrict__ y, int c,
                                  int hw, int total, float scale, int32_t zp, bool cl) {
  STRIX_GRID_STRIDE(i, total) {
    int src = i;
    if (cl) {
      const int p = i % hw, ch = (i / hw) % c, n = i / (c * hw);
      src = (n * hw + p) * c + ch;
    }
    y[i] = __fmul_rn(scale, static_cast<float>(static_cast<int32_t>(x[src]) - zp));
  }
}

// Max over the window of 16 channels at a time (V = 16, c % 16 == 0), 4 (c % 4 == 0) or one.
template <int V>
__global__ void max_pool_i8_kernel(DevPool p, const int8_t* __restrict__ x, int8_t* __restrict__ y,
                                   int total) {
  const int cv = static_cast<int>(p.channels) / V, ow = static_cast<int>(p.out_w),
            oh = static_cast<int>(p.out_h), h = static_cast<int>(p.h), w = static_cast<int>(p.w);
  STRIX_GRID_STRIDE(i, total) {
    const int cq = i % cv;
    const int t = i / cv;
    const int ox = t % ow, oy = (t / ow) % oh;
    const int img = t / (ow * oh);
    uint32_t best = 0x80808080u;  // -128 in every byte
    uint4 best16 = make_uint4(best, best, best, best);
    int8_t best1 = -128;
    for (int r = 0; r < p.kernel_h; ++r) {
      const int ih = oy * p.stride_h - p.pad_top + r * p.dilation_h;
      if (ih < 0 || ih >= h) continue;
      for (int s = 0; s < p.kernel_w; ++s) {
        const int iw = ox * p.stride_w - p.pad_left + s * p.dilation_w;
        if (iw < 0 || iw >= w) continue;
        const int8_t* px = x + ((img * h + ih) * w + iw) * cv * V + cq * V;
        if (V == 16) {
          const uint4 v = __ldg(reinterpret_cast<const uint4*>(px));
          best16 = make_uint4(__vmaxs4(best16.x, v.x), __vmaxs4(best16.y, v.y),
                              __vmaxs4(best16.z, v.z), __vmaxs4(best16.w, v.w));
        } else if (V == 4) {
          best = __vmaxs4(best, __ldg(reinterpret_cast<const uint32_t*>(px)));
        } else {
          best1 = max(best1, __ldg(px));
        }
      }
    }
    if (V == 16)
      reinterpret_cast<uint4*>(y)[i] = best16;
    else if (V == 4)
      reinterpret_cast<uint32_t*>(y)[i] = best;
    else
      y[i] = best1;
  }
}

// One thread per (n, c): x [n, spatial, c].
__global__ void global_avg_pool_i8_kernel(const int8_t* __restrict__ x, int8_t* __restrict__ y,
                                          int spatial, int c, int total, int32_t in_zp,
                                          int32_t out_zp, bool same_scale, int32_t mult,
                                          int shift) {
  STRIX_GRID_STRIDE(i, total) {
    const int ch = i % c, n = i / c;
    const int8_t* px = x + n * spatial * c + ch;
    int32_t acc = 0;
    for (int s = 0; s < spatial; ++s) acc += static_cast<int32_t>(px[s * c]) - in_zp;
    int32_t v;
    if (same_scale) {
      const int32_t count = static_cast<int32_t>(spatial);
      const int32_t mean = acc >= 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
      v = mean + out_zp;
      v = v < -128 ? -128 : (v > 127 ? 127 : v);
    } else {
      v = requantize_fast(acc, mult, shift, out_zp, -128, 127);
    }
    y[i] = static_cast<int8_t>(v);
  }
}

__global__ void add_i8_kernel(DevAddI8 q, const int8_t* __restrict__ a,
                              const int8_t* __restrict__ b, int8_t* __restrict__ y, int count) {
  const int quads = count / 4;
  STRIX_GRID_STRIDE(i, quads) {
    const char4 va = reinterpret_cast<const char4*>(a)[i];
    const char4 vb = reinterpret_cast<const char4*>(b)[i];
    char4 o;
    o.x = static_cast<int8_t>(add_i8_dev(q, va.x, vb.x));
    o.y = static_cast<int8_t>(add_i8_dev(q, va.y, vb.y));
    o.z = static_cast<int8_t>(add_i8_dev(q, va.z, vb.z));
    o.w = static_cast<int8_t>(add_i8_dev(q, va.w, vb.w));
    reinterpret_cast<char4*>(y)[i] = o;
  }
  STRIX_GRID_STRIDE(j, count - quads * 4) {
    const int k = quads * 4 + j;
    y[k] = static_cast<int8_t>(add_i8_dev(q, a[k], b[k]));
  }
}

}  // namespace

void launch_quantize_i8(const float* x, int8_t* y, int64_t n, int64_t c, int64_t hw, float scale,
                        int32_t zp, bool to_channels_last, cudaStream_t stream) {
  const int64_t total = n * c * hw;
  if (total == 0) return;
  if (to_channels_last && c <= 4) {  // image inputs
    quantize_pixels_kernel<<<grid_of(n * hw), kBlock, 0, stream>>>(x, y, int(c), int(hw),
                                                                   int(n * hw), scale, zp);
    return;
  }
  quantize_kernel<<<grid_of(total), kBlock, 0, stream>>>(x, y, int(c), int(hw), int(total), scale,
                                                         zp, to_channels_last);
}

void launch_dequantize_i8(const int8_t* x, float* y, int64_t n, int64_t c, int64_t hw, float scale,
                          int32_t zp, bool from_channels_last, cudaStream_t stream) {
  const int64_t total = n * c * hw;
  if (total == 0) return;
  dequantize_kernel<<<grid_of(total), kBlock, 0, stream>>>(x, y, int(c), int(hw), int(total), scale,
                                                           zp, from_channels_last);
}

void launch_max_pool_i8(const DevPool& p, const int8_t* x, int8_t* y, cudaStream_t stream) {
  const int64_t n = p.planes / p.channels;
  if (p.channels % 16 == 0) {
    const int64_t total = n * p.out_h * p.out_w * (p.channels / 16);
    if (total > 0)
      max_pool_i8_kernel<16><<<grid_of(total), kBlock, 0, stream>>>(p, x, y, int(total));
  } else if (p.channels % 4 == 0) {
    const int64_t total = n * p.out_h * p.out_w * (p.channels / 4);
    if (total > 0)
      max_pool_i8_kernel<4><<<grid_of(total), kBlock, 0, stream>>>(p, x, y, int(total));
  } else {
    const int64_t total = n * p.out_h * p.out_w * p.channels;
    if (total > 0)
      max_pool_i8_kernel<1><<<grid_of(total), kBlock, 0, stream>>>(p, x, y, int(total));
  }
}

void launch_global_avg_pool_i8(const int8_t* x, int8_t* y, int64_t n, int64_t spatial, int64_t c,
                               int32_t in_zp, int32_t out_zp, bool same_scale, int32_t mult,
                               int shift, cudaStream_t stream) {
  const int64_t total = n * c;
  if (total == 0) return;
  global_avg_pool_i8_kernel<<<grid_of(total), kBlock, 0, stream>>>(
      x, y, int(spatial), int(c), int(total), in_zp, out_zp, same_scale, mult, shift);
}

void launch_add_i8(const DevAddI8& q, const int8_t* a, const int8_t* b, int8_t* y, int64_t count,
                   cudaStream_t stream) {
  if (count == 0) return;
  add_i8_kernel<<<grid_of(count / 4 + 1), kBlock, 0, stream>>>(q, a, b, y, int(count));
}

}  // namespace strix::kernels::cuda
