// FullyConnected f32 (ONNX Gemm; kernels/cpu/ref/fully_connected.cc) through the Engine:
// hand-computed cases, random odd shapes against explicit dot products written here,
// f16 storage, and errors.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/unit/conv_fc_test_util.h"

namespace strix::testing {
namespace {

using convfc::ModelBuilder;

struct GemmCase {
  int64_t m = 1, k = 1, n = 1;
  bool trans_a = false, trans_b = false;
  float alpha = 1, beta = 1;
  std::vector<int64_t> c_shape;  // empty: no C; {0}: C omitted with -1
  bool b_constant = true;
  fb::ActivationKind act = fb::ActivationKind::None;
  float act_alpha = 0;
};

std::vector<int64_t> a_shape(const GemmCase& g) {
  return g.trans_a ? std::vector<int64_t>{g.k, g.m} : std::vector<int64_t>{g.m, g.k};
}
std::vector<int64_t> b_shape(const GemmCase& g) {
  return g.trans_b ? std::vector<int64_t>{g.n, g.k} : std::vector<int64_t>{g.k, g.n};
}
bool has_c(const GemmCase& g) { return !g.c_shape.empty() && g.c_shape != std::vector<int64_t>{0}; }

int64_t count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Y[i][j] = act(alpha * dot(row i of op(A), column j of op(B)) + beta * C[i][j]), with the
// transposes and the broadcast of C spelled out element by element.
std::vector<float> gemm_dots(const GemmCase& g, const std::vector<float>& a,
                             const std::vector<float>& b, const std::vector<float>& c) {
  std::vector<float> y(g.m * g.n);
  for (int64_t i = 0; i < g.m; ++i)
    for (int64_t j = 0; j < g.n; ++j) {
      std::vector<double> row(g.k), col(g.k);
      for (int64_t k = 0; k < g.k; ++k) {
        row[k] = g.trans_a ? a[k * g.m + i] : a[i * g.k + k];
        col[k] = g.trans_b ? b[j * g.k + k] : b[k * g.n + j];
      }
      double dot = 0;
      for (int64_t k = 0; k < g.k; ++k) dot += row[k] * col[k];
      double v = g.alpha * dot;
      if (has_c(g)) {
        // Right-align C's shape against [m, n]; a dim of 1 repeats.
        std::vector<int64_t> cs = g.c_shape;
        while (cs.size() < 2) cs.insert(cs.begin(), 1);
        const int64_t ci = cs[0] == 1 ? 0 : i, cj = cs[1] == 1 ? 0 : j;
        v += g.beta * c[ci * cs[1] + cj];
      }
      y[i * g.n + j] = static_cast<float>(convfc::ref_activation(g.act, g.act_alpha, 0, v));
    }
  return y;
}

std::vector<uint8_t> gemm_model(const GemmCase& g, DType dt, const std::vector<float>& b_values,
                                const std::vector<float>& c_values,
                                std::vector<int64_t> y_shape = {}) {
  if (y_shape.empty()) y_shape = {g.m, g.n};
  ModelBuilder b;
  int a = b.add_input("a", dt, a_shape(g));
  int bt = g.b_constant ? convfc::add_float_constant(b, "b", dt, b_shape(g), b_values)
                        : b.add_input("b", dt, b_shape(g));
  std::vector<int> inputs = {a, bt};
  if (g.c_shape == std::vector<int64_t>{0}) inputs.push_back(-1);
  if (has_c(g)) inputs.push_back(convfc::add_float_constant(b, "c", dt, g.c_shape, c_values));
  int y = b.add_tensor("y", dt, y_shape);
  auto act = convfc::activation(b, g.act, g.act_alpha);
  auto opts = fb::CreateFullyConnectedOptions(b.fbb(), g.alpha, g.beta, g.trans_a, g.trans_b, act);
  b.add_node("gemm", fb::OpType::FullyConnected, inputs, {y}, fb::OpOptions::FullyConnectedOptions,
             opts.Union());
  b.mark_output(y);
  return b.finish();
}

std::vector<float> run_gemm(const GemmCase& g, const std::vector<float>& a,
                            const std::vector<float>& b, const std::vector<float>& c,
                            DType dt = DType::kF32) {
  std::vector<HostTensor> inputs = {convfc::float_tensor(dt, a_shape(g), a)};
  if (!g.b_constant) inputs.push_back(convfc::float_tensor(dt, b_shape(g), b));
  auto out = run_model(gemm_model(g, dt, b, c), inputs);
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  if (!out.ok()) return {};
  EXPECT_EQ(out.value()[0].shape, Shape({g.m, g.n}));
  return convfc::as_floats(out.value()[0]);
}

TEST(FullyConnected, HandComputed) {
  // A = [[1,2,3],[4,5,6]], B = [[1,0],[0,1],[1,1]]: AB = [[4,5],[10,11]].
  // alpha 2, beta 0.5, C = [10, 20] (shape [2], repeated over rows):
  //   Y = [[8 + 5, 10 + 10], [20 + 5, 22 + 10]] = [[13, 20], [25, 32]].
  GemmCase g;
  g.m = 2, g.k = 3, g.n = 2, g.alpha = 2, g.beta = 0.5f, g.c_shape = {2};
  std::vector<float> a = {1, 2, 3, 4, 5, 6}, b = {1, 0, 0, 1, 1, 1};
  EXPECT_EQ(run_gemm(g, a, b, {10, 20}), (std::vector<float>{13, 20, 25, 32}));
  // Both transposed: A^T = [[1,4],[2,5],[3,6]], B^T = [[1,0,1],[0,1,1]]; C = [[10],[20]]
  // (shape [2, 1], repeated over columns): Y = [[8 + 5, 10 + 5], [20 + 10, 22 + 10]].
  g.trans_a = g.trans_b = true, g.c_shape = {2, 1};
  std::vector<float> at = {1, 4, 2, 5, 3, 6}, bt = {1, 0, 1, 0, 1, 1};
  EXPECT_EQ(run_gemm(g, at, bt, {10, 20}), (std::vector<float>{13, 15, 30, 32}));
  // B computed at run time, C = [-4.5] (shape [1]), fused ReLU:
  //   max(0, [[4, 5], [10, 11]] - 4.5) = [[0, 0.5], [5.5, 6.5]].
  g = GemmCase{};
  g.m = 2, g.k = 3, g.n = 2, g.b_constant = false, g.c_shape = {1};
  g.act = fb::ActivationKind::Relu;
  EXPECT_EQ(run_gemm(g, a, b, {-4.5f}), (std::vector<float>{0, 0.5f, 5.5f, 6.5f}));
  g.act = fb::ActivationKind::None, g.c_shape = {0};  // C omitted with -1
  EXPECT_EQ(run_gemm(g, a, b, {}), (std::vector<float>{4, 5, 10, 11}));
  g.c_shape = {};  // 2 inputs
  EXPECT_EQ(run_gemm(g, a, b, {}), (std::vector<float>{4, 5, 10, 11}));
  // beta 0: C is not read (its NaN must not show).
  g.c_shape = {1}, g.beta = 0;
  EXPECT_EQ(run_gemm(g, a, b, {NAN}), (std::vector<float>{4, 5, 10, 11}));
}

TEST(FullyConnected, RandomOddShapesMatchDotProducts) {
  uint32_t seed = 700;
  const std::vector<std::vector<int64_t>> c_shapes = {{}, {13, 31}, {31}, {13, 1}, {1, 1}, {1}};
  int variant = 0;
  for (const std::vector<int64_t>& c_shape : c_shapes)
    for (int t = 0; t < 4; ++t) {
      GemmCase g;
      g.m = 13, g.k = 127, g.n = 31;
      g.trans_a = t & 1, g.trans_b = t & 2;
      g.alpha = 0.75f, g.beta = -1.5f, g.c_shape = c_shape;
      g.b_constant = (variant++ % 3) != 0;
      if (t == 3) g.act = fb::ActivationKind::LeakyRelu, g.act_alpha = 0.1f;
      SCOPED_TRACE(::testing::Message()
                   << "trans_a " << g.trans_a << " trans_b " << g.trans_b << " C rank "
                   << c_shape.size() << " B constant " << g.b_constant);
      std::vector<float> a = random_floats(g.m * g.k, ++seed), b = random_floats(g.k * g.n, ++seed);
      std::vector<float> c = random_floats(count(c_shape), ++seed);
      std::vector<float> want = gemm_dots(g, a, b, c);
      EXPECT_LT(relative_l2(run_gemm(g, a, b, c), want), 1e-5);
      EXPECT_LT(relative_l2(run_gemm(g, a, b, c, DType::kF16), want), 1e-2) << "f16 storage";
    }
}

TEST(FullyConnected, SingleRowAndColumn) {
  // M = 1, N = 1 (a dot product), K = 385.
  GemmCase g;
  g.m = 1, g.k = 385, g.n = 1, g.c_shape = {1};
  std::vector<float> a = random_floats(g.k, 41), b = random_floats(g.k, 42), c = {0.25f};
  EXPECT_LT(relative_l2(run_gemm(g, a, b, c), gemm_dots(g, a, b, c)), 1e-5);
}

// ---- Errors. ----

void expect_error(const GemmCase& g, std::vector<int64_t> a_dims, StatusCode code,
                  const std::string& substring) {
  ModelBuilder b;
  int a = b.add_input("a", DType::kF32, a_dims);
  int bt = b.add_constant_f32("b", b_shape(g), std::vector<float>(g.k * g.n, 1.f));
  std::vector<int> inputs = {a, bt};
  if (has_c(g))
    inputs.push_back(b.add_constant_f32("c", g.c_shape, std::vector<float>(count(g.c_shape), 1.f)));
  int y = b.add_tensor("y", DType::kF32, {g.m, g.n});
  auto opts = fb::CreateFullyConnectedOptions(b.fbb(), g.alpha, g.beta, g.trans_a, g.trans_b);
  b.add_node("gemm", fb::OpType::FullyConnected, inputs, {y}, fb::OpOptions::FullyConnectedOptions,
             opts.Union());
  b.mark_output(y);
  Status s = convfc::build_status(b.finish(), {f32(a_dims, random_floats(count(a_dims), 5))});
  EXPECT_EQ(s.code(), code) << s.to_string();
  EXPECT_NE(s.message().find(substring), std::string::npos) << s.to_string();
  EXPECT_NE(s.message().find("FullyConnected"), std::string::npos) << s.to_string();
}

TEST(FullyConnected, ErrorInnerDimensionMismatch) {
  GemmCase g;
  g.m = 2, g.k = 3, g.n = 4;
  expect_error(g, {2, 5}, StatusCode::kShapeMismatch, "inner dimensions differ");
  g.trans_b = true;  // B [4, 3], A [3, 2] without trans_a has K = 2
  expect_error(g, {3, 2}, StatusCode::kShapeMismatch, "has K = 2");
}

TEST(FullyConnected, ErrorCDoesNotBroadcast) {
  GemmCase g;
  g.m = 2, g.k = 3, g.n = 4, g.c_shape = {3};
  expect_error(g, {2, 3}, StatusCode::kShapeMismatch, "C 'c' [3] does not broadcast to [2x4]");
  g.c_shape = {1, 2, 4};
  expect_error(g, {2, 3}, StatusCode::kShapeMismatch, "does not broadcast");
}

TEST(FullyConnected, ErrorRank) {
  GemmCase g;
  g.m = 2, g.k = 3, g.n = 4;
  expect_error(g, {1, 2, 3}, StatusCode::kShapeMismatch, "must both be rank 2");
}

}  // namespace
}  // namespace strix::testing
