// BatchNormalization, LayerNormalization, InstanceNormalization, GroupNormalization and LRN
// (kernels/cpu/ref/norm.h): hand-computed cases, random odd shapes against double-precision
// formulations written here, f16 storage, large-offset robustness, and error paths.
#include "kernels/cpu/ref/norm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tests/unit/norm_softmax_reduce_util.h"

namespace strix::testing {
namespace {

using O = fb::OpType;
using namespace kernels::ref;  // the plain functions under test

OptionsFn batch_norm_options(float epsilon) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return std::make_pair(fb::OpOptions::BatchNormOptions,
                          fb::CreateBatchNormOptions(fbb, epsilon).Union());
  };
}
OptionsFn layer_norm_options(int axis, float epsilon) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return std::make_pair(fb::OpOptions::LayerNormOptions,
                          fb::CreateLayerNormOptions(fbb, axis, epsilon).Union());
  };
}
OptionsFn norm_options(float epsilon, int groups) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return std::make_pair(fb::OpOptions::NormOptions,
                          fb::CreateNormOptions(fbb, epsilon, groups).Union());
  };
}
OptionsFn lrn_options(int size, float alpha, float beta, float bias) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return std::make_pair(fb::OpOptions::LRNOptions,
                          fb::CreateLRNOptions(fbb, size, alpha, beta, bias).Union());
  };
}

void expect_values(const NodeSpec& s, const std::vector<float>& x,
                   const std::vector<float>& expected, float tol) {
  Result<std::vector<float>> y = run_node(s, x);
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  ASSERT_EQ(y.value().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(y.value()[i], expected[i], tol) << "at " << i;
}

void expect_close(const NodeSpec& s, const std::vector<float>& x,
                  const std::vector<float>& expected, double bound) {
  Result<std::vector<float>> y = run_node(s, x);
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_LT(relative_l2(y.value(), expected), bound);
}

// ---- Double-precision formulations ------------------------------------------------------

// X [n, c, inner] flattened; channel of flat index i is (i / inner) % c.
std::vector<double> batch_norm_double(const std::vector<float>& x, const std::vector<float>& scale,
                                      const std::vector<float>& bias,
                                      const std::vector<float>& mean, const std::vector<float>& var,
                                      double eps, int64_t c, int64_t inner) {
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const int64_t j = (static_cast<int64_t>(i) / inner) % c;
    y[i] = scale[j] * (x[i] - static_cast<double>(mean[j])) / std::sqrt(var[j] + eps) + bias[j];
  }
  return y;
}

// Rows of d values, scale/bias already [d] (bias may be empty).
std::vector<double> layer_norm_double(const std::vector<float>& x, const std::vector<float>& scale,
                                      const std::vector<float>& bias, double eps, int64_t d) {
  std::vector<double> y(x.size());
  const int64_t rows = static_cast<int64_t>(x.size()) / d;
  for (int64_t r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int64_t j = 0; j < d; ++j) mean += x[r * d + j];
    mean /= d;
    for (int64_t j = 0; j < d; ++j) var += (x[r * d + j] - mean) * (x[r * d + j] - mean);
    var /= d;
    for (int64_t j = 0; j < d; ++j) {
      y[r * d + j] = (x[r * d + j] - mean) / std::sqrt(var + eps) * scale[j];
      if (!bias.empty()) y[r * d + j] += bias[j];
    }
  }
  return y;
}

