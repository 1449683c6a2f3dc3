// Optimized FullyConnected and MatMul (packed GEMM, constant B) against the reference
// kernels on odd shapes, transposes, alpha/beta, bias forms and every fused activation.
#include <gtest/gtest.h>

#include "tests/unit/cpu_opt_test_util.h"

namespace strix::testing::cpuopt {
namespace {

struct FcCase {
  int64_t m, k, n;
  bool trans_a, trans_b;
  float alpha, beta;
  std::vector<int64_t> c_shape;  // empty: no C
  fb::ActivationKind act = fb::ActivationKind::None;
  float act_alpha = 0, act_beta = 0;
};

std::vector<uint8_t> fc_model(const FcCase& f, uint32_t seed) {
  ModelBuilder b;
  std::vector<int64_t> a_shape =
      f.trans_a ? std::vector<int64_t>{f.k, f.m} : std::vector<int64_t>{f.m, f.k};
  std::vector<int64_t> b_shape =
      f.trans_b ? std::vector<int64_t>{f.n, f.k} : std::vector<int64_t>{f.k, f.n};
  int a = b.add_input("a", DType::kF32, a_shape);
  int w = b.add_constant_f32("b", b_shape, random_floats(f.k * f.n, seed + 1));
  std::vector<int> inputs = {a, w};
  if (!f.c_shape.empty()) {
    int64_t count = 1;
    for (int64_t d : f.c_shape) count *= d;
    inputs.push_back(b.add_constant_f32("c", f.c_shape, random_floats(count, seed + 2)));
  }
  int y = b.add_tensor("y", DType::kF32, {f.m, f.n});
  auto act = activation(b, f.act, f.act_alpha, f.act_beta);
  auto opts = fb::CreateFullyConnectedOptions(b.fbb(), f.alpha, f.beta, f.trans_a, f.trans_b, act);
  b.add_node("fc", fb::OpType::FullyConnected, inputs, {y}, fb::OpOptions::FullyConnectedOptions,
             opts.Union());
  b.mark_output(y);
  return b.finish();
}

void check_fc(const FcCase& f, uint32_t seed, const std::string& backend = "cpu") {
  std::vector<uint8_t> file = fc_model(f, seed);
  HostTensor a = f32(f.trans_a ? std::vector<int64_t>{f.k, f.m} : std::vector<int64_t>{f.m, f.k},
                     random_floats(f.m * f.k, seed));
  expect_matches_reference(file, {a}, backend);
}

using K = fb::ActivationKind;

TEST(CpuOptGemm, FullyConnectedShapes) {
  const std::vector<FcCase> cases = {
      {1, 127, 13, false, false, 1, 1, {13}, K::Relu},
      {3, 13, 127, false, true, 1, 1, {1, 127}, K::None},
      {13, 1, 1, false, false, 1, 1, {}, K::None},
      {13, 600, 127, false, true, 0.5f, 2, {1}, K::Clip, -0.5f, 0.5f},  // 2 K blocks
      {127, 13, 3, true, false, 1, 0.25f, {1, 1}, K::Sigmoid},
      {3, 127, 1000, false, true, 1, 1, {1000}, K::HardSwish},
      {25, 31, 29, true, true, 1, 0, {29}, K::None},    // beta 0: C is not read
      {1, 1100, 77, false, true, 1, 1, {77}, K::Relu},  // one row (B read ahead), 3 K blocks
  };
  uint32_t seed = 1;
  for (const FcCase& f : cases) {
    SCOPED_TRACE("case seed " + std::to_string(seed));
    check_fc(f, seed);
    seed += 10;
  }
}

TEST(CpuOptGemm, FullyConnectedEveryFusedActivation) {
  for (const ActCase& a : all_activations()) {
    SCOPED_TRACE(fb::EnumNameActivationKind(a.kind));
    check_fc({3, 13, 127, false, true, 1, 1, {127}, a.kind, a.alpha, a.beta}, 50);
  }
}

TEST(CpuOptGemm, PerRowBiasFallsBackToReference) {
  check_fc({3, 13, 13, false, false, 1, 1, {3, 13}, K::None}, 60, "cpu-ref");
  check_fc({3, 13, 13, false, false, 1, 1, {3, 1}, K::None}, 61, "cpu-ref");
}

std::vector<uint8_t> matmul_model(const std::vector<int64_t>& a_shape,
                                  const std::vector<int64_t>& b_shape, bool b_constant,
                                  const std::vector<int64_t>& y_shape, K act, uint32_t seed) {
  ModelBuilder b;
  int a = b.add_input("a", DType::kF32, a_shape);
  int64_t b_count = 1;
  for (int64_t d : b_shape) b_count *= d;
  int w = b_constant ? b.add_constant_f32("b", b_shape, random_floats(b_count, seed + 1))
                     : b.add_input("b", DType::kF32, b_shape);
  int y = b.add_tensor("y", DType::kF32, y_shape);
  auto opts = fb::CreateMatMulOptions(b.fbb(), activation(b, act));
  b.add_node("mm", fb::OpType::MatMul, {a, w}, {y}, fb::OpOptions::MatMulOptions, opts.Union());
  b.mark_output(y);
  return b.finish();
}

TEST(CpuOptGemm, MatMulConstantB) {
  auto a_values = [](const std::vector<int64_t>& s, uint32_t seed) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return f32(s, random_floats(n, seed));
  };
  expect_matches_reference(
      matmul_model({2, 3, 13, 127}, {127, 13}, true, {2, 3, 13, 13}, K::Relu, 70),
      {a_values({2, 3, 13, 127}, 70)});
  expect_matches_reference(matmul_model({13, 1}, {1, 127}, true, {13, 127}, K::None, 71),
                           {a_values({13, 1}, 71)});
  expect_matches_reference(matmul_model({1, 31, 29}, {29, 31}, true, {1, 31, 31}, K::SiLU, 72),
                           {a_values({1, 31, 29}, 72)});
  // B computed at run time: the reference runs it.
  expect_matches_reference(matmul_model({3, 13}, {13, 3}, false, {3, 3}, K::None, 73),
                           {a_values({3, 13}, 73), a_values({13, 3}, 74)}, "cpu-ref");
}

// Hand-computed: [1 2; 3 4] x [5 6; 7 8] + [1, -100] with ReLU = [20 0; 44 0].
TEST(CpuOptGemm, HandComputed) {
  ModelBuilder b;
  int a = b.add_input("a", DType::kF32, {2, 2});
  int w = b.add_constant_f32("b", {2, 2}, {5, 6, 7, 8});
  int c = b.add_constant_f32("c", {2}, {1, -100});
  int y = b.add_tensor("y", DType::kF32, {2, 2});
  auto opts = fb::CreateFullyConnectedOptions(b.fbb(), 1, 1, false, false, activation(b, K::Relu));
  b.add_node("fc", fb::OpType::FullyConnected, {a, w, c}, {y}, fb::OpOptions::FullyConnectedOptions,
             opts.Union());
  b.mark_output(y);
  Result<EngineRun> r = run_engine(b.finish(), {f32({2, 2}, {1, 2, 3, 4})}, false, 2);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value().nodes[0].backend, "cpu");
  // 1*5 + 2*7 + 1 = 20; 1*6 + 2*8 - 100 < 0; 3*5 + 4*7 + 1 = 44.
  EXPECT_EQ(r.value().outputs[0], (std::vector<float>{20, 0, 44, 0}));
}

TEST(CpuOptGemm, InvalidShapesGiveTheReferenceError) {
  ModelBuilder b;
  int a = b.add_input("a", DType::kF32, {2, 3});
  int w = b.add_constant_f32("b", {4, 2}, random_floats(8, 1));
  int y = b.add_tensor("y", DType::kF32, {2, 2});
  b.add_node("fc", fb::OpType::FullyConnected, {a, w}, {y});
  b.mark_output(y);
  Result<EngineRun> r = run_engine(b.finish(), {f32({2, 3}, random_floats(6, 2))}, false, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kShapeMismatch);
  EXPECT_NE(r.status().message().find("inner dimensions differ"), std::string::npos)
      << r.status().to_string();
}

}  // namespace
}  // namespace strix::testing::cpuopt
