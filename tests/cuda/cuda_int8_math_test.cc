// The CUDA INT8 kernels' requantize arithmetic (kernels/cuda/int8_math.cuh: requantize_fast and
// rq_clamp, the short forms the kernels use, and add_i8_dev) against the reference
// (kernels/cpu/ref/requantize.h, ref::add_i8), evaluated on the CPU: no GPU needed. Random
// accumulators over the whole int32 range and the edges, multipliers of real scales from 1e-12
// to 1e4 (right shifts up to 31, left shifts that saturate), every zero point and clamp.
#include <gtest/gtest.h>

#include <array>
#include <climits>
#include <random>

#include "kernels/cpu/ref/binary.h"
#include "kernels/cpu/ref/requantize.h"
#include "kernels/cuda/int8_kernels.h"
#include "kernels/cuda/int8_math.cuh"

namespace strix::testing {
namespace {

using kernels::cuda::DevAddI8;
using kernels::ref::QuantizedMultiplier;

TEST(CudaInt8Math, RequantizeFastEqualsTheReference) {
  std::mt19937 rng(12345);
  std::uniform_real_distribution<double> log_scale(-12.0, 4.0);
  std::uniform_int_distribution<int32_t> any(INT_MIN, INT_MAX);
  std::uniform_int_distribution<int32_t> small(-70000, 70000);
  std::uniform_int_distribution<int32_t> zp(-128, 127);
  const int32_t edges[] = {0,
                           1,
                           -1,
                           2,
                           -2,
                           3,
                           -3,
                           INT_MAX,
                           INT_MIN,
                           INT_MAX - 1,
                           INT_MIN + 1,
                           1 << 30,
                           -(1 << 30),
                           (1 << 30) - 1,
                           -(1 << 30) + 1};
  size_t checked = 0, mismatches = 0;
  for (int s = 0; s < 4000; ++s) {
    const QuantizedMultiplier q = kernels::ref::quantize_multiplier(std::pow(10.0, log_scale(rng)));
    const int32_t z = zp(rng);
    const int32_t lo = s % 3 == 0 ? -128 : z, hi = s % 5 == 0 ? 127 : 100;
    for (int i = 0; i < 2000; ++i) {
      const int32_t x = i < 15 ? edges[i] : (i % 2 ? any(rng) : small(rng));
      const int32_t want = kernels::ref::requantize(x, q, z, lo, hi);
      const int32_t got = kernels::cuda::requantize_fast(x, q.multiplier, q.shift, z, lo, hi);
      const int32_t want_raw = kernels::ref::multiply_by_quantized_multiplier(x, q);
      const int32_t got_raw =
          kernels::cuda::requantize_fast(x, q.multiplier, q.shift, 0, INT_MIN, INT_MAX);
      if (want != got || want_raw != got_raw) {
        if (mismatches++ < 5)
          ADD_FAILURE() << "x " << x << " multiplier " << q.multiplier << " shift " << q.shift
                        << ": want " << want << " / " << want_raw << ", got " << got << " / "
                        << got_raw;
      }
      ++checked;
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << checked;
}

// rq_fast and rq_fast_folded (the epilogues' forms) wherever rq_fast_ok admits them: shifts 1..31,
// inputs up to the largest |x| the bound allows (the edge where h + 2^(e-1) meets INT_MAX).
TEST(CudaInt8Math, RequantizeShortFormEqualsTheReferenceWithinItsBound) {
  std::mt19937 rng(4242);
  std::uniform_real_distribution<double> log_scale(-9.5, -0.31);  // shifts -1 .. -31
  size_t checked = 0, mismatches = 0;
  for (int s = 0; s < 4000; ++s) {
    const QuantizedMultiplier q = kernels::ref::quantize_multiplier(std::pow(10.0, log_scale(rng)));
    if (q.multiplier == 0) continue;
    const int e = -q.shift;
    ASSERT_GE(e, 1) << "scale drew a left shift";
    // The largest bound rq_fast_ok accepts for this shift, and one past it.
    long long max_x = (1ll << 31) - 3 - (1ll << (e - 1));
    ASSERT_TRUE(kernels::cuda::rq_fast_ok(q.shift, max_x)) << e;
    ASSERT_FALSE(kernels::cuda::rq_fast_ok(q.shift, max_x + 1)) << e;
    if (max_x > INT_MAX) max_x = INT_MAX;
    std::uniform_int_distribution<int64_t> any(-max_x, max_x);
    std::uniform_int_distribution<int32_t> small(-70000, 70000);
    for (int i = 0; i < 2000; ++i) {
      int64_t x = i % 2 ? any(rng) : small(rng);
      if (i < 8) x = std::array<int64_t, 8>{0, 1, -1, 2, -2, max_x, -max_x, -max_x + 1}[i];
      const int32_t want =
          kernels::ref::multiply_by_quantized_multiplier(static_cast<int32_t>(x), q);
      const int32_t got =
          kernels::cuda::rq_fast(static_cast<int32_t>(x), q.multiplier, 1 << (e - 1), e);
      // The epilogue's form with a bias folded into the 64-bit term: x split as acc + bias.
      const int32_t bias = static_cast<int32_t>(x / 3);
      const int32_t acc = static_cast<int32_t>(x - bias);
      const int32_t got_folded = kernels::cuda::rq_fast_folded(
          acc, q.multiplier, static_cast<long long>(bias) * q.multiplier + (1ll << 30),
          1 << (e - 1), e);
      if ((want != got || want != got_folded) && mismatches++ < 5)
        ADD_FAILURE() << "x " << x << " multiplier " << q.multiplier << " shift " << q.shift
                      << ": want " << want << ", got " << got << " / folded " << got_folded;
      ++checked;
    }
  }
  EXPECT_FALSE(kernels::cuda::rq_fast_ok(0, 0)) << "no right shift";
  EXPECT_FALSE(kernels::cuda::rq_fast_ok(3, 0)) << "left shift";
  EXPECT_EQ(mismatches, 0u) << "of " << checked;
}

TEST(CudaInt8Math, AddEqualsTheReferenceForEveryPair) {
  std::mt19937 rng(777);
  std::uniform_real_distribution<float> scale(0.002f, 0.2f);
  std::uniform_int_distribution<int32_t> zp(-128, 127);
  for (int c = 0; c < 40; ++c) {
    const float sa = scale(rng), sb = scale(rng), so = c % 4 == 0 ? scale(rng) * 0.05f : scale(rng);
    const int32_t za = zp(rng), zb = zp(rng), zo = zp(rng);
    const int32_t qmin = c % 2 ? zo : -128;
    kernels::ref::AddI8Params q =
        kernels::ref::make_add_i8_params(sa, za, sb, zb, so, zo, qmin, 127);
    const DevAddI8 d = kernels::cuda::dev_add_params(q);
    std::vector<int8_t> a(65536), b(65536), want(65536);
    for (int i = 0; i < 65536; ++i) {
      a[i] = static_cast<int8_t>((i >> 8) - 128);
      b[i] = static_cast<int8_t>((i & 255) - 128);
    }
    const Shape all{65536};
    kernels::ref::add_i8(q, kernels::ref::make_broadcast_plan(all, all, all), a.data(), b.data(),
                         want.data());
    size_t bad = 0;
    for (int i = 0; i < 65536; ++i) bad += kernels::cuda::add_i8_dev(d, a[i], b[i]) != want[i];
    EXPECT_EQ(bad, 0u) << "case " << c;
  }
}

}  // namespace
}  // namespace strix::testing
