// Conv2D + residual Add fusion on the optimized CPU backend (PrepareArgs::fused_residual):
// every group-1 conv path (packed GEMM with one and several K blocks, 1x1 GEMM, de-interleaved
// stride-2 GEMM, positions-major GEMM, Winograd) must report one "Conv2D+Add" node on "cpu"
// and match the reference backend (conv, then add, then activation as separate nodes) on
// random odd shapes, batch 1 and 3, threads 1 and 3, every host ISA. Convs the backend cannot
// fuse (depthwise, INT8, f16 storage, a broadcast residual) must stay two nodes and be correct.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "tests/unit/conv_fc_test_util.h"
#include "tests/unit/cpu_opt_test_util.h"

namespace strix::testing::cpuopt {
namespace {

using K = fb::ActivationKind;

struct ResCase {
  int64_t c, h, w, m, kh, kw;
  int s;
  std::vector<int32_t> pads;  // top, left, bottom, right
  bool bias;
  std::string kernel;           // expected kernel name prefix on x86 (sized for 8 and 16 lanes)
  int group = 1;                // 0: depthwise (m = c)
  bool residual_first = false;  // Add(residual, conv) instead of Add(conv, residual)
};

int64_t out_dim(int64_t in, int64_t k, int s, int32_t pb, int32_t pe) {
  return (in + pb + pe - k) / s + 1;
}

// x -> Conv2D (no activation) -> Add(., r) with activation `act` -> z; r is a graph input of
// the output's shape unless r_shape is given (broadcast).
std::vector<uint8_t> residual_model(const ResCase& t, int64_t n, DType dt, K act, float alpha,
                                    float beta, uint32_t seed, std::vector<int64_t> r_shape = {}) {
  ModelBuilder b;
  const int64_t group = t.group == 0 ? t.c : t.group;
  const int64_t m = t.group == 0 ? t.c : t.m;
  const int64_t oh = out_dim(t.h, t.kh, t.s, t.pads[0], t.pads[2]);
  const int64_t ow = out_dim(t.w, t.kw, t.s, t.pads[1], t.pads[3]);
  const std::vector<int64_t> y_shape = {n, m, oh, ow};
  if (r_shape.empty()) r_shape = y_shape;
  int x = b.add_input("x", dt, {n, t.c, t.h, t.w});
  int r = b.add_input("r", dt, r_shape);
  int w = convfc::add_float_constant(b, "w", dt, {m, t.c / group, t.kh, t.kw},
                                     random_floats(m * (t.c / group) * t.kh * t.kw, seed + 1));
  std::vector<int> inputs = {x, w};
  if (t.bias)
    inputs.push_back(convfc::add_float_constant(b, "b", dt, {m}, random_floats(m, seed + 2)));
  int y = b.add_tensor("y", dt, y_shape);
  auto copts = fb::CreateConv2DOptions(b.fbb(), ints(b, {int32_t(t.kh), int32_t(t.kw)}),
                                       ints(b, {t.s, t.s}), ints(b, {1, 1}), ints(b, t.pads),
                                       fb::PaddingMode::Explicit, static_cast<int32_t>(group));
  b.add_node("conv", fb::OpType::Conv2D, inputs, {y}, fb::OpOptions::Conv2DOptions, copts.Union());
  int z = b.add_tensor("z", dt, y_shape);
  auto aopts = fb::CreateBinaryOptions(b.fbb(), activation(b, act, alpha, beta));
  b.add_node("add", fb::OpType::Add,
             t.residual_first ? std::vector<int>{r, y} : std::vector<int>{y, r}, {z},
             fb::OpOptions::BinaryOptions, aopts.Union());
  b.mark_output(z);
  return b.finish();
}

struct OneRun {
  HostTensor out;
  std::vector<NodeReport> nodes;
};

Result<OneRun> run(const std::vector<uint8_t>& file, const std::vector<HostTensor>& inputs,
                   bool reference, int threads) {
  Result<cpuopt::EngineRun> r = cpuopt::run_engine(file, inputs, reference, threads);
  if (!r.ok()) return r.status();
  return OneRun{std::move(r.value().raw[0]), std::move(r.value().nodes)};
}

std::vector<float> floats_of(const HostTensor& t) {
  if (t.dtype == DType::kI8) {
    std::vector<float> v;
    for (uint8_t b : t.bytes) v.push_back(static_cast<float>(static_cast<int8_t>(b)));
    return v;
  }
  return convfc::as_floats(t);
}

// The reference backend's output once, then every host ISA x threads {1, 3}: both nodes on
// "cpu", reported as "Conv2D+Add" and an Add "fused into 'conv'" when `fused`, else as "Conv2D"
// and a separately run "Add"; the conv's kernel named `kernel...` on x86; the output within
// `tol` (relative L2; 0: bytes equal).
void expect_run(const std::vector<uint8_t>& file, const std::vector<HostTensor>& inputs, bool fused,
                const std::string& kernel, double tol) {
  Result<OneRun> ref = run(file, inputs, true, 1);
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  ASSERT_EQ(ref.value().nodes.size(), 2u);  // the reference backend never fuses
  const std::vector<float> want = floats_of(ref.value().out);
  double energy = 0;
  for (float v : want) energy += static_cast<double>(v) * v;
  ASSERT_GT(energy, 0.0) << "reference output is all zeros: the test would prove nothing";
  std::vector<std::string> isas = host_isas();
  if (isas.empty()) GTEST_SKIP() << "no SIMD ISA on this CPU";
  for (const std::string& isa : isas) {
    ScopedIsa scoped(isa);
    for (int threads : {1, 3}) {
      SCOPED_TRACE("isa " + isa + ", threads " + std::to_string(threads));
      Result<OneRun> opt = run(file, inputs, false, threads);
      ASSERT_TRUE(opt.ok()) << opt.status().to_string();
      const std::vector<NodeReport>& nodes = opt.value().nodes;
      ASSERT_EQ(nodes.size(), 2u);
      EXPECT_EQ(nodes[0].op, fused ? "Conv2D+Add" : "Conv2D");
      EXPECT_EQ(nodes[1].op, "Add");
      EXPECT_EQ(nodes[1].kernel.rfind("fused into 'conv'", 0) == 0, fused) << nodes[1].kernel;
      for (const NodeReport& nr : nodes)
        EXPECT_EQ(nr.backend, "cpu") << nr.op << " ran " << nr.kernel;
      if (!kernel.empty() && (isa == "avx512" || isa == "avx2")) {
        EXPECT_EQ(nodes[0].kernel.rfind(kernel, 0), 0u) << nodes[0].kernel;
      }
      if (tol == 0) {
        EXPECT_EQ(opt.value().out.bytes, ref.value().out.bytes);
      } else {
        EXPECT_LE(relative_l2(floats_of(opt.value().out), want), tol);
      }
    }
  }
}

void check(const ResCase& t, uint32_t seed) {
  struct A {
    K kind;
    float alpha, beta;
  };
  for (A a : {A{K::None, 0, 0}, A{K::Relu, 0, 0}, A{K::Clip, -0.25f, 0.5f}}) {
    for (int64_t n : {1, 3}) {
      SCOPED_TRACE(std::string(fb::EnumNameActivationKind(a.kind)) + " batch " + std::to_string(n) +
                   " c " + std::to_string(t.c) + " m " + std::to_string(t.m));
      std::vector<uint8_t> file = residual_model(t, n, DType::kF32, a.kind, a.alpha, a.beta, seed);
      const int64_t oh = out_dim(t.h, t.kh, t.s, t.pads[0], t.pads[2]);
      const int64_t ow = out_dim(t.w, t.kw, t.s, t.pads[1], t.pads[3]);
      HostTensor x = f32({n, t.c, t.h, t.w}, random_floats(n * t.c * t.h * t.w, seed));
      HostTensor r = f32({n, t.m, oh, ow}, random_floats(n * t.m * oh * ow, seed + 5, -2.f, 2.f));
      expect_run(file, {x, r}, true, t.kernel, 1e-5);
    }
  }
}

TEST(CpuOptResidual, Gemm) {
  // c  h   w   m   kh kw s  pads          bias kernel
  check({5, 13, 17, 19, 3, 3, 1, {1, 1, 1, 1}, true, "conv2d_gemm_add"}, 10);
  check({127, 13, 17, 13, 3, 3, 1, {1, 0, 2, 1}, false, "conv2d_gemm_add"}, 20);  // 2 K blocks
  check({3, 29, 31, 13, 7, 7, 2, {3, 3, 3, 3}, true, "conv2d_gemm_add"}, 30);     // de-interleaved
  check({13, 15, 11, 7, 3, 3, 2, {1, 1, 0, 0}, true, "conv2d_gemm_add"}, 35);     // gathers
}

TEST(CpuOptResidual, Gemm1x1) {
  check({13, 13, 17, 127, 1, 1, 1, {0, 0, 0, 0}, true, "conv2d_1x1_gemm_add"}, 40);
  check({601, 5, 9, 23, 1, 1, 1, {0, 0, 0, 0}, false, "conv2d_1x1_gemm_add"}, 45);  // 2 K blocks
  check({37, 13, 17, 23, 1, 1, 1, {0, 0, 0, 0}, true, "conv2d_1x1_gemm_add"}, 47);  // B in place
}

TEST(CpuOptResidual, PositionsMajor) {
  check({29, 7, 7, 63, 3, 3, 1, {1, 1, 1, 1}, true, "conv2d_rows_gemm_add"}, 50);
  check({61, 7, 7, 63, 3, 3, 1, {1, 1, 1, 1}, false, "conv2d_rows_gemm_add"}, 60);  // 2 K blocks
  check({67, 3, 3, 64, 1, 1, 1, {0, 0, 0, 0}, true, "conv2d_rows_gemm_add"}, 65);   // 1x1 rows
}

TEST(CpuOptResidual, Winograd) {
  check({17, 13, 17, 19, 3, 3, 1, {1, 1, 1, 1}, true, "conv2d_winograd2x2_add"}, 70);
  check({16, 35, 33, 16, 3, 3, 1, {0, 1, 1, 0}, false, "conv2d_winograd2x2_add"}, 80);  // blocks
}

TEST(CpuOptResidual, ResidualFirstAndEveryActivation) {
  ResCase t{13, 11, 9, 21, 3, 3, 1, {1, 1, 1, 1}, true, "conv2d_gemm_add"};
  t.residual_first = true;
  for (const ActCase& a : all_activations()) {
    SCOPED_TRACE(fb::EnumNameActivationKind(a.kind));
    std::vector<uint8_t> file = residual_model(t, 2, DType::kF32, a.kind, a.alpha, a.beta, 90);
    HostTensor x = f32({2, 13, 11, 9}, random_floats(2 * 13 * 11 * 9, 91));
    HostTensor r = f32({2, 21, 11, 9}, random_floats(2 * 21 * 11 * 9, 92, -2.f, 2.f));
    expect_run(file, {x, r}, true, t.kernel, 1e-5);
  }
}

// y = relu(conv(x) + x): the residual is the conv's own input (read twice, never written), for
// the Winograd, GEMM and positions-major paths.
TEST(CpuOptResidual, ResidualIsTheConvInput) {
  struct Shape2 {
    int64_t c, hw;
    const char* kernel;
  };
  for (Shape2 s : {Shape2{37, 13, "conv2d_winograd2x2_add"}, Shape2{37, 5, "conv2d_gemm_add"},
                   Shape2{63, 7, "conv2d_rows_gemm_add"}}) {
    const int64_t n = 3, c = s.c, hw = s.hw;
    SCOPED_TRACE(s.kernel);
    ModelBuilder b;
    int x = b.add_input("x", DType::kF32, {n, c, hw, hw});
    int w = b.add_constant_f32("w", {c, c, 3, 3}, random_floats(c * c * 9, 170 + hw));
    int y = b.add_tensor("y", DType::kF32, {n, c, hw, hw});
    auto copts = fb::CreateConv2DOptions(b.fbb(), ints(b, {3, 3}), ints(b, {1, 1}), ints(b, {1, 1}),
                                         ints(b, {1, 1, 1, 1}), fb::PaddingMode::Explicit, 1);
    b.add_node("conv", fb::OpType::Conv2D, {x, w}, {y}, fb::OpOptions::Conv2DOptions,
               copts.Union());
    int z = b.add_tensor("z", DType::kF32, {n, c, hw, hw});
    auto aopts = fb::CreateBinaryOptions(b.fbb(), activation(b, K::Relu));
    b.add_node("add", fb::OpType::Add, {y, x}, {z}, fb::OpOptions::BinaryOptions, aopts.Union());
    b.mark_output(z);
    HostTensor xt = f32({n, c, hw, hw}, random_floats(n * c * hw * hw, 180 + hw));
    expect_run(b.finish(), {xt}, true, s.kernel, 1e-5);
  }
}

// Not fused: the Engine falls back to two nodes, both still on the optimized backend.
TEST(CpuOptResidual, DepthwiseStaysTwoNodes) {
  for (int s : {1, 2}) {
    ResCase t{13, 15, 17, 13, 3, 3, s, {1, 1, 1, 1}, true, "conv2d_depthwise", 0};
    const int64_t oh = out_dim(t.h, 3, s, 1, 1), ow = out_dim(t.w, 3, s, 1, 1);
    std::vector<uint8_t> file = residual_model(t, 3, DType::kF32, K::Relu, 0, 0, 100 + s);
    HostTensor x = f32({3, 13, 15, 17}, random_floats(3 * 13 * 15 * 17, 110 + s));
    HostTensor r = f32({3, 13, oh, ow}, random_floats(3 * 13 * oh * ow, 120 + s));
    expect_run(file, {x, r}, false, t.kernel, 1e-5);
  }
}

TEST(CpuOptResidual, BroadcastResidualStaysTwoNodes) {
  ResCase t{13, 11, 9, 21, 3, 3, 1, {1, 1, 1, 1}, true, "conv2d_gemm_f32"};
  std::vector<uint8_t> file = residual_model(t, 2, DType::kF32, K::Relu, 0, 0, 130, {1, 21, 1, 1});
  HostTensor x = f32({2, 13, 11, 9}, random_floats(2 * 13 * 11 * 9, 131));
  HostTensor r = f32({1, 21, 1, 1}, random_floats(21, 132));
  expect_run(file, {x, r}, false, t.kernel, 1e-5);
}

TEST(CpuOptResidual, F16StorageStaysTwoNodes) {
  ResCase t{13, 11, 9, 21, 3, 3, 1, {1, 1, 1, 1}, true, ""};
  std::vector<uint8_t> file = residual_model(t, 2, DType::kF16, K::Relu, 0, 0, 140);
  HostTensor x = f16({2, 13, 11, 9}, random_floats(2 * 13 * 11 * 9, 141));
  HostTensor r = f16({2, 21, 11, 9}, random_floats(2 * 21 * 11 * 9, 142));
  expect_run(file, {x, r}, false, "", 2e-3);
}

TEST(CpuOptResidual, Int8StaysTwoNodes) {
  using convfc::per_tensor;
  const int64_t n = 2, c = 13, h = 11, w = 9, m = 21;
  ModelBuilder b;
  int x = b.add_input("x", DType::kI8, {n, c, h, w});
  b.set_quantization(x, per_tensor(0.02f, 3));
  int r = b.add_input("r", DType::kI8, {n, m, h, w});
  b.set_quantization(r, per_tensor(0.05f, -7));
  int wt = convfc::add_i8_constant(b, "w", {m, c, 3, 3}, random_i8(m * c * 9, 151, -127, 127));
  b.set_quantization(wt, per_tensor(0.01f, 0));
  std::vector<int32_t> bias(m);
  for (int64_t i = 0; i < m; ++i) bias[i] = static_cast<int32_t>(i * 997 % 4001) - 2000;
  int bt = b.add_constant_i32("b", {m}, bias);
  int y = b.add_tensor("y", DType::kI8, {n, m, h, w});
  b.set_quantization(y, per_tensor(0.3f, -2));
  auto copts = fb::CreateConv2DOptions(b.fbb(), 0, ints(b, {1, 1}), ints(b, {1, 1}),
                                       ints(b, {1, 1, 1, 1}), fb::PaddingMode::Explicit, 1);
  b.add_node("conv", fb::OpType::Conv2D, {x, wt, bt}, {y}, fb::OpOptions::Conv2DOptions,
             copts.Union());
  int z = b.add_tensor("z", DType::kI8, {n, m, h, w});
  b.set_quantization(z, per_tensor(0.35f, 4));
  auto aopts = fb::CreateBinaryOptions(b.fbb(), activation(b, K::Relu));
  b.add_node("add", fb::OpType::Add, {y, r}, {z}, fb::OpOptions::BinaryOptions, aopts.Union());
  b.mark_output(z);
  HostTensor xt, rt;
  xt.dtype = rt.dtype = DType::kI8;
  xt.shape = Shape({n, c, h, w});
  rt.shape = Shape({n, m, h, w});
  for (int8_t v : random_i8(n * c * h * w, 152)) xt.bytes.push_back(static_cast<uint8_t>(v));
  for (int8_t v : random_i8(n * m * h * w, 153)) rt.bytes.push_back(static_cast<uint8_t>(v));
  expect_run(b.finish(), {xt, rt}, false, "", 0);
}

// STRIX_CPU_ISA=scalar: the optimized backend supports nothing and does not fuse; both nodes
// run on the reference backend.
TEST(CpuOptResidual, ScalarIsaFallsBackToReference) {
  ResCase t{13, 11, 9, 21, 3, 3, 1, {1, 1, 1, 1}, true, ""};
  std::vector<uint8_t> file = residual_model(t, 2, DType::kF32, K::Relu, 0, 0, 160);
  HostTensor x = f32({2, 13, 11, 9}, random_floats(2 * 13 * 11 * 9, 161));
  HostTensor r = f32({2, 21, 11, 9}, random_floats(2 * 21 * 11 * 9, 162));
  Result<OneRun> ref = run(file, {x, r}, true, 1);
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  ScopedIsa scoped("scalar");
  Result<OneRun> opt = run(file, {x, r}, false, 2);
  ASSERT_TRUE(opt.ok()) << opt.status().to_string();
  ASSERT_EQ(opt.value().nodes.size(), 2u);
  for (const NodeReport& nr : opt.value().nodes) EXPECT_EQ(nr.backend, "cpu-ref");
  EXPECT_LE(relative_l2(floats_of(opt.value().out), floats_of(ref.value().out)), 1e-6);
}

}  // namespace
}  // namespace strix::testing::cpuopt
