// Shared element pieces (common.h).
#include "pipeline/common.h"

#include <sys/stat.h>
#include <cstdio>
#include <fstream>

GType gst_strix_device_get_type(void) {
  static gsize type = 0;
  static const GEnumValue values[] = {
      {GST_STRIX_DEVICE_CPU, "CPU", "cpu"},
      {GST_STRIX_DEVICE_CUDA, "CUDA GPU (an error when unavailable)", "cuda"},
      {GST_STRIX_DEVICE_AUTO, "CUDA when available, else CPU", "auto"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type))
    g_once_init_leave(&type, g_enum_register_static("GstStrixDevice", values));
  return static_cast<GType>(type);
}

namespace strix::gst {

const char* device_name(GstStrixDevice device) {
  switch (device) {
    case GST_STRIX_DEVICE_CPU: return "cpu";
    case GST_STRIX_DEVICE_CUDA: return "cuda";
    default: return "auto";
  }
}

namespace {

std::string trim(const std::string& s) {
  const char* ws = " \t\r\n";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

}  // namespace

Result<std::vector<std::string>> parse_labels(const std::string& value) {
  std::vector<std::string> labels;
  struct stat st;
  if (value.find(',') == std::string::npos && stat(value.c_str(), &st) == 0 &&
      S_ISREG(st.st_mode)) {
    std::ifstream in(value);
    if (!in)
      return make_status(StatusCode::kIoError, "cannot read labels file '%s'", value.c_str());
    std::string line;
    while (std::getline(in, line)) {
      line = trim(line);
      if (!line.empty()) labels.push_back(line);
    }
    return labels;
  }
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    labels.push_back(trim(value.substr(start, comma - start)));
    start = comma + 1;
  }
  if (labels.size() == 1 && labels[0].empty()) labels.clear();
  return labels;
}

bool to_pixel_format(GstVideoFormat format, vision::PixelFormat* out) {
  using vision::PixelFormat;
  switch (format) {
    case GST_VIDEO_FORMAT_RGB: *out = PixelFormat::kRGB; return true;
    case GST_VIDEO_FORMAT_BGR: *out = PixelFormat::kBGR; return true;
    case GST_VIDEO_FORMAT_RGBx: *out = PixelFormat::kRGBx; return true;
    case GST_VIDEO_FORMAT_BGRx: *out = PixelFormat::kBGRx; return true;
    case GST_VIDEO_FORMAT_RGBA: *out = PixelFormat::kRGBA; return true;
    case GST_VIDEO_FORMAT_BGRA: *out = PixelFormat::kBGRA; return true;
    case GST_VIDEO_FORMAT_NV12: *out = PixelFormat::kNV12; return true;
    case GST_VIDEO_FORMAT_I420: *out = PixelFormat::kI420; return true;
    case GST_VIDEO_FORMAT_GRAY8: *out = PixelFormat::kGray8; return true;
    default: return false;
  }
}

vision::Image image_of(const GstVideoFrame* frame, vision::PixelFormat format) {
  vision::Image im;
  im.format = format;
  im.width = GST_VIDEO_FRAME_WIDTH(frame);
  im.height = GST_VIDEO_FRAME_HEIGHT(frame);
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(frame) && p < 3; ++p) {
    im.planes[p] = static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(frame, p));
    im.strides[p] = GST_VIDEO_FRAME_PLANE_STRIDE(frame, p);
  }
  const GstVideoColorimetry& c = GST_VIDEO_INFO_COLORIMETRY(&frame->info);
  im.matrix = c.matrix == GST_VIDEO_COLOR_MATRIX_BT709 ? vision::YuvMatrix::kBT709
                                                       : vision::YuvMatrix::kBT601;
  im.full_range = c.range == GST_VIDEO_COLOR_RANGE_0_255;
  return im;
}

}  // namespace strix::gst
