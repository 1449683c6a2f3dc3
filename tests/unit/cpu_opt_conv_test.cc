// Optimized Conv2D (packed GEMM, 1x1 GEMM, depthwise) against the reference kernel on odd
// shapes, every fused activation, every host ISA, threads 1 and 2.
#include <gtest/gtest.h>

#include "tests/unit/cpu_opt_test_util.h"

namespace strix::testing::cpuopt {
namespace {

struct ConvCase {
  int64_t n, c, h, w, m, kh, kw;
  int sh, sw, dh, dw;
  std::vector<int32_t> pads;  // top, left, bottom, right
  int group;                  // 0 = depthwise (group = c = m)
  bool bias;
  fb::ActivationKind act = fb::ActivationKind::None;
  float alpha = 0, beta = 0;
  fb::PaddingMode padding = fb::PaddingMode::Explicit;
};

std::vector<uint8_t> conv_model(const ConvCase& k, uint32_t seed) {
  ModelBuilder b;
  const int64_t group = k.group == 0 ? k.c : k.group;
  const int64_t m = k.group == 0 ? k.c : k.m;
  int x = b.add_input("x", DType::kF32, {k.n, k.c, k.h, k.w});
  int w = b.add_constant_f32("w", {m, k.c / group, k.kh, k.kw},
                             random_floats(m * (k.c / group) * k.kh * k.kw, seed + 1));
  std::vector<int> inputs = {x, w};
  if (k.bias) inputs.push_back(b.add_constant_f32("b", {m}, random_floats(m, seed + 2)));
  auto out_dim = [&](int64_t in, int64_t kern, int s, int d, int64_t pb, int64_t pe) -> int64_t {
    const int64_t ek = (kern - 1) * d + 1;
    if (s < 1) return 1;  // invalid on purpose: the factory must refuse it
    if (k.padding == fb::PaddingMode::SameUpper || k.padding == fb::PaddingMode::SameLower)
      return (in + s - 1) / s;
    if (k.padding == fb::PaddingMode::Valid) pb = pe = 0;
    return (in + pb + pe - ek) / s + 1;
  };
  const bool has_pads = k.pads.size() == 4;
  const int64_t oh =
      out_dim(k.h, k.kh, k.sh, k.dh, has_pads ? k.pads[0] : 0, has_pads ? k.pads[2] : 0);
  const int64_t ow =
      out_dim(k.w, k.kw, k.sw, k.dw, has_pads ? k.pads[1] : 0, has_pads ? k.pads[3] : 0);
  int y = b.add_tensor("y", DType::kF32, {k.n, m, oh, ow});
  auto act = activation(b, k.act, k.alpha, k.beta);
  auto opts = fb::CreateConv2DOptions(b.fbb(), ints(b, {int32_t(k.kh), int32_t(k.kw)}),
                                      ints(b, {k.sh, k.sw}), ints(b, {k.dh, k.dw}), ints(b, k.pads),
                                      k.padding, static_cast<int32_t>(group), act);
  b.add_node("conv", fb::OpType::Conv2D, inputs, {y}, fb::OpOptions::Conv2DOptions, opts.Union());
  b.mark_output(y);
  return b.finish();
}

void check(const ConvCase& k, uint32_t seed, const std::string& backend = "cpu") {
  std::vector<uint8_t> file = conv_model(k, seed);
  HostTensor x = f32({k.n, k.c, k.h, k.w}, random_floats(k.n * k.c * k.h * k.w, seed));
  expect_matches_reference(file, {x}, backend);
}

using K = fb::ActivationKind;

// Checks that the optimized backend gave the node a kernel named `prefix...` (x86 hosts: the
// path choice depends on the vector width, and the cases below are sized for 8 and 16 lanes).
void expect_kernel(const ConvCase& k, const std::string& prefix) {
  const std::string isa = kernels::cpu::isa_name(kernels::cpu::selected_isa());
  if (isa != "avx512" && isa != "avx2") return;
  std::vector<uint8_t> file = conv_model(k, 1);
  HostTensor x = f32({k.n, k.c, k.h, k.w}, random_floats(k.n * k.c * k.h * k.w, 1));
  Result<EngineRun> r = run_engine(file, {x}, false, 1);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value().nodes[0].kernel.rfind(prefix, 0), 0u) << r.value().nodes[0].kernel;
}

TEST(CpuOptConv, GemmShapes) {
  const std::vector<ConvCase> cases = {
      // n  c    h   w   m   kh kw sh sw dh dw pads           group bias act
      {1, 3, 13, 17, 13, 3, 3, 1, 1, 1, 1, {1, 0, 2, 1}, 1, true, K::Relu},
      {3, 13, 13, 17, 127, 1, 1, 1, 1, 1, 1, {}, 1, true, K::None},  // 1x1 direct rows
      // 1x1 with few output channels, K <= 128: B read in place (partial last panel packed;
      // none when N is a multiple of 32).
      {2, 37, 15, 19, 29, 1, 1, 1, 1, 1, 1, {}, 1, true, K::Relu},
      {1, 96, 32, 32, 24, 1, 1, 1, 1, 1, 1, {}, 1, false, K::Clip, 0, 6},
      {3, 5, 9, 7, 40, 1, 1, 1, 1, 1, 1, {}, 1, true, K::HardSwish},
      {1, 128, 41, 43, 48, 1, 1, 1, 1, 1, 1, {}, 1, true, K::None},
      {1, 127, 31, 29, 13, 1, 1, 2, 2, 1, 1, {}, 1, false, K::Clip, 0, 6},  // 1x1 s2: gather
      {3, 1, 31, 29, 3, 5, 5, 2, 2, 1, 1, {2, 1, 0, 2}, 1, true, K::LeakyRelu, 0.1f},
      {3, 13, 1, 1, 13, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 1, true, K::Sigmoid},  // 1x1 image
      {1, 127, 1, 1, 127, 1, 1, 1, 1, 1, 1, {}, 1, true, K::HardSwish},
      {1, 3, 31, 29, 127, 3, 3, 1, 1, 2, 2, {2, 2, 2, 2}, 1, true, K::SiLU},  // dilation 2
      {1, 13, 13, 17, 13, 7, 7, 2, 2, 1, 1, {3, 3, 3, 3}, 1, true, K::HardSigmoid, 0.2f, 0.5f},
      {1, 127, 13, 17, 13, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 1, true, K::None},  // 5 K blocks
      {3, 13, 31, 29, 1, 3, 3, 2, 1, 1, 1, {0, 1, 1, 0}, 1, false, K::Relu},   // M = 1
      {1, 3, 13, 17, 13, 2, 4, 1, 3, 1, 1, {0, 2, 1, 0}, 1, true, K::None},    // odd kernel
  };
  uint32_t seed = 100;
  for (const ConvCase& k : cases) {
    SCOPED_TRACE("case seed " + std::to_string(seed));
    check(k, seed);
    seed += 10;
  }
}

TEST(CpuOptConv, AutoPadding) {
  ConvCase k{1, 13, 13, 17, 13, 3, 3, 2, 2, 1, 1, {}, 1, true, K::Relu};
  k.padding = fb::PaddingMode::SameUpper;
  check(k, 7);
  k.padding = fb::PaddingMode::SameLower;
  check(k, 8);
  k.padding = fb::PaddingMode::Valid;
  check(k, 9);
}

TEST(CpuOptConv, EveryFusedActivation) {
  for (const ActCase& a : all_activations()) {
    SCOPED_TRACE(fb::EnumNameActivationKind(a.kind));
    check({1, 13, 13, 17, 13, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 1, true, a.kind, a.alpha, a.beta},
          20);
    check({1, 13, 13, 17, 0, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, 0, true, a.kind, a.alpha, a.beta}, 21);
  }
}

TEST(CpuOptConv, Depthwise) {
  uint32_t seed = 300;
  for (int64_t c : {1, 3, 13, 127}) {
    for (int k : {3, 5}) {
      for (int s : {1, 2}) {
        SCOPED_TRACE("c " + std::to_string(c) + " k " + std::to_string(k) + " s " +
                     std::to_string(s));
        const int64_t n = c == 13 ? 3 : 1;
        const int64_t h = c == 127 ? 13 : 31, w = c == 127 ? 17 : 29;
        check({n,
               c,
               h,
               w,
               0,
               k,
               k,
               s,
               s,
               1,
               1,
               {k / 2, k / 2 - 1 + s, k / 2 + 1, 0},
               0,
               c != 3,
               K::Clip,
               0,
               6},
              seed++);
      }
    }
  }
  // 1x1 image, stride 2 rows only, and no padding.
  check({3, 13, 1, 1, 0, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 0, true, K::Relu}, 400);
  check({1, 13, 31, 29, 0, 3, 3, 2, 1, 1, 1, {}, 0, true, K::None}, 401);
  check({1, 13, 13, 17, 0, 5, 5, 1, 1, 1, 1, {}, 0, false, K::HardSwish}, 402);
}

// Winograd F(2x2, 3x3) (conv_winograd.cc: 3x3, stride 1, >= 16 channels each side, >= 36
// tiles): odd output sizes (partial tiles), asymmetric and no padding, several
// tile blocks with tile rows split between blocks, several K blocks, batch > 1.
TEST(CpuOptConv, Winograd) {
  const std::vector<ConvCase> cases = {
      // n  c    h   w   m   kh kw sh sw dh dw pads           group bias act
      {1, 32, 13, 17, 16, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 1, true, K::Relu},
      {2, 35, 15, 13, 21, 3, 3, 1, 1, 1, 1, {}, 1, false, K::None},
      {1, 33, 40, 37, 33, 3, 3, 1, 1, 1, 1, {2, 1, 0, 2}, 1, true, K::SiLU},  // 3 blocks
      {1, 530, 22, 20, 17, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 1, true, K::Clip, 0, 6},
      {3, 64, 12, 12, 64, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 1, true, K::None},
      {1, 32, 13, 14, 16, 3, 3, 1, 1, 1, 1, {}, 1, true, K::HardSwish},
  };
  uint32_t seed = 600;
  for (const ConvCase& k : cases) {
    SCOPED_TRACE("case seed " + std::to_string(seed));
    expect_kernel(k, "conv2d_winograd2x2_f32_");
    check(k, seed);
    seed += 10;
  }
  // 7x7 outputs (16 tiles) stay on a direct GEMM (positions-major at this size).
  expect_kernel({1, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 1, true, K::None},
                "conv2d_rows_gemm_f32_");
  for (const ActCase& a : all_activations()) {
    SCOPED_TRACE(fb::EnumNameActivationKind(a.kind));
    check({1, 32, 11, 13, 16, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 1, true, a.kind, a.alpha, a.beta},
          700);
  }
}

// `k` on 1, 3 and 4 threads against the reference, run by `kernel`.
void check_threads(const ConvCase& k, uint32_t seed, const std::string& kernel) {
  std::vector<uint8_t> file = conv_model(k, seed);
  HostTensor x = f32({k.n, k.c, k.h, k.w}, random_floats(k.n * k.c * k.h * k.w, seed + 1));
  Result<EngineRun> ref = run_engine(file, {x}, true, 1);
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  for (int threads : {1, 3, 4}) {
    SCOPED_TRACE("batch " + std::to_string(k.n) + ", threads " + std::to_string(threads));
    Result<EngineRun> opt = run_engine(file, {x}, false, threads);
    ASSERT_TRUE(opt.ok()) << opt.status().to_string();
    EXPECT_NE(opt.value().nodes[0].kernel.find(kernel), std::string::npos);
    EXPECT_LE(relative_l2(opt.value().outputs[0], ref.value().outputs[0]), 1e-5);
  }
}

// Winograd on 1, 3 and 4 threads: with enough (image, tile block) pairs each pair is one task
// (batch 3 x 4 blocks), else the three phases are split between the threads (batch 1).
TEST(CpuOptConv, WinogradThreads) {
  for (int64_t n : {1, 3})
    check_threads({n, 33, 40, 37, 35, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 1, true, K::Relu}, 750,
                  "conv2d_winograd2x2_f32_");
}

// 1x1 GEMM with few N panels per image (14x14: 7) and >= 128 rows per thread: the threads
// split M (conv.cc); batch 4 keeps the (image, N group) split. Also threads 1 and 2.
TEST(CpuOptConv, GemmSplitsMWhenFewPanels) {
  for (int64_t n : {1, 4}) {
    const ConvCase k{n, 40, 14, 14, 523, 1, 1, 1, 1, 1, 1, {}, 1, true, K::Relu};
    check_threads(k, 760, "conv2d_1x1_gemm_f32_");
    check(k, 770);
  }
}

// 1x1 with B read in place (few output channels, K <= 128; one thread only, packed on 3 and 4)
// and 1x1 images stacked as rows (positions-major) on threads 1, 3 and 4: (image, N group)
// tasks, M split between threads.
TEST(CpuOptConv, InPlaceBAndStackedThreads) {
  for (int64_t n : {1, 3}) {
    check_threads({n, 37, 15, 19, 29, 1, 1, 1, 1, 1, 1, {}, 1, true, K::Relu}, 780,
                  "conv2d_1x1_gemm_f32_");
    check_threads({n, 21, 7, 9, 45, 1, 1, 1, 1, 1, 1, {}, 1, false, K::None}, 785,
                  "conv2d_1x1_gemm_f32_");
  }
  check_threads({25, 97, 1, 1, 333, 1, 1, 1, 1, 1, 1, {}, 1, true, K::Relu}, 790,
                "conv2d_rows_gemm_f32_");
}

// Stride-2 convs with kw >= 5 read a de-interleaved copy of the input (ConvGeom::half):
// even and odd tap offsets, negative ones (left padding), odd widths, several K blocks. (7x7
// with <= 4 input channels goes to the direct stem kernel: cpu_opt_stem_test.cc.)
TEST(CpuOptConv, StrideTwoDeinterleaved) {
  const std::vector<ConvCase> cases = {
      // n  c    h   w   m   kh kw sh sw dh dw pads           group bias act
      {2, 5, 37, 41, 20, 7, 7, 2, 2, 1, 1, {3, 3, 3, 3}, 1, true, K::Relu},
      {1, 70, 15, 17, 24, 5, 5, 2, 2, 1, 1, {2, 2, 2, 2}, 1, true, K::None},
      {1, 5, 33, 35, 7, 4, 5, 1, 2, 1, 1, {0, 2, 1, 1}, 1, false, K::HardSwish},
  };
  uint32_t seed = 900;
  for (const ConvCase& k : cases) {
    SCOPED_TRACE("case seed " + std::to_string(seed));
    expect_kernel(k, "conv2d_gemm_f32_");
    check(k, seed);
    seed += 10;
  }
}

// Positions-major GEMM (conv_rows.cc: few output positions, many channels): 1x1 images, 7x7
// 1x1 convs (plain rows), strided and dilated 3x3 (implicit im2col, gathers), several K
// blocks, batch 3 on 2 threads (channels split between threads), several images per task.
TEST(CpuOptConv, PositionsMajor) {
  const std::vector<ConvCase> cases = {
      // n  c    h   w   m   kh kw sh sw dh dw pads           group bias act
      {2, 300, 7, 7, 128, 1, 1, 1, 1, 1, 1, {}, 1, true, K::Relu},
      {1, 100, 3, 3, 48, 1, 1, 1, 1, 1, 1, {}, 1, false, K::HardSwish},
      {1, 130, 14, 14, 64, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, 1, true, K::Clip, 0, 6},
      {3, 600, 5, 5, 64, 3, 3, 1, 1, 2, 2, {2, 2, 2, 2}, 1, true, K::None},
      {3, 37, 1, 1, 333, 1, 1, 1, 1, 1, 1, {}, 1, true, K::Sigmoid},
      {1, 333, 1, 1, 37, 1, 1, 1, 1, 1, 1, {}, 1, true, K::Relu},
      {7, 260, 7, 7, 64, 1, 1, 1, 1, 1, 1, {}, 1, true, K::None},  // image groups 4 + 3
      // 1x1 images, 1x1 kernel: images stacked as rows (two panels; groups 129 + 128).
      {25, 97, 1, 1, 333, 1, 1, 1, 1, 1, 1, {}, 1, true, K::HardSigmoid, 0.2f, 0.5f},
      {257, 5, 1, 1, 7, 1, 1, 1, 1, 1, 1, {}, 1, false, K::Relu},
  };
  uint32_t seed = 800;
  for (const ConvCase& k : cases) {
    SCOPED_TRACE("case seed " + std::to_string(seed));
    expect_kernel(k, "conv2d_rows_gemm_f32_");
    check(k, seed);
    seed += 10;
  }
}

// Depthwise on small output planes (<= 98 positions, 196 for strided 5x5): channels on the
// vector lanes; partial channel blocks, strides 1 and 2, asymmetric padding, batch > 1. (Small
// "same"-padded planes run flattened on AVX-512 instead: cpu_opt_depthwise_test.)
TEST(CpuOptConv, DepthwiseLanes) {
  const std::vector<ConvCase> cases = {
      // n  c    h   w   m  kh kw sh sw dh dw pads           group bias act
      {2, 40, 7, 7, 0, 3, 3, 1, 1, 1, 1, {1, 1, 0, 0}, 0, true, K::Relu},  // 6x6: not "same"
      {1, 20, 14, 14, 0, 5, 5, 2, 2, 1, 1, {}, 0, true, K::HardSwish},     // 5x5: not "same"
      {1, 17, 9, 8, 0, 3, 3, 2, 1, 1, 1, {0, 1, 1, 0}, 0, false, K::SiLU},
      {3, 5, 9, 10, 0, 3, 3, 1, 1, 1, 1, {0, 1, 1, 1}, 0, true, K::Clip, 0, 6},  // 8x10
      {1, 18, 27, 28, 0, 5, 5, 2, 2, 1, 1, {}, 0, true, K::Sigmoid},             // 5x5/2: 12x12
  };
  uint32_t seed = 1000;
  for (const ConvCase& k : cases) {
    SCOPED_TRACE("case seed " + std::to_string(seed));
    expect_kernel(k, "conv2d_depthwise_lanes");
    check(k, seed);
    seed += 10;
  }
  // Larger planes keep the plane-at-a-time sliding window (stride-1 "same" planes of up to 13
  // vectors run flattened on AVX-512: cpu_opt_depthwise_test).
  expect_kernel({1, 13, 16, 16, 0, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 0, true, K::None},
                "conv2d_depthwise3x3s1x1_");
}

TEST(CpuOptConv, UnsupportedConfigurationsFallBackToReference) {
  // Grouped (neither 1 nor depthwise) and dilated depthwise: the reference runs them.
  check({1, 12, 13, 17, 6, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, 3, true, K::Relu}, 500, "cpu-ref");
  check({1, 13, 13, 17, 0, 3, 3, 1, 1, 2, 2, {2, 2, 2, 2}, 0, true, K::Relu}, 501, "cpu-ref");
}

TEST(CpuOptConv, InvalidOptionsGiveTheReferenceError) {
  ConvCase k{1, 3, 13, 17, 13, 3, 3, 0, 1, 1, 1, {1, 1, 1, 1}, 1, true, K::None};
  std::vector<uint8_t> file = conv_model(k, 1);
  HostTensor x = f32({1, 3, 13, 17}, random_floats(3 * 13 * 17, 1));
  Result<EngineRun> r = run_engine(file, {x}, false, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruptModel);
  EXPECT_NE(r.status().message().find("stride 0 must be >= 1"), std::string::npos)
      << r.status().to_string();
}

// A hand-computed case through the optimized path: 1x1 input, 3x3 kernel, pad 1 — only the
// centre tap sees the pixel: y = b + w_center * x.
TEST(CpuOptConv, HandComputedCentreTap) {
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {1, 1, 1, 1});
  std::vector<float> wv(9, 100.f);
  wv[4] = 2.f;
  int w = b.add_constant_f32("w", {1, 1, 3, 3}, wv);
  int bias = b.add_constant_f32("b", {1}, {0.5f});
  int y = b.add_tensor("y", DType::kF32, {1, 1, 1, 1});
  auto opts = fb::CreateConv2DOptions(b.fbb(), 0, 0, 0, ints(b, {1, 1, 1, 1}));
  b.add_node("conv", fb::OpType::Conv2D, {x, w, bias}, {y}, fb::OpOptions::Conv2DOptions,
             opts.Union());
  b.mark_output(y);
  std::vector<uint8_t> file = b.finish();
  Result<EngineRun> r = run_engine(file, {f32({1, 1, 1, 1}, {3.f})}, false, 2);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value().nodes[0].backend, "cpu");
  EXPECT_FLOAT_EQ(r.value().outputs[0][0], 6.5f);  // 0.5 + 2 * 3
}

}  // namespace
}  // namespace strix::testing::cpuopt
