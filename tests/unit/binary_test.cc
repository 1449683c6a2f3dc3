// Add, Sub, Mul, Div, Max, Min, Pow and PRelu (f32, f16 storage): numpy broadcasting by hand
// and at odd shapes against a per-element unravel/ravel formulation, fused activations,
// IEEE division, in-place chains and shape errors.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "converter/writer/model_builder.h"
#include "tests/support/model_runner.h"

namespace strix {
namespace {

using testing::f16;
using testing::f32;
using testing::HostTensor;
using testing::random_floats;
using testing::run_model;
using writer::ModelBuilder;

struct Act {
  fb::ActivationKind kind = fb::ActivationKind::None;
  float alpha = 0, beta = 0;
};

// y = op(a, b); b is a constant when b_const is non-null. Options are written only for a
// fused activation other than None.
std::vector<uint8_t> binary_model(fb::OpType op, DType dtype, const std::vector<int64_t>& a_shape,
                                  const std::vector<int64_t>& b_shape,
                                  const std::vector<int64_t>& out_shape,
                                  const std::vector<float>* b_const = nullptr, Act act = {}) {
  ModelBuilder b;
  int a = b.add_input("a", dtype, a_shape);
  int bb = b_const != nullptr ? b.add_constant_f32("b", b_shape, *b_const)
                              : b.add_input("b", dtype, b_shape);
  int y = b.add_tensor("y", dtype, out_shape);
  auto& fbb = b.fbb();
  if (act.kind != fb::ActivationKind::None) {
    auto opts =
        fb::CreateBinaryOptions(fbb, fb::CreateActivation(fbb, act.kind, act.alpha, act.beta));
    b.add_node("bin", op, {a, bb}, {y}, fb::OpOptions::BinaryOptions, opts.Union());
  } else {
    b.add_node("bin", op, {a, bb}, {y});
  }
  b.mark_output(y);
  return b.finish();
}

float ref_op(fb::OpType op, float u, float v) {
  switch (op) {
    case fb::OpType::Add: return u + v;
    case fb::OpType::Sub: return u - v;
    case fb::OpType::Mul: return u * v;
    case fb::OpType::Div: return u / v;
    case fb::OpType::Max: return std::max(u, v);
    case fb::OpType::Min: return std::min(u, v);
    case fb::OpType::Pow: return std::pow(u, v);
    default: return NAN;
  }
}

// numpy broadcasting, one output element at a time: unravel the flat output index into a
// multi-index, then ravel it into each input with broadcast dims pinned to 0.
std::vector<int64_t> ref_broadcast_shape(std::vector<int64_t> a, std::vector<int64_t> b) {
  while (a.size() < b.size()) a.insert(a.begin(), 1);
  while (b.size() < a.size()) b.insert(b.begin(), 1);
  std::vector<int64_t> out(a.size());
  for (size_t d = 0; d < a.size(); ++d) out[d] = std::max(a[d], b[d]);
  return out;
}

int64_t ravel_into(const std::vector<int64_t>& index, const std::vector<int64_t>& shape) {
  size_t off = index.size() - shape.size();
  int64_t flat = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    flat = flat * shape[d] + (shape[d] == 1 ? 0 : index[off + d]);
  return flat;
}

std::vector<float> ref_binary(const std::function<float(float, float)>& f,
                              const std::vector<int64_t>& as, const std::vector<float>& a,
                              const std::vector<int64_t>& bs, const std::vector<float>& b) {
  std::vector<int64_t> out = ref_broadcast_shape(as, bs);
  int64_t n = Shape(out).num_elements();
  std::vector<float> y(static_cast<size_t>(n));
  std::vector<int64_t> index(out.size());
  for (int64_t i = 0; i < n; ++i) {
    int64_t rest = i;
    for (int d = static_cast<int>(out.size()) - 1; d >= 0; --d) {
      index[d] = rest % out[d];
      rest /= out[d];
    }
    y[i] = f(a[ravel_into(index, as)], b[ravel_into(index, bs)]);
  }
  return y;
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << what << " at " << i;
      continue;
    }
    ASSERT_NEAR(got[i], want[i], 1e-6f * (1.f + std::fabs(want[i]))) << what << " at " << i;
  }
}

std::vector<float> run_binary(fb::OpType op, const std::vector<int64_t>& as,
                              const std::vector<float>& a, const std::vector<int64_t>& bs,
                              const std::vector<float>& b, bool b_constant = false, Act act = {}) {
  std::vector<int64_t> out = ref_broadcast_shape(as, bs);
  auto file = binary_model(op, DType::kF32, as, bs, out, b_constant ? &b : nullptr, act);
  std::vector<HostTensor> inputs = {f32(as, a)};
  if (!b_constant) inputs.push_back(f32(bs, b));
  auto r = run_model(file, inputs);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok()) return {};
  EXPECT_EQ(r.value()[0].shape, Shape(out));
  return r.value()[0].f32();
}

