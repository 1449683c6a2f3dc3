// kernels/cpu/ref/requantize.h — THE requantize arithmetic of Strix. Every backend (CPU
// reference, optimized CPU, CUDA) uses exactly this, so INT8 results are bit-exact across
// them.
//
// Quantized values: real = scale * (q - zero_point). An INT8 kernel accumulates
// acc = sum (x_q - x_zp) * w_q (+ bias_q, scale x_scale * w_scale, zero point 0) in int32,
// then maps it to the output with the real multiplier
//     M = x_scale * w_scale / y_scale            (per output channel for per-channel weights)
// represented as a Q31 fixed-point multiplier m in [2^30, 2^31) and a power-of-two shift:
//     M = m * 2^(shift - 31).
// y_q = clamp(y_zp + rounding_mul(acc, m, shift), qmin, qmax) where rounding_mul is
// SaturatingRoundingDoublingHighMul followed by a round-half-away-from-zero right shift
// (the gemmlowp / TFLite definition).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

namespace strix::kernels::ref {

struct QuantizedMultiplier {
  int32_t multiplier = 0;  // Q31, 0 or in [2^30, 2^31)
  int shift = 0;           // left shift if > 0, right shift if < 0
};

// Decomposes a non-negative real multiplier. M = 0 gives multiplier 0.
inline QuantizedMultiplier quantize_multiplier(double real) {
  QuantizedMultiplier q;
  if (real <= 0.0) return q;
  int exponent = 0;
  double fraction = std::frexp(real, &exponent);  // real = fraction * 2^exponent, [0.5, 1)
  int64_t m = static_cast<int64_t>(std::llround(fraction * (1ll << 31)));
  if (m == (1ll << 31)) {
    m /= 2;
    ++exponent;
  }
  if (exponent < -31) return q;      // underflows to zero
  if (exponent > 30) exponent = 30;  // saturates; never reached by sane scales
  q.multiplier = static_cast<int32_t>(m);
  q.shift = exponent;
  return q;
}

// (a * b * 2) >> 32 with rounding, saturating the single overflow case.
inline int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min())
    return std::numeric_limits<int32_t>::max();
  int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  int64_t nudge = ab >= 0 ? (1ll << 30) : (1 - (1ll << 30));
  return static_cast<int32_t>((ab + nudge) / (1ll << 31));
}

// x / 2^exponent rounded half away from zero.
inline int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  if (exponent <= 0) return x;
  int32_t mask = static_cast<int32_t>((1ll << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

inline int32_t multiply_by_quantized_multiplier(int32_t x, QuantizedMultiplier q) {
  int left = q.shift > 0 ? q.shift : 0;
  int right = q.shift > 0 ? 0 : -q.shift;
  int64_t shifted = static_cast<int64_t>(x) * (1ll << left);
  if (shifted > std::numeric_limits<int32_t>::max()) shifted = std::numeric_limits<int32_t>::max();
  if (shifted < std::numeric_limits<int32_t>::min()) shifted = std::numeric_limits<int32_t>::min();
  return rounding_divide_by_pot(
      saturating_rounding_doubling_high_mul(static_cast<int32_t>(shifted), q.multiplier), right);
}

// The whole output step: zero point, then clamp to [qmin, qmax] (the dtype's range, or
// narrower for a fused ReLU/ReLU6).
inline int32_t requantize(int32_t acc, QuantizedMultiplier q, int32_t zero_point, int32_t qmin,
                          int32_t qmax) {
  int32_t y = multiply_by_quantized_multiplier(acc, q) + zero_point;
  return y < qmin ? qmin : (y > qmax ? qmax : y);
}

// Quantizes a real value: round half to even (std::nearbyint), then clamp. Used by
// Quantize and by calibration, so float -> int8 is the same everywhere.
inline int32_t quantize_value(float real, float scale, int32_t zero_point, int32_t qmin,
                              int32_t qmax) {
  float q = std::nearbyint(real / scale) + static_cast<float>(zero_point);
  if (!(q >= static_cast<float>(qmin))) return qmin;  // also catches NaN
  if (q > static_cast<float>(qmax)) return qmax;
  return static_cast<int32_t>(q);
}

}  // namespace strix::kernels::ref
