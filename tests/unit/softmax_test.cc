// Softmax and LogSoftmax (kernels/cpu/ref/softmax.h): hand-computed cases, every axis of odd
// shapes against log-sum-exp in double, f16 storage, large inputs, and error paths.
#include "kernels/cpu/ref/softmax.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/unit/norm_softmax_reduce_util.h"

namespace strix::testing {
namespace {

using O = fb::OpType;
using namespace kernels::ref;  // the plain functions under test

OptionsFn softmax_options(int axis) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return std::make_pair(fb::OpOptions::SoftmaxOptions,
                          fb::CreateSoftmaxOptions(fbb, axis).Union());
  };
}

NodeSpec softmax_spec(O op, const std::vector<int64_t>& shape, int axis) {
  return NodeSpec{op, shape, {}, softmax_options(axis), shape};
}

// Log-softmax along `axis` in double: x - (m + log(sum(exp(x - m)))), m the max.
// Element (o, a, i) of [outer, len, inner] is at (o * len + a) * inner + i.
std::vector<double> log_softmax_double(const std::vector<float>& x,
                                       const std::vector<int64_t>& shape, int axis) {
  const int rank = static_cast<int>(shape.size());
  if (axis < 0) axis += rank;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= shape[d];
  for (int d = axis + 1; d < rank; ++d) inner *= shape[d];
  const int64_t len = shape[axis];
  std::vector<double> y(x.size());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t a) { return (o * len + a) * inner + i; };
      double m = -INFINITY;
      for (int64_t a = 0; a < len; ++a) m = std::max(m, static_cast<double>(x[at(a)]));
      double s = 0;
      for (int64_t a = 0; a < len; ++a) s += std::exp(x[at(a)] - m);
      const double lse = m + std::log(s);
      for (int64_t a = 0; a < len; ++a) y[at(a)] = x[at(a)] - lse;
    }
  return y;
}

std::vector<double> softmax_double(const std::vector<float>& x, const std::vector<int64_t>& shape,
                                   int axis) {
  std::vector<double> y = log_softmax_double(x, shape, axis);
  for (double& v : y) v = std::exp(v);
  return y;
}

std::vector<float> run_ok(const NodeSpec& s, const std::vector<float>& x) {
  Result<std::vector<float>> y = run_node(s, x);
  EXPECT_TRUE(y.ok()) << y.status().to_string();
  return y.ok() ? y.value() : std::vector<float>();
}