// X [n, c, inner], groups of c / groups channels; scale, bias [c].
std::vector<double> group_norm_double(const std::vector<float>& x, const std::vector<float>& scale,
                                      const std::vector<float>& bias, double eps, int64_t n,
                                      int64_t c, int64_t groups, int64_t inner) {
  std::vector<double> y(x.size());
  const int64_t cg = c / groups;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t g = 0; g < groups; ++g) {
      double mean = 0, var = 0;
      for (int64_t j = g * cg; j < (g + 1) * cg; ++j)
        for (int64_t k = 0; k < inner; ++k) mean += x[(i * c + j) * inner + k];
      mean /= cg * inner;
      for (int64_t j = g * cg; j < (g + 1) * cg; ++j)
        for (int64_t k = 0; k < inner; ++k) {
          const double dv = x[(i * c + j) * inner + k] - mean;
          var += dv * dv;
        }
      var /= cg * inner;
      for (int64_t j = g * cg; j < (g + 1) * cg; ++j)
        for (int64_t k = 0; k < inner; ++k) {
          const int64_t at = (i * c + j) * inner + k;
          y[at] = (x[at] - mean) / std::sqrt(var + eps) * scale[j] + bias[j];
        }
    }
  }
  return y;
}

// ONNX LRN formula, X [n, c, inner].
std::vector<double> lrn_double(const std::vector<float>& x, int size, double alpha, double beta,
                               double bias, int64_t n, int64_t c, int64_t inner) {
  std::vector<double> y(x.size());
  const int64_t lo_off = static_cast<int64_t>(std::floor((size - 1) / 2.0));
  const int64_t hi_off = static_cast<int64_t>(std::ceil((size - 1) / 2.0));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j)
      for (int64_t k = 0; k < inner; ++k) {
        double sq = 0;
        for (int64_t jj = std::max<int64_t>(0, j - lo_off); jj <= std::min(c - 1, j + hi_off);
             ++jj) {
          const double v = x[(i * c + jj) * inner + k];
          sq += v * v;
        }
        const int64_t at = (i * c + j) * inner + k;
        y[at] = x[at] / std::pow(bias + alpha / size * sq, beta);
      }
  return y;
}

// ---- BatchNormalization -----------------------------------------------------------------

TEST(BatchNorm, HandComputed) {
  // X [1, 2, 2] = [[1, 2], [3, 4]], epsilon 0.01.
  // c0: scale 2, bias 1, mean 1.5, var 0.24: a = 2 / sqrt(0.25) = 4;
  //     y = 4 * (x - 1.5) + 1 -> x=1: -1, x=2: 3.
  // c1: scale 0.5, bias -1, mean 3, var 3.99: a = 0.5 / sqrt(4) = 0.25;
  //     y = 0.25 * (x - 3) - 1 -> x=3: -1, x=4: -0.75.
  NodeSpec s{O::BatchNormalization,
             {1, 2, 2},
             {{{2}, {2, 0.5f}}, {{2}, {1, -1}}, {{2}, {1.5f, 3}}, {{2}, {0.24f, 3.99f}}},
             batch_norm_options(0.01f),
             {1, 2, 2}};
  expect_values(s, {1, 2, 3, 4}, {-1, 3, -1, -0.75f}, 1e-5f);
  for (NodeParam& p : s.params) p.constant = false;  // computed parameters: same values
  expect_values(s, {1, 2, 3, 4}, {-1, 3, -1, -0.75f}, 1e-5f);
}

TEST(BatchNorm, RandomOddShapesMatchFormula) {
  struct Case {
    std::vector<int64_t> shape;
    bool constant;
  };
  for (const Case& tc : {Case{{2, 13, 7, 5}, true}, Case{{3, 127}, true},
                         Case{{2, 13, 7, 5}, false}, Case{{1, 3, 2, 3, 5}, false}}) {
    const int64_t c = tc.shape[1], n = product(tc.shape);
    const int64_t inner = n / (tc.shape[0] * c);
    std::vector<float> x = random_floats(n, 1);
    std::vector<float> scale = random_floats(c, 2, 0.5f, 2.f), bias = random_floats(c, 3);
    std::vector<float> mean = random_floats(c, 4), var = random_floats(c, 5, 0.1f, 3.f);
    NodeSpec s{O::BatchNormalization,
               tc.shape,
               {{{c}, scale, tc.constant},
                {{c}, bias, tc.constant},
                {{c}, mean, tc.constant},
                {{c}, var, tc.constant}},
               batch_norm_options(1e-3f),
               tc.shape};
    SCOPED_TRACE(Shape(tc.shape).to_string() + (tc.constant ? " constant" : " computed"));
    expect_close(s, x, to_float(batch_norm_double(x, scale, bias, mean, var, 1e-3, c, inner)),
                 1e-5);
  }
}

