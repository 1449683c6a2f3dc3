// INT8 Conv2D for few input channels (c % 16 != 0, groups 1): the stems (c = 3) and layers like
// MobileNetV2's 24-channel expansions. The tensor-core kernel's 16-byte chunks cannot follow
// such channels, so a block gathers its im2col tile once into shared memory — 128 output
// positions x kpad reduction bytes, byte by byte (padding taps read x_zp) — loads the filter
// slice [64 channels][kpad], and runs mma.sync m16n8k32 over it: 4 warps of 32 positions x 64
// channels. Rows are kpad + 16 bytes apart, which keeps ldmatrix free of bank conflicts for
// every kpad that is a multiple of 32. The epilogue requantizes exactly (int8_math.cuh).
#include "kernels/cuda/int8_math.cuh"
#include "kernels/cuda/mma_sm80.cuh"

namespace strix::kernels::cuda {
namespace {

using namespace sm80;  // NOLINT: this family's primitives (mma_sm80.cuh)

constexpr int kRows = 128;  // positions per block
constexpr int kCols = 64;   // output channels per block
constexpr int kThreads = 128;

// KWC > 0: kw * c == KWC and dilation_w == 1, so the taps of one filter row are KWC contiguous
// input bytes: a thread copies its own row's runs with KWC independent loads each.
template <int KWC>
__global__ void __launch_bounds__(kThreads)
    conv_i8_small_c_kernel(DevConvI8 p, const int8_t* __restrict__ x, const int8_t* __restrict__ wp,
                           int8_t* __restrict__ y, int kpad) {
  extern __shared__ __align__(16) int8_t smem[];
  const int stride = kpad + 16;
  int8_t* sa = smem;
  int8_t* sb = smem + kRows * stride;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int ohw = p.oh * p.ow, positions = p.n * ohw;
  const int row0 = blockIdx.x * kRows, col0 = blockIdx.y * kCols;
  const int K = p.kh * p.kw * p.c;

  // Filter slice: kCols rows of kpad bytes (zero rows past m).
  for (int q = tid; q < kCols * (kpad / 16); q += kThreads) {
    const int r = q / (kpad / 16), ch = q - r * (kpad / 16);
    int4 v = make_int4(0, 0, 0, 0);
    if (col0 + r < p.m)
      v = __ldg(reinterpret_cast<const int4*>(wp + static_cast<size_t>(col0 + r) * kpad) + ch);
    *reinterpret_cast<int4*>(sb + r * stride + ch * 16) = v;
  }
  if constexpr (KWC > 0) {
    // Thread t builds row t: for each filter row r, the run of KWC bytes at (ih, iw0); border
    // positions take the per-byte path with bounds (padding reads x_zp).
    int8_t* dst = sa + tid * stride;
    const int pos = row0 + tid;
    const int8_t zp = static_cast<int8_t>(p.x_zp);
    int k = 0;
    if (pos < positions) {
      const int img = pos / ohw, rem = pos - img * ohw;
      const int oy = rem / p.ow, ox = rem - oy * p.ow;
      const int ih0 = oy * p.stride_h - p.pad_top, iw0 = ox * p.stride_w - p.pad_left;
      const int8_t* base = x + static_cast<size_t>(img) * p.h * p.w * p.c;
      const bool cols_inside = iw0 >= 0 && iw0 + p.kw <= p.w;
      for (int r = 0; r < p.kh; ++r, k += KWC) {
        const int ih = ih0 + r * p.dilation_h;
        const bool row_inside = ih >= 0 && ih < p.h;
        int8_t v[KWC];
        if (row_inside && cols_inside) {
          const int8_t* src = base + (ih * p.w + iw0) * p.c;
#pragma unroll
          for (int b = 0; b < KWC; ++b) v[b] = __ldg(src + b);
        } else {
#pragma unroll
          for (int b = 0; b < KWC; ++b) {
            const int s = b / p.c, iw = iw0 + s;
            v[b] = row_inside && iw >= 0 && iw < p.w
                       ? __ldg(base + (ih * p.w + iw) * p.c + (b - s * p.c))
                       : zp;
          }
        }
#pragma unroll
        for (int b = 0; b < KWC; ++b) dst[k + b] = v[b];
      }
    }
    for (; k < kpad; ++k) dst[k] = 0;  // past K (and rows past the end): the filter is zero
    __syncthreads();
  } else {
    // The im2col tile: row = position, byte k = tap (r, s) channel c in the filter's order, zeros
    // from K to kpad. Thread t fills bytes t and t + 128 of every row, so a row is read with
    // consecutive threads on consecutive bytes and many loads are in flight per thread.
    __shared__ int row_ih0[kRows], row_iw0[kRows];
    __shared__ const int8_t* row_base[kRows];
    {
      const int pos = row0 + tid;
      if (pos < positions) {
        const int img = pos / ohw, rem = pos - img * ohw;
        const int oy = rem / p.ow, ox = rem - oy * p.ow;
        row_ih0[tid] = oy * p.stride_h - p.pad_top;
        row_iw0[tid] = ox * p.stride_w - p.pad_left;
        row_base[tid] = x + static_cast<size_t>(img) * p.h * p.w * p.c;
      } else {
        row_ih0[tid] = -(1 << 28);  // every tap reads as padding
        row_iw0[tid] = 0;
        row_base[tid] = x;
      }
    }
    int tap_dh[2], tap_dw[2], tap_c[2];
    bool tap_real[2];
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const int k = tid + j * kThreads;
      tap_real[j] = k < K;
      const int kk = tap_real[j] ? k : 0;
      const int tap = kk / p.c, r = tap / p.kw;
      tap_dh[j] = r * p.dilation_h;
      tap_dw[j] = (tap - r * p.kw) * p.dilation_w;
      tap_c[j] = kk - tap * p.c;
    }
    __syncthreads();
    const int8_t zp = static_cast<int8_t>(p.x_zp);
#pragma unroll 8
    for (int row = 0; row < kRows; ++row) {
      const int ih0 = row_ih0[row], iw0 = row_iw0[row];
      const int8_t* base = row_base[row];
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        const int k = tid + j * kThreads;
        if (k >= kpad) break;
        int8_t v = 0;  // past K: the filter is zero there too
        if (tap_real[j]) {
          const int ih = ih0 + tap_dh[j], iw = iw0 + tap_dw[j];
          v = static_cast<unsigned>(ih) < static_cast<unsigned>(p.h) &&
                      static_cast<unsigned>(iw) < static_cast<unsigned>(p.w)
                  ? __ldg(base + (ih * p.w + iw) * p.c + tap_c[j])
                  : zp;
        }
        sa[row * stride + k] = v;
      }
    }
    __syncthreads();
  }

