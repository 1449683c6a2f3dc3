// strix::vision::Preprocessor: hand-computed cases, then every pixel format at 384x288,
// 385x289 and 385x385 with padded strides against an independent double-precision
// formulation (whole-frame RGB conversion, then bilinear resize, then normalization).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "strix/vision.h"

namespace strix::vision {
namespace {

TensorInfo tensor(std::vector<int64_t> shape, DType dtype = DType::kF32) {
  TensorInfo t;
  t.name = "image";
  t.dtype = dtype;
  t.shape = Shape(shape);
  return t;
}

InputContract contract(ColorOrder color, Layout layout, ResizeKind resize) {
  InputContract c;
  c.color = color;
  c.layout = layout;
  c.resize = resize;
  return c;
}

Preprocessor make(const InputContract& c, const TensorInfo& t) {
  Result<Preprocessor> p = Preprocessor::create(c, t);
  EXPECT_TRUE(p.ok()) << p.status().to_string();
  return p.ok() ? p.value() : Preprocessor();
}

std::vector<float> run(const Preprocessor& p, const Image& im) {
  std::vector<float> out(p.item_bytes() / sizeof(float), -999.f);
  Status s = p.run(im, out.data());
  EXPECT_TRUE(s.ok()) << s.to_string();
  return out;
}

TEST(Preprocess, StretchAveragesTwoByTwoIntoOnePixel) {
  // 2x2 RGB -> 1x1: the sample point (0.5, 0.5) is the mean of the four pixels.
  // R: 10, 20, 30, 40 -> 25; G: 0, 0, 0, 100 -> 25; B: 255 x4 -> 255.
  const uint8_t px[12] = {10, 0, 255, 20, 0, 255, 30, 0, 255, 40, 100, 255};
  InputContract c = contract(ColorOrder::kRGB, Layout::kNCHW, ResizeKind::kStretch);
  c.mean = {0.5f};
  c.std = {0.25f};
  // x = (p / 255 - 0.5) / 0.25: R 25 -> -1.6078431, G -1.6078431, B 2.
  Preprocessor p = make(c, tensor({1, 3, 1, 1}));
  std::vector<float> out = run(p, Image::packed(PixelFormat::kRGB, 2, 2, px));
  EXPECT_NEAR(out[0], -1.6078431f, 1e-6f);
  EXPECT_NEAR(out[1], -1.6078431f, 1e-6f);
  EXPECT_NEAR(out[2], 2.f, 1e-6f);
}

TEST(Preprocess, BgrOrderNhwcAndRawRange) {
  // 1x1 BGRx pixel B=1 G=2 R=3 into an NHWC BGR model without unit range, mean 1, std 2:
  // channels B, G, R -> (1-1)/2, (2-1)/2, (3-1)/2 = 0, 0.5, 1.
  const uint8_t px[4] = {1, 2, 3, 99};
  InputContract c = contract(ColorOrder::kBGR, Layout::kNHWC, ResizeKind::kStretch);
  c.unit_range = false;
  c.mean = {1.f};
  c.std = {2.f};
  Preprocessor p = make(c, tensor({1, 1, 1, 3}));
  std::vector<float> out = run(p, Image::packed(PixelFormat::kBGRx, 1, 1, px));
  EXPECT_EQ(out, (std::vector<float>{0.f, 0.5f, 1.f}));
}

TEST(Preprocess, LetterboxPadsTheBorders) {
  // 4x2 gray frame into a 2x2 model: scale min(2/4, 2/2) = 0.5 -> a 2x1 picture at row 0
  // ((2 - 1) / 2 = 0), row 1 is pad_value. Sample x = (u + 0.5) * 2 - 0.5 = 0.5, 2.5;
  // y = (0 + 0.5) * 2 - 0.5 = 0.5: means of 2x2 blocks.
  // Frame rows: 0 10 20 30 / 40 50 60 70 -> (0+10+40+50)/4 = 25, (20+30+60+70)/4 = 45.
  const uint8_t px[8] = {0, 10, 20, 30, 40, 50, 60, 70};
  InputContract c = contract(ColorOrder::kGray, Layout::kNCHW, ResizeKind::kLetterbox);
  c.unit_range = false;
  c.pad_value = 114.f;
  Preprocessor p = make(c, tensor({1, 1, 2, 2}));
  Mapping m = p.mapping(4, 2);
  EXPECT_EQ(m.dst_x, 0);
  EXPECT_EQ(m.dst_y, 0);
  EXPECT_EQ(m.dst_w, 2);
  EXPECT_EQ(m.dst_h, 1);
  std::vector<float> out = run(p, Image::packed(PixelFormat::kGray8, 4, 2, px));
  EXPECT_EQ(out, (std::vector<float>{25.f, 45.f, 114.f, 114.f}));
}

TEST(Preprocess, CenterCropKeepsTheMiddle) {
  // 4x2 frame into 2x2: scale max(0.5, 1) = 1, source window x in [1, 3): columns 1, 2
  // sampled exactly at their centres.
  const uint8_t px[8] = {0, 10, 20, 30, 40, 50, 60, 70};
  InputContract c = contract(ColorOrder::kGray, Layout::kNCHW, ResizeKind::kCenterCrop);
  c.unit_range = false;
  Preprocessor p = make(c, tensor({1, 1, 2, 2}));
  Mapping m = p.mapping(4, 2);
  EXPECT_DOUBLE_EQ(m.src_x, 1.0);
  EXPECT_DOUBLE_EQ(m.src_w, 2.0);
  std::vector<float> out = run(p, Image::packed(PixelFormat::kGray8, 4, 2, px));
  EXPECT_EQ(out, (std::vector<float>{10.f, 20.f, 50.f, 60.f}));
}

TEST(Preprocess, Nv12LimitedRangeBt601) {
  // 2x2 NV12, one chroma sample U = V = 128 (gray): Y 16 -> 0, 235 -> 255,
  // 126 -> (126 - 16) * 255 / 219 = 128.0822. Upscaled 1:1 (2x2 model), raw range.
  const uint8_t px[6] = {16, 235, 126, 235, 128, 128};
  InputContract c = contract(ColorOrder::kRGB, Layout::kNHWC, ResizeKind::kStretch);
  c.unit_range = false;
  Preprocessor p = make(c, tensor({1, 2, 2, 3}));
  std::vector<float> out = run(p, Image::packed(PixelFormat::kNV12, 2, 2, px));
  const float want[4] = {0.f, 255.f, 128.0822f, 255.f};
  for (int i = 0; i < 4; ++i)
    for (int ch = 0; ch < 3; ++ch) EXPECT_NEAR(out[i * 3 + ch], want[i], 1e-3f) << i << " " << ch;
  // Red in BT.601 limited range: Y 81, U 90, V 240 -> about (255, 0, 0).
  const uint8_t red[6] = {81, 81, 81, 81, 90, 240};
  out = run(p, Image::packed(PixelFormat::kNV12, 2, 2, red));
  EXPECT_NEAR(out[0], 255.f, 1.5f);
  EXPECT_NEAR(out[1], 0.f, 1.5f);
  EXPECT_NEAR(out[2], 0.f, 1.5f);
}

// ---- the independent formulation ------------------------------------------------------

struct Frame {
  std::vector<uint8_t> bytes;
  Image image;
};

// A random frame of `format` whose rows are padded by `extra` bytes and planes separated.
Frame random_frame(PixelFormat format, int w, int h, int extra, uint32_t seed) {
  const int cw = (w + 1) / 2, ch = (h + 1) / 2;
  int rows[3] = {0, 0, 0}, heights[3] = {h, ch, ch}, bytes_per_row[3] = {0, 0, 0};
  switch (format) {
    case PixelFormat::kRGB:
    case PixelFormat::kBGR: bytes_per_row[0] = 3 * w; break;
    case PixelFormat::kGray8: bytes_per_row[0] = w; break;
    case PixelFormat::kNV12: bytes_per_row[0] = w, bytes_per_row[1] = 2 * cw; break;
    case PixelFormat::kI420: bytes_per_row[0] = w, bytes_per_row[1] = bytes_per_row[2] = cw; break;
    default: bytes_per_row[0] = 4 * w; break;
  }
  Frame f;
  size_t offsets[3], total = 0;
  for (int p = 0; p < 3; ++p) {
    rows[p] = bytes_per_row[p] ? bytes_per_row[p] + extra : 0;
    offsets[p] = total;
    total += static_cast<size_t>(rows[p]) * heights[p] + 16;
  }
  f.bytes.resize(total);
  std::mt19937 rng(seed);
  for (uint8_t& b : f.bytes) b = static_cast<uint8_t>(rng());
  f.image.format = format;
  f.image.width = w;
  f.image.height = h;
  for (int p = 0; p < pixel_format_planes(format); ++p) {
    f.image.planes[p] = f.bytes.data() + offsets[p];
    f.image.strides[p] = rows[p];
  }
  return f;
}

// The frame as RGB doubles, [h][w][3], from the textbook YUV equations.
std::vector<double> to_rgb(const Image& im) {
  std::vector<double> rgb(static_cast<size_t>(im.width) * im.height * 3);
  const bool bt709 = im.matrix == YuvMatrix::kBT709;
  const double kr = bt709 ? 0.2126 : 0.299, kb = bt709 ? 0.0722 : 0.114;
  for (int y = 0; y < im.height; ++y) {
    for (int x = 0; x < im.width; ++x) {
      double* o = &rgb[(static_cast<size_t>(y) * im.width + x) * 3];
      const uint8_t* row = im.planes[0] + static_cast<size_t>(y) * im.strides[0];
      auto clamp = [](double v) { return v < 0 ? 0 : v > 255 ? 255 : v; };
      switch (im.format) {
        case PixelFormat::kRGB:
          o[0] = row[3 * x], o[1] = row[3 * x + 1], o[2] = row[3 * x + 2];
          break;
        case PixelFormat::kBGR:
          o[2] = row[3 * x], o[1] = row[3 * x + 1], o[0] = row[3 * x + 2];
          break;
        case PixelFormat::kRGBx:
        case PixelFormat::kRGBA:
          o[0] = row[4 * x], o[1] = row[4 * x + 1], o[2] = row[4 * x + 2];
          break;
        case PixelFormat::kBGRx:
        case PixelFormat::kBGRA:
          o[2] = row[4 * x], o[1] = row[4 * x + 1], o[0] = row[4 * x + 2];
          break;
        case PixelFormat::kGray8: o[0] = o[1] = o[2] = row[x]; break;
        case PixelFormat::kNV12:
        case PixelFormat::kI420: {
          double u, v;
          const uint8_t* c1 = im.planes[1] + static_cast<size_t>(y / 2) * im.strides[1];
          if (im.format == PixelFormat::kNV12) {
            u = c1[(x / 2) * 2], v = c1[(x / 2) * 2 + 1];
          } else {
            u = c1[x / 2];
            v = im.planes[2][static_cast<size_t>(y / 2) * im.strides[2] + x / 2];
          }
          const double Y = im.full_range ? row[x] : (row[x] - 16.0) / 219.0 * 255.0;
          const double Pb = (u - 128.0) / (im.full_range ? 255.0 : 224.0);
          const double Pr = (v - 128.0) / (im.full_range ? 255.0 : 224.0);
          // E'R = Y + 2(1-kr) Pr; E'B = Y + 2(1-kb) Pb; E'G = (Y - kr R - kb B) / kg.
          const double r = Y + 255.0 * 2 * (1 - kr) * Pr;
          const double b = Y + 255.0 * 2 * (1 - kb) * Pb;
          const double g = (Y - kr * r - kb * b) / (1 - kr - kb);
          o[0] = clamp(r), o[1] = clamp(g), o[2] = clamp(b);
          break;
        }
      }
    }
  }
  return rgb;
}

// Expected model input (f32, NCHW or NHWC) by resizing the double RGB frame.
std::vector<float> reference(const Image& im, const InputContract& c, int W, int H) {
  const std::vector<double> rgb = to_rgb(im);
  const int C = c.color == ColorOrder::kGray ? 1 : 3;
  const bool yuv = im.format == PixelFormat::kNV12 || im.format == PixelFormat::kI420;
  // Geometry, written out per mode.
  double sx0 = 0, sy0 = 0, sw = im.width, sh = im.height;
  int dx0 = 0, dy0 = 0, dw = W, dh = H;
  if (c.resize == ResizeKind::kLetterbox) {
    const double s = std::min(double(W) / im.width, double(H) / im.height);
    dw = static_cast<int>(std::lround(im.width * s)),
    dh = static_cast<int>(std::lround(im.height * s));
    dx0 = (W - dw) / 2, dy0 = (H - dh) / 2;
  } else if (c.resize == ResizeKind::kCenterCrop) {
    const double s = std::max(double(W) / im.width, double(H) / im.height);
    sw = W / s, sh = H / s, sx0 = (im.width - sw) / 2, sy0 = (im.height - sh) / 2;
  }
  auto value = [&](int x, int y, int ch) -> double {  // 0..255, sampled channel ch
    const double* p = &rgb[(static_cast<size_t>(y) * im.width + x) * 3];
    if (C == 3) return p[ch];
    if (yuv) {
      const double l = im.planes[0][static_cast<size_t>(y) * im.strides[0] + x];
      const double e = im.full_range ? l : (l - 16.0) * 255.0 / 219.0;
      return e < 0 ? 0 : e > 255 ? 255 : e;
    }
    return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
  };
  std::vector<float> out(static_cast<size_t>(W) * H * C);
  for (int y = 0; y < H; ++y) {
    for (int x = 0; x < W; ++x) {
      for (int ch = 0; ch < C; ++ch) {
        double v = c.pad_value;
        if (x >= dx0 && x < dx0 + dw && y >= dy0 && y < dy0 + dh) {
          double fx = sx0 + (x - dx0 + 0.5) * sw / dw - 0.5,
                 fy = sy0 + (y - dy0 + 0.5) * sh / dh - 0.5;
          fx = std::min(std::max(fx, 0.0), im.width - 1.0);
          fy = std::min(std::max(fy, 0.0), im.height - 1.0);
          const int x0 = static_cast<int>(fx), y0 = static_cast<int>(fy);
          const int x1 = std::min(x0 + 1, im.width - 1), y1 = std::min(y0 + 1, im.height - 1);
          const double ax = fx - x0, ay = fy - y0;
          const int src = c.color == ColorOrder::kBGR ? 2 - ch : ch;
          v = (1 - ay) * ((1 - ax) * value(x0, y0, src) + ax * value(x1, y0, src)) +
              ay * ((1 - ax) * value(x0, y1, src) + ax * value(x1, y1, src));
        }
        const double mean = c.mean.empty() ? 0 : c.mean[c.mean.size() == 1 ? 0 : ch];
        const double sd = c.std.empty() ? 1 : c.std[c.std.size() == 1 ? 0 : ch];
        const double x01 = c.unit_range ? v / 255.0 : v;
        const size_t idx = c.layout == Layout::kNCHW ? (static_cast<size_t>(ch) * H + y) * W + x
                                                     : (static_cast<size_t>(y) * W + x) * C + ch;
        out[idx] = static_cast<float>((x01 - mean) / sd);
      }
    }
  }
  return out;
}

const PixelFormat kFormats[] = {PixelFormat::kRGB,  PixelFormat::kBGR,  PixelFormat::kRGBx,
                                PixelFormat::kBGRx, PixelFormat::kRGBA, PixelFormat::kBGRA,
                                PixelFormat::kNV12, PixelFormat::kI420, PixelFormat::kGray8};
const int kSizes[][2] = {{384, 288}, {385, 289}, {385, 385}};

struct Case {
  ColorOrder color;
  Layout layout;
  ResizeKind resize;
  int w, h;
};

TEST(Preprocess, EveryFormatAndSizeMatchesTheReference) {
  const Case cases[] = {
      {ColorOrder::kRGB, Layout::kNCHW, ResizeKind::kStretch, 37, 29},
      {ColorOrder::kBGR, Layout::kNHWC, ResizeKind::kLetterbox, 31, 41},
      {ColorOrder::kRGB, Layout::kNCHW, ResizeKind::kCenterCrop, 29, 23},
      {ColorOrder::kGray, Layout::kNCHW, ResizeKind::kLetterbox, 28, 28},
  };
  uint32_t seed = 1;
  for (const Case& k : cases) {
    InputContract c = contract(k.color, k.layout, k.resize);
    const int C = k.color == ColorOrder::kGray ? 1 : 3;
    if (C == 3) {
      c.mean = {0.485f, 0.456f, 0.406f};
      c.std = {0.229f, 0.224f, 0.225f};
    } else {
      c.mean = {0.2860f};
      c.std = {0.3530f};
    }
    c.pad_value = 114;
    std::vector<int64_t> shape = k.layout == Layout::kNCHW ? std::vector<int64_t>{1, C, k.h, k.w}
                                                           : std::vector<int64_t>{1, k.h, k.w, C};
    Preprocessor p = make(c, tensor(shape));
    for (PixelFormat f : kFormats) {
      for (const auto& size : kSizes) {
        Frame frame = random_frame(f, size[0], size[1], 7, seed++);
        frame.image.matrix = seed % 2 ? YuvMatrix::kBT601 : YuvMatrix::kBT709;
        frame.image.full_range = seed % 3 == 0;
        std::vector<float> got = run(p, frame.image);
        std::vector<float> want = reference(frame.image, c, k.w, k.h);
        ASSERT_EQ(got.size(), want.size());
        double worst = 0;
        for (size_t i = 0; i < got.size(); ++i)
          worst = std::max(worst, double(std::fabs(got[i] - want[i])));
        EXPECT_LT(worst, 2e-4) << pixel_format_name(f) << " " << size[0] << "x" << size[1]
                               << " contract " << k.w << "x" << k.h << " resize "
                               << static_cast<int>(k.resize);
      }
    }
  }
}

TEST(Preprocess, HalfAndQuantizedInputsEncodeTheFloatResult) {
  Frame frame = random_frame(PixelFormat::kI420, 385, 289, 3, 77);
  InputContract c = contract(ColorOrder::kRGB, Layout::kNCHW, ResizeKind::kLetterbox);
  c.mean = {0.5f};
  c.std = {0.5f};
  std::vector<float> ref = run(make(c, tensor({1, 3, 19, 23})), frame.image);

  Preprocessor half = make(c, tensor({1, 3, 19, 23}, DType::kF16));
  std::vector<uint16_t> h(ref.size());
  ASSERT_TRUE(half.run(frame.image, h.data()).ok());
  for (size_t i = 0; i < ref.size(); ++i) ASSERT_EQ(h[i], float_to_half(ref[i])) << i;

  TensorInfo q8 = tensor({1, 3, 19, 23}, DType::kI8);
  q8.quantization.scales = {1.f / 127};
  q8.quantization.zero_points = {-1};
  Preprocessor i8 = make(c, q8);
  std::vector<int8_t> q(ref.size());
  ASSERT_TRUE(i8.run(frame.image, q.data()).ok());
  int saturated = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    // q = clamp(round_half_even(x * 127) - 1, -128, 127)
    const float r = std::nearbyint(ref[i] * 127.f) - 1.f;
    const int want = r < -128 ? -128 : r > 127 ? 127 : static_cast<int>(r);
    saturated += want == 127 || want == -128;
    ASSERT_EQ(q[i], want) << i;
  }
  EXPECT_LT(saturated, static_cast<int>(ref.size()));

