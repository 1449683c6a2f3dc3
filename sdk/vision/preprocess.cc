// Frame -> model input (strix/vision.h): geometry, bilinear sampling, colour conversion,
// normalization, layout and dtype. The per-format sampler is chosen once per run().
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/cpu/ref/requantize.h"
#include "sdk/vision/preprocess_internal.h"
#include "strix/vision.h"

namespace strix::vision {

namespace {

// YUV -> RGB: y' = (Y - y_offset) * y_scale, u' = (U - 128) * c_scale, v' likewise;
// R = y' + rv v', G = y' - gu u' - gv v', B = y' + bu u' (all in 0..255 units).
struct YuvCoeffs {
  float y_offset, y_scale, c_scale, rv, gu, gv, bu;
};

YuvCoeffs yuv_coeffs(YuvMatrix matrix, bool full_range) {
  const float kr = matrix == YuvMatrix::kBT709 ? 0.2126f : 0.299f;
  const float kb = matrix == YuvMatrix::kBT709 ? 0.0722f : 0.114f;
  const float kg = 1.f - kr - kb;
  YuvCoeffs k;
  k.y_offset = full_range ? 0.f : 16.f;
  k.y_scale = full_range ? 1.f : 255.f / 219.f;
  k.c_scale = full_range ? 1.f : 255.f / 224.f;
  k.rv = 2.f * (1.f - kr);
  k.bu = 2.f * (1.f - kb);
  k.gu = 2.f * kb * (1.f - kb) / kg;
  k.gv = 2.f * kr * (1.f - kr) / kg;
  return k;
}

inline float clamp255(float v) { return v < 0.f ? 0.f : (v > 255.f ? 255.f : v); }

// BT.601 luma of an RGB triple, for gray models fed with colour frames.
inline float luma(const float* rgb) { return 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2]; }

inline void yuv_to_rgb(const YuvCoeffs& k, int y, int u, int v, float* rgb) {
  const float yy = (static_cast<float>(y) - k.y_offset) * k.y_scale;
  const float uu = static_cast<float>(u - 128) * k.c_scale;
  const float vv = static_cast<float>(v - 128) * k.c_scale;
  rgb[0] = clamp255(yy + k.rv * vv);
  rgb[1] = clamp255(yy - k.gu * uu - k.gv * vv);
  rgb[2] = clamp255(yy + k.bu * uu);
}

// Byte offsets of R, G, B within a pixel and bytes per pixel of the packed RGB formats.
struct PackedLayout {
  int r, g, b, bpp;
};

constexpr PackedLayout packed_layout(PixelFormat f) {
  return f == PixelFormat::kRGB    ? PackedLayout{0, 1, 2, 3}
         : f == PixelFormat::kBGR  ? PackedLayout{2, 1, 0, 3}
         : f == PixelFormat::kRGBx ? PackedLayout{0, 1, 2, 4}
         : f == PixelFormat::kRGBA ? PackedLayout{0, 1, 2, 4}
                                   : PackedLayout{2, 1, 0, 4};  // BGRx, BGRA
}

// Pixel (x, y) of the frame in 0..255 units: 3 values (R, G, B) when kChannels is 3, the
// gray value when it is 1.
template <PixelFormat F, int kChannels>
inline void load(const Image& im, const YuvCoeffs& k, int x, int y, float* out) {
  if constexpr (F == PixelFormat::kGray8) {
    const float g = im.planes[0][static_cast<size_t>(y) * im.strides[0] + x];
    for (int c = 0; c < kChannels; ++c) out[c] = g;
  } else if constexpr (F == PixelFormat::kNV12 || F == PixelFormat::kI420) {
    const int luma_y = im.planes[0][static_cast<size_t>(y) * im.strides[0] + x];
    if constexpr (kChannels == 1) {
      out[0] = clamp255((static_cast<float>(luma_y) - k.y_offset) * k.y_scale);
    } else {
      int u, v;
      const size_t cy = static_cast<size_t>(y / 2);
      if constexpr (F == PixelFormat::kNV12) {
        const uint8_t* uv = im.planes[1] + cy * im.strides[1] + (x / 2) * 2;
        u = uv[0];
        v = uv[1];
      } else {
        u = im.planes[1][cy * im.strides[1] + x / 2];
        v = im.planes[2][cy * im.strides[2] + x / 2];
      }
      yuv_to_rgb(k, luma_y, u, v, out);
    }
  } else {
    constexpr PackedLayout l = packed_layout(F);
    const uint8_t* p = im.planes[0] + static_cast<size_t>(y) * im.strides[0] + x * l.bpp;
    const float rgb[3] = {static_cast<float>(p[l.r]), static_cast<float>(p[l.g]),
                          static_cast<float>(p[l.b])};
    if constexpr (kChannels == 1) {
      out[0] = luma(rgb);
    } else {
      out[0] = rgb[0];
      out[1] = rgb[1];
      out[2] = rgb[2];
    }
  }
}

// Source sample position s (in pixels, centres at integers) -> the two neighbours and the
// weight of the second, clamped to the frame.
inline void axis(double s, int size, int* i0, int* i1, float* frac) {
  if (s <= 0) {
    *i0 = *i1 = 0;
    *frac = 0;
    return;
  }
  const int i = static_cast<int>(s);
  if (i >= size - 1) {
    *i0 = *i1 = size - 1;
    *frac = 0;
    return;
  }
  *i0 = i;
  *i1 = i + 1;
  *frac = static_cast<float>(s - i);
}

// Everything run() needs besides the frame.
struct Plan {
  int width, height, channels;
  bool nchw;
  int order[3];  // model channel c reads sampled channel order[c]
  const float* scale;
  const float* bias;
  DType dtype;
  float q_scale;
  int32_t q_zero_point;
  float pad;
  Mapping m;
};

// Normalizes pixel p (sampled channel order, 0..255) and stores it at (x, y).
inline void store(const Plan& P, int x, int y, const float* p, void* dst) {
  for (int c = 0; c < P.channels; ++c) {
    const float v = p[P.order[c]] * P.scale[c] + P.bias[c];
    const size_t idx = P.nchw ? (static_cast<size_t>(c) * P.height + y) * P.width + x
                              : (static_cast<size_t>(y) * P.width + x) * P.channels + c;
    switch (P.dtype) {
      case DType::kF32: static_cast<float*>(dst)[idx] = v; break;
      case DType::kF16: static_cast<uint16_t*>(dst)[idx] = float_to_half(v); break;
      case DType::kI8:
        static_cast<int8_t*>(dst)[idx] = static_cast<int8_t>(
            kernels::ref::quantize_value(v, P.q_scale, P.q_zero_point, -128, 127));
        break;
      case DType::kU8:
        static_cast<uint8_t*>(dst)[idx] = static_cast<uint8_t>(
            kernels::ref::quantize_value(v, P.q_scale, P.q_zero_point, 0, 255));
        break;
      default: break;  // rejected by create()
    }
  }
}

template <PixelFormat F, int kChannels>
void fill(const Plan& P, const Image& im, void* dst) {
  const YuvCoeffs k = yuv_coeffs(im.matrix, im.full_range);
  const Mapping& m = P.m;
  const double step_x = m.src_w / m.dst_w, step_y = m.src_h / m.dst_h;
  const float pad[3] = {P.pad, P.pad, P.pad};
  for (int y = 0; y < P.height; ++y) {
    const bool row_in = y >= m.dst_y && y < m.dst_y + m.dst_h;
    int y0 = 0, y1 = 0;
    float fy = 0;
    if (row_in) axis(m.src_y + (y - m.dst_y + 0.5) * step_y - 0.5, im.height, &y0, &y1, &fy);
    for (int x = 0; x < P.width; ++x) {
      if (!row_in || x < m.dst_x || x >= m.dst_x + m.dst_w) {
        store(P, x, y, pad, dst);
        continue;
      }
      int x0, x1;
      float fx;
      axis(m.src_x + (x - m.dst_x + 0.5) * step_x - 0.5, im.width, &x0, &x1, &fx);
      float a[kChannels], b[kChannels], c[kChannels], d[kChannels], p[kChannels];
      load<F, kChannels>(im, k, x0, y0, a);
      load<F, kChannels>(im, k, x1, y0, b);
      load<F, kChannels>(im, k, x0, y1, c);
      load<F, kChannels>(im, k, x1, y1, d);
      for (int i = 0; i < kChannels; ++i) {
        const float top = a[i] + (b[i] - a[i]) * fx;
        const float bottom = c[i] + (d[i] - c[i]) * fx;
        p[i] = top + (bottom - top) * fy;
      }
      store(P, x, y, p, dst);
    }
  }
}

template <int kChannels>
void fill_any(const Plan& P, const Image& im, void* dst) {
  switch (im.format) {
    case PixelFormat::kRGB: return fill<PixelFormat::kRGB, kChannels>(P, im, dst);
    case PixelFormat::kBGR: return fill<PixelFormat::kBGR, kChannels>(P, im, dst);
    case PixelFormat::kRGBx: return fill<PixelFormat::kRGBx, kChannels>(P, im, dst);
    case PixelFormat::kBGRx: return fill<PixelFormat::kBGRx, kChannels>(P, im, dst);
    case PixelFormat::kRGBA: return fill<PixelFormat::kRGBA, kChannels>(P, im, dst);
    case PixelFormat::kBGRA: return fill<PixelFormat::kBGRA, kChannels>(P, im, dst);
    case PixelFormat::kNV12: return fill<PixelFormat::kNV12, kChannels>(P, im, dst);
    case PixelFormat::kI420: return fill<PixelFormat::kI420, kChannels>(P, im, dst);
    case PixelFormat::kGray8: return fill<PixelFormat::kGray8, kChannels>(P, im, dst);
  }
}

// Bytes of the used part of one row of plane p.
int64_t row_bytes(PixelFormat f, int width, int p) {
  const int64_t cw = (width + 1) / 2;
  switch (f) {
    case PixelFormat::kRGB:
    case PixelFormat::kBGR: return 3 * static_cast<int64_t>(width);
    case PixelFormat::kGray8: return width;
    case PixelFormat::kNV12: return p == 0 ? width : 2 * cw;
    case PixelFormat::kI420: return p == 0 ? width : cw;
    default: return 4 * static_cast<int64_t>(width);
  }
}

Status check_image(const Image& im) {
  const int planes = pixel_format_planes(im.format);
  if (std::strcmp(pixel_format_name(im.format), "?") == 0)
    return make_status(StatusCode::kInvalidArgument, "unknown pixel format %d",
                       static_cast<int>(im.format));
  if (im.width <= 0 || im.height <= 0)
    return make_status(StatusCode::kInvalidArgument, "%s frame of %dx%d pixels",
                       pixel_format_name(im.format), im.width, im.height);
  for (int p = 0; p < planes; ++p) {
    if (im.planes[p] == nullptr)
      return make_status(StatusCode::kInvalidArgument, "%s frame: plane %d is null",
                         pixel_format_name(im.format), p);
    if (im.strides[p] < row_bytes(im.format, im.width, p))
      return make_status(StatusCode::kInvalidArgument,
                         "%s frame %dx%d: plane %d stride %d < %lld bytes per row",
                         pixel_format_name(im.format), im.width, im.height, p, im.strides[p],
                         static_cast<long long>(row_bytes(im.format, im.width, p)));
  }
  return Status::ok_status();
}

}  // namespace