  int32_t acc[2][8][4];
#pragma unroll
  for (int i = 0; i < 2; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0;
  for (int k0 = 0; k0 < kpad; k0 += 32) {
    uint32_t af[2][4];
#pragma unroll
    for (int mt = 0; mt < 2; ++mt) {
      const int row = warp * 32 + mt * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
      ldmatrix_x4(af[mt], sa + row * stride + k0 + (lane >> 4) * 16);
    }
#pragma unroll
    for (int nt = 0; nt < 8; nt += 2) {
      const int nrow = nt * 8 + (lane & 7) + (lane >> 4) * 8;
      uint32_t b[4];
      ldmatrix_x4(b, sb + nrow * stride + k0 + ((lane >> 3) & 1) * 16);
#pragma unroll
      for (int mt = 0; mt < 2; ++mt) {
        mma_s8(acc[mt][nt], af[mt], b[0], b[1]);
        mma_s8(acc[mt][nt + 1], af[mt], b[2], b[3]);
      }
    }
  }

  // Without a residual and with the host's bound (p.fast_rq), the short exact requantize.
  const bool fast = p.fast_rq && p.residual == nullptr;
#pragma unroll
  for (int nt = 0; nt < 8; ++nt) {
    const int col = col0 + nt * 8 + (lane & 3) * 2;
    if (col >= p.m) continue;
    const bool pair = col + 1 < p.m;
    const int c1 = pair ? col + 1 : col;
    const int32_t b0 = __ldg(p.rq.bias + col), b1 = __ldg(p.rq.bias + c1);
    const int32_t m0 = __ldg(p.rq.mult + col), m1 = __ldg(p.rq.mult + c1);
    const int e0 = -__ldg(p.rq.shift + col), e1 = -__ldg(p.rq.shift + c1);
    auto output = [&](int32_t acc, int ch, int32_t r, int32_t b, int32_t m, int e) -> int8_t {
      if (!fast) return conv_i8_output(p, acc, ch, r);
      const int32_t v = rq_fast(acc + b, m, 1 << (e - 1), e);
      return static_cast<int8_t>(min(max(v + p.rq.y_zp, p.rq.qmin), p.rq.qmax));
    };
#pragma unroll
    for (int mt = 0; mt < 2; ++mt) {
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int row = row0 + warp * 32 + mt * 16 + (lane >> 2) + half * 8;
        if (row >= positions) continue;
        const size_t at = static_cast<size_t>(row) * p.m + col;
        const int32_t r0 = p.residual != nullptr ? p.residual[at] : 0;
        const int8_t v0 = output(acc[mt][nt][half * 2], col, r0, b0, m0, e0);
        if (!pair) {
          y[at] = v0;
          continue;
        }
        const int32_t r1 = p.residual != nullptr ? p.residual[at + 1] : 0;
        const int8_t v1 = output(acc[mt][nt][half * 2 + 1], col + 1, r1, b1, m1, e1);
        if ((p.m & 1) == 0) {
          *reinterpret_cast<char2*>(y + at) = make_char2(v0, v1);
        } else {
          y[at] = v0;
          y[at + 1] = v1;
        }
      }
    }
  }
}

