// kernels/cuda/int8_launch.h — launchers of the INT8 CUDA kernels (internal).
//
// Every INT8 kernel reproduces the CPU reference arithmetic bit for bit
// (kernels/cpu/ref/requantize.h: integer accumulation, Q31 multiplier + shift, the same
// rounding), so the CUDA backend's INT8 output equals the CPU INT8 path's byte for byte.
// Rank-4 i8 activations are channels-last on the device (kernels/device.h): x [n, h, w, c].
// Element counts and offsets must fit in int32 where a struct holds int (callers check).
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

#include "kernels/cuda/launch.h"

namespace strix::kernels::cuda {

// n / d for 0 <= n < 2^31 as a multiply-high, an add and a shift (make_fast_div in
// int8_math.cuh): q = (umulhi(n, mul) + n) >> shift.
struct DevFastDiv {
  uint32_t mul = 1;
  int shift = 0;
};

// One output step of ref::requantize per output channel.
struct DevRequant {
  const int32_t* bias = nullptr;   // [m]: the i32 bias minus x_zp * sum(w) (see DevConvI8)
  const int32_t* mult = nullptr;   // [m] Q31 multipliers
  const int32_t* shift = nullptr;  // [m] shifts
  int32_t y_zp = 0, qmin = -128, qmax = 127;
};

// The INT8 Add of ref::add_i8 (a = the conv's output, b = the residual).
struct DevAddI8 {
  int32_t a_zp = 0, b_zp = 0, out_zp = 0;
  int left_shift = 20;
  int32_t a_mult = 0, b_mult = 0, out_mult = 0;
  int a_shift = 0, b_shift = 0, out_shift = 0;
  int32_t qmin = -128, qmax = 127;
};

// The tensor-core kernel's epilogues (DevConvI8::epi), chosen by the host (conv_int8.cc):
//   kEpiExact: the general requantize (rq_clamp: any shift, no bound), residual if present;
//   kEpiFast: rq_fast_folded where the host proved its bound (fast_rq), residual if present;
//   kEpiFastRelu: no residual and a clamp at or above the zero point (a fused ReLU):
//     rq_fast_relu, one wide multiply-add and a shift of its high word;
//   kEpiFastAddRelu: a residual Add whose clamp is at or above its zero point: the conv part as
//     kEpiFast, the Add as rq_fast_relu over add_lut64 (two loads and a 64-bit add instead of
//     two loads, an add and the short requantize).
enum MmaEpilogue : int { kEpiExact = 0, kEpiFast = 1, kEpiFastRelu = 2, kEpiFastAddRelu = 3 };

// Conv2D (groups 1) over channels-last int8: x [n, h, w, c], w [m, kh, kw, c] (the device
// layout of the filters), y [n, oh, ow, m]. Padding holds x_zp (real 0); `rq.bias` must
// already hold bias - x_zp * sum over all taps of w, so that acc + rq.bias equals the
// reference accumulator. With `residual` (fused Add): y1 = requantize(acc) with rq (whose
// y_zp / qmin / qmax are then the conv output's, -128..127), y = add_i8(y1, residual).
struct DevConvI8 {
  int n, h, w, c, oh, ow, m, kh, kw, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  int x_zp;
  DevRequant rq;
  const int8_t* residual = nullptr;  // [n, oh, ow, m] or null
  DevAddI8 add;
  // Tensor-core kernel only. ktab[i] = {dy, dx, c0, (dy * w + dx) * c + c0} with dy = r *
  // dilation_h, dx = s * dilation_w of the i-th 16-byte chunk of the reduction (tap (r, s),
  // channels c0..c0+15; kh * kw * c / 16 entries): the last is its byte offset from the tap
  // origin in x.
  const int4* ktab = nullptr;
  // With residual: add_lut[v + 128] = mul_by_quantized_multiplier((v - a_zp) << left_shift,
  // a_mult, a_shift) and add_lut[256 + v + 128] the same for b: the two terms of ref::add_i8
  // for every int8 v, so the epilogue only adds them and requantizes (exact).
  const int32_t* add_lut = nullptr;
  // Tensor-core kernel: every requantize (and the fused Add's) can take rq_fast (int8_math.cuh):
  // right shifts only, and the accumulator bound keeps its sums inside 32 bits.
  bool fast_rq = false;
  // Tensor-core kernel: which epilogue (conv_int8_mma.cuh, Epi), chosen by the host from the
  // flags above and the clamps.
  int epi = 0;
  // With epi == kEpiFastAddRelu: add_lut64[v + 128] = add_lut[v + 128] * add.out_mult + 2^30 +
  // 2^(30 + e) and add_lut64[256 + v + 128] = add_lut[256 + v + 128] * add.out_mult (e =
  // -add.out_shift): the sum of one of each is the 64-bit term of rq_fast_relu for the Add.
  const long long* add_lut64 = nullptr;
  // Tensor-core kernel: the epilogue's column constants, 6 rows of (m + 3) & ~3 int32 (rows
  // 16-byte aligned): bias, mult, shift, then per epi: round (2^(e-1) for the fast forms, e - 1
  // for rq_fast_relu) and the 64-bit term c of rq_fast_folded / rq_fast_relu as low and high
  // words (zero for kEpiExact and past m). And the divisors of an output position.
  const int32_t* cols = nullptr;
  DevFastDiv div_ohw, div_ow;
  // Tensor-core kernel, split-K (for grids too small to fill the GPU: few output positions,
  // long reductions): splits > 1 blocks share each output tile's reduction, each writing its
  // int32 sums to partial [splits][n * oh * ow][m] (scratch); a second kernel adds them and
  // requantizes exactly like the reference (conv_i8_output). Every split is non-empty.
  int splits = 1;
  int32_t* partial = nullptr;
};

// Rows of DevConvI8::cols.
constexpr int kEpilogueColumnRows = 6;

// Tensor-core implicit GEMM (mma.sync m16n8k32 s8): needs c % 16 == 0. `config` picks the
// tile shape (positions x channels, warps, pipeline stages): 0: 128x128 (4 warps of 64x64),
// 1: 128x64, 2: 64x64, 3: 128x128 (8 warps of 64x32), 4: as 3 with 2 stages, 5: as 1 with 2
// stages; kNumMmaConfigs of them.
constexpr int kNumMmaConfigs = 6;
// Sets the kernels' shared-memory limits once per process; call before any launch (not
// inside stream capture). Returns false when the device refuses.
bool prepare_conv_i8_mma();
// Thread blocks of one split of config `config` for p (the grid's x * y).
int64_t mma_config_blocks(int config, const DevConvI8& p);
// With p.splits > 1 this launches the split reduction and the kernel that combines it.
void launch_conv_i8_mma(int config, const DevConvI8& p, const int8_t* x, const int8_t* w, int8_t* y,
                        cudaStream_t stream);

// groups 1, c % 16 != 0 (stems: c = 3; c = 24), kh * kw * c <= kSmallCMaxK: tensor cores over
// an im2col tile built in shared memory. `wp` is the filter [m][kpad] (kpad = kh * kw * c
// rounded up to 32, zero-padded; pack on the host).
constexpr int kSmallCMaxK = 256;
bool prepare_conv_i8_small_c();
void launch_conv_i8_small_c(const DevConvI8& p, const int8_t* x, const int8_t* wp, int8_t* y,
                            cudaStream_t stream);

// Stride-2 convolutions over c <= 4 channels (the stems) run as stride-1 convolutions over the
// space-to-depth image s [n, sh, sw, 16]: s(a, b, (dy * 2 + dx) * c + ch) = x(2a + dy - pad_top,
// 2b + dx - pad_left, ch), x_zp outside x and in the unused channels 4c..15. A kh x kw filter
// becomes ceil(kh / 2) x ceil(kw / 2) taps of 16 channels (zero where 2r + dy >= kh); with
// sh = oh + ceil(kh / 2) - 1 and sw likewise, that convolution needs no padding.
struct DevSpaceToDepthI8 {
  int n, h, w, c, pad_top, pad_left, sh, sw, x_zp;
};
void launch_space_to_depth_i8(const DevSpaceToDepthI8& p, const int8_t* x, int8_t* s,
                              cudaStream_t stream);

// Any c and groups: direct convolution with dp4a. `wp` is the packed filter
// [kh * kw * c4 / 4][m] of int32 (c4 = c/group rounded up to 4, zero-padded), made by
// pack_conv_i8_direct on the host.
struct DevConvI8Direct {
  DevConvI8 conv;
  int group = 1;
};
void launch_conv_i8_direct(const DevConvI8Direct& p, const int8_t* x, const int32_t* wp, int8_t* y,
                           cudaStream_t stream);

// Depthwise (group = c = m): w [c, kh, kw] as stored by the model (the device layout
// [m, kh, kw, 1]).
void launch_depthwise_i8(const DevConvI8& p, const int8_t* x, const int8_t* w, int8_t* y,
                         cudaStream_t stream);
// Depthwise with c % 16 == 0: 16 channels per thread, dp4a per tap. `wl` is [kh * kw][c] of
// int32 with channel ch's weight byte in lane ch % 4 (zeros elsewhere); padding taps read x_zp
// and rq.bias must be folded as for the tensor-core kernel (bias - x_zp * sum(w)).
void launch_depthwise16_i8(const DevConvI8& p, const int8_t* x, const int32_t* wl, int8_t* y,
                           cudaStream_t stream);

// y = quantize(x) per tensor (ref::quantize_value). Rank-4 x (NCHW f32) -> y channels-last
// when `to_channels_last` ([n, c, hw] -> [n, hw, c]); else elementwise over `count`.
void launch_quantize_i8(const float* x, int8_t* y, int64_t n, int64_t c, int64_t hw, float scale,
                        int32_t zp, bool to_channels_last, cudaStream_t stream);
// y = scale * (x - zp); x channels-last -> y NCHW when `from_channels_last`.
void launch_dequantize_i8(const int8_t* x, float* y, int64_t n, int64_t c, int64_t hw, float scale,
                          int32_t zp, bool from_channels_last, cudaStream_t stream);

// Max pooling over x [n, h, w, c] (same quantization in and out): geometry as DevPool.
void launch_max_pool_i8(const DevPool& p, const int8_t* x, int8_t* y, cudaStream_t stream);
// Global average over x [n, spatial, c] -> y [n, c]: ref::global_average_pool_i8.
// same_scale: rounded mean; else requantize with (mult, shift).
void launch_global_avg_pool_i8(const int8_t* x, int8_t* y, int64_t n, int64_t spatial, int64_t c,
                               int32_t in_zp, int32_t out_zp, bool same_scale, int32_t mult,
                               int shift, cudaStream_t stream);
// y = add_i8(a, b) elementwise over `count` (same shapes).
void launch_add_i8(const DevAddI8& q, const int8_t* a, const int8_t* b, int8_t* y, int64_t count,
                   cudaStream_t stream);

}  // namespace strix::kernels::cuda