TEST(BatchNorm, DefaultEpsilonWithoutOptions) {
  // var 0 with the default epsilon 1e-5: y = (x - 0) / sqrt(1e-5) = x * 316.2278.
  NodeSpec s{O::BatchNormalization,
             {1, 1},
             {{{1}, {1}}, {{1}, {0}}, {{1}, {0}}, {{1}, {0}}},
             nullptr,
             {1, 1}};
  expect_values(s, {0.5f}, {158.1139f}, 1e-2f);
}

TEST(BatchNorm, F16StorageMatchesF32) {
  const std::vector<int64_t> shape{2, 13, 7, 5};
  const int64_t c = 13;
  std::vector<float> x = random_floats(product(shape), 11);
  NodeSpec s{O::BatchNormalization,
             shape,
             {{{c}, random_floats(c, 12, 0.5f, 2.f)},
              {{c}, random_floats(c, 13)},
              {{c}, random_floats(c, 14)},
              {{c}, random_floats(c, 15, 0.1f, 3.f)}},
             batch_norm_options(1e-5f),
             shape};
  Result<std::vector<float>> ref = run_node(s, x);
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  s.dtype = DType::kF16;
  expect_close(s, x, ref.value(), 1e-2);
}

TEST(BatchNorm, Errors) {
  auto params = [](int64_t scale_len, int64_t mean_len) {
    return std::vector<NodeParam>{{{scale_len}, std::vector<float>(scale_len, 1.f)},
                                  {{3}, {0, 0, 0}},
                                  {{mean_len}, std::vector<float>(mean_len, 0.f)},
                                  {{3}, {1, 1, 1}}};
  };
  std::vector<float> x = random_floats(6, 1);
  expect_node_error({O::BatchNormalization, {2, 3}, params(4, 3), nullptr, {2, 3}}, x,
                    StatusCode::kShapeMismatch, "scale (input 1 'p1') has shape [4], expected [3]");
  expect_node_error({O::BatchNormalization, {2, 3}, params(3, 2), nullptr, {2, 3}}, x,
                    StatusCode::kShapeMismatch, "mean (input 3 'p3') has shape [2], expected [3]");
  expect_node_error({O::BatchNormalization, {6}, params(3, 3), nullptr, {6}}, x,
                    StatusCode::kShapeMismatch, "expected rank >= 2");
  expect_node_error({O::BatchNormalization, {2, 3}, params(3, 3), batch_norm_options(-1.f), {2, 3}},
                    x, StatusCode::kCorruptModel, "epsilon -1 must be finite and >= 0");
  std::vector<NodeParam> negative_var = params(3, 3);
  negative_var[3].values = {1, -2, 1};
  expect_node_error({O::BatchNormalization, {2, 3}, negative_var, nullptr, {2, 3}}, x,
                    StatusCode::kCorruptModel, "var[1] + epsilon");
}

// ---- LayerNormalization -----------------------------------------------------------------