int smem_bytes(int kpad) { return (kRows + kCols) * (kpad + 16); }

template <int KWC>
bool set_smem() {
  return cudaFuncSetAttribute(conv_i8_small_c_kernel<KWC>,
                              cudaFuncAttributeMaxDynamicSharedMemorySize,
                              smem_bytes(kSmallCMaxK)) == cudaSuccess;
}

}  // namespace

bool prepare_conv_i8_small_c() {
  static const bool ok =
      device_has_sm80() && set_smem<0>() && set_smem<21>() && set_smem<9>() && set_smem<24>();
  return ok;
}

void launch_conv_i8_small_c(const DevConvI8& p, const int8_t* x, const int8_t* wp, int8_t* y,
                            cudaStream_t stream) {
  const int kpad = (p.kh * p.kw * p.c + 31) / 32 * 32;
  const int positions = p.n * p.oh * p.ow;
  dim3 grid((positions + kRows - 1) / kRows, (p.m + kCols - 1) / kCols);
  const int kwc = p.dilation_w == 1 ? p.kw * p.c : 0;  // the stems (7x7x3, 3x3x3), c = 24 1x1
  const int smem = smem_bytes(kpad);
  if (kwc == 21)
    conv_i8_small_c_kernel<21><<<grid, kThreads, smem, stream>>>(p, x, wp, y, kpad);
  else if (kwc == 9)
    conv_i8_small_c_kernel<9><<<grid, kThreads, smem, stream>>>(p, x, wp, y, kpad);
  else if (kwc == 24)
    conv_i8_small_c_kernel<24><<<grid, kThreads, smem, stream>>>(p, x, wp, y, kpad);
  else
    conv_i8_small_c_kernel<0><<<grid, kThreads, smem, stream>>>(p, x, wp, y, kpad);
}

}  // namespace strix::kernels::cuda
