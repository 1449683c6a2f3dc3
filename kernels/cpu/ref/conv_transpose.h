// kernels/cpu/ref/conv_transpose.h — ConvTranspose2D, NCHW, f32.
//
// Inputs: X [N, C, H, W], W [C, M/group, kH, kW] (constant), optional B [M] (constant).
// Output Y [N, M, oH, oW] with (ONNX semantics, per axis)
//   oH = sH * (H - 1) + output_padding_h + ((kH - 1) * dH + 1) - pad_top - pad_bottom.
// Every input pixel scatters into the output:
//   Y[n, g*M/group + m, iy*sH - pad_top + ky*dH, ix*sW - pad_left + kx*dW]
//       += X[n, g*C/group + c, iy, ix] * W[g*C/group + c, m, ky, kx]
// (positions outside the output are dropped), then B[m] is added and the fused activation
// applied. Options (ConvTranspose2DOptions; absent means all defaults): empty kernel/strides/
// dilations mean the kernel of W, stride 1, dilation 1; pads [top, left, bottom, right] >= 0;
// output_padding [h, w], each >= 0 and smaller than its stride or its dilation.
#pragma once

#include <cstdint>
#include <memory>

#include "kernels/cpu/ref/activation.h"
#include "kernels/kernel.h"

namespace strix::kernels::ref {

struct ConvTranspose2DParams {
  int64_t n = 0, c = 0, h = 0, w = 0;  // X
  int64_t m = 0, kh = 0, kw = 0;       // W [c, m/group, kh, kw]
  int64_t oh = 0, ow = 0;              // Y [n, m, oh, ow]
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;  // the end pads only enter through oh, ow
  int64_t group = 1;
};

// f32 transposed convolution (scatter form) with fused activation. bias may be null.
void conv_transpose2d_f32(const ConvTranspose2DParams& p, const ActivationParams& act,
                          const float* x, const float* w, const float* bias, float* y);

Result<std::unique_ptr<Kernel>> make_conv_transpose2d(const PrepareArgs& args);

}  // namespace strix::kernels::ref