void expect_near_all(const std::vector<float>& got, const std::vector<float>& want, float tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

TEST(Softmax, HandComputed) {
  // [0, ln 2, ln 3]: exp = [1, 2, 3], sum 6 -> softmax [1/6, 1/3, 1/2];
  // log-softmax = [ln(1/6), ln(1/3), ln(1/2)] = [-1.791759, -1.098612, -0.693147].
  const std::vector<float> x{0.f, std::log(2.f), std::log(3.f)};
  expect_near_all(run_ok(softmax_spec(O::Softmax, {1, 3}, -1), x), {1.f / 6, 1.f / 3, 0.5f}, 1e-6f);
  expect_near_all(run_ok(softmax_spec(O::LogSoftmax, {1, 3}, 1), x),
                  {-1.791759f, -1.098612f, -0.693147f}, 1e-6f);
  // X [2, 2] = [[0, 0], [ln 3, 0]], axis 0: column 0 is [0, ln 3] -> exp [1, 3] -> [1/4, 3/4];
  // column 1 is [0, 0] -> [1/2, 1/2].
  expect_near_all(run_ok(softmax_spec(O::Softmax, {2, 2}, 0), {0.f, 0.f, std::log(3.f), 0.f}),
                  {0.25f, 0.5f, 0.75f, 0.5f}, 1e-6f);
  // No options: axis -1 (ONNX opset 13 default). [0, 0, ln 2] -> [1/4, 1/4, 1/2] per row.
  NodeSpec s{O::Softmax, {2, 3}, {}, nullptr, {2, 3}};
  const float l2 = std::log(2.f);
  expect_near_all(run_ok(s, {0, 0, l2, l2, 0, 0}), {0.25f, 0.25f, 0.5f, 0.5f, 0.25f, 0.25f}, 1e-6f);
}

TEST(Softmax, EveryAxisOfOddShapesMatchesLogSumExp) {
  struct Case {
    std::vector<int64_t> shape;
    int axis;
  };
  for (const Case& tc :
       {Case{{3, 127}, -1}, Case{{3, 127}, 0}, Case{{2, 13, 7, 5}, 0}, Case{{2, 13, 7, 5}, 1},
        Case{{2, 13, 7, 5}, -2}, Case{{2, 13, 7, 5}, 3}, Case{{1, 5, 13, 17}, 2},
        Case{{1, 5, 13, 17}, -1}, Case{{385}, 0}, Case{{1, 1, 1}, 1}}) {
    std::vector<float> x = random_floats(product(tc.shape), 7, -6.f, 6.f);
    SCOPED_TRACE(Shape(tc.shape).to_string() + " axis " + std::to_string(tc.axis));
    EXPECT_LT(relative_l2(run_ok(softmax_spec(O::Softmax, tc.shape, tc.axis), x),
                          to_float(softmax_double(x, tc.shape, tc.axis))),
              1e-5);
    EXPECT_LT(relative_l2(run_ok(softmax_spec(O::LogSoftmax, tc.shape, tc.axis), x),
                          to_float(log_softmax_double(x, tc.shape, tc.axis))),
              1e-5);
  }
}

TEST(Softmax, F16StorageMatchesF32) {
  const std::vector<int64_t> shape{2, 13, 7, 5};
  std::vector<float> x = random_floats(product(shape), 17, -4.f, 4.f);
  for (O op : {O::Softmax, O::LogSoftmax}) {
    NodeSpec s = softmax_spec(op, shape, 1);
    std::vector<float> ref = run_ok(s, x);
    s.dtype = DType::kF16;
    EXPECT_LT(relative_l2(run_ok(s, x), ref), 1e-2);
  }
}

TEST(Softmax, LargeValuesStayFinite) {
  // Values around +-1e4: exp without subtracting the max would overflow to inf (inf / inf).
  const std::vector<int64_t> shape{3, 13};
  std::vector<float> x = random_floats(product(shape), 27, -20.f, 20.f);
  for (size_t i = 0; i < x.size(); ++i) x[i] += (i % 3 == 0) ? -1e4f : 1e4f;
  for (int axis : {0, 1}) {
    std::vector<float> y = run_ok(softmax_spec(O::Softmax, shape, axis), x);
    std::vector<float> ly = run_ok(softmax_spec(O::LogSoftmax, shape, axis), x);
    ASSERT_EQ(y.size(), x.size());
    ASSERT_EQ(ly.size(), x.size());
    for (size_t i = 0; i < y.size(); ++i) {
      ASSERT_TRUE(std::isfinite(y[i])) << "softmax at " << i << " axis " << axis;
      ASSERT_FALSE(std::isnan(ly[i])) << "log-softmax at " << i << " axis " << axis;
    }
    EXPECT_LT(relative_l2(y, to_float(softmax_double(x, shape, axis))), 1e-5);
    // Log-softmax is finite wherever softmax does not underflow in double.
    std::vector<double> lref = log_softmax_double(x, shape, axis);
    for (size_t i = 0; i < ly.size(); ++i)
      EXPECT_NEAR(ly[i], lref[i], 1e-5 * std::max(1.0, std::fabs(lref[i]))) << "at " << i;
  }
  // A row of equal huge values: exactly uniform.
  expect_near_all(run_ok(softmax_spec(O::Softmax, {1, 4}, -1), {3e38f, 3e38f, 3e38f, 3e38f}),
                  {0.25f, 0.25f, 0.25f, 0.25f}, 0.f);
}

TEST(Softmax, PlainFunctionInPlace) {
  // softmax_f32 / log_softmax_f32 with x == y, axis in the middle of [2, 3, 4].
  const std::vector<int64_t> shape{2, 3, 4};
  std::vector<float> x = random_floats(24, 37, -3.f, 3.f);
  std::vector<float> y = x;
  softmax_f32(y.data(), 2, 3, 4, y.data());
  EXPECT_LT(relative_l2(y, to_float(softmax_double(x, shape, 1))), 1e-6);
  y = x;
  log_softmax_f32(y.data(), 2, 3, 4, y.data());
  EXPECT_LT(relative_l2(y, to_float(log_softmax_double(x, shape, 1))), 1e-6);
}

TEST(Softmax, Errors) {
  std::vector<float> x = random_floats(6, 1);
  expect_node_error(softmax_spec(O::Softmax, {2, 3}, 2), x, StatusCode::kCorruptModel,
                    "axis 2 is out of range for rank 2");
  expect_node_error(softmax_spec(O::LogSoftmax, {2, 3}, -3), x, StatusCode::kCorruptModel,
                    "axis -3 is out of range for rank 2");
}

}  // namespace
}  // namespace strix::testing
