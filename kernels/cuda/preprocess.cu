// One-pass pre-processing on the GPU: frame (any PixelFormat, any size and stride) ->
// resized, letterboxed or cropped, colour-converted, normalized model input item.
//
// Every formula is the CPU path's (sdk/vision/preprocess.cc), evaluated in the same order
// with round-to-nearest intrinsics (__fadd_rn, __fmul_rn, ...) so that nvcc contracts
// nothing into fused multiply-adds: the CPU build uses -ffp-contract=off, so on x86-64 both
// paths compute identical floats (sample positions in double, as on the CPU).
#include <cuda_fp16.h>

#include "kernels/cuda/preprocess.h"

namespace strix::kernels::cuda {
namespace {

__device__ __forceinline__ float clamp255(float v) {
  return v < 0.f ? 0.f : (v > 255.f ? 255.f : v);
}

// Byte offsets of R, G, B within a pixel and bytes per pixel of the packed RGB formats.
struct PackedLayout {
  int r, g, b, bpp;
};
__host__ __device__ constexpr PackedLayout packed_layout(PreFormat f) {
  return f == PreFormat::kRGB    ? PackedLayout{0, 1, 2, 3}
         : f == PreFormat::kBGR  ? PackedLayout{2, 1, 0, 3}
         : f == PreFormat::kRGBx ? PackedLayout{0, 1, 2, 4}
         : f == PreFormat::kRGBA ? PackedLayout{0, 1, 2, 4}
                                 : PackedLayout{2, 1, 0, 4};  // BGRx, BGRA
}

// Pixel (x, y) in 0..255 units: R, G, B when kChannels is 3, the gray value when it is 1.
template <PreFormat F, int kChannels>
__device__ __forceinline__ void load(const PreprocessFrame& f, int x, int y, float* out) {
  if constexpr (F == PreFormat::kGray8) {
    const float g = f.planes[0][y * f.strides[0] + x];
    for (int c = 0; c < kChannels; ++c) out[c] = g;
  } else if constexpr (F == PreFormat::kNV12 || F == PreFormat::kI420) {
    const int luma = f.planes[0][y * f.strides[0] + x];
    const float yy = __fmul_rn(__fsub_rn(static_cast<float>(luma), f.y_offset), f.y_scale);
    if constexpr (kChannels == 1) {
      out[0] = clamp255(yy);
    } else {
      int u, v;
      const int64_t cy = y / 2;
      if constexpr (F == PreFormat::kNV12) {
        const uint8_t* uv = f.planes[1] + cy * f.strides[1] + (x / 2) * 2;
        u = uv[0];
        v = uv[1];
      } else {
        u = f.planes[1][cy * f.strides[1] + x / 2];
        v = f.planes[2][cy * f.strides[2] + x / 2];
      }
      const float uu = __fmul_rn(static_cast<float>(u - 128), f.c_scale);
      const float vv = __fmul_rn(static_cast<float>(v - 128), f.c_scale);
      out[0] = clamp255(__fadd_rn(yy, __fmul_rn(f.rv, vv)));
      out[1] = clamp255(__fsub_rn(__fsub_rn(yy, __fmul_rn(f.gu, uu)), __fmul_rn(f.gv, vv)));
      out[2] = clamp255(__fadd_rn(yy, __fmul_rn(f.bu, uu)));
    }
  } else {
    constexpr PackedLayout l = packed_layout(F);
    const uint8_t* p = f.planes[0] + y * f.strides[0] + x * l.bpp;
    const float r = p[l.r], g = p[l.g], b = p[l.b];
    if constexpr (kChannels == 1) {  // BT.601 luma
      out[0] =
          __fadd_rn(__fadd_rn(__fmul_rn(0.299f, r), __fmul_rn(0.587f, g)), __fmul_rn(0.114f, b));
    } else {
      out[0] = r;
      out[1] = g;
      out[2] = b;
    }
  }
}

// Sample position s -> the two neighbours and the weight of the second, clamped (as the
// CPU's axis()).
__device__ __forceinline__ void axis(double s, int size, int* i0, int* i1, float* frac) {
  if (s <= 0) {
    *i0 = *i1 = 0;
    *frac = 0.f;
    return;
  }
  const int i = static_cast<int>(s);
  if (i >= size - 1) {
    *i0 = *i1 = size - 1;
    *frac = 0.f;
    return;
  }
  *i0 = i;
  *i1 = i + 1;
  *frac = __double2float_rn(__dsub_rn(s, static_cast<double>(i)));
}

// src + (i - dst + 0.5) * step - 0.5, left to right, unfused.
__device__ __forceinline__ double sample_position(double src, int i, int dst, double step) {
  return __dsub_rn(__dadd_rn(src, __dmul_rn(__dadd_rn(static_cast<double>(i - dst), 0.5), step)),
                   0.5);
}

__device__ __forceinline__ void store(const PreprocessJob& j, void* item, int64_t idx, float v) {
  switch (j.store) {
    case PreStore::kF32: static_cast<float*>(item)[idx] = v; break;
    case PreStore::kF16: static_cast<__half*>(item)[idx] = __float2half_rn(v); break;
    case PreStore::kI8:
    case PreStore::kU8: {
      const bool s8 = j.store == PreStore::kI8;
      const float qmin = s8 ? -128.f : 0.f, qmax = s8 ? 127.f : 255.f;
      float q = __fadd_rn(rintf(__fdiv_rn(v, j.q_scale)), static_cast<float>(j.q_zero_point));
      if (!(q >= qmin)) q = qmin;  // also NaN
      if (q > qmax) q = qmax;
      if (s8) {
        static_cast<int8_t*>(item)[idx] = static_cast<int8_t>(static_cast<int>(q));
      } else {
        static_cast<uint8_t*>(item)[idx] = static_cast<uint8_t>(static_cast<int>(q));
      }
      break;
    }
  }
}

template <PreFormat F, int kChannels>
__global__ void preprocess_kernel(const PreprocessJob j, const PreprocessFrame f, void* item) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= j.width || y >= j.height) return;
  float p[kChannels];
  if (y < f.dst_y || y >= f.dst_y + f.dst_h || x < f.dst_x || x >= f.dst_x + f.dst_w) {
    for (int c = 0; c < kChannels; ++c) p[c] = j.pad;
  } else {
    int x0, x1, y0, y1;
    float fx, fy;
    axis(sample_position(f.src_x, x, f.dst_x, f.step_x), f.width, &x0, &x1, &fx);
    axis(sample_position(f.src_y, y, f.dst_y, f.step_y), f.height, &y0, &y1, &fy);
    float a[kChannels], b[kChannels], c[kChannels], d[kChannels];
    load<F, kChannels>(f, x0, y0, a);
    load<F, kChannels>(f, x1, y0, b);
    load<F, kChannels>(f, x0, y1, c);
    load<F, kChannels>(f, x1, y1, d);
    for (int i = 0; i < kChannels; ++i) {
      const float top = __fadd_rn(a[i], __fmul_rn(__fsub_rn(b[i], a[i]), fx));
      const float bottom = __fadd_rn(c[i], __fmul_rn(__fsub_rn(d[i], c[i]), fx));
      p[i] = __fadd_rn(top, __fmul_rn(__fsub_rn(bottom, top), fy));
    }
  }
  const int64_t base = y * j.y_stride + x * j.x_stride;
  for (int c = 0; c < j.channels; ++c) {
    const float v = __fadd_rn(__fmul_rn(p[j.order[c]], j.scale[c]), j.bias[c]);
    store(j, item, base + c * j.c_stride, v);
  }
}

