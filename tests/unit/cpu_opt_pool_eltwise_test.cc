// Optimized MaxPool / AveragePool / GlobalAveragePool, unary activations and binary
// Add/Sub/Mul/Div (+ fused activation, broadcasting) against the reference kernels.
#include <gtest/gtest.h>

#include "tests/unit/cpu_opt_test_util.h"

namespace strix::testing::cpuopt {
namespace {

using K = fb::ActivationKind;

int64_t count(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

struct PoolCase {
  int64_t n, c, h, w;
  int kh, kw, sh, sw;
  std::vector<int32_t> pads;
  bool ceil_mode, count_include_pad;
  fb::PaddingMode padding = fb::PaddingMode::Explicit;
};

int64_t pool_out(int64_t in, int k, int s, int pb, int pe, bool ceil_mode, fb::PaddingMode mode) {
  if (mode == fb::PaddingMode::SameUpper || mode == fb::PaddingMode::SameLower)
    return (in + s - 1) / s;
  if (mode == fb::PaddingMode::Valid) return (in - k) / s + 1;
  int64_t span = in + pb + pe - k;
  if (!ceil_mode) return span / s + 1;
  int64_t out = (span + s - 1) / s + 1;
  if ((out - 1) * s >= in + pb) --out;
  return out;
}

void check_pool(fb::OpType op, const PoolCase& p, uint32_t seed,
                const std::string& backend = "cpu") {
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {p.n, p.c, p.h, p.w});
  const bool pads = p.pads.size() == 4;
  int64_t oh =
      pool_out(p.h, p.kh, p.sh, pads ? p.pads[0] : 0, pads ? p.pads[2] : 0, p.ceil_mode, p.padding);
  int64_t ow =
      pool_out(p.w, p.kw, p.sw, pads ? p.pads[1] : 0, pads ? p.pads[3] : 0, p.ceil_mode, p.padding);
  int y = b.add_tensor("y", DType::kF32, {p.n, p.c, oh, ow});
  auto opts = fb::CreatePool2DOptions(b.fbb(), ints(b, {p.kh, p.kw}), ints(b, {p.sh, p.sw}), 0,
                                      ints(b, p.pads), p.padding, p.ceil_mode, p.count_include_pad);
  b.add_node("pool", op, {x}, {y}, fb::OpOptions::Pool2DOptions, opts.Union());
  b.mark_output(y);
  expect_matches_reference(
      b.finish(), {f32({p.n, p.c, p.h, p.w}, random_floats(p.n * p.c * p.h * p.w, seed))}, backend);
}

const std::vector<PoolCase>& pool_cases() {
  static const std::vector<PoolCase> cases = {
      {1, 13, 31, 29, 3, 3, 2, 2, {1, 1, 1, 1}, false, false},  // ResNet stem pool
      {3, 3, 13, 17, 2, 2, 2, 2, {}, false, false},
      {1, 127, 13, 17, 3, 3, 1, 1, {1, 1, 1, 1}, false, true},
      {1, 1, 31, 29, 3, 3, 2, 2, {0, 1, 2, 0}, true, false},  // ceil mode, asymmetric
      {3, 13, 31, 29, 5, 5, 2, 2, {2, 2, 2, 2}, true, true},
      {1, 13, 1, 1, 3, 3, 1, 1, {1, 1, 1, 1}, false, false},
      {1, 3, 13, 17, 3, 2, 3, 1, {1, 0, 1, 1}, false, false},  // stride_h 3
      {1, 3, 13, 17, 3, 3, 2, 2, {}, false, false, fb::PaddingMode::SameUpper},
      {1, 3, 13, 17, 3, 3, 2, 2, {}, false, true, fb::PaddingMode::SameLower},
  };
  return cases;
}

TEST(CpuOptPool, MaxPool) {
  uint32_t seed = 1;
  for (const PoolCase& p : pool_cases()) {
    SCOPED_TRACE("case seed " + std::to_string(seed));
    check_pool(fb::OpType::MaxPool, p, seed++);
  }
}

// MaxPool with small output planes runs planes-on-lanes (pool.cc, window_lanes): blocks of
// lanes planes that span images, ceil mode, padding, a plane count that leaves a partial block.
TEST(CpuOptPool, MaxPoolLanes) {
  const std::vector<PoolCase> cases = {
      {3, 13, 9, 9, 3, 3, 2, 2, {1, 1, 1, 1}, true, false},
      {2, 37, 13, 13, 3, 3, 2, 2, {}, true, false},  // SqueezeNet's last pool
      {1, 5, 7, 6, 2, 3, 1, 2, {0, 1, 1, 0}, false, false},
  };
  uint32_t seed = 50;
  for (const PoolCase& p : cases) {
    SCOPED_TRACE("case seed " + std::to_string(seed));
    check_pool(fb::OpType::MaxPool, p, seed++);
  }
  const std::string isa = kernels::cpu::isa_name(kernels::cpu::selected_isa());
  if (isa == "scalar") return;
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {2, 37, 13, 13});
  int y = b.add_tensor("y", DType::kF32, {2, 37, 6, 6});
  auto opts = fb::CreatePool2DOptions(b.fbb(), ints(b, {3, 3}), ints(b, {2, 2}));
  b.add_node("pool", fb::OpType::MaxPool, {x}, {y}, fb::OpOptions::Pool2DOptions, opts.Union());
  b.mark_output(y);
  Result<EngineRun> r =
      run_engine(b.finish(), {f32({2, 37, 13, 13}, random_floats(2 * 37 * 169, 3))}, false, 1);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value().nodes[0].kernel.rfind("max_pool_lanes_f32_", 0), 0u)
      << r.value().nodes[0].kernel;
}

