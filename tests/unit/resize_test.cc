// Resize (kernels/cpu/ref/resize.cc): hand-computed Nearest and Linear cases, random odd
// shapes against the ONNX formulas evaluated here in double for every coordinate and
// nearest mode, sizes vs scales, f16 storage, and the errors the factory reports.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "tests/unit/data_movement_test_util.h"

namespace strix::testing {
namespace {

using namespace dm;  // NOLINT

using Mode = fb::ResizeMode;
using Coord = fb::CoordinateMode;
using Near = fb::NearestMode;

struct ResizeSpec {
  Mode mode = Mode::Nearest;
  Coord coord = Coord::HalfPixel;
  Near nearest = Near::RoundPreferFloor;
  std::vector<float> scales;
  std::vector<int64_t> sizes;
};

Result<std::vector<HostTensor>> run_resize(const HostTensor& x, const ResizeSpec& s,
                                           const std::vector<int64_t>& out_shape) {
  return run_node(fb::OpType::Resize, fb::OpOptions::ResizeOptions,
                  [&](ModelBuilder& b) {
                    return fb::CreateResizeOptions(
                               b.fbb(), s.mode, s.coord, s.nearest,
                               s.scales.empty() ? 0 : b.fbb().CreateVector(s.scales),
                               s.sizes.empty() ? 0 : longs(b, s.sizes))
                        .Union();
                  },
                  {x}, {{x.dtype, out_shape, {}}});
}

TEST(Resize, NearestHandComputed) {
  HostTensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  // half_pixel, x2: source (o + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> 0, 0, 1, 1.
  auto a = run_resize(x, {Mode::Nearest, Coord::HalfPixel, Near::RoundPreferFloor, {}, {4, 4}},
                      {1, 1, 4, 4});
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a.value()[0].f32(),
            (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  // asymmetric, x2 by scales: source o / 2 = 0, 0.5, 1, 1.5; prefer ceil -> 0, 1, 1, 2 -> 1.
  auto b = run_resize(x, {Mode::Nearest, Coord::Asymmetric, Near::RoundPreferCeil, {2, 2}, {}},
                      {1, 1, 4, 4});
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(b.value()[0].f32(),
            (std::vector<float>{1, 2, 2, 2, 3, 4, 4, 4, 3, 4, 4, 4, 3, 4, 4, 4}));
  // Downsample [1, 2, 3, 4] to 2 wide: half_pixel source 2o + 0.5 = 0.5, 2.5.
  HostTensor row = f32({1, 1, 1, 4}, {1, 2, 3, 4});
  auto floor = run_resize(
      row, {Mode::Nearest, Coord::HalfPixel, Near::RoundPreferFloor, {}, {1, 2}}, {1, 1, 1, 2});
  ASSERT_TRUE(floor.ok()) << floor.status().to_string();
  EXPECT_EQ(floor.value()[0].f32(), (std::vector<float>{1, 3}));
  auto ceil = run_resize(row, {Mode::Nearest, Coord::HalfPixel, Near::RoundPreferCeil, {}, {1, 2}},
                         {1, 1, 1, 2});
  ASSERT_TRUE(ceil.ok()) << ceil.status().to_string();
  EXPECT_EQ(ceil.value()[0].f32(), (std::vector<float>{2, 4}));
}

TEST(Resize, LinearHandComputed) {
  HostTensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  // half_pixel x2: clamped sources 0, 0.25, 0.75, 1 on both axes; rows differ by 2.
  auto a = run_resize(x, {Mode::Linear, Coord::HalfPixel, Near::RoundPreferFloor, {}, {4, 4}},
                      {1, 1, 4, 4});
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  std::vector<float> expected = {1,   1.25, 1.75, 2,   1.5, 1.75, 2.25, 2.5,
                                 2.5, 2.75, 3.25, 3.5, 3,   3.25, 3.75, 4};
  std::vector<float> got = a.value()[0].f32();
  for (int i = 0; i < 16; ++i) EXPECT_NEAR(got[i], expected[i], 1e-6f) << i;
  // align_corners to 3x3: sources 0, 0.5, 1.
  auto b = run_resize(x, {Mode::Linear, Coord::AlignCorners, Near::RoundPreferFloor, {}, {3, 3}},
                      {1, 1, 3, 3});
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  expected = {1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4};
  got = b.value()[0].f32();
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(got[i], expected[i], 1e-6f) << i;
}

// The ONNX coordinate transform, in double.
double source(int64_t o, double scale, int64_t in, int64_t out, Coord mode) {
  switch (mode) {
    case Coord::HalfPixel: return (o + 0.5) / scale - 0.5;
    case Coord::PytorchHalfPixel: return out > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
    case Coord::AlignCorners: return out == 1 ? 0.0 : o * double(in - 1) / double(out - 1);
    case Coord::Asymmetric: return o / scale;
    case Coord::TfHalfPixelForCenters: return (o + 0.5) / scale;
  }
  return 0;
}

int64_t nearest(double x, int64_t in, Near mode) {
  double r = 0;
  double f = std::floor(x);
  switch (mode) {
    case Near::RoundPreferFloor: r = (x - f == 0.5) ? f : std::round(x); break;
    case Near::RoundPreferCeil: r = (x - f == 0.5) ? f + 1 : std::round(x); break;
    case Near::Floor: r = f; break;
    case Near::Ceil: r = std::ceil(x); break;
  }
  return static_cast<int64_t>(std::min<double>(std::max(r, 0.0), in - 1));
}

// Linear interpolation along one axis: the source clamped to [0, in - 1].
void linear(double x, int64_t in, int64_t* i0, int64_t* i1, double* w) {
  x = std::min<double>(std::max(x, 0.0), in - 1);
  *i0 = static_cast<int64_t>(std::floor(x));
  *i1 = std::min<int64_t>(*i0 + 1, in - 1);
  *w = x - *i0;
}

// Checks y = resize(x) element by element. Nearest accepts either neighbour where the
// double source is within 1e-4 of a rounding boundary (the kernel computes in float).
void check_resize(const std::vector<float>& x, const std::vector<float>& y,
                  const std::vector<int64_t>& in, const std::vector<int64_t>& out,
                  const ResizeSpec& s, double sh, double sw) {
  int64_t planes = in[0] * in[1], ih = in[2], iw = in[3], oh = out[2], ow = out[3];
  int bad = 0;
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t r = 0; r < oh; ++r) {
      for (int64_t c = 0; c < ow; ++c) {
        double srow = source(r, sh, ih, oh, s.coord), scol = source(c, sw, iw, ow, s.coord);
        float got = y[(p * oh + r) * ow + c];
        const float* plane = x.data() + p * ih * iw;
        bool ok = false;
        if (s.mode == Mode::Nearest) {
          for (double er : {-1e-4, 1e-4})
            for (double ec : {-1e-4, 1e-4})
              ok = ok || got == plane[nearest(srow + er, ih, s.nearest) * iw +
                                      nearest(scol + ec, iw, s.nearest)];
        } else {
          int64_t r0, r1, c0, c1;
          double wr, wc;
          linear(srow, ih, &r0, &r1, &wr);
          linear(scol, iw, &c0, &c1, &wc);
          double top = (1 - wc) * plane[r0 * iw + c0] + wc * plane[r0 * iw + c1];
          double bottom = (1 - wc) * plane[r1 * iw + c0] + wc * plane[r1 * iw + c1];
          ok = std::fabs(got - ((1 - wr) * top + wr * bottom)) < 2e-5;
        }
        if (!ok && ++bad < 5) ADD_FAILURE() << "plane " << p << " at (" << r << ", " << c << ")";
      }
    }
  }
  EXPECT_EQ(bad, 0);
}

TEST(Resize, RandomEveryModeAgainstDoubleFormulas) {
  std::vector<int64_t> in = {2, 3, 13, 7};
  HostTensor x = random_tensor(DType::kF32, in, 100);
  struct Size {
    std::vector<float> scales;
    std::vector<int64_t> sizes;
    std::vector<int64_t> out;
  };
  // floor(13 * 2.3) = 29, floor(7 * 0.6) = 4; sizes up and down; a 1-wide output.
  std::vector<Size> cases = {
      {{2.3f, 0.6f}, {}, {2, 3, 29, 4}}, {{}, {31, 5}, {2, 3, 31, 5}}, {{}, {5, 1}, {2, 3, 5, 1}}};
  for (const Size& size : cases) {
    double sh = size.scales.empty() ? double(float(size.out[2]) / float(in[2])) : size.scales[0];
    double sw = size.scales.empty() ? double(float(size.out[3]) / float(in[3])) : size.scales[1];
    for (Coord coord : {Coord::HalfPixel, Coord::PytorchHalfPixel, Coord::AlignCorners,
                        Coord::Asymmetric, Coord::TfHalfPixelForCenters}) {
      for (int m = 0; m < 5; ++m) {  // 4 nearest modes, then linear
        ResizeSpec s;
        s.mode = m < 4 ? Mode::Nearest : Mode::Linear;
        s.nearest = static_cast<Near>(m < 4 ? m : 0);
        s.coord = coord;
        s.scales = size.scales;
        s.sizes = size.sizes;
        SCOPED_TRACE(std::string("out ") + std::to_string(size.out[2]) + "x" +
                     std::to_string(size.out[3]) + " coord " + fb::EnumNameCoordinateMode(coord) +
                     " mode " + std::to_string(m));
        auto out = run_resize(x, s, size.out);
        ASSERT_TRUE(out.ok()) << out.status().to_string();
        check_resize(x.f32(), out.value()[0].f32(), in, size.out, s, sh, sw);
      }
    }
  }
}

TEST(Resize, F16StorageMatchesF32) {
  std::vector<int64_t> in = {1, 2, 9, 5};
  std::vector<float> v = random_floats(90, 101);
  for (float& f : v) f = half_to_float(float_to_half(f));
  ResizeSpec s{Mode::Linear, Coord::HalfPixel, Near::RoundPreferFloor, {}, {13, 11}};
  auto a = run_resize(f32(in, v), s, {1, 2, 13, 11});
  auto b = run_resize(f16(in, v), s, {1, 2, 13, 11});
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  std::vector<float> fa = a.value()[0].f32(), fb16 = floats_of(b.value()[0]);
  for (size_t i = 0; i < fa.size(); ++i) EXPECT_EQ(fb16[i], half_to_float(float_to_half(fa[i])));
}

TEST(Resize, Errors) {
  HostTensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  ResizeSpec both{Mode::Nearest, Coord::HalfPixel, Near::Floor, {2, 2}, {4, 4}};
  expect_error(run_resize(x, both, {1, 1, 4, 4}), StatusCode::kCorruptModel,
               "exactly one of scales and sizes");
  ResizeSpec neither{Mode::Nearest, Coord::HalfPixel, Near::Floor, {}, {}};
  expect_error(run_resize(x, neither, {1, 1, 2, 2}), StatusCode::kCorruptModel,
               "exactly one of scales and sizes");
  ResizeSpec sizes3{Mode::Nearest, Coord::HalfPixel, Near::Floor, {}, {1, 4, 4}};
  expect_error(run_resize(x, sizes3, {1, 1, 4, 4}), StatusCode::kCorruptModel,
               "sizes has 3 entries");
  ResizeSpec negative{Mode::Linear, Coord::HalfPixel, Near::Floor, {-2, 2}, {}};
  expect_error(run_resize(x, negative, {1, 1, 4, 4}), StatusCode::kCorruptModel,
               "must be positive");
  ResizeSpec tiny{Mode::Linear, Coord::HalfPixel, Near::Floor, {0.4f, 1}, {}};
  expect_error(run_resize(x, tiny, {1, 1, 0, 2}), StatusCode::kShapeMismatch, "empty output");
  ResizeSpec ok{Mode::Linear, Coord::HalfPixel, Near::Floor, {}, {4, 4}};
  expect_error(run_resize(f32({1, 2, 2}, {1, 2, 3, 4}), ok, {1, 4, 4}), StatusCode::kShapeMismatch,
               "4-D NCHW");
  ResizeSpec bad_mode{static_cast<Mode>(7), Coord::HalfPixel, Near::Floor, {}, {4, 4}};
  expect_error(run_resize(x, bad_mode, {1, 1, 4, 4}), StatusCode::kCorruptModel,
               "unknown resize mode 7");
}

}  // namespace
}  // namespace strix::testing
