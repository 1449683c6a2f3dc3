// Conv2D f32 (kernels/cpu/ref/conv.cc) through the Engine: hand-computed cases, random odd
// shapes against an im2col + naive GEMM formulation written here, f16 storage, and the
// errors the factory must report.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/unit/conv_fc_test_util.h"

namespace strix::testing {
namespace {

using convfc::ModelBuilder;

enum class Bias { kNone, kOmitted, kPresent };  // 2 inputs; input 2 == -1; a B tensor

struct ConvCase {
  int64_t n = 1, c = 1, h = 1, w = 1, m = 1, kh = 1, kw = 1;
  int32_t group = 1;
  std::vector<int32_t> strides, dilations, pads, kernel;  // empty: absent from the file
  fb::PaddingMode padding = fb::PaddingMode::Explicit;
  Bias bias = Bias::kPresent;
  fb::ActivationKind act = fb::ActivationKind::None;
  float alpha = 0, beta = 0;
};

// Resolved geometry, computed here from the ONNX definitions.
struct Geometry {
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0, oh = 0, ow = 0;
  int64_t sh = 1, sw = 1, dh = 1, dw = 1;
};

void resolve_axis(fb::PaddingMode mode, int64_t in, int64_t k, int64_t s, int64_t d, int64_t* begin,
                  int64_t* end, int64_t* out) {
  const int64_t extent = (k - 1) * d + 1;
  if (mode == fb::PaddingMode::Valid) {
    *begin = *end = 0;
  } else if (mode == fb::PaddingMode::SameUpper || mode == fb::PaddingMode::SameLower) {
    const int64_t want = (in + s - 1) / s;  // ceil(in / s)
    const int64_t total = std::max<int64_t>(0, (want - 1) * s + extent - in);
    // SAME_UPPER puts the extra pad at the end, SAME_LOWER at the beginning.
    *begin = mode == fb::PaddingMode::SameUpper ? total / 2 : (total + 1) / 2;
    *end = total - *begin;
  }
  *out = (in + *begin + *end - extent) / s + 1;
  if (mode == fb::PaddingMode::SameUpper || mode == fb::PaddingMode::SameLower) {
    EXPECT_EQ(*out, (in + s - 1) / s) << "SAME padding keeps ceil(in / stride)";
  }
}

Geometry geometry(const ConvCase& cs) {
  Geometry g;
  if (!cs.strides.empty()) g.sh = cs.strides[0], g.sw = cs.strides[1];
  if (!cs.dilations.empty()) g.dh = cs.dilations[0], g.dw = cs.dilations[1];
  if (!cs.pads.empty())
    g.pad_top = cs.pads[0], g.pad_left = cs.pads[1], g.pad_bottom = cs.pads[2],
    g.pad_right = cs.pads[3];
  resolve_axis(cs.padding, cs.h, cs.kh, g.sh, g.dh, &g.pad_top, &g.pad_bottom, &g.oh);
  resolve_axis(cs.padding, cs.w, cs.kw, g.sw, g.dw, &g.pad_left, &g.pad_right, &g.ow);
  return g;
}

// Conv as im2col + GEMM: per image and group, cols[(c, ky, kx), (oy, ox)] holds the input
// pixel each kernel tap sees (0 in the padding), and Y_g = W_g [Mg x Cg*kh*kw] * cols.
std::vector<float> conv_im2col(const ConvCase& cs, const Geometry& g, const std::vector<float>& x,
                               const std::vector<float>& w, const std::vector<float>& bias) {
  const int64_t cg = cs.c / cs.group, mg = cs.m / cs.group;
  const int64_t rows = cg * cs.kh * cs.kw, cols = g.oh * g.ow;
  std::vector<float> y(cs.n * cs.m * cols);
  std::vector<double> col(rows * cols);
  for (int64_t n = 0; n < cs.n; ++n) {
    for (int64_t grp = 0; grp < cs.group; ++grp) {
      for (int64_t c = 0; c < cg; ++c)
        for (int64_t ky = 0; ky < cs.kh; ++ky)
          for (int64_t kx = 0; kx < cs.kw; ++kx)
            for (int64_t oy = 0; oy < g.oh; ++oy)
              for (int64_t ox = 0; ox < g.ow; ++ox) {
                const int64_t iy = oy * g.sh + ky * g.dh - g.pad_top;
                const int64_t ix = ox * g.sw + kx * g.dw - g.pad_left;
                const bool inside = iy >= 0 && iy < cs.h && ix >= 0 && ix < cs.w;
                const int64_t r = (c * cs.kh + ky) * cs.kw + kx;
                col[r * cols + oy * g.ow + ox] =
                    inside ? x[((n * cs.c + grp * cg + c) * cs.h + iy) * cs.w + ix] : 0.0;
              }
      for (int64_t mm = 0; mm < mg; ++mm) {
        const int64_t m = grp * mg + mm;
        for (int64_t p = 0; p < cols; ++p) {
          double acc = bias.empty() ? 0.0 : bias[m];
          for (int64_t r = 0; r < rows; ++r) acc += double(w[m * rows + r]) * col[r * cols + p];
          y[(n * cs.m + m) * cols + p] =
              static_cast<float>(convfc::ref_activation(cs.act, cs.alpha, cs.beta, acc));
        }
      }
    }
  }
  return y;
}

std::vector<uint8_t> conv_model(const ConvCase& cs, DType dt, const std::vector<float>& w,
                                const std::vector<float>& bias, const std::vector<int64_t>& y_shape,
                                bool weights_as_input = false) {
  ModelBuilder b;
  int x = b.add_input("x", dt, {cs.n, cs.c, cs.h, cs.w});
  std::vector<int64_t> w_shape = {cs.m, cs.c / cs.group, cs.kh, cs.kw};
  int wt = weights_as_input ? b.add_input("w", dt, w_shape)
                            : convfc::add_float_constant(b, "w", dt, w_shape, w);
  std::vector<int> inputs = {x, wt};
  if (cs.bias == Bias::kOmitted) inputs.push_back(-1);
  if (cs.bias == Bias::kPresent)
    inputs.push_back(convfc::add_float_constant(b, "b", dt, {cs.m}, bias));
  int y = b.add_tensor("y", dt, y_shape);
  auto kernel = convfc::ints(b, cs.kernel);
  auto strides = convfc::ints(b, cs.strides);
  auto dilations = convfc::ints(b, cs.dilations);
  auto pads = convfc::ints(b, cs.pads);
  auto act = convfc::activation(b, cs.act, cs.alpha, cs.beta);
  auto opts =
      fb::CreateConv2DOptions(b.fbb(), kernel, strides, dilations, pads, cs.padding, cs.group, act);
  b.add_node("conv", fb::OpType::Conv2D, inputs, {y}, fb::OpOptions::Conv2DOptions, opts.Union());
  b.mark_output(y);
  return b.finish();
}

// Runs `cs` with random data stored as `dt` and checks it against conv_im2col on the same
// (f32) data within `tolerance` relative L2.
void check_random(const ConvCase& cs, uint32_t seed, DType dt = DType::kF32,
                  double tolerance = 1e-5) {
  SCOPED_TRACE(::testing::Message()
               << "N" << cs.n << " C" << cs.c << " " << cs.h << "x" << cs.w << " M" << cs.m << " k"
               << cs.kh << "x" << cs.kw << " group " << cs.group << " dtype " << dtype_name(dt));
  const Geometry g = geometry(cs);
  std::vector<float> x = random_floats(cs.n * cs.c * cs.h * cs.w, seed);
  std::vector<float> w = random_floats(cs.m * (cs.c / cs.group) * cs.kh * cs.kw, seed + 1);
  std::vector<float> bias;
  if (cs.bias == Bias::kPresent) bias = random_floats(cs.m, seed + 2);
  auto out = run_model(conv_model(cs, dt, w, bias, {cs.n, cs.m, g.oh, g.ow}),
                       {convfc::float_tensor(dt, {cs.n, cs.c, cs.h, cs.w}, x)});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out.value()[0].shape, Shape({cs.n, cs.m, g.oh, g.ow}));
  std::vector<float> want = conv_im2col(cs, g, x, w, bias);
  EXPECT_LT(relative_l2(convfc::as_floats(out.value()[0]), want), tolerance);
}

std::vector<float> run_conv(const ConvCase& cs, const std::vector<float>& x,
                            const std::vector<float>& w, const std::vector<float>& bias,
                            const std::vector<int64_t>& y_shape) {
  auto out =
      run_model(conv_model(cs, DType::kF32, w, bias, y_shape), {f32({cs.n, cs.c, cs.h, cs.w}, x)});
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  if (!out.ok()) return {};
  EXPECT_EQ(out.value()[0].shape, Shape(y_shape));
  return out.value()[0].f32();
}

TEST(Conv2D, HandComputedStride2AsymmetricPads) {
  // x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[3,4]], stride 2, pads top 1, left 0, bottom 0,
  // right 1: padded 4x4 -> output 2x2; iy = 2*oy - 1 + ky, ix = 2*ox + kx.
  //   y00 = 3*x00 + 4*x01 = 3 + 8 = 11          (row -1 is padding)
  //   y01 = 3*x02 = 9                            (row -1 and column 3 are padding)
  //   y10 = 1*4 + 2*5 + 3*7 + 4*8 = 67
  //   y11 = 1*x12 + 3*x22 = 6 + 27 = 33
  ConvCase cs;
  cs.h = cs.w = 3, cs.kh = cs.kw = 2;
  cs.strides = {2, 2}, cs.pads = {1, 0, 0, 1}, cs.kernel = {2, 2};
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w = {1, 2, 3, 4};
  EXPECT_EQ(run_conv(cs, x, w, {0.5f}, {1, 1, 2, 2}),
            (std::vector<float>{11.5f, 9.5f, 67.5f, 33.5f}));
  // Bias -20 and a fused ReLU: max(0, [-9, -11, 47, 13]).
  cs.act = fb::ActivationKind::Relu;
  EXPECT_EQ(run_conv(cs, x, w, {-20.f}, {1, 1, 2, 2}), (std::vector<float>{0, 0, 47, 13}));
  // No bias at all (2 inputs) and an omitted bias (input 2 is -1).
  cs.act = fb::ActivationKind::None;
  cs.bias = Bias::kNone;
  EXPECT_EQ(run_conv(cs, x, w, {}, {1, 1, 2, 2}), (std::vector<float>{11, 9, 67, 33}));
  cs.bias = Bias::kOmitted;
  EXPECT_EQ(run_conv(cs, x, w, {}, {1, 1, 2, 2}), (std::vector<float>{11, 9, 67, 33}));
}

TEST(Conv2D, HandComputedDepthwise) {
  // Two channels, group 2, 2x2 kernels, no padding: 3x3 -> 2x2.
  //   channel 0: x = 1..9,  w = [[1,0],[0,1]]:  y = x[i][j] + x[i+1][j+1] = [6, 8, 12, 14]
  //   channel 1: x = 10..18, w = [[0,1],[-1,0]]: y = x[i][j+1] - x[i+1][j] = [-2, -2, -2, -2]
  // plus bias [100, 200].
  ConvCase cs;
  cs.c = cs.m = 2, cs.group = 2, cs.h = cs.w = 3, cs.kh = cs.kw = 2;
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18};
  std::vector<float> w = {1, 0, 0, 1, 0, 1, -1, 0};
  EXPECT_EQ(run_conv(cs, x, w, {100, 200}, {1, 2, 2, 2}),
            (std::vector<float>{106, 108, 112, 114, 198, 198, 198, 198}));
}

