// The direct stem Conv2D (kernels/cpu/conv_stem.cc + x86/stem_impl.h: group 1, C <= 4, 3x3 or
// 7x7, stride 2) against the reference kernel: 1-4 input channels, output channels below, at,
// between the halves of and past a block of lanes, odd planes (masked edge chunks, unmasked
// interior ones, paired interior chunks and a last odd one), batches 1-3, symmetric /
// asymmetric / no padding, fused activations, every host ISA, threads 1 and 3.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/cpu_opt_test_util.h"

namespace strix::testing::cpuopt {
namespace {

using K = fb::ActivationKind;

struct StemCase {
  int64_t n, c, h, w, m;
  std::vector<int32_t> pads;  // top, left, bottom, right; empty: none
  bool bias;
  K act;
  float alpha = 0, beta = 0;
  int k = 3;  // kernel size (3 or 7)
};

void check(const StemCase& d, uint32_t seed) {
  SCOPED_TRACE("n " + std::to_string(d.n) + " c " + std::to_string(d.c) + " " +
               std::to_string(d.h) + "x" + std::to_string(d.w) + " m " + std::to_string(d.m) +
               " act " + fb::EnumNameActivationKind(d.act) + " k " + std::to_string(d.k));
  const bool p = d.pads.size() == 4;
  const int64_t oh = (d.h + (p ? d.pads[0] + d.pads[2] : 0) - d.k) / 2 + 1;
  const int64_t ow = (d.w + (p ? d.pads[1] + d.pads[3] : 0) - d.k) / 2 + 1;
  const int64_t taps = d.c * d.k * d.k;
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {d.n, d.c, d.h, d.w});
  int w = b.add_constant_f32("w", {d.m, d.c, d.k, d.k}, random_floats(d.m * taps, seed + 1));
  std::vector<int> inputs = {x, w};
  if (d.bias) inputs.push_back(b.add_constant_f32("b", {d.m}, random_floats(d.m, seed + 2)));
  int y = b.add_tensor("y", DType::kF32, {d.n, d.m, oh, ow});
  auto act = activation(b, d.act, d.alpha, d.beta);
  auto opts =
      fb::CreateConv2DOptions(b.fbb(), ints(b, {d.k, d.k}), ints(b, {2, 2}), ints(b, {1, 1}),
                              ints(b, d.pads), fb::PaddingMode::Explicit, 1, act);
  b.add_node("stem", fb::OpType::Conv2D, inputs, {y}, fb::OpOptions::Conv2DOptions, opts.Union());
  b.mark_output(y);
  std::vector<uint8_t> file = b.finish();
  HostTensor xt = f32({d.n, d.c, d.h, d.w}, random_floats(d.n * d.c * d.h * d.w, seed));
  Result<EngineRun> ref = run_engine(file, {xt}, true, 1);
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  double energy = 0;
  for (float v : ref.value().outputs[0]) energy += static_cast<double>(v) * v;
  ASSERT_GT(energy, 0.0);
  std::vector<std::string> isas = host_isas();
  if (isas.empty()) GTEST_SKIP() << "no SIMD ISA on this CPU";
  for (const std::string& isa : isas) {
    ScopedIsa scoped(isa);
    for (int threads : {1, 3}) {
      SCOPED_TRACE("isa " + isa + ", threads " + std::to_string(threads));
      Result<EngineRun> opt = run_engine(file, {xt}, false, threads);
      ASSERT_TRUE(opt.ok()) << opt.status().to_string();
      ASSERT_EQ(opt.value().nodes.size(), 1u);
      // The direct kernel needs at least one full vector of output columns.
      const std::string kernel = opt.value().nodes[0].kernel;
      const std::string k = std::to_string(d.k);
      EXPECT_EQ(kernel, "conv2d_stem" + k + "x" + k + "s2_f32_" + isa);
      EXPECT_LE(relative_l2(opt.value().outputs[0], ref.value().outputs[0]), 1e-5);
    }
  }
}

TEST(CpuOptStem, Shapes) {
  uint32_t seed = 700;
  // ow >= 16 everywhere (the widest vector): the direct path runs on every ISA.
  check({1, 3, 37, 45, 32, {1, 1, 1, 1}, true, K::Clip, 0, 6}, seed++);
  check({2, 3, 33, 33, 16, {0, 1, 1, 0}, true, K::HardSwish}, seed++);
  check({1, 3, 41, 35, 64, {}, true, K::Relu}, seed++);  // squeezenet: no padding
  check({3, 1, 19, 77, 5, {1, 1, 1, 1}, false, K::None}, seed++);
  check({1, 2, 23, 40, 17, {2, 0, 1, 2}, true, K::SiLU}, seed++);
  check({2, 4, 17, 70, 33, {1, 2, 0, 1}, true, K::LeakyRelu, 0.1f}, seed++);
}

// 7x7 stride 2 (ResNet's stem, 3 -> 64 with padding 3): planes wide enough for paired
// interior chunks on every ISA (ow 40-60: pairs of 16-wide chunks plus odd and edge ones).
TEST(CpuOptStem, SevenBySeven) {
  uint32_t seed = 800;
  check({1, 3, 45, 119, 64, {3, 3, 3, 3}, true, K::Relu, 0, 0, 7}, seed++);
  check({2, 3, 23, 93, 21, {3, 3, 3, 3}, true, K::None, 0, 0, 7}, seed++);
  check({1, 1, 19, 101, 8, {3, 2, 1, 3}, false, K::Clip, 0, 6, 7}, seed++);
  check({3, 4, 15, 85, 35, {}, true, K::HardSwish, 0, 0, 7}, seed++);
  check({1, 2, 31, 75, 17, {0, 3, 2, 0}, true, K::SiLU, 0, 0, 7}, seed++);
}

TEST(CpuOptStem, EveryActivation) {
  uint32_t seed = 750;
  for (const ActCase& a : all_activations()) {
    check({1, 3, 15, 37, 19, {1, 1, 1, 1}, true, a.kind, a.alpha, a.beta}, seed++);
    check({1, 3, 13, 81, 12, {3, 3, 3, 3}, true, a.kind, a.alpha, a.beta, 7}, seed++);
  }
}

// Narrower outputs than a vector and other strides / kernels keep the GEMM paths.
TEST(CpuOptStem, OtherConvsKeepTheirKernels) {
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {1, 3, 20, 20});
  int w = b.add_constant_f32("w", {8, 3, 3, 3}, random_floats(8 * 27, 5));
  int y = b.add_tensor("y", DType::kF32, {1, 8, 10, 10});
  auto opts = fb::CreateConv2DOptions(b.fbb(), ints(b, {3, 3}), ints(b, {2, 2}), ints(b, {1, 1}),
                                      ints(b, {1, 1, 1, 1}), fb::PaddingMode::Explicit, 1, 0);
  b.add_node("c", fb::OpType::Conv2D, {x, w}, {y}, fb::OpOptions::Conv2DOptions, opts.Union());
  b.mark_output(y);
  std::vector<uint8_t> file = b.finish();
  HostTensor xt = f32({1, 3, 20, 20}, random_floats(1200, 6));
  expect_matches_reference(file, {xt});
  Result<EngineRun> r = run_engine(file, {xt}, false, 1);
  ASSERT_TRUE(r.ok());
  if (kernels::cpu::selected_isa() == kernels::cpu::Isa::kAvx512) {
    EXPECT_EQ(r.value().nodes[0].kernel.find("stem"), std::string::npos);
  }
}

}  // namespace
}  // namespace strix::testing::cpuopt
