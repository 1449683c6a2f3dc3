// The optimized MaxPool for windows 3 wide with stride_w 2 (pool.cc MaxPoolW3S2Kernel,
// isa.max_pool_w3s2: straight from the input plane, no padded copy) against the reference
// kernel: odd plane sizes, every padding side, ceil mode, window heights 1-5 and stride_h 1-3,
// batch 1 and 3, every host ISA, threads 1 and 2. The planes are large enough (> 98 outputs)
// that the planes-on-lanes kernel is not chosen.
#include <gtest/gtest.h>

#include "tests/unit/cpu_opt_test_util.h"

namespace strix::testing::cpuopt {
namespace {

struct Case {
  int64_t n, c, h, w;
  int kh, sh;
  std::vector<int32_t> pads;  // top, left, bottom, right
  bool ceil_mode;
};

int64_t pool_out(int64_t in, int k, int s, int pb, int pe, bool ceil_mode) {
  const int64_t span = in + pb + pe - k;
  if (!ceil_mode) return span / s + 1;
  int64_t out = (span + s - 1) / s + 1;
  if ((out - 1) * s >= in + pb) --out;  // the last window must start inside the input
  return out;
}

std::vector<uint8_t> model(const Case& t, int64_t* oh, int64_t* ow) {
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {t.n, t.c, t.h, t.w});
  *oh = pool_out(t.h, t.kh, t.sh, t.pads[0], t.pads[2], t.ceil_mode);
  *ow = pool_out(t.w, 3, 2, t.pads[1], t.pads[3], t.ceil_mode);
  int y = b.add_tensor("y", DType::kF32, {t.n, t.c, *oh, *ow});
  auto opts = fb::CreatePool2DOptions(b.fbb(), ints(b, {t.kh, 3}), ints(b, {t.sh, 2}), 0,
                                      ints(b, t.pads), fb::PaddingMode::Explicit, t.ceil_mode);
  b.add_node("pool", fb::OpType::MaxPool, {x}, {y}, fb::OpOptions::Pool2DOptions, opts.Union());
  b.mark_output(y);
  return b.finish();
}

TEST(CpuOptMaxPool, Window3Stride2) {
  const std::vector<Case> cases = {
      // n c   h    w   kh sh pads          ceil
      {1, 3, 31, 29, 3, 2, {1, 1, 1, 1}, false},   // ResNet stem pool shape, odd
      {3, 5, 37, 45, 3, 2, {1, 1, 1, 1}, false},   // ow 23: a partial vector
      {3, 4, 111, 111, 3, 2, {0, 0, 0, 0}, true},  // SqueezeNet's first pool
      {1, 7, 55, 55, 3, 2, {0, 0, 0, 0}, true},    // SqueezeNet's second pool
      {1, 3, 30, 64, 3, 2, {0, 1, 2, 0}, true},    // asymmetric pads, ceil mode
      {1, 3, 29, 70, 3, 2, {2, 0, 0, 2}, false},   // right padding only
      {3, 2, 23, 67, 1, 1, {0, 1, 0, 1}, false},   // 1 x 3 window
      {1, 3, 41, 33, 5, 3, {2, 1, 2, 1}, false},   // 5 x 3, stride_h 3
      {1, 2, 27, 35, 2, 1, {0, 0, 1, 0}, true},    // 2 x 3, stride_h 1
      {1, 2, 20, 200, 3, 2, {1, 1, 1, 1}, false},  // wide rows: several chunks
  };
  uint32_t seed = 1;
  for (const Case& t : cases) {
    SCOPED_TRACE("case seed " + std::to_string(seed));
    int64_t oh, ow;
    std::vector<uint8_t> file = model(t, &oh, &ow);
    ASSERT_GT(oh * ow, 98);
    HostTensor x = f32({t.n, t.c, t.h, t.w}, random_floats(t.n * t.c * t.h * t.w, seed));
    expect_matches_reference(file, {x});
    ++seed;
    // Chosen kernel (x86 names; the other ISAs run the same driver).
    const std::string isa = kernels::cpu::isa_name(kernels::cpu::selected_isa());
    if (isa != "avx512" && isa != "avx2") continue;
    Result<EngineRun> r = run_engine(file, {x}, false, 1);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r.value().nodes[0].kernel.rfind("max_pool3s2_f32_", 0), 0u)
        << r.value().nodes[0].kernel;
  }
}

}  // namespace
}  // namespace strix::testing::cpuopt
