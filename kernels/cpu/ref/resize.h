// kernels/cpu/ref/resize.h — Resize of the two innermost dims of an NCHW tensor, f32
// (f16 through the adapter). Nearest and Linear (bilinear), with the ONNX coordinate
// transformations and nearest rounding modes.
#pragma once

#include <cstdint>
#include <memory>

#include "kernels/kernel.h"

namespace strix::kernels::ref {

struct ResizeParams {
  fb::ResizeMode mode = fb::ResizeMode::Nearest;
  fb::CoordinateMode coordinate_mode = fb::CoordinateMode::HalfPixel;
  fb::NearestMode nearest_mode = fb::NearestMode::RoundPreferFloor;
  // output / input along H and W, as used by the coordinate transform: the given scales,
  // or out / in when the output size was given.
  float scale_h = 1.f, scale_w = 1.f;
};

// The input coordinate of output coordinate `x_out` (ONNX coordinate_transformation_mode).
float resize_source_coordinate(float x_out, float scale, int64_t in_len, int64_t out_len,
                               fb::CoordinateMode mode);

// The input index a Nearest resize reads for input coordinate x: rounded as `mode` says,
// then clamped to [0, in_len).
int64_t resize_nearest_index(float x, int64_t in_len, fb::NearestMode mode);

// y[nc, oh, ow] from x[nc, ih, iw] for nc in [0, planes). Linear clamps the source
// coordinate to [0, len - 1] and blends the two neighbours per axis (ONNX Runtime).
void resize_nchw_f32(const ResizeParams& p, const float* x, int64_t planes, int64_t in_h,
                     int64_t in_w, int64_t out_h, int64_t out_w, float* y);

Result<std::unique_ptr<Kernel>> make_resize(const PrepareArgs& args);

}  // namespace strix::kernels::ref