TEST(Conv2D, HandComputedDilated) {
  // x[i][j] = 5i + j on 5x5, 2x2 kernel of ones with dilation 2 (extent 3): 3x3 output,
  // y[i][j] = x[i][j] + x[i][j+2] + x[i+2][j] + x[i+2][j+2] = 20i + 4j + 24.
  ConvCase cs;
  cs.h = cs.w = 5, cs.kh = cs.kw = 2, cs.dilations = {2, 2}, cs.bias = Bias::kNone;
  std::vector<float> x(25);
  for (int i = 0; i < 25; ++i) x[i] = static_cast<float>(i);
  EXPECT_EQ(run_conv(cs, x, {1, 1, 1, 1}, {}, {1, 1, 3, 3}),
            (std::vector<float>{24, 28, 32, 44, 48, 52, 64, 68, 72}));
}

TEST(Conv2D, HandComputedAutoPad) {
  // x = [1,2,3,4] (1x4), w = [1,10] (1x2), stride 1: SAME needs one pad column.
  //   SameUpper pads at the end:   y[j] = x[j] + 10 x[j+1] = [21, 32, 43, 4]
  //   SameLower pads at the start: y[j] = x[j-1] + 10 x[j] = [10, 21, 32, 43]
  //   Valid has no pads:           [21, 32, 43]
  ConvCase cs;
  cs.w = 4, cs.kw = 2, cs.bias = Bias::kNone;
  std::vector<float> x = {1, 2, 3, 4}, w = {1, 10};
  cs.padding = fb::PaddingMode::SameUpper;
  EXPECT_EQ(run_conv(cs, x, w, {}, {1, 1, 1, 4}), (std::vector<float>{21, 32, 43, 4}));
  cs.padding = fb::PaddingMode::SameLower;
  EXPECT_EQ(run_conv(cs, x, w, {}, {1, 1, 1, 4}), (std::vector<float>{10, 21, 32, 43}));
  cs.padding = fb::PaddingMode::Valid;
  EXPECT_EQ(run_conv(cs, x, w, {}, {1, 1, 1, 3}), (std::vector<float>{21, 32, 43}));
}

