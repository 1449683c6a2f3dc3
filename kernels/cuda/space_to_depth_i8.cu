// Space-to-depth of channels-last int8 activations for stride-2 stems (int8_launch.h): a stride-2
// convolution over few channels becomes a stride-1 convolution over 16 channels, which the
// tensor-core kernel runs at full chunk width. One thread writes one 16-byte pixel of s.
#include "kernels/cuda/int8_launch.h"

namespace strix::kernels::cuda {
namespace {

__global__ void space_to_depth_i8_kernel(DevSpaceToDepthI8 p, const int8_t* __restrict__ x,
                                         int4* __restrict__ s) {
  const int64_t total = static_cast<int64_t>(p.n) * p.sh * p.sw;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int b = static_cast<int>(i % p.sw);
  const int a = static_cast<int>((i / p.sw) % p.sh);
  const int img = static_cast<int>(i / (static_cast<int64_t>(p.sw) * p.sh));
  const int8_t* base = x + static_cast<size_t>(img) * p.h * p.w * p.c;
  uint32_t word[4];
  const uint32_t zp = static_cast<uint8_t>(p.x_zp);
  word[0] = word[1] = word[2] = word[3] = zp * 0x01010101u;  // unused channels: weights are 0
  int k = 0;
#pragma unroll
  for (int dy = 0; dy < 2; ++dy) {
    const int ih = 2 * a + dy - p.pad_top;
#pragma unroll
    for (int dx = 0; dx < 2; ++dx) {
      const int iw = 2 * b + dx - p.pad_left;
      const bool inside = static_cast<unsigned>(ih) < static_cast<unsigned>(p.h) &&
                          static_cast<unsigned>(iw) < static_cast<unsigned>(p.w);
      const int8_t* px = base + (static_cast<size_t>(ih) * p.w + iw) * p.c;
      for (int ch = 0; ch < p.c; ++ch, ++k) {
        const uint32_t v = inside ? static_cast<uint8_t>(__ldg(px + ch)) : zp;
        const int shift = 8 * (k & 3);
        word[k >> 2] = (word[k >> 2] & ~(0xffu << shift)) | (v << shift);
      }
    }
  }
  s[i] = make_int4(static_cast<int>(word[0]), static_cast<int>(word[1]), static_cast<int>(word[2]),
                   static_cast<int>(word[3]));
}

}  // namespace

void launch_space_to_depth_i8(const DevSpaceToDepthI8& p, const int8_t* x, int8_t* s,
                              cudaStream_t stream) {
  const int64_t total = static_cast<int64_t>(p.n) * p.sh * p.sw;
  const int threads = 256;
  const int64_t blocks = (total + threads - 1) / threads;
  space_to_depth_i8_kernel<<<static_cast<unsigned>(blocks), threads, 0, stream>>>(
      p, x, reinterpret_cast<int4*>(s));
}

}  // namespace strix::kernels::cuda
