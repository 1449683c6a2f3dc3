// INT8 Conv2D and FullyConnected (kernels/cpu/ref/conv_int8.cc, fully_connected_int8.cc)
// through the Engine: hand-computed requantization, random cases against
// round(float_reference / y_scale) + y_zp computed here from the dequantized inputs, per-
// tensor and per-channel weights, fused ReLU/Clip, and the errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tests/unit/conv_fc_test_util.h"

namespace strix::testing {
namespace {

using convfc::ModelBuilder;
using convfc::per_channel;
using convfc::per_tensor;

// Quantizes a real reference output the way the test expects: round half away from zero,
// add the zero point, clamp to i8.
int expected_q(double real, float y_scale, int y_zp) {
  double q = std::round(real / y_scale) + y_zp;
  return static_cast<int>(std::min(127.0, std::max(-128.0, q)));
}

double fused(fb::ActivationKind act, float alpha, float beta, double v) {
  return convfc::ref_activation(act, alpha, beta, v);
}

// Counts elements off by one and fails on any further off.
void expect_within_one_lsb(const std::vector<int8_t>& got, const std::vector<int>& want) {
  ASSERT_EQ(got.size(), want.size());
  size_t off_by_one = 0, nonzero = 0, distinct_min = 127, distinct_max = -128;
  for (size_t i = 0; i < got.size(); ++i) {
    int d = std::abs(int(got[i]) - want[i]);
    EXPECT_LE(d, 1) << "element " << i << ": got " << int(got[i]) << ", want " << want[i];
    if (d == 1) ++off_by_one;
    if (want[i] != 0) ++nonzero;
    distinct_min = std::min<size_t>(distinct_min, want[i] + 128);
    distinct_max = std::max<size_t>(distinct_max, want[i] + 128);
  }
  EXPECT_LE(off_by_one, got.size() / 50) << "at most 2% of the elements may be 1 LSB off";
  EXPECT_GT(nonzero, got.size() / 2) << "the test data must not be mostly zero";
  EXPECT_GT(distinct_max - distinct_min, 50u) << "the outputs must use the i8 range";
}

// ---- FullyConnected ----

TEST(Int8FullyConnected, HandComputedRequantize) {
  // A [1, 2] = [5, -3], x_scale 0.5, x_zp 1 (real [2, -2]).
  // B [2, 3] = [[3, -4, -2], [2, 1, 3]], w_scale 0.25; bias [10, 3, 2] at scale 0.125.
  //   acc_j = sum_k (a_k - 1) * B[k, j] + bias_j:
  //   acc = [4*3 - 4*2 + 10, 4*(-4) - 4*1 + 3, 4*(-2) - 4*3 + 2] = [14, -17, -18].
  // y_scale 0.5, y_zp -5: M = 0.5 * 0.25 / 0.5 = 0.25, so acc * 0.25 = [3.5, -4.25, -4.5],
  // rounded half away from zero [4, -4, -5], plus the zero point: [-1, -9, -10].
  auto build = [](fb::ActivationKind act, float lo, float hi) {
    ModelBuilder b;
    int a = b.add_input("a", DType::kI8, {1, 2});
    b.set_quantization(a, per_tensor(0.5f, 1));
    int w = convfc::add_i8_constant(b, "w", {2, 3}, {3, -4, -2, 2, 1, 3});
    b.set_quantization(w, per_tensor(0.25f, 0));
    int bias = b.add_constant_i32("bias", {3}, {10, 3, 2});
    b.set_quantization(bias, per_tensor(0.125f, 0));
    int y = b.add_tensor("y", DType::kI8, {1, 3});
    b.set_quantization(y, per_tensor(0.5f, -5));
    auto activation = convfc::activation(b, act, lo, hi);
    auto opts = fb::CreateFullyConnectedOptions(b.fbb(), 1, 1, false, false, activation);
    b.add_node("fc", fb::OpType::FullyConnected, {a, w, bias}, {y},
               fb::OpOptions::FullyConnectedOptions, opts.Union());
    b.mark_output(y);
    return b.finish();
  };
  auto run = [](const std::vector<uint8_t>& file) {
    auto out = run_model(file, {i8({1, 2}, {5, -3})});
    EXPECT_TRUE(out.ok()) << out.status().to_string();
    return out.ok() ? out.value()[0].values<int8_t>() : std::vector<int8_t>{};
  };
  EXPECT_EQ(run(build(fb::ActivationKind::None, 0, 0)), (std::vector<int8_t>{-1, -9, -10}));
  // Fused ReLU clamps at the quantized 0, i.e. the zero point -5.
  EXPECT_EQ(run(build(fb::ActivationKind::Relu, 0, 0)), (std::vector<int8_t>{-1, -5, -5}));
  // Fused Clip(-1, 1) clamps to [-1/0.5 - 5, 1/0.5 - 5] = [-7, -3].
  EXPECT_EQ(run(build(fb::ActivationKind::Clip, -1, 1)), (std::vector<int8_t>{-3, -7, -7}));
}

struct QFc {
  int64_t m = 13, k = 127, n = 31;
  bool trans_b = false;
  bool per_channel = false;
  bool bias = true;
  fb::ActivationKind act = fb::ActivationKind::None;
  float alpha = 0, beta = 0;
};

void check_random_fc(const QFc& t, uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << "trans_b " << t.trans_b << " per_channel " << t.per_channel
                                    << " bias " << t.bias);
  const float x_scale = 0.02f;
  const int x_zp = -7;
  std::vector<int8_t> a = random_i8(t.m * t.k, seed);
  std::vector<int8_t> w = random_i8(t.k * t.n, seed + 1, -127, 127);
  std::vector<float> w_scales(t.per_channel ? t.n : 1);
  std::vector<float> r = random_floats(w_scales.size(), seed + 2, 0.002f, 0.02f);
  for (size_t i = 0; i < w_scales.size(); ++i) w_scales[i] = r[i];
  auto w_scale = [&](int64_t j) { return w_scales[t.per_channel ? j : 0]; };
  std::vector<int32_t> bias(t.n);
  std::vector<float> rb = random_floats(t.n, seed + 3, -3000, 3000);
  for (int64_t j = 0; j < t.n; ++j) bias[j] = static_cast<int32_t>(rb[j]);