template <int kChannels>
void launch_frame(const PreprocessJob& j, const PreprocessFrame& f, void* item, dim3 grid,
                  dim3 block, cudaStream_t s) {
  switch (f.format) {
#define STRIX_PRE_CASE(F)                                                          \
  case PreFormat::F:                                                               \
    preprocess_kernel<PreFormat::F, kChannels><<<grid, block, 0, s>>>(j, f, item); \
    break;
    STRIX_PRE_CASE(kRGB)
    STRIX_PRE_CASE(kBGR)
    STRIX_PRE_CASE(kRGBx)
    STRIX_PRE_CASE(kBGRx)
    STRIX_PRE_CASE(kRGBA)
    STRIX_PRE_CASE(kBGRA)
    STRIX_PRE_CASE(kNV12)
    STRIX_PRE_CASE(kI420)
    STRIX_PRE_CASE(kGray8)
#undef STRIX_PRE_CASE
  }
}

size_t store_bytes(PreStore s) { return s == PreStore::kF32 ? 4 : s == PreStore::kF16 ? 2 : 1; }

}  // namespace

void launch_preprocess(const PreprocessJob& job, cudaStream_t stream) {
  const size_t es = store_bytes(job.store);
  const dim3 block(32, 8);
  const dim3 grid((job.width + block.x - 1) / block.x, (job.height + block.y - 1) / block.y);
  for (int k = 0; k < job.count; ++k) {
    void* item = static_cast<uint8_t*>(job.dst) + static_cast<size_t>(k) * job.item_elems * es;
    if (job.channels == 1) {
      launch_frame<1>(job, job.frames[k], item, grid, block, stream);
    } else {
      launch_frame<3>(job, job.frames[k], item, grid, block, stream);
    }
  }
  if (job.batch > job.count)
    cudaMemsetAsync(
        static_cast<uint8_t*>(job.dst) + static_cast<size_t>(job.count) * job.item_elems * es, 0,
        static_cast<size_t>(job.batch - job.count) * job.item_elems * es, stream);
}

}  // namespace strix::kernels::cuda