TEST(Binary, BroadcastHandComputed) {
  // a [2,1,3] = {{{1,2,3}}, {{10,20,30}}}, b [4,1] = {100,200,300,400}:
  // y[i][j][k] = a[i][0][k] + b[j][0], shape [2,4,3].
  std::vector<float> a = {1, 2, 3, 10, 20, 30};
  std::vector<float> b = {100, 200, 300, 400};
  std::vector<float> want = {101, 102, 103, 201, 202, 203, 301, 302, 303, 401, 402, 403,
                             110, 120, 130, 210, 220, 230, 310, 320, 330, 410, 420, 430};
  EXPECT_EQ(run_binary(fb::OpType::Add, {2, 1, 3}, a, {4, 1}, b), want);
  EXPECT_EQ(run_binary(fb::OpType::Add, {2, 1, 3}, a, {4, 1}, b, /*b_constant=*/true), want);
  // Operand order: b - a with b [4,1] first: y[i][j][k] = b[j] - a[i][k].
  std::vector<float> sub = run_binary(fb::OpType::Sub, {4, 1}, b, {2, 1, 3}, a);
  ASSERT_EQ(sub.size(), 24u);
  EXPECT_EQ(sub[0], 99.f);    // (0,0,0): 100 - 1
  EXPECT_EQ(sub[5], 197.f);   // (0,1,2): 200 - 3
  EXPECT_EQ(sub[23], 370.f);  // (1,3,2): 400 - 30
}

TEST(Binary, EveryOpHandComputed) {
  std::vector<float> a = {6, -2, 0.5f, 3};
  std::vector<float> b = {4, -8, 2, 3};
  EXPECT_EQ(run_binary(fb::OpType::Sub, {4}, a, {4}, b), (std::vector<float>{2, 6, -1.5f, 0}));
  EXPECT_EQ(run_binary(fb::OpType::Mul, {4}, a, {4}, b), (std::vector<float>{24, 16, 1, 9}));
  EXPECT_EQ(run_binary(fb::OpType::Div, {4}, a, {4}, b),
            (std::vector<float>{1.5f, 0.25f, 0.25f, 1}));
  EXPECT_EQ(run_binary(fb::OpType::Max, {4}, a, {4}, b), (std::vector<float>{6, -2, 2, 3}));
  EXPECT_EQ(run_binary(fb::OpType::Min, {4}, a, {4}, b), (std::vector<float>{4, -8, 0.5f, 3}));
  // 6^4 = 1296, (-2)^-8 = 1/256, 0.5^2 = 0.25, 3^3 = 27.
  EXPECT_EQ(run_binary(fb::OpType::Pow, {4}, a, {4}, b),
            (std::vector<float>{1296, 0.00390625f, 0.25f, 27}));
}

TEST(Binary, DivisionByZeroFollowsIeee) {
  std::vector<float> y = run_binary(fb::OpType::Div, {4}, {1, -1, 0, 6}, {1}, {0});
  ASSERT_EQ(y.size(), 4u);
  EXPECT_EQ(y[0], INFINITY);
  EXPECT_EQ(y[1], -INFINITY);
  EXPECT_TRUE(std::isnan(y[2]));
  EXPECT_EQ(y[3], INFINITY);
}

TEST(Binary, MaxMinPropagateNan) {
  std::vector<float> y = run_binary(fb::OpType::Max, {2}, {NAN, 1}, {2}, {1, NAN});
  EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[1]));
  y = run_binary(fb::OpType::Min, {2}, {NAN, 1}, {2}, {1, NAN});
  EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[1]));
}

TEST(Binary, FusedActivation) {
  // Sub + Relu: {1,2,3} - 2 = {-1,0,1} -> {0,0,1}. Add + Clip(-1, 0.5): {-4,-1,1} + 1 = {-3,0,2}
  // -> {-1,0,0.5}.
  Act relu{fb::ActivationKind::Relu};
  EXPECT_EQ(run_binary(fb::OpType::Sub, {3}, {1, 2, 3}, {1}, {2}, false, relu),
            (std::vector<float>{0, 0, 1}));
  Act clip{fb::ActivationKind::Clip, -1.f, 0.5f};
  EXPECT_EQ(run_binary(fb::OpType::Add, {3}, {-4, -1, 1}, {1}, {1}, true, clip),
            (std::vector<float>{-1, 0, 0.5f}));
}