  // Float reference from the dequantized values.
  std::vector<double> real(t.m * t.n);
  double max_abs = 0;
  for (int64_t i = 0; i < t.m; ++i)
    for (int64_t j = 0; j < t.n; ++j) {
      double acc = t.bias ? double(bias[j]) * x_scale * w_scale(j) : 0.0;
      for (int64_t k = 0; k < t.k; ++k) {
        const int8_t wq = t.trans_b ? w[j * t.k + k] : w[k * t.n + j];
        acc += (double(a[i * t.k + k]) - x_zp) * x_scale * (double(wq) * w_scale(j));
      }
      real[i * t.n + j] = acc;
      max_abs = std::max(max_abs, std::abs(acc));
    }
  const float y_scale = static_cast<float>(max_abs / 110);
  const int y_zp = 9;
  std::vector<int> want(real.size());
  for (size_t i = 0; i < real.size(); ++i)
    want[i] = expected_q(fused(t.act, t.alpha, t.beta, real[i]), y_scale, y_zp);

  ModelBuilder b;
  int at = b.add_input("a", DType::kI8, {t.m, t.k});
  b.set_quantization(at, per_tensor(x_scale, x_zp));
  std::vector<int64_t> w_shape =
      t.trans_b ? std::vector<int64_t>{t.n, t.k} : std::vector<int64_t>{t.k, t.n};
  int wt = convfc::add_i8_constant(b, "w", w_shape, w);
  b.set_quantization(
      wt, t.per_channel ? per_channel(w_scales, t.trans_b ? 0 : 1) : per_tensor(w_scales[0], 0));
  std::vector<int> inputs = {at, wt};
  if (t.bias) {
    int bt = b.add_constant_i32("bias", {t.n}, bias);
    std::vector<float> bs(w_scales.size());
    for (size_t i = 0; i < bs.size(); ++i) bs[i] = x_scale * w_scales[i];
    b.set_quantization(bt, t.per_channel ? per_channel(bs, 0) : per_tensor(bs[0], 0));
    inputs.push_back(bt);
  }
  int y = b.add_tensor("y", DType::kI8, {t.m, t.n});
  b.set_quantization(y, per_tensor(y_scale, y_zp));
  auto activation = convfc::activation(b, t.act, t.alpha, t.beta);
  auto opts = fb::CreateFullyConnectedOptions(b.fbb(), 1, 1, false, t.trans_b, activation);
  b.add_node("fc", fb::OpType::FullyConnected, inputs, {y}, fb::OpOptions::FullyConnectedOptions,
             opts.Union());
  b.mark_output(y);
  auto out = run_model(b.finish(), {i8({t.m, t.k}, a)});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out.value()[0].shape, Shape({t.m, t.n}));
  expect_within_one_lsb(out.value()[0].values<int8_t>(), want);
}

