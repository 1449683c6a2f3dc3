// INT8 Conv2D without tensor cores: the direct kernel for any channel count and groups
// (the C = 3 stems, grouped convolutions) with dp4a, and the depthwise kernel. Both
// accumulate exactly what the reference does and requantize with int8_math.cuh.
#include "kernels/cuda/int8_math.cuh"

namespace strix::kernels::cuda {
namespace {

constexpr int kBlock = 256;

// Four bytes of channels [q*4, q*4+4) of a pixel, zero past `cg` (those filter bytes are 0).
__device__ __forceinline__ int load_quad(const int8_t* px, int q, int cg, bool aligned) {
  const int c0 = q * 4;
  if (aligned && c0 + 4 <= cg) return __ldg(reinterpret_cast<const int*>(px + c0));
  int v = 0;
#pragma unroll
  for (int b = 0; b < 4; ++b)
    if (c0 + b < cg) v |= (static_cast<int>(static_cast<uint8_t>(__ldg(px + c0 + b)))) << (8 * b);
  return v;
}

// One thread: one output position x CPT consecutive output channels (within one group).
// Padding taps read x_zp in every real channel (the folded bias expects it).
template <int CPT>
__global__ void conv_i8_direct_kernel(DevConvI8Direct d, const int8_t* __restrict__ x,
                                      const int32_t* __restrict__ wp, int8_t* __restrict__ y) {
  const DevConvI8& p = d.conv;
  const int cg = p.c / d.group, mg = p.m / d.group;
  const int nq = (cg + 3) / 4;
  const int ohw = p.oh * p.ow, positions = p.n * ohw;
  const int blocks = p.m / CPT;
  const bool aligned = (p.c % 4) == 0 && (cg % 4) == 0;
  const int pad4 = (p.x_zp & 0xff) * 0x01010101;
  const int total = positions * blocks;  // < 2^31 (the factory checks n * oh * ow * m)
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
    const int pos = i % positions;
    const int m0 = (i / positions) * CPT;
    const int g = m0 / mg;
    const int img = pos / ohw, rem = pos - img * ohw;
    const int oy = rem / p.ow, ox = rem - oy * p.ow;
    int32_t acc[CPT];
#pragma unroll
    for (int j = 0; j < CPT; ++j) acc[j] = 0;
    for (int r = 0; r < p.kh; ++r) {
      const int ih = oy * p.stride_h - p.pad_top + r * p.dilation_h;
      for (int s = 0; s < p.kw; ++s) {
        const int iw = ox * p.stride_w - p.pad_left + s * p.dilation_w;
        const bool inside = ih >= 0 && ih < p.h && iw >= 0 && iw < p.w;
        const int8_t* px =
            x +
            ((static_cast<size_t>(img) * p.h + (inside ? ih : 0)) * p.w + (inside ? iw : 0)) * p.c +
            g * cg;
        const int32_t* wt = wp + static_cast<size_t>((r * p.kw + s) * nq) * p.m + m0;
        for (int q = 0; q < nq; ++q) {
          const int xv = inside ? load_quad(px, q, cg, aligned) : pad4;
#pragma unroll
          for (int j = 0; j < CPT; ++j) acc[j] = __dp4a(xv, __ldg(wt + j), acc[j]);
          wt += p.m;
        }
      }
    }
    const size_t at = static_cast<size_t>(pos) * p.m + m0;
#pragma unroll
    for (int j = 0; j < CPT; ++j) {
      const int32_t res = p.residual != nullptr ? p.residual[at + j] : 0;
      y[at + j] = conv_i8_output(p, acc[j], m0 + j, res);
    }
  }
}

// The same with the block's filters in shared memory: a block of kSmemBlock threads computes
// kSmemBlock consecutive positions x CPT channels (blockIdx.y picks the channel block), the
// packed filter slice [taps * nq][CPT] read as int4 broadcasts.
constexpr int kSmemBlock = 128;
template <int CPT>
__global__ void __launch_bounds__(kSmemBlock)
    conv_i8_direct_smem_kernel(DevConvI8Direct d, const int8_t* __restrict__ x,
                               const int32_t* __restrict__ wp, int8_t* __restrict__ y) {
  extern __shared__ int4 sw4[];
  int32_t* sw = reinterpret_cast<int32_t*>(sw4);
  const DevConvI8& p = d.conv;
  const int cg = p.c / d.group, mg = p.m / d.group;
  const int nq = (cg + 3) / 4;
  const int taps = p.kh * p.kw;
  const int m0 = blockIdx.y * CPT;
  const int g = m0 / mg;
  for (int i = threadIdx.x; i < taps * nq * CPT; i += kSmemBlock)
    sw[i] = __ldg(wp + static_cast<size_t>(i / CPT) * p.m + m0 + i % CPT);
  __syncthreads();
  const int ohw = p.oh * p.ow, positions = p.n * ohw;
  const int pos = blockIdx.x * kSmemBlock + threadIdx.x;
  if (pos >= positions) return;
  const bool aligned = (p.c % 4) == 0 && (cg % 4) == 0;
  const int pad4 = (p.x_zp & 0xff) * 0x01010101;
  const int img = pos / ohw, rem = pos - img * ohw;
  const int oy = rem / p.ow, ox = rem - oy * p.ow;
  int32_t acc[CPT];
#pragma unroll
  for (int j = 0; j < CPT; ++j) acc[j] = 0;
  const int4* wq = sw4;
  for (int r = 0; r < p.kh; ++r) {
    const int ih = oy * p.stride_h - p.pad_top + r * p.dilation_h;
    for (int s = 0; s < p.kw; ++s) {
      const int iw = ox * p.stride_w - p.pad_left + s * p.dilation_w;
      const bool inside = ih >= 0 && ih < p.h && iw >= 0 && iw < p.w;
      const int8_t* px =
          x +
          ((static_cast<size_t>(img) * p.h + (inside ? ih : 0)) * p.w + (inside ? iw : 0)) * p.c +
          g * cg;
      for (int q = 0; q < nq; ++q) {
        const int xv = inside ? load_quad(px, q, cg, aligned) : pad4;
#pragma unroll
        for (int j = 0; j < CPT / 4; ++j) {
          const int4 wv = wq[j];
          acc[4 * j] = __dp4a(xv, wv.x, acc[4 * j]);
          acc[4 * j + 1] = __dp4a(xv, wv.y, acc[4 * j + 1]);
          acc[4 * j + 2] = __dp4a(xv, wv.z, acc[4 * j + 2]);
          acc[4 * j + 3] = __dp4a(xv, wv.w, acc[4 * j + 3]);
        }
        wq += CPT / 4;
      }
    }
  }
  const size_t at = static_cast<size_t>(pos) * p.m + m0;
#pragma unroll
  for (int j = 0; j < CPT; j += 4) {
    int32_t res[4] = {0, 0, 0, 0};
    if (p.residual != nullptr)
      for (int e = 0; e < 4; ++e) res[e] = p.residual[at + j + e];
    char4 o;
    o.x = conv_i8_output(p, acc[j], m0 + j, res[0]);
    o.y = conv_i8_output(p, acc[j + 1], m0 + j + 1, res[1]);
    o.z = conv_i8_output(p, acc[j + 2], m0 + j + 2, res[2]);
    o.w = conv_i8_output(p, acc[j + 3], m0 + j + 3, res[3]);
    if ((p.m & 3) == 0)
      *reinterpret_cast<char4*>(y + at + j) = o;
    else {
      y[at + j] = o.x;
      y[at + j + 1] = o.y;
      y[at + j + 2] = o.z;
      y[at + j + 3] = o.w;
    }
  }
}

// Depthwise: one thread, one output position x 4 channels (CH4) or 1. `w` is [kh * kw][c]
// (packed by the host). Padding taps are skipped: they add (x_zp - x_zp) * w = 0, so the
// bias is the model's own.
template <bool CH4>
__global__ void depthwise_i8_kernel(DevConvI8 p, const int8_t* __restrict__ x,
                                    const int8_t* __restrict__ w, int8_t* __restrict__ y) {
  constexpr int V = CH4 ? 4 : 1;
  const int ohw = p.oh * p.ow, positions = p.n * ohw;
  const int groups = p.c / V;
  const int total = positions * groups;  // < 2^31 (the factory checks n * oh * ow * m)
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
    const int c0 = (i % groups) * V;
    const int pos = i / groups;
    const int img = pos / ohw, rem = pos - img * ohw;
    const int oy = rem / p.ow, ox = rem - oy * p.ow;
    int32_t acc[V];
#pragma unroll
    for (int j = 0; j < V; ++j) acc[j] = 0;
    for (int r = 0; r < p.kh; ++r) {
      const int ih = oy * p.stride_h - p.pad_top + r * p.dilation_h;
      if (ih < 0 || ih >= p.h) continue;
      for (int s = 0; s < p.kw; ++s) {
        const int iw = ox * p.stride_w - p.pad_left + s * p.dilation_w;
        if (iw < 0 || iw >= p.w) continue;
        const int8_t* px = x + ((img * p.h + ih) * p.w + iw) * p.c + c0;
        const int8_t* wt = w + (r * p.kw + s) * p.c + c0;
        if (CH4) {
          const char4 xv = __ldg(reinterpret_cast<const char4*>(px));
          const char4 wv = __ldg(reinterpret_cast<const char4*>(wt));
          acc[0] += (xv.x - p.x_zp) * wv.x;
          acc[V > 1 ? 1 : 0] += (xv.y - p.x_zp) * wv.y;
          acc[V > 2 ? 2 : 0] += (xv.z - p.x_zp) * wv.z;
          acc[V > 3 ? 3 : 0] += (xv.w - p.x_zp) * wv.w;
        } else {
          acc[0] += (__ldg(px) - p.x_zp) * __ldg(wt);
        }
      }
    }
    const size_t at = static_cast<size_t>(pos) * p.c + c0;
    if (CH4) {
      int32_t res[4] = {0, 0, 0, 0};
      if (p.residual != nullptr) {
        const char4 rv = *reinterpret_cast<const char4*>(p.residual + at);
        res[0] = rv.x;
        res[1] = rv.y;
        res[2] = rv.z;
        res[3] = rv.w;
      }
      char4 out;
      out.x = conv_i8_output(p, acc[0], c0, res[0]);
      out.y = conv_i8_output(p, acc[V > 1 ? 1 : 0], c0 + 1, res[1]);
      out.z = conv_i8_output(p, acc[V > 2 ? 2 : 0], c0 + 2, res[2]);
      out.w = conv_i8_output(p, acc[V > 3 ? 3 : 0], c0 + 3, res[3]);
      *reinterpret_cast<char4*>(y + at) = out;
    } else {
      y[at] = conv_i8_output(p, acc[0], c0, p.residual != nullptr ? p.residual[at] : 0);
    }
  }
}

