// kernels/cpu/ref/pool.h — MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool; f32 and
// INT8 (per-tensor). Layout NCHW; the global pools accept any rank >= 3 and reduce every
// dimension after the first two.
//
// Window geometry (ONNX, per spatial dimension with input size H, kernel k, stride s,
// dilation d, resolved pads pt/pb, effective kernel ek = (k - 1) * d + 1):
//   Explicit: out = floor((H + pt + pb - ek) / s) + 1, or ceil(...) + 1 with ceil_mode; with
//             ceil_mode a last window that starts in the bottom/right padding or beyond
//             ((out - 1) * s >= H + pt) is dropped, as ONNX Runtime and PyTorch do.
//   SameUpper/SameLower: out = ceil(H / s); total pad = max(0, (out - 1) * s + ek - H), the odd
//             pixel at the end (SameUpper) or at the beginning (SameLower). ceil_mode ignored.
//   Valid:    pads 0, out = floor((H - ek) / s) + 1. ceil_mode ignored.
// Output (oh, ow) reads taps ih = oh * s - pt + i * d (i < k), likewise for w. Taps outside
// [0, H) are padding: MaxPool ignores them; AveragePool divides the sum of the in-range taps by
//   count_include_pad = false: the number of in-range taps;
//   count_include_pad = true:  the number of taps in [-pt, H + pb) x [-pl, W + pr), i.e. the
//             explicit/computed pads count but the extra area added by ceil_mode does not.
// The factory rejects geometry where some window has no in-range tap.
//
// INT8 arithmetic (input x and output y quantized per tensor, real = scale * (q - zp)):
//   MaxPool / GlobalMaxPool: y_q = max of the in-range x_q. Requires y scale and zero point to
//     equal x's (else kUnsupported).
//   AveragePool / GlobalAveragePool: acc = sum over in-range taps of (x_q - x_zp), in int32
//     (padded taps are real 0, so they add nothing). With count n of the window:
//       x_scale == y_scale: y_q = y_zp + round_half_away_from_zero(acc / n), computed as
//                          (acc + n/2) / n for acc >= 0, (acc - n/2) / n otherwise (TFLite);
//       otherwise:         y_q = requantize(acc, quantize_multiplier(x_scale / (y_scale * n)),
//                          y_zp) from requantize.h, with the multiplier precomputed for every
//                          possible n at prepare.
//     Both then clamp to [-128, 127].
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/cpu/ref/requantize.h"
#include "kernels/kernel.h"

namespace strix::kernels::ref {

// Resolved geometry of a 2-D pool over an NCHW tensor.
struct Pool2DParams {
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;  // resolved, >= 0
  bool count_include_pad = false;
  int64_t out_h = 0, out_w = 0;
};

// Calls visit(v) for every in-range tap v of output (oh, ow) of the h x w plane xp (taps in
// the padding are skipped), row by row.
template <typename T, typename Visit>
void for_each_pool_tap(const Pool2DParams& p, const T* xp, int64_t h, int64_t w, int64_t oh,
                       int64_t ow, Visit visit) {
  for (int64_t i = 0; i < p.kernel_h; ++i) {
    int64_t ih = oh * p.stride_h - p.pad_top + i * p.dilation_h;
    if (ih < 0 || ih >= h) continue;
    for (int64_t j = 0; j < p.kernel_w; ++j) {
      int64_t iw = ow * p.stride_w - p.pad_left + j * p.dilation_w;
      if (iw < 0 || iw >= w) continue;
      visit(xp[ih * w + iw]);
    }
  }
}

// Number of elements AveragePool divides by for output (oh, ow) of an in_h x in_w input.
int64_t pool_window_count(const Pool2DParams& p, int64_t in_h, int64_t in_w, int64_t oh,
                          int64_t ow);

// x [n, c, h, w] -> y [n, c, p.out_h, p.out_w].
void max_pool_f32(const Pool2DParams& p, const float* x, int64_t n, int64_t c, int64_t h, int64_t w,
                  float* y);
void average_pool_f32(const Pool2DParams& p, const float* x, int64_t n, int64_t c, int64_t h,
                      int64_t w, float* y);

// x [planes, spatial] -> y [planes]: mean / max over each plane.
void global_average_pool_f32(const float* x, int64_t planes, int64_t spatial, float* y);
void global_max_pool_f32(const float* x, int64_t planes, int64_t spatial, float* y);

// INT8 average: how a window's int32 sum becomes the output (see the header comment).
struct PoolQuantParams {
  int32_t in_zp = 0;
  int32_t out_zp = 0;
  bool same_scale = true;
  // Indexed by the window count n; used when !same_scale. Size max_count + 1.
  std::vector<QuantizedMultiplier> by_count;
};
// Fills by_count for n in [1, max_count] when the scales differ.
PoolQuantParams make_pool_quant(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                                int64_t max_count);
// The output of a window: acc = sum of (x_q - in_zp), n its count, m the multiplier for n
// (ignored when q.same_scale).
int8_t pool_average_q(const PoolQuantParams& q, int32_t acc, int64_t n, QuantizedMultiplier m);

void max_pool_i8(const Pool2DParams& p, const int8_t* x, int64_t n, int64_t c, int64_t h, int64_t w,
                 int8_t* y);
void average_pool_i8(const Pool2DParams& p, const PoolQuantParams& q, const int8_t* x, int64_t n,
                     int64_t c, int64_t h, int64_t w, int8_t* y);
void global_max_pool_i8(const int8_t* x, int64_t planes, int64_t spatial, int8_t* y);
// When the scales differ, q.by_count holds one entry: the multiplier for n = spatial.
void global_average_pool_i8(const PoolQuantParams& q, const int8_t* x, int64_t planes,
                            int64_t spatial, int8_t* y);

// Validates Pool2DOptions against an input of shape [N, C, H, W] and resolves the geometry.
Status make_pool2d_params(const PrepareArgs& args, const Shape& input, bool average,
                          Pool2DParams* p);

// Global pools: checks that `input` has rank >= 3 and spatial elements; `out` is `input` with
// every dimension after the first two set to 1, `spatial` their product in `input`.
Status global_pool_shape(const PrepareArgs& args, const Shape& input, Shape* out, int64_t* spatial);

// Factories: f32 (f16 through the adapter) and i8; each dispatches on input 0's dtype.
Result<std::unique_ptr<Kernel>> make_max_pool(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_average_pool(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_global_average_pool(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_global_max_pool(const PrepareArgs& args);

// The INT8 halves of the factories above (pool_int8.cc).
Result<std::unique_ptr<Kernel>> make_pool2d_i8(const PrepareArgs& args, bool average);
Result<std::unique_ptr<Kernel>> make_global_pool_i8(const PrepareArgs& args, bool average);

}  // namespace strix::kernels::ref