TEST(Int8FullyConnected, RandomMatchesDequantizedReference) {
  uint32_t seed = 1000;
  for (int pc = 0; pc < 2; ++pc)
    for (int tb = 0; tb < 2; ++tb) {
      QFc t;
      t.per_channel = pc, t.trans_b = tb;
      check_random_fc(t, seed += 10);
    }
  QFc relu;
  relu.per_channel = true, relu.act = fb::ActivationKind::Relu, relu.m = 7, relu.n = 97;
  check_random_fc(relu, seed += 10);
  QFc nobias;
  nobias.bias = false, nobias.k = 385, nobias.n = 17;
  nobias.act = fb::ActivationKind::Clip, nobias.alpha = -0.5f, nobias.beta = 1e9f;
  check_random_fc(nobias, seed += 10);
}

// ---- Conv2D ----

TEST(Int8Conv2D, HandComputedPaddingIsTheZeroPoint) {
  // x real [[1, 2], [3, 4]] stored with scale 0.5 and zero point 3: x_q = 3 + 2 * real =
  // [5, 7, 9, 11]. W = 2x2 ones (w_q 1, scale 1). Pads top 1, left 1: the 2x2 output sees
  //   y00 = x00 = 1, y01 = x00 + x01 = 3, y10 = x00 + x10 = 4, y11 = 1 + 2 + 3 + 4 = 10,
  // the padding contributing real 0 (x_q == zero point, not x_q == 0, which would add -1.5
  // per padded tap). y_scale 0.5, y_zp 0 -> [2, 6, 8, 20].
  ModelBuilder b;
  int x = b.add_input("x", DType::kI8, {1, 1, 2, 2});
  b.set_quantization(x, per_tensor(0.5f, 3));
  int w = convfc::add_i8_constant(b, "w", {1, 1, 2, 2}, {1, 1, 1, 1});
  b.set_quantization(w, per_tensor(1.f, 0));
  int y = b.add_tensor("y", DType::kI8, {1, 1, 2, 2});
  b.set_quantization(y, per_tensor(0.5f, 0));
  auto pads = convfc::ints(b, {1, 1, 0, 0});
  auto opts = fb::CreateConv2DOptions(b.fbb(), 0, 0, 0, pads);
  b.add_node("conv", fb::OpType::Conv2D, {x, w}, {y}, fb::OpOptions::Conv2DOptions, opts.Union());
  b.mark_output(y);
  auto out = run_model(b.finish(), {i8({1, 1, 2, 2}, {5, 7, 9, 11})});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out.value()[0].values<int8_t>(), (std::vector<int8_t>{2, 6, 8, 20}));
}