// Depthwise, 16 channels per thread (c % 16 == 0): padding taps read x_zp and the bias is
// folded (bias - x_zp * sum(w)), so every tap is one 16-byte load and, per channel, one dp4a of
// the pixel's 4-byte word with that channel's weight word (its byte in the channel's lane, zeros
// elsewhere: wl [kh * kw][c] of int32).
__global__ void depthwise16_i8_kernel(DevConvI8 p, const int8_t* __restrict__ x,
                                      const int4* __restrict__ wl, int8_t* __restrict__ y) {
  const int ohw = p.oh * p.ow, positions = p.n * ohw;
  const int groups = p.c / 16;
  const int total = positions * groups;  // < 2^31 (the factory checks n * oh * ow * m)
  const int pad4 = (p.x_zp & 0xff) * 0x01010101;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
    const int c0 = (i % groups) * 16;
    const int pos = i / groups;
    const int img = pos / ohw, rem = pos - img * ohw;
    const int oy = rem / p.ow, ox = rem - oy * p.ow;
    int32_t acc[16];
#pragma unroll
    for (int j = 0; j < 16; ++j) acc[j] = 0;
    for (int r = 0; r < p.kh; ++r) {
      const int ih = oy * p.stride_h - p.pad_top + r * p.dilation_h;
      const bool row_in = static_cast<unsigned>(ih) < static_cast<unsigned>(p.h);
      for (int s = 0; s < p.kw; ++s) {
        const int iw = ox * p.stride_w - p.pad_left + s * p.dilation_w;
        int4 xv = make_int4(pad4, pad4, pad4, pad4);
        if (row_in && static_cast<unsigned>(iw) < static_cast<unsigned>(p.w))
          xv = __ldg(reinterpret_cast<const int4*>(x + ((img * p.h + ih) * p.w + iw) * p.c + c0));
        const int4* wt = wl + ((r * p.kw + s) * p.c + c0) / 4;
        const int xw[4] = {xv.x, xv.y, xv.z, xv.w};
#pragma unroll
        for (int q = 0; q < 4; ++q) {
          const int4 wv = __ldg(wt + q);
          acc[4 * q] = __dp4a(xw[q], wv.x, acc[4 * q]);
          acc[4 * q + 1] = __dp4a(xw[q], wv.y, acc[4 * q + 1]);
          acc[4 * q + 2] = __dp4a(xw[q], wv.z, acc[4 * q + 2]);
          acc[4 * q + 3] = __dp4a(xw[q], wv.w, acc[4 * q + 3]);
        }
      }
    }
    const size_t at = static_cast<size_t>(pos) * p.c + c0;
    uint32_t out[4];
    if (p.fast_rq && p.residual == nullptr) {
#pragma unroll
      for (int j = 0; j < 16; ++j) {
        const int ch = c0 + j, e = -__ldg(p.rq.shift + ch);
        int32_t v = rq_fast(acc[j] + __ldg(p.rq.bias + ch), __ldg(p.rq.mult + ch), 1 << (e - 1), e);
        v = min(max(v + p.rq.y_zp, p.rq.qmin), p.rq.qmax);
        if (j % 4 == 0) out[j / 4] = 0;
        out[j / 4] |= static_cast<uint32_t>(v & 0xff) << (8 * (j % 4));
      }
    } else {
      int4 rv = make_int4(0, 0, 0, 0);
      if (p.residual != nullptr) rv = *reinterpret_cast<const int4*>(p.residual + at);
      const int rw[4] = {rv.x, rv.y, rv.z, rv.w};
#pragma unroll
      for (int j = 0; j < 16; ++j) {
        const int32_t r = static_cast<int8_t>(rw[j / 4] >> (8 * (j % 4)));
        const int8_t v = conv_i8_output(p, acc[j], c0 + j, r);
        if (j % 4 == 0) out[j / 4] = 0;
        out[j / 4] |= static_cast<uint32_t>(static_cast<uint8_t>(v)) << (8 * (j % 4));
      }
    }
    *reinterpret_cast<uint4*>(y + at) = make_uint4(out[0], out[1], out[2], out[3]);
  }
}