TEST(Binary, RandomOddShapesMatchUnravelFormulation) {
  std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> shapes = {
      {{3, 1, 13}, {5, 1}},
      {{1, 7, 1, 5}, {4, 1, 3, 1}},
      {{2, 1, 3, 1, 2, 1, 1, 3}, {1, 2, 1, 2, 1, 3, 2, 1}},  // rank 8
      {{}, {3, 4}},
      {{13, 17}, {}},
      {{127}, {1}},
      {{2, 3, 13, 17}, {3, 1, 1}},
      {{31, 29}, {31, 29}},
      {{1, 29}, {31, 1}},
  };
  uint32_t seed = 100;
  for (fb::OpType op : {fb::OpType::Add, fb::OpType::Sub, fb::OpType::Mul, fb::OpType::Div,
                        fb::OpType::Max, fb::OpType::Min, fb::OpType::Pow}) {
    for (size_t si = 0; si < shapes.size(); ++si) {
      const auto& [as, bs] = shapes[si];
      // Positive bases for Pow, divisors away from zero for Div.
      float lo = op == fb::OpType::Pow ? 0.1f : -2.f;
      std::vector<float> a =
          random_floats(static_cast<size_t>(Shape(as).num_elements()), seed++, lo, 2.f);
      std::vector<float> b =
          random_floats(static_cast<size_t>(Shape(bs).num_elements()), seed++, 0.25f, 2.f);
      auto f = [op](float u, float v) { return ref_op(op, u, v); };
      std::vector<float> want = ref_binary(f, as, a, bs, b);
      std::string what = std::string(fb::EnumNameOpType(op)) + " " + Shape(as).to_string() + " " +
                         Shape(bs).to_string();
      expect_close(run_binary(op, as, a, bs, b), want, what);
      if (si % 3 == 0) expect_close(run_binary(op, as, a, bs, b, true), want, what + " const");
    }
  }
}

TEST(Binary, F16StorageMatchesF32) {
  std::vector<int64_t> as = {2, 3, 13, 17}, bs = {3, 1, 1};
  std::vector<float> a = random_floats(static_cast<size_t>(Shape(as).num_elements()), 9, -3, 3);
  std::vector<float> b = random_floats(3, 10, 0.5f, 2);
  for (fb::OpType op : {fb::OpType::Add, fb::OpType::Mul, fb::OpType::Div}) {
    std::vector<float> want = run_binary(op, as, a, bs, b);
    auto r = run_model(binary_model(op, DType::kF16, as, bs, as), {f16(as, a), f16(bs, b)});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    std::vector<float> got;
    for (uint16_t h : r.value()[0].values<uint16_t>()) got.push_back(half_to_float(h));
    EXPECT_LT(testing::relative_l2(got, want), 1e-2) << fb::EnumNameOpType(op);
  }
}