  TensorInfo qu8 = tensor({1, 3, 19, 23}, DType::kU8);
  qu8.quantization.scales = {2.f / 255};
  qu8.quantization.zero_points = {128};
  std::vector<uint8_t> u(ref.size());
  ASSERT_TRUE(make(c, qu8).run(frame.image, u.data()).ok());
  for (size_t i = 0; i < ref.size(); ++i) {
    const float r = std::nearbyint(ref[i] / (2.f / 255)) + 128.f;
    ASSERT_EQ(u[i], r < 0 ? 0 : r > 255 ? 255 : static_cast<int>(r)) << i;
  }
}

TEST(Preprocess, PackedImagesHaveTightStrides) {
  Image im = Image::packed(PixelFormat::kI420, 5, 3, reinterpret_cast<const uint8_t*>(0x1000));
  EXPECT_EQ(im.strides[0], 5);
  EXPECT_EQ(im.strides[1], 3);
  EXPECT_EQ(im.planes[1] - im.planes[0], 15);
  EXPECT_EQ(im.planes[2] - im.planes[1], 6);
  EXPECT_EQ(Image::packed_size(PixelFormat::kI420, 5, 3), 27u);
  EXPECT_EQ(Image::packed_size(PixelFormat::kNV12, 5, 3), 27u);
  EXPECT_EQ(Image::packed_size(PixelFormat::kBGRA, 5, 3), 60u);
  EXPECT_EQ(Image::packed_size(PixelFormat::kRGB, 5, 3), 45u);
}

void expect_error(const InputContract& c, const TensorInfo& t, StatusCode code, const char* what) {
  Result<Preprocessor> p = Preprocessor::create(c, t);
  ASSERT_FALSE(p.ok()) << what;
  EXPECT_EQ(p.status().code(), code) << p.status().to_string();
  EXPECT_NE(p.status().message().find(what), std::string::npos) << p.status().to_string();
}

TEST(Preprocess, CreateRejectsContractsThatDoNotFit) {
  InputContract c = contract(ColorOrder::kRGB, Layout::kNCHW, ResizeKind::kStretch);
  expect_error(c, tensor({1, 3, 8}), StatusCode::kShapeMismatch, "rank-4");
  expect_error(c, tensor({1, 8, 8, 3}), StatusCode::kShapeMismatch, "needs 3 channels");
  // An RGB contract on a one-channel tensor reads gray (hand check: BT.601 luma of
  // R=100 G=50 B=200 is 29.9 + 29.35 + 22.8 = 82.05).
  InputContract raw = c;
  raw.unit_range = false;
  Result<Preprocessor> one = Preprocessor::create(raw, tensor({1, 1, 1, 1}));
  ASSERT_TRUE(one.ok()) << one.status().to_string();
  const uint8_t px[3] = {100, 50, 200};
  float y = 0;
  ASSERT_TRUE(one->run(Image::packed(PixelFormat::kRGB, 1, 1, px), &y).ok());
  EXPECT_NEAR(y, 82.05f, 1e-4f);
  InputContract gray = contract(ColorOrder::kGray, Layout::kNCHW, ResizeKind::kStretch);
  expect_error(gray, tensor({1, 3, 8, 8}), StatusCode::kShapeMismatch, "needs 1 channels");
  InputContract sized = c;
  sized.width = 16;
  sized.height = 8;
  expect_error(sized, tensor({1, 3, 8, 8}), StatusCode::kShapeMismatch, "contract says 16x8");
  InputContract means = c;
  means.mean = {0.1f, 0.2f};
  expect_error(means, tensor({1, 3, 8, 8}), StatusCode::kInvalidArgument, "2 mean");
  InputContract zero = c;
  zero.std = {1.f, 0.f, 1.f};
  expect_error(zero, tensor({1, 3, 8, 8}), StatusCode::kInvalidArgument, "channel 1");
  expect_error(c, tensor({1, 3, 8, 8}, DType::kI8), StatusCode::kUnsupported, "one positive scale");
  expect_error(c, tensor({1, 3, 8, 8}, DType::kI32), StatusCode::kUnsupported,
               "f32, f16, i8 or u8");
}

TEST(Preprocess, RunRejectsBadFramesAndWritesNothing) {
  Preprocessor p =
      make(contract(ColorOrder::kRGB, Layout::kNCHW, ResizeKind::kStretch), tensor({1, 3, 4, 4}));
  std::vector<uint8_t> px(64 * 64 * 4, 7);
  std::vector<float> out(p.item_bytes() / 4, -5.f);
  Image im = Image::packed(PixelFormat::kRGBA, 10, 10, px.data());
  im.strides[0] = 39;
  Status s = p.run(im, out.data());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("stride 39 < 40"), std::string::npos) << s.to_string();
  Image nv = Image::packed(PixelFormat::kNV12, 10, 10, px.data());
  nv.planes[1] = nullptr;
  EXPECT_NE(p.run(nv, out.data()).message().find("plane 1 is null"), std::string::npos);
  Image empty = Image::packed(PixelFormat::kGray8, 0, 10, px.data());
  EXPECT_NE(p.run(empty, out.data()).message().find("0x10"), std::string::npos);
  for (float v : out) ASSERT_EQ(v, -5.f);
  EXPECT_EQ(Preprocessor().run(im, out.data()).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strix::vision