int grid_of(int64_t total) {
  int64_t g = (total + kBlock - 1) / kBlock;
  return static_cast<int>(g < 65535 * 8 ? (g < 1 ? 1 : g) : 65535 * 8);
}

}  // namespace

void launch_conv_i8_direct(const DevConvI8Direct& d, const int8_t* x, const int32_t* wp, int8_t* y,
                           cudaStream_t stream) {
  const DevConvI8& p = d.conv;
  const int mg = p.m / d.group;
  const int64_t positions = static_cast<int64_t>(p.n) * p.oh * p.ow;
  const int64_t slice = static_cast<int64_t>(p.kh) * p.kw * ((p.c / d.group + 3) / 4) * 4;
  const dim3 blocks(static_cast<unsigned>((positions + kSmemBlock - 1) / kSmemBlock), 1);
  if (mg % 64 == 0 && slice * 64 <= 48 * 1024) {
    conv_i8_direct_smem_kernel<64>
        <<<dim3(blocks.x, p.m / 64), kSmemBlock, slice * 64, stream>>>(d, x, wp, y);
    return;
  }
  if (mg % 16 == 0 && slice * 16 <= 48 * 1024) {
    conv_i8_direct_smem_kernel<16>
        <<<dim3(blocks.x, p.m / 16), kSmemBlock, slice * 16, stream>>>(d, x, wp, y);
    return;
  }
  if (mg % 16 == 0)
    conv_i8_direct_kernel<16><<<grid_of(positions * (p.m / 16)), kBlock, 0, stream>>>(d, x, wp, y);
  else if (mg % 4 == 0)
    conv_i8_direct_kernel<4><<<grid_of(positions * (p.m / 4)), kBlock, 0, stream>>>(d, x, wp, y);
  else
    conv_i8_direct_kernel<1><<<grid_of(positions * p.m), kBlock, 0, stream>>>(d, x, wp, y);
}

void launch_depthwise16_i8(const DevConvI8& p, const int8_t* x, const int32_t* wl, int8_t* y,
                           cudaStream_t stream) {
  const int64_t positions = static_cast<int64_t>(p.n) * p.oh * p.ow;
  depthwise16_i8_kernel<<<grid_of(positions * (p.c / 16)), kBlock, 0, stream>>>(
      p, x, reinterpret_cast<const int4*>(wl), y);
}

void launch_depthwise_i8(const DevConvI8& p, const int8_t* x, const int8_t* w, int8_t* y,
                         cudaStream_t stream) {
  const int64_t positions = static_cast<int64_t>(p.n) * p.oh * p.ow;
  if (p.c % 4 == 0)
    depthwise_i8_kernel<true><<<grid_of(positions * (p.c / 4)), kBlock, 0, stream>>>(p, x, w, y);
  else
    depthwise_i8_kernel<false><<<grid_of(positions * p.c), kBlock, 0, stream>>>(p, x, w, y);
}

}  // namespace strix::kernels::cuda