std::vector<ConvCase> random_cases() {
  std::vector<ConvCase> cases;
  ConvCase a;  // plain 3x3, asymmetric pads, LeakyRelu
  a.n = 2, a.c = 3, a.h = 13, a.w = 17, a.m = 6, a.kh = a.kw = 3;
  a.pads = {1, 0, 2, 1}, a.act = fb::ActivationKind::LeakyRelu, a.alpha = 0.1f;
  cases.push_back(a);
  ConvCase b;  // group 3, 5x5, stride 2, no bias
  b.n = 2, b.c = 6, b.h = 31, b.w = 13, b.m = 9, b.kh = b.kw = 5, b.group = 3;
  b.strides = {2, 2}, b.pads = {2, 2, 2, 2}, b.bias = Bias::kNone;
  cases.push_back(b);
  ConvCase c;  // depthwise, dilation 2, stride 2, SameUpper, ReLU
  c.n = 2, c.c = c.m = 13, c.h = 17, c.w = 31, c.kh = c.kw = 3, c.group = 13;
  c.strides = {2, 2}, c.dilations = {2, 2}, c.padding = fb::PaddingMode::SameUpper;
  c.act = fb::ActivationKind::Relu;
  cases.push_back(c);
  ConvCase d;  // depthwise with channel multiplier 2, SameLower, stride (1, 2)
  d.n = 1, d.c = 5, d.m = 10, d.h = 13, d.w = 13, d.kh = d.kw = 5, d.group = 5;
  d.strides = {1, 2}, d.padding = fb::PaddingMode::SameLower;
  cases.push_back(d);
  ConvCase e;  // 1x1
  e.n = 2, e.c = 13, e.m = 7, e.h = 13, e.w = 17;
  cases.push_back(e);
  ConvCase f;  // rectangular kernel, Valid, dilation (2, 1), Clip
  f.n = 1, f.c = 4, f.m = 3, f.h = 31, f.w = 17, f.kh = 3, f.kw = 5;
  f.dilations = {2, 1}, f.padding = fb::PaddingMode::Valid;
  f.act = fb::ActivationKind::Clip, f.alpha = -0.5f, f.beta = 0.5f;
  cases.push_back(f);
  ConvCase g;  // a large odd plane, stride 2, explicit kernel vector, Sigmoid
  g.n = 1, g.c = 1, g.m = 2, g.h = 385, g.w = 289, g.kh = g.kw = 3;
  g.strides = {2, 2}, g.pads = {1, 1, 1, 1}, g.kernel = {3, 3};
  g.act = fb::ActivationKind::Sigmoid;
  cases.push_back(g);
  return cases;
}