TEST(LayerNorm, HandComputed) {
  // X [2, 2, 2], axis -2: each sample's 4 values are one row; epsilon 0.
  // Row 0 [1, 2, 3, 4]: mean 2.5, var (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25,
  //   x_hat = [-1.5, -0.5, 0.5, 1.5] / sqrt(1.25) = [-1.341641, -0.447214, 0.447214, 1.341641].
  // Row 1 [0, 0, 4, 4]: mean 2, var 4, x_hat = [-1, -1, 1, 1].
  // scale [2, 2] = [[1, 2], [1, 2]]; bias [2] = [0, 1] broadcasts to [[0, 1], [0, 1]].
  //   y0 = [-1.341641, -0.894427 + 1, 0.447214, 2.683282 + 1]
  //      = [-1.341641, 0.105573, 0.447214, 3.683282]
  //   y1 = [-1, -2 + 1, 1, 2 + 1] = [-1, -1, 1, 3]
  const std::vector<float> x{1, 2, 3, 4, 0, 0, 4, 4};
  const std::vector<float> y{-1.341641f, 0.105573f, 0.447214f, 3.683282f, -1, -1, 1, 3};
  NodeSpec s{O::LayerNormalization,
             {2, 2, 2},
             {{{2, 2}, {1, 2, 1, 2}}, {{2}, {0, 1}}},
             layer_norm_options(-2, 0.f),
             {2, 2, 2}};
  expect_values(s, x, y, 1e-5f);
  // Computed scale and bias; the computed bias is broadcast in eval.
  for (NodeParam& p : s.params) p.constant = false;
  expect_values(s, x, y, 1e-5f);
  // Without bias (2 inputs, then an explicitly omitted third): y = x_hat * scale.
  const std::vector<float> y_no_bias{-1.341641f, -0.894427f, 0.447214f, 2.683282f, -1, -2, 1, 2};
  s.params = {{{2, 2}, {1, 2, 1, 2}}};
  expect_values(s, x, y_no_bias, 1e-5f);
  s.params = {{{2, 2}, {1, 2, 1, 2}}, {{}, {}, true, true}};
  expect_values(s, x, y_no_bias, 1e-5f);
}

TEST(LayerNorm, RandomOddShapesMatchLoops) {
  struct Case {
    std::vector<int64_t> shape;
    int axis;
    bool constant;
    bool with_bias;
  };
  for (const Case& tc :
       {Case{{3, 127}, -1, true, true}, Case{{2, 13, 7, 5}, 1, true, true},
        Case{{2, 13, 7, 5}, -2, false, true}, Case{{1, 5, 13, 17}, 3, false, false},
        Case{{1, 5, 13, 17}, 0, true, false}}) {
    const int rank = static_cast<int>(tc.shape.size());
    const int axis = tc.axis < 0 ? tc.axis + rank : tc.axis;
    std::vector<int64_t> normalized(tc.shape.begin() + axis, tc.shape.end());
    const int64_t d = product(normalized);
    std::vector<float> x = random_floats(product(tc.shape), 21, -3.f, 3.f);
    std::vector<float> scale = random_floats(d, 22), bias;
    NodeSpec s{O::LayerNormalization,
               tc.shape,
               {{normalized, scale, tc.constant}},
               layer_norm_options(tc.axis, 1e-5f),
               tc.shape};
    if (tc.with_bias) {
      bias = random_floats(d, 23);
      s.params.push_back({normalized, bias, tc.constant});
    }
    SCOPED_TRACE(Shape(tc.shape).to_string() + " axis " + std::to_string(tc.axis));
    expect_close(s, x, to_float(layer_norm_double(x, scale, bias, 1e-5, d)), 1e-5);
  }
}

TEST(LayerNorm, BroadcastScale) {
  // X [3, 13, 7], axis 1: normalized [13, 7]; scale [7] and bias [1, 7] repeat over the 13.
  std::vector<float> x = random_floats(3 * 13 * 7, 31);
  std::vector<float> scale7 = random_floats(7, 32), bias7 = random_floats(7, 33);
  std::vector<float> scale, bias;
  for (int r = 0; r < 13; ++r) {
    scale.insert(scale.end(), scale7.begin(), scale7.end());
    bias.insert(bias.end(), bias7.begin(), bias7.end());
  }
  const std::vector<float> ref = to_float(layer_norm_double(x, scale, bias, 1e-5, 13 * 7));
  for (bool constant : {true, false}) {
    NodeSpec s{O::LayerNormalization,
               {3, 13, 7},
               {{{7}, scale7, constant}, {{1, 7}, bias7, constant}},
               layer_norm_options(1, 1e-5f),
               {3, 13, 7}};
    expect_close(s, x, ref, 1e-5);
  }
}

