// MatMul f32 (numpy semantics; kernels/cpu/ref/matmul.cc) through the Engine:
// hand-computed 1-D cases, batch broadcasting against a loop of 2-D products written here,
// f16 storage, and errors.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/unit/conv_fc_test_util.h"

namespace strix::testing {
namespace {

using convfc::ModelBuilder;

int64_t count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<uint8_t> matmul_model(DType dt, const std::vector<int64_t>& a_shape,
                                  const std::vector<int64_t>& b_shape,
                                  const std::vector<int64_t>& y_shape, bool with_options,
                                  fb::ActivationKind act = fb::ActivationKind::None,
                                  const std::vector<float>* b_constant = nullptr) {
  ModelBuilder b;
  int a = b.add_input("a", dt, a_shape);
  int bt = b_constant ? convfc::add_float_constant(b, "b", dt, b_shape, *b_constant)
                      : b.add_input("b", dt, b_shape);
  int y = b.add_tensor("y", dt, y_shape);
  if (with_options) {
    auto activation = convfc::activation(b, act, 0.1f);
    auto opts = fb::CreateMatMulOptions(b.fbb(), activation);
    b.add_node("mm", fb::OpType::MatMul, {a, bt}, {y}, fb::OpOptions::MatMulOptions, opts.Union());
  } else {
    b.add_node("mm", fb::OpType::MatMul, {a, bt}, {y});
  }
  b.mark_output(y);
  return b.finish();
}

std::vector<float> run_matmul(const std::vector<int64_t>& a_shape, const std::vector<float>& a,
                              const std::vector<int64_t>& b_shape, const std::vector<float>& b,
                              const std::vector<int64_t>& y_shape, DType dt = DType::kF32,
                              fb::ActivationKind act = fb::ActivationKind::None,
                              bool b_constant = false) {
  auto file = matmul_model(dt, a_shape, b_shape, y_shape, act != fb::ActivationKind::None, act,
                           b_constant ? &b : nullptr);
  std::vector<HostTensor> inputs = {convfc::float_tensor(dt, a_shape, a)};
  if (!b_constant) inputs.push_back(convfc::float_tensor(dt, b_shape, b));
  auto out = run_model(file, inputs);
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  if (!out.ok()) return {};
  EXPECT_EQ(out.value()[0].shape, Shape(y_shape));
  return convfc::as_floats(out.value()[0]);
}

TEST(MatMul, HandComputedOneDimensional) {
  // a = [1,2,3] (taken as [1,3]), B = [[1,2],[3,4],[5,6]]: [1+6+15, 2+8+18] = [22, 28], shape [2].
  std::vector<float> a = {1, 2, 3}, b = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(run_matmul({3}, a, {3, 2}, b, {2}), (std::vector<float>{22, 28}));
  // A = [[1,2,3],[4,5,6]] times b = [1,0,-1] (taken as [3,1]): [1-3, 4-6] = [-2, -2], shape [2].
  EXPECT_EQ(run_matmul({2, 3}, b, {3}, {1, 0, -1}, {2}), (std::vector<float>{-2, -2}));
  // 1-D x 1-D is a dot product of shape []: 1*4 + 2*5 + 3*6 = 32.
  EXPECT_EQ(run_matmul({3}, a, {3}, {4, 5, 6}, {}), (std::vector<float>{32}));
  // a [3] x B [2, 3, 2] uses a for every batch, result [2, 2]:
  //   batch 0 = B above -> [22, 28]; batch 1 = B + 1 -> [22 + 6, 28 + 6] = [28, 34].
  std::vector<float> b2 = {1, 2, 3, 4, 5, 6, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(run_matmul({3}, a, {2, 3, 2}, b2, {2, 2}), (std::vector<float>{22, 28, 28, 34}));
}

TEST(MatMul, HandComputedFusedActivation) {
  // [[1, -2]] x [[1, 0], [0, 1]] = [1, -2]; ReLU -> [1, 0]; LeakyRelu(0.1) -> [1, -0.2].
  std::vector<float> a = {1, -2}, eye = {1, 0, 0, 1};
  EXPECT_EQ(run_matmul({1, 2}, a, {2, 2}, eye, {1, 2}, DType::kF32, fb::ActivationKind::Relu),
            (std::vector<float>{1, 0}));
  EXPECT_EQ(
      run_matmul({1, 2}, a, {2, 2}, eye, {1, 2}, DType::kF32, fb::ActivationKind::LeakyRelu, true),
      (std::vector<float>{1, -0.2f}));
}

// Batched matmul as a loop of 2-D products: for every index of the broadcast batch shape,
// pick A's and B's matrices (index 0 along their size-1 or missing dims) and multiply.
std::vector<float> batched_reference(const std::vector<int64_t>& as, const std::vector<float>& a,
                                     const std::vector<int64_t>& bs, const std::vector<float>& b,
                                     std::vector<int64_t>* y_shape) {
  std::vector<int64_t> am = as, bm = bs;
  if (am.size() == 1) am.insert(am.begin(), 1);
  if (bm.size() == 1) bm.push_back(1);
  const int64_t M = am[am.size() - 2], K = am.back(), N = bm.back();
  std::vector<int64_t> abatch(am.begin(), am.end() - 2), bbatch(bm.begin(), bm.end() - 2);
  const size_t rank = std::max(abatch.size(), bbatch.size());
  while (abatch.size() < rank) abatch.insert(abatch.begin(), 1);
  while (bbatch.size() < rank) bbatch.insert(bbatch.begin(), 1);
  std::vector<int64_t> batch(rank);
  for (size_t d = 0; d < rank; ++d) batch[d] = std::max(abatch[d], bbatch[d]);
  *y_shape = batch;
  if (as.size() > 1) y_shape->push_back(M);
  if (bs.size() > 1) y_shape->push_back(N);

  std::vector<float> y;
  std::vector<int64_t> idx(rank, 0);
  for (int64_t bi = 0; bi < count(batch); ++bi) {
    int64_t ai = 0, bj = 0;  // flat matrix indices into A and B
    for (size_t d = 0; d < rank; ++d) {
      ai = ai * abatch[d] + (abatch[d] == 1 ? 0 : idx[d]);
      bj = bj * bbatch[d] + (bbatch[d] == 1 ? 0 : idx[d]);
    }
    const float* A = a.data() + ai * M * K;
    const float* B = b.data() + bj * K * N;
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double acc = 0;
        for (int64_t k = 0; k < K; ++k) acc += double(A[i * K + k]) * B[k * N + j];
        y.push_back(static_cast<float>(acc));
      }
    for (int d = static_cast<int>(rank) - 1; d >= 0; --d) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  return y;
}

TEST(MatMul, BatchBroadcastMatchesLoopOf2D) {
  struct Case {
    std::vector<int64_t> a, b;
  };
  const std::vector<Case> cases = {
      {{2, 1, 3, 4}, {5, 4, 2}},              // the brief's example: -> [2, 5, 3, 2]
      {{7, 1, 13, 5}, {1, 3, 5, 11}},         // both sides broadcast
      {{3, 13, 17}, {17, 5}},                 // 2-D B shared by the batch
      {{13, 17}, {2, 3, 17, 1}},              // 2-D A shared, N = 1
      {{2, 3, 4}, {4}},                       // 1-D B on a batch
      {{1, 1, 1, 127}, {127, 31}},            // M = 1, long K
      {{2, 1, 3, 1, 3, 2}, {4, 3, 5, 2, 5}},  // rank 6 -> [2, 4, 3, 5, 3, 5]
  };
  uint32_t seed = 900;
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << Shape(c.a).to_string() << " x " << Shape(c.b).to_string());
    std::vector<float> a = random_floats(count(c.a), ++seed), b = random_floats(count(c.b), ++seed);
    std::vector<int64_t> y_shape;
    std::vector<float> want = batched_reference(c.a, a, c.b, b, &y_shape);
    EXPECT_LT(relative_l2(run_matmul(c.a, a, c.b, b, y_shape), want), 1e-5);
    EXPECT_LT(relative_l2(run_matmul(c.a, a, c.b, b, y_shape, DType::kF16), want), 1e-2)
        << "f16 storage";
  }
  std::vector<int64_t> y_shape;
  batched_reference({2, 1, 3, 4}, std::vector<float>(24), {5, 4, 2}, std::vector<float>(40),
                    &y_shape);
  EXPECT_EQ(y_shape, (std::vector<int64_t>{2, 5, 3, 2}));
}

// ---- Errors. ----

void expect_error(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                  const std::string& substring) {
  Status s = convfc::build_status(
      matmul_model(DType::kF32, a, b, {1}, false),
      {f32(a, random_floats(count(a), 1)), f32(b, random_floats(count(b), 2))});
  EXPECT_EQ(s.code(), StatusCode::kShapeMismatch) << s.to_string();
  EXPECT_NE(s.message().find(substring), std::string::npos) << s.to_string();
  EXPECT_NE(s.message().find("MatMul"), std::string::npos) << s.to_string();
}

TEST(MatMul, ErrorInnerDimensionMismatch) {
  expect_error({2, 3}, {4, 5}, "inner dimensions differ: A [2x3] has K = 3, B [4x5] has K = 4");
  expect_error({3}, {4}, "inner dimensions differ");
}

TEST(MatMul, ErrorBatchDoesNotBroadcast) {
  expect_error({2, 3, 4}, {3, 4, 5},
               "batch dimensions of A [2x3x4] and B [3x4x5] do not broadcast");
}

TEST(MatMul, ErrorStoredOutputShape) {
  expect_error({2, 3}, {3, 5}, "is stored as [1] but the inputs give [2x5]");
}

}  // namespace
}  // namespace strix::testing
