// kernels/preprocess_job.h — camera frames -> one model input tensor, as the device
// pre-processing kernel takes them (internal; plain data, no device types).
//
// Built by vision::Preprocessor::run_batch (sdk/vision/preprocess_batch.cc) with every
// constant of the CPU path (sdk/vision/preprocess.cc) precomputed on the host, and run by
// Device::preprocess (kernels/device.h). The device computes each output element with the
// CPU path's formulas in the same order of float (and, for the sample positions, double)
// operations, without fused multiply-adds, so both paths produce the same values.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strix::kernels {

// Frame layouts: the values of vision::PixelFormat, in its order.
enum class PreFormat : int32_t { kRGB, kBGR, kRGBx, kBGRx, kRGBA, kBGRA, kNV12, kI420, kGray8 };
// Stored element type of the model input.
enum class PreStore : int32_t { kF32, kF16, kI8, kU8 };

// One frame in device memory and where it lands in its batch item.
struct PreprocessFrame {
  PreFormat format = PreFormat::kRGB;
  int width = 0, height = 0;
  // Plane p: pixel (x, y) at planes[p] + y * strides[p] + x * bytes per pixel; chroma
  // planes of NV12 / I420 are (width + 1) / 2 x (height + 1) / 2 (vision::Image).
  const uint8_t* planes[3] = {nullptr, nullptr, nullptr};
  int64_t strides[3] = {0, 0, 0};
  // YUV -> RGB in 0..255 units: y' = (Y - y_offset) * y_scale, u' = (U - 128) * c_scale,
  // v' likewise; R = y' + rv v', G = y' - gu u' - gv v', B = y' + bu u', each clamped.
  float y_offset = 0, y_scale = 1, c_scale = 1, rv = 0, gu = 0, gv = 0, bu = 0;
  // Geometry (vision::Mapping): an output point (x, y) inside the destination rectangle
  // [dst_x, dst_x + dst_w) x [dst_y, dst_y + dst_h) samples the frame bilinearly at
  // sx = src_x + (x - dst_x + 0.5) * step_x - 0.5 (sy likewise), computed in double;
  // outside it the item holds the pad value.
  double src_x = 0, src_y = 0, step_x = 1, step_y = 1;
  int dst_x = 0, dst_y = 0, dst_w = 0, dst_h = 0;
};

// A batch: frames[k] fills item k of `dst`; items [count, batch) are set to zero bytes.
struct PreprocessJob {
  int width = 0, height = 0, channels = 0;  // one item; channels 1 (gray) or 3
  int order[3] = {0, 1, 2};                 // model channel c reads sampled channel order[c]
  // x = p * scale[c] + bias[c] for a sample p in 0..255; borders sample p = pad.
  float scale[3] = {1, 1, 1}, bias[3] = {0, 0, 0};
  float pad = 0;
  PreStore store = PreStore::kF32;
  float q_scale = 1;  // kI8 / kU8: q = clamp(round_half_even(x / q_scale) + q_zero_point)
  int32_t q_zero_point = 0;
  // Element offset of (channel c, row y, column x) in an item: c * c_stride + y * y_stride
  // + x * x_stride; item k starts item_elems * k elements after dst. These cover NCHW, NHWC
  // and the device's channels-last form of either.
  int64_t c_stride = 0, y_stride = 0, x_stride = 0, item_elems = 0;
  void* dst = nullptr;                      // device memory
  const PreprocessFrame* frames = nullptr;  // host array of `count` frames
  int count = 0, batch = 0;
};

}  // namespace strix::kernels