TEST(Binary, InPlaceOnlyWhenOutputHasInput0Shape) {
  // x [4,5] -> t = x * s (s const [5]) -> y = t + c (c const [1,5]) -> z = c + y ([1,5] first).
  ModelBuilder b;
  std::vector<float> s = {1, 2, 3, 4, 5}, c = {10, 20, 30, 40, 50};
  int x = b.add_input("x", DType::kF32, {4, 5});
  int sc = b.add_constant_f32("s", {5}, s);
  int cc = b.add_constant_f32("c", {1, 5}, c);
  int t = b.add_tensor("t", DType::kF32, {4, 5});
  int y = b.add_tensor("y", DType::kF32, {4, 5});
  int z = b.add_tensor("z", DType::kF32, {4, 5});
  b.add_node("mul", fb::OpType::Mul, {x, sc}, {t});
  b.add_node("add", fb::OpType::Add, {t, cc}, {y});
  b.add_node("add2", fb::OpType::Add, {cc, y}, {z});
  b.mark_output(z);
  std::vector<uint8_t> file = b.finish();
  std::vector<float> xv = random_floats(20, 3);
  auto r = run_model(file, {f32({4, 5}, xv)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  std::vector<float> z_got = r.value()[0].f32();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 5; ++j)
      EXPECT_FLOAT_EQ(z_got[i * 5 + j], c[j] + (xv[i * 5 + j] * s[j] + c[j]));
  auto model = Model::from_buffer(file.data(), file.size());
  ASSERT_TRUE(model.ok());
  auto engine = Engine::create(model.value(), {});
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  const EngineReport& report = engine.value()->report();
  ASSERT_EQ(report.nodes.size(), 3u);
  EXPECT_TRUE(report.nodes[1].in_place);   // y [4,5] may overwrite t [4,5]
  EXPECT_FALSE(report.nodes[2].in_place);  // z [4,5] is not input 0's shape [1,5]
}

// ---- PRelu.

std::vector<float> run_prelu(const std::vector<int64_t>& xs, const std::vector<float>& x,
                             const std::vector<int64_t>& ss, const std::vector<float>& slope,
                             bool slope_constant, Status* status = nullptr) {
  ModelBuilder b;
  int xi = b.add_input("x", DType::kF32, xs);
  int si = slope_constant ? b.add_constant_f32("slope", ss, slope)
                          : b.add_input("slope", DType::kF32, ss);
  int y = b.add_tensor("y", DType::kF32, xs);
  b.add_node("prelu", fb::OpType::PRelu, {xi, si}, {y});
  b.mark_output(y);
  std::vector<HostTensor> inputs = {f32(xs, x)};
  if (!slope_constant) inputs.push_back(f32(ss, slope));
  auto r = run_model(b.finish(), inputs);
  if (status != nullptr) *status = r.ok() ? Status() : r.status();
  if (!r.ok()) return {};
  return r.value()[0].f32();
}

TEST(PRelu, PerChannelSlopeHandComputed) {
  // X [1,3,2,2], slope [3,1,1] = {0.1, 0.2, 0.3}: negatives scale by their channel's slope.
  std::vector<float> x = {-1, 2, -3, 4, -5, 6, -7, 8, -9, 10, -11, 12};
  std::vector<float> y = run_prelu({1, 3, 2, 2}, x, {3, 1, 1}, {0.1f, 0.2f, 0.3f}, true);
  std::vector<float> want = {-0.1f, 2, -0.3f, 4, -1, 6, -1.4f, 8, -2.7f, 10, -3.3f, 12};
  expect_close(y, want, "prelu");
}

TEST(PRelu, RandomShapesMatchUnravelFormulation) {
  auto f = [](float v, float s) { return v >= 0.f ? v : s * v; };
  std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> cases = {
      {{2, 13, 7, 9}, {13, 1, 1}}, {{2, 13, 7, 9}, {9}}, {{3, 5, 11}, {3, 5, 11}}, {{127}, {1}}};
  uint32_t seed = 500;
  for (const auto& [xs, ss] : cases) {
    std::vector<float> x =
        random_floats(static_cast<size_t>(Shape(xs).num_elements()), seed++, -2, 2);
    std::vector<float> s =
        random_floats(static_cast<size_t>(Shape(ss).num_elements()), seed++, 0, 1);
    std::vector<float> want = ref_binary(f, xs, x, ss, s);
    expect_close(run_prelu(xs, x, ss, s, true), want, "const slope " + Shape(ss).to_string());
    expect_close(run_prelu(xs, x, ss, s, false), want, "input slope " + Shape(ss).to_string());
  }
}

// ---- Errors.

TEST(BinaryErrors, ShapesNotBroadcastableNameBothShapes) {
  auto r =
      run_model(binary_model(fb::OpType::Add, DType::kF32, {2, 3}, {4}, {2, 3}),
                {f32({2, 3}, std::vector<float>(6, 1.f)), f32({4}, std::vector<float>(4, 1.f))});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kShapeMismatch);
  EXPECT_NE(r.status().message().find("input shapes [2x3] and [4] cannot be broadcast"),
            std::string::npos)
      << r.status().to_string();
  // A stored output shape that disagrees with the broadcast one.
  r = run_model(binary_model(fb::OpType::Mul, DType::kF32, {2, 1}, {1, 3}, {2, 2}),
                {f32({2, 1}, {1, 2}), f32({1, 3}, {1, 2, 3})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kShapeMismatch) << r.status().to_string();
}

TEST(BinaryErrors, PReluSlopeMustBroadcastToInput) {
  Status s;
  run_prelu({1, 3, 2, 2}, std::vector<float>(12, 1.f), {4}, std::vector<float>(4, 1.f), true, &s);
  EXPECT_EQ(s.code(), StatusCode::kShapeMismatch);
  EXPECT_NE(s.message().find("slope [4] cannot be broadcast to the input shape [1x3x2x2]"),
            std::string::npos)
      << s.to_string();
  run_prelu({3, 2}, std::vector<float>(6, 1.f), {2, 3, 2}, std::vector<float>(12, 1.f), true, &s);
  EXPECT_EQ(s.code(), StatusCode::kShapeMismatch) << s.to_string();
}

}  // namespace
}  // namespace strix
