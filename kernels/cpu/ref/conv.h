// kernels/cpu/ref/conv.h — Conv2D, NCHW: f32 (conv.cc) and int8 (conv_int8.cc).
//
// Inputs: X [N, C, H, W], W [M, C/group, kH, kW] (constant), optional B [M] (constant;
// omitted when the node has 2 inputs or input 2 is -1). Output Y [N, M, oH, oW]:
//   Y[n, m, oy, ox] = act(B[m] + sum_{c, ky, kx} X[n, g*C/group + c, iy, ix] * W[m, c, ky, kx])
//   with g = m / (M/group), iy = oy*sH - pad_top + ky*dH, ix = ox*sW - pad_left + kx*dW,
//   and X taken as 0 outside [0,H) x [0,W).
// Options (Conv2DOptions; an absent table means all defaults): empty kernel/strides/
// dilations mean the kernel of W, stride 1, dilation 1; pads [top, left, bottom, right];
// padding SameUpper/SameLower/Valid compute the pads from the input size as ONNX auto_pad
// (then `pads` must be empty or zero).
#pragma once

#include <cstdint>
#include <memory>

#include "kernels/cpu/ref/activation.h"
#include "kernels/cpu/ref/int8_params.h"
#include "kernels/kernel.h"

namespace strix::kernels::ref {

// Geometry of one Conv2D with the pads resolved.
struct Conv2DParams {
  int64_t n = 0, c = 0, h = 0, w = 0;  // X
  int64_t m = 0, kh = 0, kw = 0;       // W [m, c/group, kh, kw]
  int64_t oh = 0, ow = 0;              // Y [n, m, oh, ow]
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t group = 1;
};

// Calls visit(xv, wv) for every tap of output (oy, ox) that falls inside the input plane, with
// xv the input value of one channel plane x_ic [H, W] and wv the weight of w_ic [kH, kW]; taps
// in the padding (input 0) are skipped.
template <typename T, typename Visit>
void for_each_conv_tap(const Conv2DParams& p, const T* x_ic, const T* w_ic, int64_t oy, int64_t ox,
                       Visit visit) {
  for (int64_t ky = 0; ky < p.kh; ++ky) {
    const int64_t iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
    if (iy < 0 || iy >= p.h) continue;
    for (int64_t kx = 0; kx < p.kw; ++kx) {
      const int64_t ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
      if (ix < 0 || ix >= p.w) continue;
      visit(x_ic[iy * p.w + ix], w_ic[ky * p.kw + kx]);
    }
  }
}

// Validates `options` (may be null) against the shapes of X and W and fills `p`. Every
// problem comes back as a Status naming it.
Status conv2d_params(const PrepareArgs& args, const fb::Conv2DOptions* options, const Shape& x,
                     const Shape& w, Conv2DParams* p);

// f32 convolution with fused activation. bias may be null.
void conv2d_f32(const Conv2DParams& p, const ActivationParams& act, const float* x, const float* w,
                const float* bias, float* y);

// int8 convolution (see int8_params.h for the quantization contract). bias may be null.
void conv2d_i8(const Conv2DParams& p, const QuantParams& q, const int8_t* x, const int8_t* w,
               const int32_t* bias, int8_t* y);

// Dispatches on input 0's dtype: f32 here, i8 to make_conv2d_i8.
Result<std::unique_ptr<Kernel>> make_conv2d(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_conv2d_i8(const PrepareArgs& args);

}  // namespace strix::kernels::ref