TEST(CpuOptPool, AveragePool) {
  uint32_t seed = 100;
  for (const PoolCase& p : pool_cases()) {
    SCOPED_TRACE("case seed " + std::to_string(seed));
    check_pool(fb::OpType::AveragePool, p, seed++);
  }
}

TEST(CpuOptPool, StrideThreeFallsBackToReference) {
  check_pool(fb::OpType::MaxPool, {1, 3, 13, 17, 3, 3, 3, 3, {}, false, false}, 200, "cpu-ref");
}

TEST(CpuOptPool, GlobalAveragePool) {
  uint32_t seed = 300;
  for (std::vector<int64_t> s : std::vector<std::vector<int64_t>>{
           {1, 127, 1, 1}, {3, 13, 13, 17}, {1, 3, 31, 29}, {1, 1, 31, 29}, {3, 127, 7, 7}}) {
    ModelBuilder b;
    int x = b.add_input("x", DType::kF32, s);
    int y = b.add_tensor("y", DType::kF32, {s[0], s[1], 1, 1});
    b.add_node("gap", fb::OpType::GlobalAveragePool, {x}, {y});
    b.mark_output(y);
    expect_matches_reference(b.finish(), {f32(s, random_floats(count(s), seed++))});
  }
}

// Hand-computed 2x2 max and average, stride 2, over [[1 2 3 4] [5 6 7 8]].
TEST(CpuOptPool, HandComputed) {
  for (fb::OpType op : {fb::OpType::MaxPool, fb::OpType::AveragePool}) {
    ModelBuilder b;
    int x = b.add_input("x", DType::kF32, {1, 1, 2, 4});
    int y = b.add_tensor("y", DType::kF32, {1, 1, 1, 2});
    auto opts = fb::CreatePool2DOptions(b.fbb(), ints(b, {2, 2}), ints(b, {2, 2}));
    b.add_node("pool", op, {x}, {y}, fb::OpOptions::Pool2DOptions, opts.Union());
    b.mark_output(y);
    Result<EngineRun> r =
        run_engine(b.finish(), {f32({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8})}, false, 2);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r.value().nodes[0].backend, "cpu");
    if (op == fb::OpType::MaxPool)
      EXPECT_EQ(r.value().outputs[0], (std::vector<float>{6, 8}));
    else
      EXPECT_EQ(r.value().outputs[0], (std::vector<float>{3.5f, 5.5f}));  // (1+2+5+6)/4, ...
  }
}

// ---- unary ---------------------------------------------------------------------------------

void check_unary(fb::OpType op, float alpha, float beta, int64_t n, uint32_t seed,
                 const std::string& backend = "cpu") {
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {n});
  int y = b.add_tensor("y", DType::kF32, {n});
  auto opts = fb::CreateUnaryOptions(b.fbb(), alpha, beta);
  b.add_node("act", op, {x}, {y}, fb::OpOptions::UnaryOptions, opts.Union());
  b.mark_output(y);
  // A single value is positive so that Relu-like ops do not give an all-zero output.
  expect_matches_reference(b.finish(),
                           {f32({n}, random_floats(n, seed, n == 1 ? 0.5f : -8.f, 8.f))}, backend);
}

