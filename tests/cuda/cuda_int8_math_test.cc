// The CUDA INT8 kernels' requantize arithmetic (kernels/cuda/int8_math.cuh: requantize_fast and
// rq_clamp, the short forms the kernels use, and add_i8_dev) against the reference
// (kernels/cpu/ref/requantize.h, ref::add_i8), evaluated on the CPU: no GPU needed. Random
// accumulators over the whole int32 range and the edges, multipliers of real scales from 1e-12
// to 1e4 (right shifts up to 31, left shifts that saturate), every zero point and clamp.
#include <gtest/gtest.h>

#include <algorithm>
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

// rq_fast_relu (the epilogue of outputs with a fused ReLU: qmin >= zero point) drops the sign
// term; after the clamp it must still equal the reference for every accumulator and bias,
// including negative sums whose rounding differs before the clamp.
TEST(CudaInt8Math, RequantizeReluFormEqualsTheReferenceAfterTheClamp) {
  std::mt19937 rng(9191);
  std::uniform_real_distribution<double> log_scale(-9.5, -0.31);  // shifts -1 .. -31
  std::uniform_int_distribution<int32_t> zp(-128, 127);
  size_t checked = 0, mismatches = 0, differ_before_clamp = 0;
  for (int s = 0; s < 4000; ++s) {
    const QuantizedMultiplier q = kernels::ref::quantize_multiplier(std::pow(10.0, log_scale(rng)));
    if (q.multiplier == 0) continue;
    const int e = -q.shift;
    const int32_t z = zp(rng);
    const int32_t qmin = s % 3 == 0 ? z : std::min(127, z + static_cast<int32_t>(s % 7));
    const int32_t qmax = 127;
    const long long max_x = std::min<long long>((1ll << 31) - 3 - (1ll << (e - 1)), INT_MAX);
    std::uniform_int_distribution<int64_t> any(-max_x, max_x);
    // Sums near 0 and near the rounding ties of small outputs, where the forms could differ.
    std::uniform_int_distribution<int32_t> near(-(1 << std::min(e + 2, 30)),
                                                1 << std::min(e + 2, 30));
    for (int i = 0; i < 2000; ++i) {
      int64_t x = i % 3 == 0 ? any(rng) : near(rng);
      if (i < 6) x = std::array<int64_t, 6>{0, 1, -1, max_x, -max_x, -max_x + 1}[i];
      const int32_t bias = static_cast<int32_t>(x / 5);
      const int32_t acc = static_cast<int32_t>(x - bias);
      const int32_t want = kernels::ref::requantize(static_cast<int32_t>(x), q, z, qmin, qmax);
      const int32_t raw = kernels::cuda::rq_fast_relu(
          acc, q.multiplier, kernels::cuda::rq_relu_const(bias, q.multiplier, e), e - 1);
      const int32_t got = std::min(std::max(raw + z, qmin), qmax);
      differ_before_clamp +=
          raw != kernels::ref::multiply_by_quantized_multiplier(static_cast<int32_t>(x), q);
      if (want != got && mismatches++ < 5)
        ADD_FAILURE() << "x " << x << " (acc " << acc << " + bias " << bias << ") multiplier "
                      << q.multiplier << " shift " << q.shift << " zp " << z << " qmin " << qmin
                      << ": want " << want << ", got " << got;
      ++checked;
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << checked;
  // The form really differs from the reference before the clamp (so the clamp is what makes
  // it exact, and this test would catch a clamp below the zero point).
  EXPECT_GT(differ_before_clamp, 100u);
}

// fast_div (the tensor-core kernel's position -> image, row, column) against integer division:
// divisors 1 .. 70000, powers of two and their neighbours up to 2^30, numerators to 2^31 - 1.
TEST(CudaInt8Math, FastDivisionEqualsIntegerDivision) {
  std::mt19937 rng(31337);
  std::vector<uint32_t> divisors;
  for (uint32_t d = 1; d <= 70000; d += d < 300 ? 1 : 97) divisors.push_back(d);
  for (int b = 1; b <= 30; ++b)
    for (int64_t d : {(1ll << b) - 1, 1ll << b, (1ll << b) + 1}) divisors.push_back(uint32_t(d));
  std::uniform_int_distribution<int32_t> any(0, INT_MAX);
  size_t bad = 0, checked = 0;
  for (uint32_t d : divisors) {
    const kernels::cuda::DevFastDiv f = kernels::cuda::make_fast_div(d);
    std::uniform_int_distribution<int64_t> near(0, 3ll * d);
    for (int i = 0; i < 400; ++i) {
      int32_t n = i % 2 ? any(rng) : static_cast<int32_t>(std::min<int64_t>(near(rng), INT_MAX));
      if (i < 4)
        n = std::array<int32_t, 4>{0, INT_MAX, static_cast<int32_t>(d - 1),
                                   static_cast<int32_t>(std::min<int64_t>(d, INT_MAX))}[i];
      const int want = static_cast<int>(static_cast<uint32_t>(n) / d);
      const int got = kernels::cuda::fast_div(n, f);
      if (want != got && bad++ < 5)
        ADD_FAILURE() << n << " / " << d << ": want " << want << ", got " << got;
      ++checked;
    }
  }
  EXPECT_EQ(bad, 0u) << "of " << checked;
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
