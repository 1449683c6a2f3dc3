// ConvTranspose2D f32 (kernels/cpu/ref/conv_transpose.cc, a scatter form) through the
// Engine: hand-computed cases, random odd shapes against a gather form written here, the
// adjoint identity <Conv(x), u> == <x, ConvTranspose(u)>, f16 storage, and errors.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/unit/conv_fc_test_util.h"

namespace strix::testing {
namespace {

using convfc::ModelBuilder;

struct TCase {
  int64_t n = 1, c = 1, h = 1, w = 1, m = 1, kh = 1, kw = 1;  // W [c, m/group, kh, kw]
  int32_t group = 1;
  int32_t sh = 1, sw = 1, dh = 1, dw = 1;
  int32_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int32_t out_pad_h = 0, out_pad_w = 0;
  bool bias = true;
  fb::ActivationKind act = fb::ActivationKind::None;
  float alpha = 0;
};

int64_t out_h(const TCase& t) {
  return t.sh * (t.h - 1) + t.out_pad_h + (t.kh - 1) * t.dh + 1 - t.pad_top - t.pad_bottom;
}
int64_t out_w(const TCase& t) {
  return t.sw * (t.w - 1) + t.out_pad_w + (t.kw - 1) * t.dw + 1 - t.pad_left - t.pad_right;
}

// Gather form: output pixel (oy, ox) receives x[iy, ix] through tap (ky, kx) exactly when
// oy + pad_top - ky*dh == iy*sh (and likewise for x) with iy inside the input.
std::vector<float> conv_transpose_gather(const TCase& t, const std::vector<float>& x,
                                         const std::vector<float>& w,
                                         const std::vector<float>& bias) {
  const int64_t oh = out_h(t), ow = out_w(t), cg = t.c / t.group, mg = t.m / t.group;
  std::vector<float> y(t.n * t.m * oh * ow);
  for (int64_t n = 0; n < t.n; ++n)
    for (int64_t oc = 0; oc < t.m; ++oc) {
      const int64_t g = oc / mg, mm = oc % mg;
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          double acc = bias.empty() ? 0.0 : bias[oc];
          for (int64_t c = g * cg; c < (g + 1) * cg; ++c)
            for (int64_t ky = 0; ky < t.kh; ++ky) {
              const int64_t ny = oy + t.pad_top - ky * t.dh;
              if (ny < 0 || ny % t.sh != 0 || ny / t.sh >= t.h) continue;
              for (int64_t kx = 0; kx < t.kw; ++kx) {
                const int64_t nx = ox + t.pad_left - kx * t.dw;
                if (nx < 0 || nx % t.sw != 0 || nx / t.sw >= t.w) continue;
                acc += double(x[((n * t.c + c) * t.h + ny / t.sh) * t.w + nx / t.sw]) *
                       w[((c * mg + mm) * t.kh + ky) * t.kw + kx];
              }
            }
          y[((n * t.m + oc) * oh + oy) * ow + ox] =
              static_cast<float>(convfc::ref_activation(t.act, t.alpha, 0, acc));
        }
    }
  return y;
}

std::vector<uint8_t> model(const TCase& t, DType dt, const std::vector<float>& w,
                           const std::vector<float>& bias, std::vector<int64_t> y_shape = {},
                           bool weights_as_input = false) {
  if (y_shape.empty()) y_shape = {t.n, t.m, out_h(t), out_w(t)};
  ModelBuilder b;
  int x = b.add_input("x", dt, {t.n, t.c, t.h, t.w});
  std::vector<int64_t> w_shape = {t.c, t.m / t.group, t.kh, t.kw};
  int wt = weights_as_input ? b.add_input("w", dt, w_shape)
                            : convfc::add_float_constant(b, "w", dt, w_shape, w);
  std::vector<int> inputs = {x, wt};
  if (t.bias) inputs.push_back(convfc::add_float_constant(b, "b", dt, {t.m}, bias));
  int y = b.add_tensor("y", dt, y_shape);
  auto kernel = convfc::ints(b, {static_cast<int32_t>(t.kh), static_cast<int32_t>(t.kw)});
  auto strides = convfc::ints(b, {t.sh, t.sw});
  auto dilations = convfc::ints(b, {t.dh, t.dw});
  auto pads = convfc::ints(b, {t.pad_top, t.pad_left, t.pad_bottom, t.pad_right});
  auto out_pad = convfc::ints(b, {t.out_pad_h, t.out_pad_w});
  auto act = convfc::activation(b, t.act, t.alpha);
  auto opts = fb::CreateConvTranspose2DOptions(b.fbb(), kernel, strides, dilations, pads, out_pad,
                                               t.group, act);
  b.add_node("deconv", fb::OpType::ConvTranspose2D, inputs, {y},
             fb::OpOptions::ConvTranspose2DOptions, opts.Union());
  b.mark_output(y);
  return b.finish();
}

std::vector<float> run(const TCase& t, const std::vector<float>& x, const std::vector<float>& w,
                       const std::vector<float>& bias, DType dt = DType::kF32) {
  auto out = run_model(model(t, dt, w, bias), {convfc::float_tensor(dt, {t.n, t.c, t.h, t.w}, x)});
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  if (!out.ok()) return {};
  EXPECT_EQ(out.value()[0].shape, Shape({t.n, t.m, out_h(t), out_w(t)}));
  return convfc::as_floats(out.value()[0]);
}

TEST(ConvTranspose2D, HandComputedOverlap) {
  // x = [1, 2], w = [1, 10], stride 1: out width 1*(2-1) + 2 = 3;
  // y = [1*1, 1*10 + 2*1, 2*10] = [1, 12, 20].
  TCase t;
  t.w = 2, t.kw = 2, t.bias = false;
  EXPECT_EQ(run(t, {1, 2}, {1, 10}, {}), (std::vector<float>{1, 12, 20}));
}

TEST(ConvTranspose2D, HandComputedStride2OutputPadding) {
  // x = [[1,2],[3,4]], w = [[1,2],[3,4]], stride 2, output_padding 1: without pads the
  // output is 2*(2-1) + 1 + 2 = 5 per axis; each input pixel writes x*w into its own 2x2
  // block, row/column 4 is output padding (0):
  //   [1 2 2 4 0]
  //   [3 4 6 8 0]
  //   [3 6 4 8 0]
  //   [9 12 12 16 0]
  //   [0 0 0 0 0]
  // pads top 1 and right 1 drop the first row and the last column (4x4), then bias 1.
  TCase t;
  t.h = t.w = 2, t.kh = t.kw = 2, t.sh = t.sw = 2, t.out_pad_h = t.out_pad_w = 1;
  std::vector<float> x = {1, 2, 3, 4}, w = {1, 2, 3, 4};
  EXPECT_EQ(run(t, x, w, {0.f}), (std::vector<float>{1, 2, 2, 4,  0,  3,  4, 6, 8, 0, 3, 6, 4,
                                                     8, 0, 9, 12, 12, 16, 0, 0, 0, 0, 0, 0}));
  t.pad_top = 1, t.pad_right = 1;
  EXPECT_EQ(run(t, x, w, {1.f}),
            (std::vector<float>{4, 5, 7, 9, 4, 7, 5, 9, 10, 13, 13, 17, 1, 1, 1, 1}));
}

std::vector<TCase> random_cases() {
  std::vector<TCase> cases;
  TCase a;  // stride 2, output padding, asymmetric pads, ReLU
  a.n = 2, a.c = 3, a.h = 13, a.w = 17, a.m = 5, a.kh = a.kw = 3, a.sh = a.sw = 2;
  a.pad_top = 1, a.pad_left = 0, a.pad_bottom = 2, a.pad_right = 1, a.out_pad_h = 1;
  a.act = fb::ActivationKind::Relu;
  cases.push_back(a);
  TCase b;  // groups 3, 5x5, stride (2, 1), dilation 2, no bias
  b.n = 1, b.c = 6, b.h = 13, b.w = 11, b.m = 9, b.group = 3, b.kh = b.kw = 5;
  b.sh = 2, b.dh = b.dw = 2, b.pad_top = b.pad_bottom = 2, b.out_pad_w = 1, b.bias = false;
  cases.push_back(b);
  TCase c;  // depthwise, stride 3 with kernel 2 (gaps in the output), LeakyRelu
  c.n = 2, c.c = c.m = 7, c.group = 7, c.h = 9, c.w = 13, c.kh = c.kw = 2, c.sh = c.sw = 3;
  c.out_pad_h = 2, c.act = fb::ActivationKind::LeakyRelu, c.alpha = 0.2f;
  cases.push_back(c);
  TCase d;  // 1x1 kernel, stride 1
  d.n = 1, d.c = 13, d.m = 4, d.h = 31, d.w = 17;
  cases.push_back(d);
  return cases;
}

TEST(ConvTranspose2D, RandomOddShapesMatchGatherForm) {
  uint32_t seed = 500;
  for (const TCase& t : random_cases()) {
    SCOPED_TRACE(::testing::Message() << "C" << t.c << " M" << t.m << " group " << t.group);
    std::vector<float> x = random_floats(t.n * t.c * t.h * t.w, ++seed);
    std::vector<float> w = random_floats(t.c * (t.m / t.group) * t.kh * t.kw, ++seed);
    std::vector<float> bias = t.bias ? random_floats(t.m, ++seed) : std::vector<float>{};
    EXPECT_LT(relative_l2(run(t, x, w, bias), conv_transpose_gather(t, x, w, bias)), 1e-5);
    EXPECT_LT(relative_l2(run(t, x, w, bias, DType::kF16), conv_transpose_gather(t, x, w, bias)),
              1e-2)
        << "f16 storage";
  }
}

TEST(ConvTranspose2D, AdjointOfConv2D) {
  // Conv2D maps x [1, C, H, W] to [1, M, oH, oW] with W [M, C/g, kh, kw]; ConvTranspose2D
  // with the same W array (read as [M, C/g, kh, kw] = [in, out/g, ...]), strides, dilations,
  // pads, and output_padding picked so that its output is H x W, is its adjoint:
  // <Conv(x), u> == <x, ConvT(u)>.
  const int64_t C = 6, M = 4, H = 13, W = 11, k = 3;
  const int32_t g = 2, s = 2, d = 1, p = 1;
  const int64_t oh = (H + 2 * p - ((k - 1) * d + 1)) / s + 1;
  const int64_t ow = (W + 2 * p - ((k - 1) * d + 1)) / s + 1;
  std::vector<float> x = random_floats(C * H * W, 71), u = random_floats(M * oh * ow, 72);
  std::vector<float> w = random_floats(M * (C / g) * k * k, 73);

  ModelBuilder cb;
  int cx = cb.add_input("x", DType::kF32, {1, C, H, W});
  int cw = cb.add_constant_f32("w", {M, C / g, k, k}, w);
  int cy = cb.add_tensor("y", DType::kF32, {1, M, oh, ow});
  auto cs = convfc::ints(cb, {s, s});
  auto cp = convfc::ints(cb, {p, p, p, p});
  auto copts = fb::CreateConv2DOptions(cb.fbb(), 0, cs, 0, cp, fb::PaddingMode::Explicit, g);
  cb.add_node("conv", fb::OpType::Conv2D, {cx, cw}, {cy}, fb::OpOptions::Conv2DOptions,
              copts.Union());
  cb.mark_output(cy);
  auto conv = run_model(cb.finish(), {f32({1, C, H, W}, x)});
  ASSERT_TRUE(conv.ok()) << conv.status().to_string();

  TCase t;
  t.c = M, t.m = C, t.group = g, t.h = oh, t.w = ow, t.kh = t.kw = k, t.sh = t.sw = s;
  t.pad_top = t.pad_left = t.pad_bottom = t.pad_right = p, t.bias = false;
  t.out_pad_h = static_cast<int32_t>(H - out_h(t));
  t.out_pad_w = static_cast<int32_t>(W - out_w(t));
  ASSERT_EQ(out_h(t), H);
  ASSERT_EQ(out_w(t), W);
  std::vector<float> xt = run(t, u, w, {});
  ASSERT_EQ(xt.size(), x.size());

  double lhs = 0, rhs = 0, scale = 0;
  std::vector<float> y = conv.value()[0].f32();
  for (size_t i = 0; i < u.size(); ++i) lhs += double(y[i]) * u[i], scale += std::abs(y[i] * u[i]);
  for (size_t i = 0; i < x.size(); ++i) rhs += double(x[i]) * xt[i];
  EXPECT_NEAR(lhs, rhs, 1e-5 * scale);
}

// ---- Errors. ----

void expect_error(const TCase& t, StatusCode code, const std::string& substring,
                  bool weights_as_input = false) {
  std::vector<float> w(t.c * (t.m / t.group) * t.kh * t.kw, 0.5f);
  std::vector<HostTensor> inputs = {
      f32({t.n, t.c, t.h, t.w}, random_floats(t.n * t.c * t.h * t.w, 9))};
  if (weights_as_input) inputs.push_back(f32({t.c, t.m / t.group, t.kh, t.kw}, w));
  Status s = convfc::build_status(
      model(t, DType::kF32, w, std::vector<float>(t.m, 0.f), {1, 1, 1, 1}, weights_as_input),
      inputs);
  EXPECT_EQ(s.code(), code) << s.to_string();
  EXPECT_NE(s.message().find(substring), std::string::npos) << s.to_string();
  EXPECT_NE(s.message().find("ConvTranspose2D"), std::string::npos) << s.to_string();
}

TCase small() {
  TCase t;
  t.c = 4, t.m = 2, t.h = t.w = 5, t.kh = t.kw = 3;
  return t;
}

TEST(ConvTranspose2D, ErrorWeightsNotConstant) {
  expect_error(small(), StatusCode::kUnsupported, "must be a constant", true);
}

TEST(ConvTranspose2D, ErrorOutputPaddingTooLarge) {
  TCase t = small();
  t.sh = t.sw = 2, t.out_pad_w = 2;
  expect_error(t, StatusCode::kCorruptModel,
               "output_padding 2 must be >= 0 and smaller than the stride 2 or the dilation 1");
}

TEST(ConvTranspose2D, ErrorStrideZero) {
  TCase t = small();
  t.sh = 0;
  expect_error(t, StatusCode::kCorruptModel, "stride 0 must be >= 1");
}

TEST(ConvTranspose2D, ErrorGroupDoesNotDivideChannels) {
  TCase t = small();
  t.group = 3, t.m = 3;
  expect_error(t, StatusCode::kShapeMismatch, "group 3 does not divide the 4 input channels");
}

TEST(ConvTranspose2D, ErrorPadsLeaveNoOutput) {
  TCase t = small();
  t.pad_top = 4, t.pad_bottom = 4;  // out = 1 * (5 - 1) + 3 - 8 = -1
  expect_error(t, StatusCode::kShapeMismatch, "the pads leave an output height of -1");
}

TEST(ConvTranspose2D, ErrorWeightsChannelMismatch) {
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {1, 4, 3, 3});
  int w = b.add_constant_f32("w", {3, 2, 1, 1}, std::vector<float>(6, 1.f));
  int y = b.add_tensor("y", DType::kF32, {1, 2, 3, 3});
  auto opts = fb::CreateConvTranspose2DOptions(b.fbb());
  b.add_node("deconv", fb::OpType::ConvTranspose2D, {x, w}, {y},
             fb::OpOptions::ConvTranspose2DOptions, opts.Union());
  b.mark_output(y);
  Status s = convfc::build_status(b.finish(), {f32({1, 4, 3, 3}, random_floats(36, 3))});
  EXPECT_EQ(s.code(), StatusCode::kShapeMismatch) << s.to_string();
  EXPECT_NE(s.message().find("must have 4 (input channels) as dimension 0"), std::string::npos)
      << s.to_string();
}

}  // namespace
}  // namespace strix::testing
