// converter/quant/compare.h (drift statistics, dequantized reads) and converter/quant/qdq.h
// (QDQ weight scales, fake quantization), against values computed here independently.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "converter/ir/export.h"
#include "converter/ir/graph.h"
#include "converter/quant/compare.h"
#include "converter/quant/qdq.h"
#include "converter/quant/quantize_graph.h"
#include "tests/support/model_runner.h"

namespace strix::quant {
namespace {

using ir::DType;
using ir::Graph;
using ir::Node;
using ir::Tensor;
using strix::testing::random_floats;

TEST(DriftStats, MatchesDirectComputation) {
  // Odd sizes, fed in uneven chunks: the sums must not depend on the split.
  const size_t n = 1237;
  std::vector<float> b = random_floats(n, 3, -2.f, 3.f);
  std::vector<float> a = b;
  std::vector<float> noise = random_floats(n, 4, -0.05f, 0.05f);
  for (size_t i = 0; i < n; ++i) a[i] += noise[i] * (i % 7 == 0 ? 10.f : 1.f);
  DriftStats s;
  s.add(a.data(), b.data(), 500);
  s.add(a.data() + 500, b.data() + 500, 1);
  s.add(a.data() + 501, b.data() + 501, static_cast<int64_t>(n - 501));
  double d2 = 0, b2 = 0, a2 = 0, ab = 0, mx = 0;
  for (size_t i = 0; i < n; ++i) {
    double d = double(a[i]) - b[i];
    d2 += d * d;
    b2 += double(b[i]) * b[i];
    a2 += double(a[i]) * a[i];
    ab += double(a[i]) * b[i];
    mx = std::max(mx, std::fabs(d));
  }
  EXPECT_EQ(s.count(), static_cast<int64_t>(n));
  EXPECT_DOUBLE_EQ(s.max_abs(), mx);
  EXPECT_NEAR(s.rel_l2(), std::sqrt(d2 / b2), 1e-12);
  EXPECT_NEAR(s.cosine(), ab / std::sqrt(a2 * b2), 1e-12);
  EXPECT_NEAR(s.sqnr_db(), 10 * std::log10(b2 / d2), 1e-9);
  EXPECT_GT(s.sqnr_db(), 20);
  EXPECT_LT(s.sqnr_db(), 60);
}

TEST(DriftStats, IdenticalAndDegenerate) {
  std::vector<float> b = random_floats(17, 5);
  DriftStats same;
  same.add(b.data(), b.data(), 17);
  EXPECT_TRUE(std::isinf(same.sqnr_db()) && same.sqnr_db() > 0);
  EXPECT_EQ(same.rel_l2(), 0);
  EXPECT_NEAR(same.cosine(), 1, 1e-12);
  std::vector<float> zeros(17, 0.f);
  DriftStats against_zero;
  against_zero.add(b.data(), zeros.data(), 17);
  EXPECT_TRUE(std::isinf(against_zero.sqnr_db()) && against_zero.sqnr_db() < 0);
  EXPECT_EQ(against_zero.cosine(), 0);
  std::vector<float> bad = b;
  bad[3] = std::numeric_limits<float>::quiet_NaN();
  DriftStats nan;
  nan.add(bad.data(), b.data(), 17);
  EXPECT_EQ(nan.non_finite(), 1);
}

TEST(ReadAsFloat, DequantizesPerTensorPerChannelAndF16) {
  // i8 [2, 3, 2] per channel along axis 1: element e has channel (e / 2) % 3.
  TensorInfo info;
  info.dtype = strix::DType::kI8;
  info.shape = Shape{2, 3, 2};
  info.quantization.scales = {0.5f, 0.25f, 2.f};
  info.quantization.zero_points = {0, 3, -1};
  info.quantization.axis = 1;
  std::vector<int8_t> q = {1, -2, 3, 7, 0, 5, -4, 9, -128, 127, 2, -1};
  std::vector<float> out(12);
  ASSERT_TRUE(read_as_float(info, q.data(), 0, 12, out.data()));
  for (int e = 0; e < 12; ++e) {
    int c = (e / 2) % 3;
    EXPECT_FLOAT_EQ(out[e], info.quantization.scales[c] * (q[e] - info.quantization.zero_points[c]))
        << e;
  }
  // An offset read starts at the right channel.
  ASSERT_TRUE(read_as_float(info, q.data(), 5, 3, out.data()));
  EXPECT_FLOAT_EQ(out[0], 2.f * (5 + 1));
  EXPECT_FLOAT_EQ(out[1], 0.5f * (-4));
  // Per tensor u8.
  TensorInfo u;
  u.dtype = strix::DType::kU8;
  u.shape = Shape{3};
  u.quantization.scales = {0.1f};
  u.quantization.zero_points = {128};
  std::vector<uint8_t> uq = {0, 128, 255};
  ASSERT_TRUE(read_as_float(u, uq.data(), 0, 3, out.data()));
  EXPECT_FLOAT_EQ(out[0], -12.8f);
  EXPECT_FLOAT_EQ(out[1], 0.f);
  EXPECT_FLOAT_EQ(out[2], 12.7f);
  // f16 widened.
  TensorInfo h;
  h.dtype = strix::DType::kF16;
  h.shape = Shape{2};
  std::vector<uint16_t> hv = {float_to_half(1.5f), float_to_half(-0.375f)};
  ASSERT_TRUE(read_as_float(h, hv.data(), 0, 2, out.data()));
  EXPECT_EQ(out[0], 1.5f);
  EXPECT_EQ(out[1], -0.375f);
}

TEST(StripSuffix, NamingContract) {
  EXPECT_EQ(strip_suffix("conv1#i8"), "conv1");
  EXPECT_EQ(strip_suffix("conv1#f32"), "conv1");
  EXPECT_EQ(strip_suffix("conv1"), "conv1");
}

// x [1, 2, 5, 3] -> Conv 3x3 (3 output channels, weights on a given grid whose largest
// |q| per channel is < 127) -> y. Returns the graph; `q` and `scales` are the weights' grid.
Graph qdq_conv(std::vector<int64_t>* q, std::vector<float>* scales) {
  Graph g;
  int x = g.add_tensor(Tensor::activation("x", DType::kF32, {1, 2, 5, 3}));
  g.inputs.push_back(x);
  *scales = {0.011f, 0.0037f, 0.02f};
  std::vector<int8_t> r = strix::testing::random_i8(3 * 2 * 9, 7, -100, 100);
  std::vector<float> w(r.size());
  q->assign(r.begin(), r.end());
  for (size_t e = 0; e < w.size(); ++e) w[e] = (*scales)[e / 18] * (*q)[e];
  int wt = g.add_tensor(Tensor::constant_f32("w", {3, 2, 3, 3}, w));
  int bt = g.add_tensor(Tensor::constant_f32("b", {3}, {0.3f, -0.2f, 0.05f}));
  int y = g.add_tensor(Tensor::activation("y", DType::kF32, {1, 3, 5, 3}));
  ir::Conv2DOptions o;
  o.kernel = {3, 3};
  o.pads = {1, 1, 1, 1};
  g.add_node(Node{"conv", fb::OpType::Conv2D, o, {x, wt, bt}, {y}, {}});
  g.outputs.push_back(y);
  return g;
}

TEST(Qdq, WeightsKeepTheGivenScales) {
  std::vector<int64_t> q;
  std::vector<float> scales;
  Graph g = qdq_conv(&q, &scales);
  std::map<std::string, Quantization> acts = {{"x", {{0.02f}, {5}, 0}}, {"y", {{0.05f}, {-3}, 0}}};
  std::map<std::string, Quantization> weights = {{"w", {scales, {0, 0, 0}, 0}}};
  CalibrationTable t = qdq_table(acts);
  ASSERT_EQ(t.tensors.size(), 2u);
  EXPECT_FLOAT_EQ(t.tensors["x"].scale, 0.02f);
  EXPECT_EQ(t.tensors["y"].zero_point, -3);
  EXPECT_FLOAT_EQ(t.tensors["y"].max, 0.05f * 130);
  ASSERT_TRUE(quantize_graph(g, t, QuantizeOptions{}, nullptr).ok());
  QdqReport r;
  ASSERT_TRUE(apply_qdq(g, acts, weights, &r).ok());
  EXPECT_EQ(r.weights_rescaled, 1);
  const Node* conv = nullptr;
  for (const Node& n : g.nodes)
    if (n.op == fb::OpType::Conv2D) conv = &n;
  ASSERT_NE(conv, nullptr);
  const Tensor& w = g.tensors[conv->inputs[1]];
  ASSERT_EQ(w.dtype, DType::kI8);
  EXPECT_EQ(w.quant.scales, scales);
  EXPECT_EQ(w.ints, q);  // the model's integers, not a max|w| / 127 grid
  const Tensor& b = g.tensors[conv->inputs[2]];
  ASSERT_EQ(b.dtype, DType::kI32);
  const float bias[3] = {0.3f, -0.2f, 0.05f};
  for (int c = 0; c < 3; ++c) {
    EXPECT_FLOAT_EQ(b.quant.scales[c], 0.02f * scales[c]);
    // Re-scaled from quantize_graph's i32 values: within one accumulator step (x_s * w_s[c],
    // far below one output step).
    EXPECT_LE(std::labs(b.ints[c] - std::lround(bias[c] / (0.02 * scales[c]))), 1) << c;
    EXPECT_GT(std::labs(b.ints[c]), 100) << c;
  }
  EXPECT_EQ(g.tensors[conv->inputs[0]].quant.zero_points, std::vector<int64_t>{5});
}

TEST(Qdq, FakeQuantizationMatchesOnnxSemantics) {
  // x -> Sigmoid -> y with a QDQ pair recorded on x: y = sigmoid(s * (q(x) - z)).
  Graph g;
  int x = g.add_tensor(Tensor::activation("x", DType::kF32, {1, 37}));
  int y = g.add_tensor(Tensor::activation("y", DType::kF32, {1, 37}));
  g.inputs.push_back(x);
  g.add_node(Node{"sigmoid", fb::OpType::Sigmoid, std::monostate{}, {x}, {y}, {}});
  g.outputs.push_back(y);
  const float s = 0.05f;
  const int z = 7;
  std::map<std::string, Quantization> acts = {{"x", {{s}, {z}, 0}}};
  QdqReport r;
  ASSERT_TRUE(fake_quantize_qdq(g, acts, /*int8=*/false, &r).ok());
  EXPECT_EQ(r.fake_quantized, 1);
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.nodes[0].op, fb::OpType::Quantize);
  EXPECT_EQ(g.nodes[1].op, fb::OpType::Dequantize);
  Result<std::vector<uint8_t>> file = ir::export_strix(g, Metadata{});
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  // Values across the whole range, saturating on both ends (the grid is [-6.75, 6]).
  std::vector<float> in = random_floats(37, 9, -9.f, 9.f);
  Result<std::vector<strix::testing::HostTensor>> out =
      strix::testing::run_model(file.value(), {strix::testing::f32({1, 37}, in)});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  std::vector<float> got = out.value()[0].f32();
  for (size_t i = 0; i < in.size(); ++i) {
    double qv = std::nearbyint(double(in[i]) / s) + z;
    qv = std::min(127.0, std::max(-128.0, qv));
    double want = 1 / (1 + std::exp(-(s * (qv - z))));
    EXPECT_NEAR(got[i], want, 2e-6) << i << " x=" << in[i];
  }
}

}  // namespace
}  // namespace strix::quant
