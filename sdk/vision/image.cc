// Pixel formats and borrowed frames (strix/vision.h).
#include "strix/vision.h"

namespace strix::vision {

const char* pixel_format_name(PixelFormat format) {
  switch (format) {
    case PixelFormat::kRGB: return "RGB";
    case PixelFormat::kBGR: return "BGR";
    case PixelFormat::kRGBx: return "RGBx";
    case PixelFormat::kBGRx: return "BGRx";
    case PixelFormat::kRGBA: return "RGBA";
    case PixelFormat::kBGRA: return "BGRA";
    case PixelFormat::kNV12: return "NV12";
    case PixelFormat::kI420: return "I420";
    case PixelFormat::kGray8: return "GRAY8";
  }
  return "?";
}

int pixel_format_planes(PixelFormat format) {
  switch (format) {
    case PixelFormat::kNV12: return 2;
    case PixelFormat::kI420: return 3;
    default: return 1;
  }
}

namespace {

// Bytes per row of each plane of a tightly packed frame.
void packed_strides(PixelFormat format, int width, int strides[3]) {
  const int cw = (width + 1) / 2;
  strides[0] = strides[1] = strides[2] = 0;
  switch (format) {
    case PixelFormat::kRGB:
    case PixelFormat::kBGR: strides[0] = 3 * width; break;
    case PixelFormat::kRGBx:
    case PixelFormat::kBGRx:
    case PixelFormat::kRGBA:
    case PixelFormat::kBGRA: strides[0] = 4 * width; break;
    case PixelFormat::kNV12:
      strides[0] = width;
      strides[1] = 2 * cw;
      break;
    case PixelFormat::kI420:
      strides[0] = width;
      strides[1] = strides[2] = cw;
      break;
    case PixelFormat::kGray8: strides[0] = width; break;
  }
}

}  // namespace

Image Image::packed(PixelFormat format, int width, int height, const uint8_t* data) {
  Image image;
  image.format = format;
  image.width = width;
  image.height = height;
  packed_strides(format, width, image.strides);
  const size_t luma = static_cast<size_t>(image.strides[0]) * height;
  const size_t chroma = static_cast<size_t>(image.strides[1]) * ((height + 1) / 2);
  image.planes[0] = data;
  if (format == PixelFormat::kNV12 || format == PixelFormat::kI420) image.planes[1] = data + luma;
  if (format == PixelFormat::kI420) image.planes[2] = data + luma + chroma;
  return image;
}

size_t Image::packed_size(PixelFormat format, int width, int height) {
  int strides[3];
  packed_strides(format, width, strides);
  const size_t ch = static_cast<size_t>((height + 1) / 2);
  return static_cast<size_t>(strides[0]) * height + (strides[1] + strides[2]) * ch;
}

}  // namespace strix::vision