TEST(LayerNorm, LargeOffsetStaysAccurate) {
  // 1000 + noise in [-1, 1): the variance is ~0.33 while E[x^2] ~ 1e6 has a float spacing
  // of 0.0625 and sum(x^2) ~ 1.3e8 one of 8, so a one-pass E[x^2] - E[x]^2 in float is noise.
  const int64_t rows = 4, d = 127;
  std::vector<float> x = random_floats(rows * d, 41, -1.f, 1.f);
  for (float& v : x) v += 1000.f;
  std::vector<float> scale(d, 1.f);
  const std::vector<float> ref = to_float(layer_norm_double(x, scale, {}, 1e-9, d));
  NodeSpec s{
      O::LayerNormalization, {rows, d}, {{{d}, scale}}, layer_norm_options(-1, 1e-9f), {rows, d}};
  expect_close(s, x, ref, 1e-4);

  // The same rows through the plain functions: the two-pass statistics are accurate, and a
  // one-pass float computation is not (so this data does tell the methods apart).
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x.data() + r * d;
    double mean_d = 0, var_d = 0;
    for (int64_t j = 0; j < d; ++j) mean_d += xr[j];
    mean_d /= d;
    for (int64_t j = 0; j < d; ++j) var_d += (xr[j] - mean_d) * (xr[j] - mean_d);
    var_d /= d;
    float mean, var;
    mean_variance_f32(xr, d, &mean, &var);
    EXPECT_NEAR(mean, mean_d, 1e-4);
    EXPECT_NEAR(var, var_d, 1e-3 * var_d);
    float sum = 0, sum_sq = 0;
    for (int64_t j = 0; j < d; ++j) {
      sum += xr[j];
      sum_sq += xr[j] * xr[j];
    }
    const float one_pass = sum_sq / d - (sum / d) * (sum / d);
    EXPECT_GT(std::fabs(one_pass - var_d), 0.5 * var_d) << "one-pass happened to be accurate";
  }
}

TEST(LayerNorm, F16StorageMatchesF32) {
  const std::vector<int64_t> shape{2, 13, 7, 5};
  std::vector<float> x = random_floats(product(shape), 51, -2.f, 2.f);
  NodeSpec s{O::LayerNormalization,
             shape,
             {{{7, 5}, random_floats(35, 52)}, {{7, 5}, random_floats(35, 53)}},
             layer_norm_options(-2, 1e-5f),
             shape};
  Result<std::vector<float>> ref = run_node(s, x);
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  s.dtype = DType::kF16;
  expect_close(s, x, ref.value(), 1e-2);
}

TEST(LayerNorm, Errors) {
  std::vector<float> x = random_floats(12, 1);
  const std::vector<NodeParam> scale{{{4}, {1, 1, 1, 1}}};
  expect_node_error({O::LayerNormalization, {3, 4}, scale, layer_norm_options(2, 1e-5f), {3, 4}}, x,
                    StatusCode::kCorruptModel, "axis 2 is out of range for rank 2");
  expect_node_error({O::LayerNormalization, {3, 4}, scale, layer_norm_options(-3, 1e-5f), {3, 4}},
                    x, StatusCode::kCorruptModel, "axis -3 is out of range for rank 2");
  expect_node_error(
      {O::LayerNormalization, {3, 4}, {{{3}, {1, 1, 1}}}, layer_norm_options(-1, 1e-5f), {3, 4}}, x,
      StatusCode::kShapeMismatch,
      "scale (input 1 'p1') has shape [3], not broadcastable to the normalized "
      "shape [4]");
  expect_node_error({O::LayerNormalization,
                     {3, 4},
                     {{{2, 4}, std::vector<float>(8, 1.f)}},
                     layer_norm_options(-1, 1e-5f),
                     {3, 4}},
                    x, StatusCode::kShapeMismatch, "not broadcastable");
  expect_node_error({O::LayerNormalization, {3, 4}, {}, layer_norm_options(-1, 1e-5f), {3, 4}}, x,
                    StatusCode::kCorruptModel, "expects 2 to 3 inputs, has 1");
}

