// Drawing into mapped frames (draw.h).
#include "pipeline/draw.h"

#include <algorithm>
#include <cstring>

#include "pipeline/font.h"

namespace strix::gst {

Canvas::Canvas(GstVideoFrame* frame)
    : frame_(frame), width_(GST_VIDEO_FRAME_WIDTH(frame)), height_(GST_VIDEO_FRAME_HEIGHT(frame)) {
  const GstVideoFormatInfo* f = frame->info.finfo;
  yuv_ = GST_VIDEO_FORMAT_INFO_IS_YUV(f);
  gray_ = GST_VIDEO_FORMAT_INFO_IS_GRAY(f);
  n_comp_ = gray_ ? 1 : 3;  // alpha, when present, is left alone
}

void Canvas::components_of(Rgb c, uint8_t out[3]) const {
  const double r = c.r, g = c.g, b = c.b;
  auto u8 = [](double v) { return static_cast<uint8_t>(std::clamp(v + 0.5, 0.0, 255.0)); };
  if (gray_) {
    out[0] = u8(0.299 * r + 0.587 * g + 0.114 * b);
  } else if (yuv_) {
    out[0] = u8(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255);
    out[1] = u8(128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255);
    out[2] = u8(128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255);
  } else {
    out[0] = c.r;
    out[1] = c.g;
    out[2] = c.b;
  }
}

void Canvas::blend(int x, int y, const uint8_t* value, int alpha) {
  const GstVideoFormatInfo* f = frame_->info.finfo;
  for (int c = 0; c < n_comp_; ++c) {
    const int ws = GST_VIDEO_FORMAT_INFO_W_SUB(f, c), hs = GST_VIDEO_FORMAT_INFO_H_SUB(f, c);
    if ((x & ((1 << ws) - 1)) != 0 || (y & ((1 << hs) - 1)) != 0) continue;
    uint8_t* p = static_cast<uint8_t*>(GST_VIDEO_FRAME_COMP_DATA(frame_, c)) +
                 static_cast<size_t>(y >> hs) * GST_VIDEO_FRAME_COMP_STRIDE(frame_, c) +
                 static_cast<size_t>(x >> ws) * GST_VIDEO_FRAME_COMP_PSTRIDE(frame_, c);
    *p = static_cast<uint8_t>((value[c] * alpha + *p * (255 - alpha) + 127) / 255);
  }
}

void Canvas::fill_rect(int x, int y, int w, int h, Rgb color, int alpha) {
  const int x0 = std::max(x, 0), y0 = std::max(y, 0);
  const int x1 = std::min(x + w, width_), y1 = std::min(y + h, height_);
  uint8_t v[3];
  components_of(color, v);
  for (int yy = y0; yy < y1; ++yy)
    for (int xx = x0; xx < x1; ++xx) blend(xx, yy, v, alpha);
}

void Canvas::outline(int x, int y, int w, int h, int thickness, Rgb color) {
  fill_rect(x, y, w, thickness, color, 255);
  fill_rect(x, y + h - thickness, w, thickness, color, 255);
  fill_rect(x, y + thickness, thickness, h - 2 * thickness, color, 255);
  fill_rect(x + w - thickness, y + thickness, thickness, h - 2 * thickness, color, 255);
}

void Canvas::text(int x, int y, int scale, const char* s, Rgb color) {
  uint8_t v[3];
  components_of(color, v);
  for (int i = 0; s[i] != '\0'; ++i) {
    const int gx = x + i * kCellWidth * scale;
    if (gx >= width_) break;
    for (int r = 0; r < kGlyphHeight; ++r) {
      const uint8_t bits = glyph_row(s[i], r);
      for (int col = 0; col < kGlyphWidth; ++col) {
        if (((bits >> (kGlyphWidth - 1 - col)) & 1) == 0) continue;
        for (int dy = 0; dy < scale; ++dy) {
          const int py = y + r * scale + dy;
          if (py < 0 || py >= height_) continue;
          for (int dx = 0; dx < scale; ++dx) {
            const int px = gx + col * scale + dx;
            if (px >= 0 && px < width_) blend(px, py, v, 255);
          }
        }
      }
    }
  }
}

int Canvas::text_width(const char* s, int scale) {
  return static_cast<int>(std::strlen(s)) * kCellWidth * scale;
}

int Canvas::line_height(int scale) { return kCellHeight * scale; }

}  // namespace strix::gst