TEST(Conv2D, RandomOddShapesMatchIm2col) {
  uint32_t seed = 100;
  for (const ConvCase& cs : random_cases()) check_random(cs, seed += 10);
}

TEST(Conv2D, F16StorageMatchesF32) {
  uint32_t seed = 300;
  for (const ConvCase& cs : random_cases()) check_random(cs, seed += 10, DType::kF16, 1e-2);
}

// ---- Errors: each fails at build with a message that names the problem. ----

void expect_error(const ConvCase& cs, StatusCode code, const std::string& substring,
                  bool weights_as_input = false) {
  std::vector<float> w(cs.m * (cs.group > 0 ? cs.c / cs.group : cs.c) * cs.kh * cs.kw, 0.5f);
  std::vector<float> bias(cs.m, 0.f);
  std::vector<HostTensor> inputs = {
      f32({cs.n, cs.c, cs.h, cs.w}, random_floats(cs.n * cs.c * cs.h * cs.w, 1))};
  if (weights_as_input) inputs.push_back(f32({cs.m, cs.c / cs.group, cs.kh, cs.kw}, w));
  Status s = convfc::build_status(
      conv_model(cs, DType::kF32, w, bias, {1, 1, 1, 1}, weights_as_input), inputs);
  EXPECT_EQ(s.code(), code) << s.to_string();
  EXPECT_NE(s.message().find(substring), std::string::npos) << s.to_string();
  EXPECT_NE(s.message().find("Conv2D"), std::string::npos) << "names the node: " << s.to_string();
}