struct QConv {
  int64_t n = 2, c = 6, h = 13, w = 17, m = 8, k = 3;
  int32_t group = 1, stride = 1, dilation = 1, pad = 1;
  bool per_channel = false;
  fb::ActivationKind act = fb::ActivationKind::None;
};

void check_random_conv(const QConv& t, uint32_t seed) {
  SCOPED_TRACE(::testing::Message()
               << "C" << t.c << " M" << t.m << " group " << t.group << " k" << t.k << " stride "
               << t.stride << " per_channel " << t.per_channel);
  const float x_scale = 0.03f;
  const int x_zp = 11;
  const int64_t cg = t.c / t.group, mg = t.m / t.group;
  const int64_t extent = (t.k - 1) * t.dilation + 1;
  const int64_t oh = (t.h + 2 * t.pad - extent) / t.stride + 1;
  const int64_t ow = (t.w + 2 * t.pad - extent) / t.stride + 1;
  std::vector<int8_t> x = random_i8(t.n * t.c * t.h * t.w, seed);
  std::vector<int8_t> w = random_i8(t.m * cg * t.k * t.k, seed + 1, -127, 127);
  std::vector<float> w_scales = random_floats(t.per_channel ? t.m : 1, seed + 2, 0.005f, 0.05f);
  auto w_scale = [&](int64_t oc) { return w_scales[t.per_channel ? oc : 0]; };
  std::vector<int32_t> bias(t.m);
  std::vector<float> rb = random_floats(t.m, seed + 3, -2000, 2000);
  for (int64_t i = 0; i < t.m; ++i) bias[i] = static_cast<int32_t>(rb[i]);

  std::vector<double> real(t.n * t.m * oh * ow);
  double max_abs = 0;
  for (int64_t n = 0; n < t.n; ++n)
    for (int64_t oc = 0; oc < t.m; ++oc)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          double acc = double(bias[oc]) * x_scale * w_scale(oc);
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t ky = 0; ky < t.k; ++ky)
              for (int64_t kx = 0; kx < t.k; ++kx) {
                int64_t iy = oy * t.stride - t.pad + ky * t.dilation;
                int64_t ix = ox * t.stride - t.pad + kx * t.dilation;
                if (iy < 0 || iy >= t.h || ix < 0 || ix >= t.w) continue;
                int64_t c = oc / mg * cg + ic;
                double xr = (double(x[((n * t.c + c) * t.h + iy) * t.w + ix]) - x_zp) * x_scale;
                double wr = double(w[((oc * cg + ic) * t.k + ky) * t.k + kx]) * w_scale(oc);
                acc += xr * wr;
              }
          real[((n * t.m + oc) * oh + oy) * ow + ox] = acc;
          max_abs = std::max(max_abs, std::abs(acc));
        }
  const float y_scale = static_cast<float>(max_abs / 100);
  const int y_zp = -20;
  std::vector<int> want(real.size());
  for (size_t i = 0; i < real.size(); ++i)
    want[i] = expected_q(fused(t.act, 0, 0, real[i]), y_scale, y_zp);

  ModelBuilder b;
  int xt = b.add_input("x", DType::kI8, {t.n, t.c, t.h, t.w});
  b.set_quantization(xt, per_tensor(x_scale, x_zp));
  int wt = convfc::add_i8_constant(b, "w", {t.m, cg, t.k, t.k}, w);
  b.set_quantization(wt, t.per_channel ? per_channel(w_scales, 0) : per_tensor(w_scales[0], 0));
  int bt = b.add_constant_i32("bias", {t.m}, bias);  // no Quantization: taken at x_scale * w_scale
  int y = b.add_tensor("y", DType::kI8, {t.n, t.m, oh, ow});
  b.set_quantization(y, per_tensor(y_scale, y_zp));
  auto strides = convfc::ints(b, {t.stride, t.stride});
  auto dilations = convfc::ints(b, {t.dilation, t.dilation});
  auto pads = convfc::ints(b, {t.pad, t.pad, t.pad, t.pad});
  auto activation = convfc::activation(b, t.act);
  auto opts = fb::CreateConv2DOptions(b.fbb(), 0, strides, dilations, pads,
                                      fb::PaddingMode::Explicit, t.group, activation);
  b.add_node("conv", fb::OpType::Conv2D, {xt, wt, bt}, {y}, fb::OpOptions::Conv2DOptions,
             opts.Union());
  b.mark_output(y);
  auto out = run_model(b.finish(), {i8({t.n, t.c, t.h, t.w}, x)});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out.value()[0].shape, Shape({t.n, t.m, oh, ow}));
  expect_within_one_lsb(out.value()[0].values<int8_t>(), want);
}

