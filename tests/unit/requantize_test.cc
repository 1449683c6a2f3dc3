// kernels/cpu/ref/requantize.h: the int8 requantize arithmetic shared by every backend.
#include "kernels/cpu/ref/requantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>

namespace strix::kernels::ref {
namespace {

TEST(Requantize, QuantizeMultiplierRoundTrip) {
  // m * 2^(shift - 31) reproduces the real multiplier within 1e-9 relative, with m in
  // [2^30, 2^31), for reals spread log-uniformly over [1e-6, 100].
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> log10(-6.0, 2.0);
  for (int i = 0; i < 20000; ++i) {
    const double real = std::pow(10.0, log10(rng));
    const QuantizedMultiplier q = quantize_multiplier(real);
    ASSERT_GE(q.multiplier, 1 << 30) << real;
    ASSERT_LT(static_cast<int64_t>(q.multiplier), int64_t{1} << 31) << real;
    const double back = std::ldexp(static_cast<double>(q.multiplier), q.shift - 31);
    ASSERT_LE(std::abs(back - real), 1e-9 * real) << real;
  }
  // Exact powers of two: 1 = 2^30 * 2^(1 - 31), 0.25 = 2^30 * 2^(-1 - 31).
  EXPECT_EQ(quantize_multiplier(1.0).multiplier, 1 << 30);
  EXPECT_EQ(quantize_multiplier(1.0).shift, 1);
  EXPECT_EQ(quantize_multiplier(0.25).multiplier, 1 << 30);
  EXPECT_EQ(quantize_multiplier(0.25).shift, -1);
  EXPECT_EQ(quantize_multiplier(0.0).multiplier, 0);
}

TEST(Requantize, RoundingDivideByPowerOfTwoRoundsHalfAwayFromZero) {
  EXPECT_EQ(rounding_divide_by_pot(5, 1), 3);    // 2.5 -> 3
  EXPECT_EQ(rounding_divide_by_pot(-5, 1), -3);  // -2.5 -> -3
  EXPECT_EQ(rounding_divide_by_pot(7, 2), 2);    // 1.75 -> 2
  EXPECT_EQ(rounding_divide_by_pot(-7, 2), -2);  // -1.75 -> -2
  EXPECT_EQ(rounding_divide_by_pot(6, 2), 2);    // 1.5 -> 2
  EXPECT_EQ(rounding_divide_by_pot(-6, 2), -2);  // -1.5 -> -2
  EXPECT_EQ(rounding_divide_by_pot(5, 2), 1);    // 1.25 -> 1
  EXPECT_EQ(rounding_divide_by_pot(-5, 2), -1);  // -1.25 -> -1
  EXPECT_EQ(rounding_divide_by_pot(-1, 1), -1);  // -0.5 -> -1
  EXPECT_EQ(rounding_divide_by_pot(1, 1), 1);    // 0.5 -> 1
  EXPECT_EQ(rounding_divide_by_pot(-1, 2), 0);   // -0.25 -> 0
  EXPECT_EQ(rounding_divide_by_pot(12345, 0), 12345);
  // Against llround (half away from zero) over a range.
  for (int32_t x = -1000; x <= 1000; ++x)
    for (int e = 1; e <= 5; ++e)
      ASSERT_EQ(rounding_divide_by_pot(x, e), std::llround(std::ldexp(double(x), -e)))
          << x << " " << e;
}

TEST(Requantize, MultiplyByQuantizedMultiplierMatchesLlround) {
  // Against llround(x * M) with M = m * 2^(shift - 31), the multiplier actually represented.
  // The two roundings (the doubling high multiply rounds ties upward, then the rounding
  // shift by `right` bits rounds half away from zero) make a difference of 1 possible only
  // at an exact .5 tie or, when right > 0, where the product lies within 0.5 / 2^right of
  // one: the first rounding moves the value by at most 0.5 of its units.
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> log10(-6.0, 1.0);
  std::uniform_int_distribution<int32_t> acc(-(1 << 20), 1 << 20);
  const int kSamples = 50000;
  int near_ties = 0;
  for (int i = 0; i < kSamples; ++i) {
    const double real = std::pow(10.0, log10(rng));
    const QuantizedMultiplier q = quantize_multiplier(real);
    const double exact = std::ldexp(static_cast<double>(q.multiplier), q.shift - 31);
    const int32_t x = acc(rng);
    const int64_t got = multiply_by_quantized_multiplier(x, q);
    const double product = x * exact;  // exact in double: |x| <= 2^20, m < 2^31
    const int64_t want = std::llround(product);
    // Within one of rounding with the unquantized multiplier too.
    ASSERT_LE(std::abs(got - std::llround(x * real)), 1) << x << " * " << real;
    if (got == want) continue;
    const int right = q.shift > 0 ? 0 : -q.shift;
    const double frac = product - std::floor(product);
    ASSERT_EQ(std::abs(got - want), 1) << x << " * " << real;
    ASSERT_LE(std::abs(frac - 0.5), right == 0 ? 0.0 : std::ldexp(0.5, -right))
        << x << " * " << real << " = " << product << " gave " << got;
    ++near_ties;
  }
  // About 2% of these samples differ (seed 11: 1072 of 50000), nearly all where right is
  // small and the window wide; more would mean a changed rounding.
  EXPECT_LT(near_ties, kSamples / 25) << "differences must stay rare";
  // A negative tie with no shift: -17 * 0.5 = -8.5 goes up to -8 in the high multiply;
  // with a shift it is decided half away from zero: -18 * 0.25 = -4.5 -> -5.
  EXPECT_EQ(multiply_by_quantized_multiplier(-17, quantize_multiplier(0.5)), -8);
  EXPECT_EQ(multiply_by_quantized_multiplier(17, quantize_multiplier(0.5)), 9);
  EXPECT_EQ(multiply_by_quantized_multiplier(-18, quantize_multiplier(0.25)), -5);
  EXPECT_EQ(multiply_by_quantized_multiplier(14, quantize_multiplier(0.25)), 4);
}

TEST(Requantize, ClampsAndAddsZeroPoint) {
  const QuantizedMultiplier half = quantize_multiplier(0.5);
  EXPECT_EQ(requantize(14, half, -5, -128, 127), 2);     // 7 - 5
  EXPECT_EQ(requantize(1000, half, 0, -128, 127), 127);  // clamped
  EXPECT_EQ(requantize(-1000, half, 0, -128, 127), -128);
  EXPECT_EQ(requantize(-20, half, 3, 0, 127), 0);           // -10 + 3 -> clamped to a ReLU floor
  EXPECT_EQ(quantize_value(2.5f, 1.f, 0, -128, 127), 2);    // ties to even
  EXPECT_EQ(quantize_value(-3.5f, 1.f, 1, -128, 127), -3);  // -4 + 1
  EXPECT_EQ(quantize_value(NAN, 1.f, 0, -128, 127), -128);
}

}  // namespace
}  // namespace strix::kernels::ref