namespace internal {

Status check_frame(const Image& image) { return check_image(image); }

int64_t plane_row_bytes(PixelFormat format, int width, int plane) {
  return row_bytes(format, width, plane);
}

int plane_rows(PixelFormat format, int height, int plane) {
  return plane == 0 || format == PixelFormat::kGray8 ? height : (height + 1) / 2;
}

kernels::PreprocessFrame device_frame(const Image& image, const Mapping& m) {
  kernels::PreprocessFrame f;
  f.format = static_cast<kernels::PreFormat>(image.format);
  f.width = image.width;
  f.height = image.height;
  for (int p = 0; p < 3; ++p) {
    f.planes[p] = image.planes[p];
    f.strides[p] = image.strides[p];
  }
  const YuvCoeffs k = yuv_coeffs(image.matrix, image.full_range);
  f.y_offset = k.y_offset;
  f.y_scale = k.y_scale;
  f.c_scale = k.c_scale;
  f.rv = k.rv;
  f.gu = k.gu;
  f.gv = k.gv;
  f.bu = k.bu;
  f.src_x = m.src_x;
  f.src_y = m.src_y;
  f.step_x = m.src_w / m.dst_w;  // as fill()
  f.step_y = m.src_h / m.dst_h;
  f.dst_x = m.dst_x;
  f.dst_y = m.dst_y;
  f.dst_w = m.dst_w;
  f.dst_h = m.dst_h;
  return f;
}

}  // namespace internal