ConvCase small_case() {
  ConvCase cs;
  cs.c = 4, cs.h = cs.w = 5, cs.m = 2, cs.kh = cs.kw = 3;
  return cs;
}

TEST(Conv2D, ErrorWeightsNotConstant) {
  expect_error(small_case(), StatusCode::kUnsupported, "must be a constant", true);
}

TEST(Conv2D, ErrorChannelMismatch) {
  // W [2, 4, 3, 3] but group 2 means 2 input channels per group.
  ConvCase cs = small_case();
  cs.group = 2;
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {1, 4, 5, 5});
  int w = b.add_constant_f32("w", {2, 4, 3, 3}, std::vector<float>(72, 1.f));
  int y = b.add_tensor("y", DType::kF32, {1, 2, 3, 3});
  auto opts = fb::CreateConv2DOptions(b.fbb(), 0, 0, 0, 0, fb::PaddingMode::Explicit, 2);
  b.add_node("conv", fb::OpType::Conv2D, {x, w}, {y}, fb::OpOptions::Conv2DOptions, opts.Union());
  b.mark_output(y);
  Status s = convfc::build_status(b.finish(), {f32({1, 4, 5, 5}, random_floats(100, 2))});
  EXPECT_EQ(s.code(), StatusCode::kShapeMismatch) << s.to_string();
  EXPECT_NE(s.message().find("input channels per group"), std::string::npos) << s.to_string();
}

TEST(Conv2D, ErrorGroupDoesNotDivideChannels) {
  ConvCase cs = small_case();
  cs.group = 3;  // 4 channels
  expect_error(cs, StatusCode::kShapeMismatch, "group 3 does not divide the 4 input channels");
}

