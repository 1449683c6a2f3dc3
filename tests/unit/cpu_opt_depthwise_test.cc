// Depthwise Conv2D on large planes (kernels/cpu/conv_depthwise.cc + x86/depthwise_impl.h: 3x3
// and 5x5, stride 1 and 2, one plane per call straight from the input) against the reference
// kernel: odd planes (narrower than one vector, a few vectors, wide enough for the unmasked
// interior path), batches 1-3, explicit / asymmetric / no padding, fused activations (vector
// and scalar ones), every host ISA (STRIX_CPU_ISA), threads 1 and 3. Also the flattened kernel
// for small stride-1 "same" planes (AVX-512: DepthwiseFlatFn), on odd planes up to 13 vectors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/cpu_opt_test_util.h"

namespace strix::testing::cpuopt {
namespace {

using K = fb::ActivationKind;

struct DwCase {
  int64_t n, c, h, w;
  int k, s;
  std::vector<int32_t> pads;  // top, left, bottom, right; empty: none
  bool bias;
  K act;
  float alpha = 0, beta = 0;
};

int64_t out_dim(int64_t in, int k, int s, int64_t pb, int64_t pe) {
  return (in + pb + pe - k) / s + 1;
}

std::vector<uint8_t> dw_model(const DwCase& d, uint32_t seed, int64_t* oh, int64_t* ow) {
  ModelBuilder b;
  const bool p = d.pads.size() == 4;
  *oh = out_dim(d.h, d.k, d.s, p ? d.pads[0] : 0, p ? d.pads[2] : 0);
  *ow = out_dim(d.w, d.k, d.s, p ? d.pads[1] : 0, p ? d.pads[3] : 0);
  int x = b.add_input("x", DType::kF32, {d.n, d.c, d.h, d.w});
  int w = b.add_constant_f32("w", {d.c, 1, d.k, d.k}, random_floats(d.c * d.k * d.k, seed + 1));
  std::vector<int> inputs = {x, w};
  if (d.bias) inputs.push_back(b.add_constant_f32("b", {d.c}, random_floats(d.c, seed + 2)));
  int y = b.add_tensor("y", DType::kF32, {d.n, d.c, *oh, *ow});
  auto act = activation(b, d.act, d.alpha, d.beta);
  auto opts = fb::CreateConv2DOptions(b.fbb(), ints(b, {d.k, d.k}), ints(b, {d.s, d.s}),
                                      ints(b, {1, 1}), ints(b, d.pads), fb::PaddingMode::Explicit,
                                      static_cast<int32_t>(d.c), act);
  b.add_node("dw", fb::OpType::Conv2D, inputs, {y}, fb::OpOptions::Conv2DOptions, opts.Union());
  b.mark_output(y);
  return b.finish();
}

// flat: the case is a small stride-1 "same" plane, which AVX-512 runs on the flattened kernel
// (the other ISAs on whichever kernel they pick).
void check(const DwCase& d, uint32_t seed, bool flat = false) {
  SCOPED_TRACE("n " + std::to_string(d.n) + " c " + std::to_string(d.c) + " " +
               std::to_string(d.h) + "x" + std::to_string(d.w) + " k " + std::to_string(d.k) +
               " s " + std::to_string(d.s) + " act " + fb::EnumNameActivationKind(d.act));
  int64_t oh = 0, ow = 0;
  std::vector<uint8_t> file = dw_model(d, seed, &oh, &ow);
  // The plane kernels run planes of more than 98 output positions, 196 for strided 5x5
  // (smaller ones: channels on lanes); the cases are sized for that.
  if (flat) {
    ASSERT_TRUE(d.s == 1 ? oh == d.h && ow == d.w : 2 * oh >= d.h && 2 * ow >= d.w)
        << "not a same-padded case";
  } else {
    ASSERT_GT(oh * ow, d.k == 5 && d.s == 2 ? 196 : 98) << "case too small for the plane kernels";
  }
  HostTensor x = f32({d.n, d.c, d.h, d.w}, random_floats(d.n * d.c * d.h * d.w, seed));
  Result<EngineRun> ref = run_engine(file, {x}, true, 1);
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  double energy = 0;
  for (float v : ref.value().outputs[0]) energy += static_cast<double>(v) * v;
  ASSERT_GT(energy, 0.0);
  const std::string kxk = std::to_string(d.k) + "x" + std::to_string(d.k);
  const std::string sxs = "s" + std::to_string(d.s) + "x" + std::to_string(d.s);
  const std::string name = flat ? "conv2d_depthwise_flat" + kxk + sxs + "_f32_"
                                : "conv2d_depthwise" + kxk + sxs + "_plane_f32_";
  std::vector<std::string> isas = host_isas();
  if (isas.empty()) GTEST_SKIP() << "no SIMD ISA on this CPU";
  for (const std::string& isa : isas) {
    ScopedIsa scoped(isa);
    for (int threads : {1, 3}) {
      SCOPED_TRACE("isa " + isa + ", threads " + std::to_string(threads));
      Result<EngineRun> opt = run_engine(file, {x}, false, threads);
      ASSERT_TRUE(opt.ok()) << opt.status().to_string();
      ASSERT_EQ(opt.value().nodes.size(), 1u);
      if (!flat || isa == "avx512") {
        EXPECT_EQ(opt.value().nodes[0].kernel.rfind(name, 0), 0u) << opt.value().nodes[0].kernel;
      }
      EXPECT_NE(opt.value().nodes[0].kernel.find(isa), std::string::npos);
      EXPECT_LE(relative_l2(opt.value().outputs[0], ref.value().outputs[0]), 1e-5);
    }
  }
}

TEST(CpuOptDepthwise, PlaneShapes) {
  uint32_t seed = 900;
  for (int k : {3, 5}) {
    for (int s : {1, 2}) {
      const int p = k / 2;
      // Narrower than a vector, a few (masked) vectors, wide rows (unmasked interior chunks,
      // odd width); batches 1..3; symmetric, asymmetric and no padding.
      check({1, 3, s == 1 ? 13 : 37, s == 1 ? 17 : 31, k, s, {p, p, p, p}, true, K::Relu}, seed++);
      check({2, 5, 19, 77, k, s, {p, p - 1 + s, p + 1, 0}, true, K::Clip, 0, 6}, seed++);
      check({3, 2, 41, 70, k, s, {}, false, K::None}, seed++);
      check({1, 4, 37, 131, k, s, {p + 1, p, 0, p + 2}, true, K::HardSwish}, seed++);
    }
  }
}

TEST(CpuOptDepthwise, EveryActivation) {
  // Vector activations and the scalar fallback kinds (Tanh, Gelu, ...).
  uint32_t seed = 950;
  for (const ActCase& a : all_activations()) {
    check({1, 2, 23, 45, 3, 2, {1, 1, 1, 1}, true, a.kind, a.alpha, a.beta}, seed++);
    check({1, 2, 13, 21, 5, 1, {2, 2, 2, 2}, true, a.kind, a.alpha, a.beta}, seed++);
  }
}

TEST(CpuOptDepthwise, FlatSmallPlanes) {
  // Stride-1 planes of one to 13 vectors of positions (odd sizes: chunks that wrap rows, a
  // masked last chunk), "same" padding symmetric or not, odd channel counts (runs of planes
  // that start mid-batch at threads 3), with and without bias.
  uint32_t seed = 970;
  check({2, 7, 7, 7, 3, 1, {1, 1, 1, 1}, true, K::Clip, 0, 6}, seed++, true);
  check({3, 5, 9, 10, 3, 1, {0, 2, 2, 0}, false, K::Relu}, seed++, true);
  check({1, 19, 13, 15, 3, 1, {2, 1, 0, 1}, true, K::None}, seed++, true);  // 195: 13 vectors
  check({2, 11, 14, 14, 3, 1, {1, 1, 1, 1}, true, K::HardSwish}, seed++, true);
  check({1, 13, 7, 7, 5, 1, {2, 2, 2, 2}, true, K::HardSwish}, seed++, true);
  check({3, 6, 5, 3, 5, 1, {1, 3, 3, 1}, true, K::SiLU}, seed++, true);
  check({2, 9, 1, 11, 5, 1, {2, 2, 2, 2}, true, K::None}, seed++, true);  // one row
  check({1, 17, 14, 13, 5, 1, {2, 2, 2, 2}, false, K::Sigmoid}, seed++, true);
  // Stride 2 (3x3, input rows of at most one vector): the input split into its four phases;
  // odd and even sizes (phases of unequal sizes), asymmetric padding, one-column and one-row
  // outputs, output planes up to 11 vectors.
  check({2, 7, 14, 14, 3, 2, {1, 1, 1, 1}, true, K::Clip, 0, 6}, seed++, true);
  check({3, 5, 13, 9, 3, 2, {1, 2, 1, 0}, false, K::Relu}, seed++, true);
  check({1, 19, 41, 15, 3, 2, {1, 1, 1, 1}, true, K::None}, seed++, true);  // 21x8
  check({2, 11, 16, 16, 3, 2, {0, 0, 1, 1}, true, K::HardSwish}, seed++, true);
  check({3, 6, 2, 5, 3, 2, {1, 1, 1, 1}, true, K::None}, seed++, true);     // one output row
  check({1, 9, 7, 1, 3, 2, {1, 1, 1, 1}, true, K::Sigmoid}, seed++, true);  // one column
  for (const ActCase& a : all_activations()) {
    check({2, 5, 6, 11, 3, 1, {1, 1, 1, 1}, true, a.kind, a.alpha, a.beta}, seed++, true);
    check({1, 5, 9, 12, 3, 2, {1, 1, 1, 1}, true, a.kind, a.alpha, a.beta}, seed++, true);
  }
}

TEST(CpuOptDepthwise, MobileNetPlanes) {
  // The shapes of MobileNetV2 / EfficientNet-B0 (channels cut): 112x112 and 56x56 planes.
  check({1, 3, 112, 112, 3, 2, {1, 1, 1, 1}, true, K::Clip, 0, 6}, 990);
  check({2, 3, 56, 56, 3, 1, {1, 1, 1, 1}, true, K::Clip, 0, 6}, 991);
  check({1, 3, 56, 56, 5, 2, {2, 2, 2, 2}, true, K::SiLU}, 992);
  check({1, 3, 28, 28, 5, 1, {2, 2, 2, 2}, true, K::SiLU}, 993);
}

}  // namespace
}  // namespace strix::testing::cpuopt