TEST(Int8Conv2D, RandomMatchesDequantizedReference) {
  uint32_t seed = 2000;
  QConv a;  // per tensor
  check_random_conv(a, seed += 10);
  QConv b;  // per channel, group 3, 5x5, stride 2
  b.per_channel = true, b.c = 9, b.m = 6, b.group = 3, b.k = 5, b.stride = 2, b.pad = 2;
  b.h = 31, b.w = 13;
  check_random_conv(b, seed += 10);
  QConv c;  // depthwise, dilation 2, fused ReLU
  c.per_channel = true, c.c = c.m = 13, c.group = 13, c.dilation = 2, c.pad = 2;
  c.act = fb::ActivationKind::Relu;
  check_random_conv(c, seed += 10);
  QConv d;  // 1x1, per tensor, ReLU
  d.k = 1, d.pad = 0, d.c = 13, d.m = 7, d.act = fb::ActivationKind::Relu;
  check_random_conv(d, seed += 10);
}

// ---- Errors. ----

struct ErrorSpec {
  bool x_quant = true, y_quant = true;
  int64_t w_zero_point = 0;
  std::vector<float> w_scales = {0.1f};
  int w_axis = 0;
  bool w_f32 = false;
  float bias_scale = 0.01f;  // x_scale 0.1 * w_scale 0.1
  fb::ActivationKind act = fb::ActivationKind::None;
  float alpha = 1;
  bool trans_a = false;
};

// A FullyConnected [2, 4] x [4, 4] + bias [4].
std::vector<uint8_t> fc_model(const ErrorSpec& e) {
  ModelBuilder b;
  int a = b.add_input("x", DType::kI8, {2, 4});
  if (e.x_quant) b.set_quantization(a, per_tensor(0.1f, 0));
  int w = e.w_f32 ? b.add_constant_f32("w", {4, 4}, std::vector<float>(16, 1.f))
                  : convfc::add_i8_constant(b, "w", {4, 4}, std::vector<int8_t>(16, 1));
  Quantization wq = per_channel(e.w_scales, e.w_axis);
  wq.zero_points.assign(e.w_scales.size(), e.w_zero_point);
  b.set_quantization(w, wq);
  int bias = b.add_constant_i32("b", {4}, {1, 2, 3, 4});
  b.set_quantization(bias, per_tensor(e.bias_scale, 0));
  int y = b.add_tensor("y", DType::kI8, {2, 4});
  if (e.y_quant) b.set_quantization(y, per_tensor(0.2f, 0));
  auto activation = convfc::activation(b, e.act);
  auto opts = fb::CreateFullyConnectedOptions(b.fbb(), e.alpha, 1, e.trans_a, false, activation);
  b.add_node("fc", fb::OpType::FullyConnected, {a, w, bias}, {y},
             fb::OpOptions::FullyConnectedOptions, opts.Union());
  b.mark_output(y);
  return b.finish();
}