Mapping Preprocessor::mapping(int width, int height) const {
  Mapping m;
  m.src_w = width;
  m.src_h = height;
  m.dst_w = width_;
  m.dst_h = height_;
  if (width <= 0 || height <= 0) return m;
  const double sx = static_cast<double>(width_) / width, sy = static_cast<double>(height_) / height;
  if (contract_.resize == ResizeKind::kLetterbox) {
    const double s = std::min(sx, sy);
    m.dst_w = std::clamp(static_cast<int>(std::lround(width * s)), 1, width_);
    m.dst_h = std::clamp(static_cast<int>(std::lround(height * s)), 1, height_);
    m.dst_x = (width_ - m.dst_w) / 2;
    m.dst_y = (height_ - m.dst_h) / 2;
  } else if (contract_.resize == ResizeKind::kCenterCrop) {
    const double s = std::max(sx, sy);
    m.src_w = width_ / s;
    m.src_h = height_ / s;
    m.src_x = (width - m.src_w) / 2;
    m.src_y = (height - m.src_h) / 2;
  }
  return m;
}

size_t Preprocessor::item_bytes() const {
  return static_cast<size_t>(width_) * height_ * channels_ * dtype_size(dtype_);
}

Status Preprocessor::run(const Image& image, void* dst) const {
  if (channels_ == 0)
    return make_status(StatusCode::kInvalidArgument, "Preprocessor used before create()");
  STRIX_RETURN_IF_ERROR(check_image(image));
  Plan plan;
  plan.width = width_;
  plan.height = height_;
  plan.channels = channels_;
  plan.nchw = contract_.layout == Layout::kNCHW;
  const bool bgr = contract_.color == ColorOrder::kBGR;
  plan.order[0] = bgr ? 2 : 0;
  plan.order[1] = 1;
  plan.order[2] = bgr ? 0 : 2;
  plan.scale = scale_;
  plan.bias = bias_;
  plan.dtype = dtype_;
  plan.q_scale = q_scale_;
  plan.q_zero_point = q_zero_point_;
  plan.pad = contract_.pad_value;
  plan.m = mapping(image.width, image.height);
  if (channels_ == 1) {
    fill_any<1>(plan, image, dst);
  } else {
    fill_any<3>(plan, image, dst);
  }
  return Status::ok_status();
}