// ---- InstanceNormalization / GroupNormalization -----------------------------------------

TEST(InstanceNorm, HandComputed) {
  // X [1, 2, 3], epsilon 1/3.
  // c0 [1, 2, 3]: mean 2, var 2/3, var + eps = 1, x_hat = [-1, 0, 1];
  //   scale 2, bias 1 -> [-1, 1, 3].
  // c1 [4, 4, 4]: var 0, x_hat = 0 -> y = bias = -1.
  NodeSpec s{O::InstanceNormalization,
             {1, 2, 3},
             {{{2}, {2, 3}}, {{2}, {1, -1}}},
             norm_options(1.f / 3.f, 1),
             {1, 2, 3}};
  expect_values(s, {1, 2, 3, 4, 4, 4}, {-1, 1, 3, -1, -1, -1}, 1e-5f);
}

TEST(GroupNorm, HandComputed) {
  // X [1, 4, 2], 2 groups, epsilon 0.
  // Group 0 = c0, c1 = [1, 2 | 3, 4]: mean 2.5, var 1.25,
  //   x_hat = [-1.341641, -0.447214 | 0.447214, 1.341641].
  // Group 1 = c2, c3 = [0, 0 | 4, 4]: mean 2, var 4, x_hat = [-1, -1 | 1, 1].
  // scale [1, 2, 3, 4], bias [0, 0, 0, 1]:
  //   c0 [-1.341641, -0.447214], c1 [0.894427, 2.683282], c2 [-3, -3], c3 [5, 5].
  NodeSpec s{O::GroupNormalization,
             {1, 4, 2},
             {{{4}, {1, 2, 3, 4}}, {{4}, {0, 0, 0, 1}}},
             norm_options(0.f, 2),
             {1, 4, 2}};
  const std::vector<float> x{1, 2, 3, 4, 0, 0, 4, 4};
  const std::vector<float> y{-1.341641f, -0.447214f, 0.894427f, 2.683282f, -3, -3, 5, 5};
  expect_values(s, x, y, 1e-5f);
  for (NodeParam& p : s.params) p.constant = false;
  expect_values(s, x, y, 1e-5f);
}

TEST(GroupNorm, RandomOddShapesMatchLoops) {
  struct Case {
    std::vector<int64_t> shape;
    int groups;  // 0: InstanceNormalization
    bool constant;
  };
  for (const Case& tc :
       {Case{{2, 12, 7, 5}, 3, true}, Case{{2, 12, 7, 5}, 1, false}, Case{{2, 12, 7, 5}, 12, true},
        Case{{3, 6}, 2, true}, Case{{1, 5, 13, 17}, 0, true}, Case{{2, 13, 7, 5}, 0, false}}) {
    const int64_t n = tc.shape[0], c = tc.shape[1], total = product(tc.shape);
    const int64_t inner = total / (n * c);
    std::vector<float> x = random_floats(total, 61, -2.f, 3.f);
    std::vector<float> scale = random_floats(c, 62), bias = random_floats(c, 63);
    NodeSpec s{tc.groups > 0 ? O::GroupNormalization : O::InstanceNormalization,
               tc.shape,
               {{{c}, scale, tc.constant}, {{c}, bias, tc.constant}},
               norm_options(1e-5f, tc.groups > 0 ? tc.groups : 1),
               tc.shape};
    SCOPED_TRACE(Shape(tc.shape).to_string() + " groups " + std::to_string(tc.groups));
    const int64_t groups = tc.groups > 0 ? tc.groups : c;
    expect_close(s, x, to_float(group_norm_double(x, scale, bias, 1e-5, n, c, groups, inner)),
                 1e-5);
  }
}