void expect_fc_error(const ErrorSpec& e, StatusCode code, const std::string& substring) {
  Status s = convfc::build_status(fc_model(e), {i8({2, 4}, random_i8(8, 1))});
  EXPECT_EQ(s.code(), code) << s.to_string();
  EXPECT_NE(s.message().find(substring), std::string::npos) << s.to_string();
  EXPECT_NE(s.message().find("FullyConnected"), std::string::npos) << s.to_string();
}

TEST(Int8Errors, ValidSpecBuilds) {
  EXPECT_TRUE(convfc::build_status(fc_model(ErrorSpec{}), {i8({2, 4}, random_i8(8, 1))}).ok());
}

TEST(Int8Errors, InputWithoutQuantization) {
  ErrorSpec e;
  e.x_quant = false;
  expect_fc_error(e, StatusCode::kCorruptModel, "input 0 'x' is i8 but has no quantization");
}

TEST(Int8Errors, OutputWithoutQuantization) {
  ErrorSpec e;
  e.y_quant = false;
  expect_fc_error(e, StatusCode::kCorruptModel, "output 0 'y' is i8 but has no quantization");
}

TEST(Int8Errors, AsymmetricWeights) {
  ErrorSpec e;
  e.w_zero_point = 3;
  expect_fc_error(e, StatusCode::kUnsupported, "has zero point 3; int8 weights must be symmetric");
}

TEST(Int8Errors, PerChannelAlongTheWrongAxis) {
  ErrorSpec e;
  e.w_scales = {0.1f, 0.1f, 0.1f, 0.1f};
  e.w_axis = 0;  // B [K, N]: the output channels are axis 1
  expect_fc_error(e, StatusCode::kUnsupported,
                  "quantized per channel along axis 0, expected the output-channel axis 1");
}

TEST(Int8Errors, WeightsNotI8) {
  ErrorSpec e;
  e.w_f32 = true;
  expect_fc_error(e, StatusCode::kUnsupported, "input 1 'w' is f32, expected i8");
}

TEST(Int8Errors, BiasScaleMismatch) {
  ErrorSpec e;
  e.bias_scale = 0.02f;
  expect_fc_error(e, StatusCode::kCorruptModel, "bias input 2 'b' channel 0 has scale 0.02");
}

TEST(Int8Errors, UnsupportedFusedActivation) {
  ErrorSpec e;
  e.act = fb::ActivationKind::Sigmoid;
  expect_fc_error(e, StatusCode::kUnsupported,
                  "fused activation Sigmoid is not supported for int8 (only None, Relu, Clip)");
}

TEST(Int8Errors, FullyConnectedOptions) {
  ErrorSpec e;
  e.alpha = 2;
  expect_fc_error(e, StatusCode::kUnsupported, "int8 FullyConnected needs alpha 1, has 2");
  e.alpha = 1, e.trans_a = true;
  expect_fc_error(e, StatusCode::kUnsupported, "int8 FullyConnected does not support trans_a");
}

TEST(Int8Errors, ConvInputWithoutQuantization) {
  ModelBuilder b;
  int x = b.add_input("x", DType::kI8, {1, 1, 3, 3});
  int w = convfc::add_i8_constant(b, "w", {1, 1, 1, 1}, {1});
  b.set_quantization(w, per_tensor(1.f, 0));
  int y = b.add_tensor("y", DType::kI8, {1, 1, 3, 3});
  b.set_quantization(y, per_tensor(1.f, 0));
  auto opts = fb::CreateConv2DOptions(b.fbb());
  b.add_node("conv", fb::OpType::Conv2D, {x, w}, {y}, fb::OpOptions::Conv2DOptions, opts.Union());
  b.mark_output(y);
  Status s = convfc::build_status(b.finish(), {i8({1, 1, 3, 3}, random_i8(9, 2))});
  EXPECT_EQ(s.code(), StatusCode::kCorruptModel) << s.to_string();
  EXPECT_NE(s.message().find("(Conv2D): input 0 'x' is i8 but has no quantization"),
            std::string::npos)
      << s.to_string();
}

}  // namespace
}  // namespace strix::testing