TEST(CpuOptElementwise, Unary) {
  struct U {
    fb::OpType op;
    float alpha, beta;
  };
  const U ops[] = {{fb::OpType::Relu, 0, 0},         {fb::OpType::Clip, -1, 6},
                   {fb::OpType::LeakyRelu, 0.1f, 0}, {fb::OpType::HardSigmoid, 0.2f, 0.5f},
                   {fb::OpType::HardSwish, 0, 0},    {fb::OpType::Sigmoid, 0, 0},
                   {fb::OpType::SiLU, 0, 0}};
  uint32_t seed = 1;
  for (const U& u : ops) {
    for (int64_t n : {1, 13, 127, 127 * 31 * 29}) {
      SCOPED_TRACE(std::string(fb::EnumNameOpType(u.op)) + " n " + std::to_string(n));
      check_unary(u.op, u.alpha, u.beta, n, seed++);
    }
  }
  // No vector form: the reference runs it.
  check_unary(fb::OpType::Tanh, 0, 0, 127, 99, "cpu-ref");
}

// ---- binary --------------------------------------------------------------------------------

void check_binary(fb::OpType op, const std::vector<int64_t>& a_shape,
                  const std::vector<int64_t>& b_shape, const std::vector<int64_t>& y_shape, K act,
                  float alpha, float beta, uint32_t seed) {
  ModelBuilder b;
  int a = b.add_input("a", DType::kF32, a_shape);
  int c = b.add_input("b", DType::kF32, b_shape);
  int y = b.add_tensor("y", DType::kF32, y_shape);
  auto opts = fb::CreateBinaryOptions(b.fbb(), activation(b, act, alpha, beta));
  b.add_node("bin", op, {a, c}, {y}, fb::OpOptions::BinaryOptions, opts.Union());
  b.mark_output(y);
  // Div: keep the divisor away from 0.
  float lo = op == fb::OpType::Div ? 0.5f : -1.f;
  expect_matches_reference(b.finish(),
                           {f32(a_shape, random_floats(count(a_shape), seed)),
                            f32(b_shape, random_floats(count(b_shape), seed + 1, lo, 2.f))});
}

TEST(CpuOptElementwise, BinaryBroadcasts) {
  struct S {
    std::vector<int64_t> a, b, y;
  };
  const S shapes[] = {
      {{3, 13, 31, 29}, {3, 13, 31, 29}, {3, 13, 31, 29}},  // same shape, threads split it
      {{3, 13, 13, 17}, {13, 1, 1}, {3, 13, 13, 17}},       // per-channel bias
      {{3, 127, 7, 7}, {3, 127, 1, 1}, {3, 127, 7, 7}},     // squeeze-excite scale
      {{1}, {13, 17}, {13, 17}},                            // scalar on the left
      {{13, 17}, {1}, {13, 17}},                            // scalar on the right
      {{13, 1}, {1, 17}, {13, 17}},                         // outer
      {{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}},
      {{2, 1, 3, 1, 5}, {1, 4, 1, 13, 5}, {2, 4, 3, 13, 5}},
  };
  uint32_t seed = 1;
  for (fb::OpType op : {fb::OpType::Add, fb::OpType::Sub, fb::OpType::Mul, fb::OpType::Div}) {
    for (const S& s : shapes) {
      SCOPED_TRACE(std::string(fb::EnumNameOpType(op)) + " seed " + std::to_string(seed));
      check_binary(op, s.a, s.b, s.y, K::None, 0, 0, seed);
      seed += 2;
    }
  }
}

TEST(CpuOptElementwise, BinaryEveryFusedActivation) {
  for (const ActCase& a : all_activations()) {
    SCOPED_TRACE(fb::EnumNameActivationKind(a.kind));
    check_binary(fb::OpType::Add, {3, 13, 13, 17}, {3, 13, 13, 17}, {3, 13, 13, 17}, a.kind,
                 a.alpha, a.beta, 40);
    check_binary(fb::OpType::Mul, {3, 13, 13, 17}, {13, 1, 1}, {3, 13, 13, 17}, a.kind, a.alpha,
                 a.beta, 41);
  }
}

TEST(CpuOptElementwise, BadBroadcastGivesTheReferenceError) {
  ModelBuilder b;
  int a = b.add_input("a", DType::kF32, {3, 4});
  int c = b.add_input("b", DType::kF32, {5});
  int y = b.add_tensor("y", DType::kF32, {3, 4});
  b.add_node("add", fb::OpType::Add, {a, c}, {y});
  b.mark_output(y);
  Result<EngineRun> r = run_engine(
      b.finish(), {f32({3, 4}, random_floats(12, 1)), f32({5}, random_floats(5, 2))}, false, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kShapeMismatch);
  EXPECT_NE(r.status().message().find("cannot be broadcast"), std::string::npos)
      << r.status().to_string();
}

}  // namespace
}  // namespace strix::testing::cpuopt