TEST(GroupNorm, F16StorageMatchesF32) {
  const std::vector<int64_t> shape{2, 12, 7, 5};
  std::vector<float> x = random_floats(product(shape), 71);
  for (O op : {O::GroupNormalization, O::InstanceNormalization}) {
    NodeSpec s{op,
               shape,
               {{{12}, random_floats(12, 72)}, {{12}, random_floats(12, 73)}},
               norm_options(1e-5f, 4),
               shape};
    Result<std::vector<float>> ref = run_node(s, x);
    ASSERT_TRUE(ref.ok()) << ref.status().to_string();
    s.dtype = DType::kF16;
    expect_close(s, x, ref.value(), 1e-2);
  }
}

TEST(GroupNorm, Errors) {
  std::vector<float> x = random_floats(2 * 12 * 3, 1);
  auto params = [](int64_t c) {
    return std::vector<NodeParam>{{{c}, std::vector<float>(c, 1.f)},
                                  {{c}, std::vector<float>(c, 0.f)}};
  };
  expect_node_error(
      {O::GroupNormalization, {2, 12, 3}, params(12), norm_options(1e-5f, 5), {2, 12, 3}}, x,
      StatusCode::kShapeMismatch, "num_groups 5 does not divide the 12 channels");
  expect_node_error(
      {O::GroupNormalization, {2, 12, 3}, params(12), norm_options(1e-5f, 0), {2, 12, 3}}, x,
      StatusCode::kCorruptModel, "num_groups 0 must be > 0");
  expect_node_error(
      {O::GroupNormalization, {2, 12, 3}, params(4), norm_options(1e-5f, 4), {2, 12, 3}}, x,
      StatusCode::kShapeMismatch, "scale (input 1 'p1') has shape [4], expected [12]");
  expect_node_error(
      {O::InstanceNormalization, {2, 12, 3}, params(3), norm_options(1e-5f, 1), {2, 12, 3}}, x,
      StatusCode::kShapeMismatch, "has shape [3], expected [12]");
}

// ---- LRN --------------------------------------------------------------------------------

TEST(Lrn, HandComputed) {
  // X [1, 3, 1] = [1, 2, 3], squares [1, 4, 9].
  // size 3, alpha 3 (alpha / size = 1), beta 1, bias 1; window [c - 1, c + 1]:
  //   c0: 1 + 4 = 5 -> 1 / 6;  c1: 1 + 4 + 9 = 14 -> 2 / 15;  c2: 4 + 9 = 13 -> 3 / 14.
  NodeSpec s{O::LRN, {1, 3, 1}, {}, lrn_options(3, 3.f, 1.f, 1.f), {1, 3, 1}};
  expect_values(s, {1, 2, 3}, {1.f / 6, 2.f / 15, 3.f / 14}, 1e-6f);
  // size 2, alpha 2 (alpha / size = 1), beta 0.5, bias 2; window [c, c + 1]:
  //   c0: 1 + 4 = 5 -> 1 / sqrt(7);  c1: 4 + 9 = 13 -> 2 / sqrt(15);  c2: 9 -> 3 / sqrt(11).
  s.options = lrn_options(2, 2.f, 0.5f, 2.f);
  expect_values(s, {1, 2, 3}, {1 / std::sqrt(7.f), 2 / std::sqrt(15.f), 3 / std::sqrt(11.f)},
                1e-6f);
}

