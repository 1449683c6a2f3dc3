// pipeline/draw.h — blending rectangles, outlines and 5x7 text into a mapped video frame.
//
//   strix::gst::Canvas canvas(&frame);            // frame mapped GST_MAP_READWRITE
//   canvas.fill_rect(0, 0, 120, 20, {0, 0, 0}, 160);
//   canvas.text(2, 2, 2, "cat 0.93", {255, 255, 255});
//
// Works on every format whose components are 8 bits (RGB family, GRAY8, NV12, I420, ...):
// colours are converted once to the frame's components (BT.601 studio range for YUV).
// Subsampled chroma is written at the sample whose block origin the pixel is. Everything
// is clipped to the frame. Allocates nothing.
#pragma once

#include <gst/video/video.h>

#include <cstdint>

namespace strix::gst {

struct Rgb {
  uint8_t r, g, b;
};

class Canvas {
 public:
  explicit Canvas(GstVideoFrame* frame);

  int width() const { return width_; }
  int height() const { return height_; }

  // alpha: 0 (transparent) .. 255 (opaque).
  void fill_rect(int x, int y, int w, int h, Rgb color, int alpha);
  void outline(int x, int y, int w, int h, int thickness, Rgb color);
  // Top-left corner at (x, y); each font pixel becomes scale x scale frame pixels.
  void text(int x, int y, int scale, const char* s, Rgb color);

  static int text_width(const char* s, int scale);
  static int line_height(int scale);

 private:
  void blend(int x, int y, const uint8_t* value, int alpha);
  void components_of(Rgb color, uint8_t out[3]) const;

  GstVideoFrame* frame_;
  int width_, height_, n_comp_;
  bool yuv_, gray_;
};

}  // namespace strix::gst