TEST(Conv2D, ErrorGroupDoesNotDivideOutputChannels) {
  ConvCase cs = small_case();
  cs.group = 4, cs.m = 6;  // 4 | 4 channels, but not 6 outputs
  expect_error(cs, StatusCode::kShapeMismatch, "does not divide the 6 output channels");
}

TEST(Conv2D, ErrorStrideZero) {
  ConvCase cs = small_case();
  cs.strides = {1, 0};
  expect_error(cs, StatusCode::kCorruptModel, "stride 0 must be >= 1");
}

TEST(Conv2D, ErrorDilationZero) {
  ConvCase cs = small_case();
  cs.dilations = {0, 1};
  expect_error(cs, StatusCode::kCorruptModel, "dilation 0 must be >= 1");
}

TEST(Conv2D, ErrorKernelVectorDoesNotMatchWeights) {
  ConvCase cs = small_case();
  cs.kernel = {3, 5};
  expect_error(cs, StatusCode::kShapeMismatch, "kernel [3, 5] does not match weights 'w'");
  cs.kernel = {3, 3, 3};
  expect_error(cs, StatusCode::kCorruptModel, "kernel has 3 values, expected 2");
}

TEST(Conv2D, ErrorBadPads) {
  ConvCase cs = small_case();
  cs.pads = {1, 1, 1};
  expect_error(cs, StatusCode::kCorruptModel, "pads has 3 values, expected 4");
  cs.pads = {1, -1, 1, 1};
  expect_error(cs, StatusCode::kCorruptModel, "pad -1 must be >= 0");
  cs.pads = {1, 1, 1, 1}, cs.padding = fb::PaddingMode::SameUpper;
  expect_error(cs, StatusCode::kCorruptModel,
               "pads must be empty or zero when padding is SameUpper");
}

TEST(Conv2D, ErrorKernelLargerThanInput) {
  ConvCase cs = small_case();
  cs.kh = 7;
  expect_error(cs, StatusCode::kShapeMismatch, "height: padded input size 5 is smaller than");
}

TEST(Conv2D, ErrorStoredOutputShapeDiffers) {
  // conv_model stores y as [1,1,1,1]; a valid conv gives [1,2,3,3].
  expect_error(small_case(), StatusCode::kShapeMismatch, "is stored as [1x1x1x1]");
}

TEST(Conv2D, ErrorBiasShape) {
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {1, 1, 3, 3});
  int w = b.add_constant_f32("w", {2, 1, 1, 1}, {1, 2});
  int bias = b.add_constant_f32("bias", {3}, {1, 2, 3});
  int y = b.add_tensor("y", DType::kF32, {1, 2, 3, 3});
  auto opts = fb::CreateConv2DOptions(b.fbb());
  b.add_node("conv", fb::OpType::Conv2D, {x, w, bias}, {y}, fb::OpOptions::Conv2DOptions,
             opts.Union());
  b.mark_output(y);
  Status s = convfc::build_status(b.finish(), {f32({1, 1, 3, 3}, random_floats(9, 3))});
  EXPECT_EQ(s.code(), StatusCode::kShapeMismatch) << s.to_string();
  EXPECT_NE(s.message().find("bias 'bias' has shape [3], expected [2]"), std::string::npos)
      << s.to_string();
}

TEST(Conv2D, ErrorInputRank) {
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {1, 3, 3});
  int w = b.add_constant_f32("w", {1, 1, 1, 1}, {1});
  int y = b.add_tensor("y", DType::kF32, {1, 1, 3, 3});
  auto opts = fb::CreateConv2DOptions(b.fbb());
  b.add_node("conv", fb::OpType::Conv2D, {x, w}, {y}, fb::OpOptions::Conv2DOptions, opts.Union());
  b.mark_output(y);
  Status s = convfc::build_status(b.finish(), {f32({1, 3, 3}, random_floats(9, 3))});
  EXPECT_EQ(s.code(), StatusCode::kShapeMismatch) << s.to_string();
  EXPECT_NE(s.message().find("input 0 'x' must be rank 4"), std::string::npos) << s.to_string();
}

}  // namespace
}  // namespace strix::testing