TEST(Lrn, RandomOddShapesMatchFormula) {
  for (int size : {1, 2, 5, 4, 31}) {
    const std::vector<int64_t> shape{2, 13, 7, 5};
    std::vector<float> x = random_floats(product(shape), 81, -3.f, 3.f);
    NodeSpec s{O::LRN, shape, {}, lrn_options(size, 1e-2f, 0.75f, 1.5f), shape};
    SCOPED_TRACE("size " + std::to_string(size));
    expect_close(s, x, to_float(lrn_double(x, size, 1e-2, 0.75, 1.5, 2, 13, 35)), 1e-5);
  }
  std::vector<float> x = random_floats(3 * 127, 82);
  NodeSpec s{O::LRN, {3, 127}, {}, lrn_options(5, 1e-4f, 0.75f, 1.f), {3, 127}};
  expect_close(s, x, to_float(lrn_double(x, 5, 1e-4, 0.75, 1.0, 3, 127, 1)), 1e-5);
}

TEST(Lrn, F16StorageMatchesF32) {
  const std::vector<int64_t> shape{1, 5, 13, 17};
  std::vector<float> x = random_floats(product(shape), 91, -3.f, 3.f);
  NodeSpec s{O::LRN, shape, {}, lrn_options(3, 0.1f, 0.75f, 1.f), shape};
  Result<std::vector<float>> ref = run_node(s, x);
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  s.dtype = DType::kF16;
  expect_close(s, x, ref.value(), 1e-2);
}

TEST(Lrn, Errors) {
  std::vector<float> x = random_floats(6, 1);
  expect_node_error({O::LRN, {2, 3}, {}, lrn_options(0, 1e-4f, 0.75f, 1.f), {2, 3}}, x,
                    StatusCode::kCorruptModel, "LRN size 0 must be >= 1");
  expect_node_error({O::LRN, {6}, {}, lrn_options(3, 1e-4f, 0.75f, 1.f), {6}}, x,
                    StatusCode::kShapeMismatch, "expected rank >= 2");
}

// ---- In place -----------------------------------------------------------------------------

TEST(Norm, InPlaceAfterRelu) {
  // x -> Relu -> t -> BatchNorm -> y: the planner may run BatchNorm in place on t.
  const std::vector<int64_t> shape{2, 13, 7, 5};
  const int64_t c = 13;
  std::vector<float> x = random_floats(product(shape), 101);
  std::vector<float> scale = random_floats(c, 102), bias = random_floats(c, 103);
  std::vector<float> mean = random_floats(c, 104), var = random_floats(c, 105, 0.1f, 2.f);
  writer::ModelBuilder b;
  int xi = b.add_input("x", DType::kF32, shape);
  int t = b.add_tensor("t", DType::kF32, shape);
  int y = b.add_tensor("y", DType::kF32, shape);
  int ps[4] = {b.add_constant_f32("scale", {c}, scale), b.add_constant_f32("bias", {c}, bias),
               b.add_constant_f32("mean", {c}, mean), b.add_constant_f32("var", {c}, var)};
  b.add_node("relu", O::Relu, {xi}, {t});
  auto opts = fb::CreateBatchNormOptions(b.fbb(), 1e-5f);
  b.add_node("bn", O::BatchNormalization, {t, ps[0], ps[1], ps[2], ps[3]}, {y},
             fb::OpOptions::BatchNormOptions, opts.Union());
  b.mark_output(y);
  std::vector<uint8_t> file = b.finish();

  Result<Model> model = Model::from_buffer(file.data(), file.size());
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  Result<std::shared_ptr<Engine>> engine = Engine::create(model.value(), {});
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  EXPECT_TRUE(engine.value()->report().nodes[1].in_place);

  Result<std::vector<HostTensor>> out = run_model(file, {f32(shape, x)});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  std::vector<float> relu_x = x;
  for (float& v : relu_x) v = v > 0 ? v : 0;
  EXPECT_LT(relative_l2(out.value()[0].f32(),
                        to_float(batch_norm_double(relu_x, scale, bias, mean, var, 1e-5, c, 35))),
            1e-5);
}

}  // namespace
}  // namespace strix::testing