Result<Preprocessor> Preprocessor::create(const InputContract& contract, const TensorInfo& input) {
  const Shape& s = input.shape;
  if (s.rank() != 4)
    return make_status(StatusCode::kShapeMismatch,
                       "input '%s' is %s: image pre-processing needs a rank-4 tensor",
                       input.name.c_str(), s.to_string().c_str());
  const bool nchw = contract.layout == Layout::kNCHW;
  const int64_t c = nchw ? s[1] : s[3], h = nchw ? s[2] : s[1], w = nchw ? s[3] : s[2];
  // A one-channel tensor is gray whatever the contract's colour order (ONNX has no colour,
  // so converters may leave it at RGB); a gray contract needs one channel.
  const int want_c = contract.color == ColorOrder::kGray || c == 1 ? 1 : 3;
  if (c != want_c)
    return make_status(
        StatusCode::kShapeMismatch,
        "input '%s' is %s (%s): a %s contract needs %d channels, the tensor has %lld",
        input.name.c_str(), s.to_string().c_str(), nchw ? "NCHW" : "NHWC",
        contract.color == ColorOrder::kGray  ? "gray"
        : contract.color == ColorOrder::kBGR ? "BGR"
                                             : "RGB",
        want_c, static_cast<long long>(c));
  if (h <= 0 || w <= 0 || h > (1 << 15) || w > (1 << 15))
    return make_status(StatusCode::kShapeMismatch,
                       "input '%s' is %s: height and width must be "
                       "in 1..32768",
                       input.name.c_str(), s.to_string().c_str());
  if ((contract.width != 0 && contract.width != w) ||
      (contract.height != 0 && contract.height != h))
    return make_status(StatusCode::kShapeMismatch,
                       "input '%s' is %s but its contract says %dx%d (width x height)",
                       input.name.c_str(), s.to_string().c_str(), contract.width, contract.height);
  const size_t nm = contract.mean.size(), ns = contract.std.size();
  if ((nm != 0 && nm != 1 && nm != static_cast<size_t>(c)) ||
      (ns != 0 && ns != 1 && ns != static_cast<size_t>(c)))
    return make_status(StatusCode::kInvalidArgument,
                       "input '%s': the contract has %zu mean and %zu std values for %lld channels",
                       input.name.c_str(), nm, ns, static_cast<long long>(c));

  Preprocessor p;
  p.contract_ = contract;
  p.width_ = static_cast<int>(w);
  p.height_ = static_cast<int>(h);
  p.channels_ = static_cast<int>(c);
  p.dtype_ = input.dtype;
  for (int i = 0; i < p.channels_; ++i) {
    const float mean = nm == 0 ? 0.f : contract.mean[nm == 1 ? 0 : i];
    const float sd = ns == 0 ? 1.f : contract.std[ns == 1 ? 0 : i];
    if (!(sd != 0.f) || !std::isfinite(sd) || !std::isfinite(mean))
      return make_status(StatusCode::kInvalidArgument, "input '%s': channel %d has mean %g std %g",
                         input.name.c_str(), i, mean, sd);
    p.scale_[i] = (contract.unit_range ? 1.f / 255.f : 1.f) / sd;
    p.bias_[i] = -mean / sd;
  }
  switch (input.dtype) {
    case DType::kF32:
    case DType::kF16: break;
    case DType::kI8:
    case DType::kU8: {
      const Quantization& q = input.quantization;
      if (q.scales.size() != 1 || q.zero_points.size() > 1 || !(q.scales[0] > 0.f))
        return make_status(StatusCode::kUnsupported,
                           "input '%s' is %s: image pre-processing needs one positive scale "
                           "(per-tensor quantization), the tensor has %zu scales",
                           input.name.c_str(), dtype_name(input.dtype), q.scales.size());
      p.q_scale_ = q.scales[0];
      p.q_zero_point_ = q.zero_points.empty() ? 0 : static_cast<int32_t>(q.zero_points[0]);
      break;
    }
    default:
      return make_status(StatusCode::kUnsupported,
                         "input '%s' is %s: image pre-processing writes f32, f16, i8 or u8",
                         input.name.c_str(), dtype_name(input.dtype));
  }
  return p;
}

}  // namespace strix::vision
