// kernels/cpu/ref/quantize.h — element type conversions: Cast (any dtype to any dtype),
// Quantize (f32 -> i8/u8) and Dequantize (i8/u8/i32 -> f32).
//
// Quantized values: real = scale * (q - zero_point), per tensor or per channel along an
// axis (strix::Quantization).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/kernel.h"

namespace strix::kernels::ref {

// y[i] = x[i] converted from `from` to `to`, for n elements. Float -> integer truncates
// toward zero and SATURATES to the target range (NaN -> 0); integer -> integer saturates
// too. Integer -> float is exact where the target can represent the value, else rounded to
// nearest even (i32 -> f16 goes through f32, so it rounds twice). f16 goes through
// half_to_float / float_to_half.
void cast_values(const void* x, DType from, void* y, DType to, int64_t n);

// Per-tensor (one channel) or per-axis quantization, flattened for a row-major tensor:
// element e belongs to channel (e / inner) % scales.size().
struct AffineQuantParams {
  std::vector<float> scales;
  std::vector<int32_t> zero_points;  // same length as scales
  int64_t inner = 1;                 // product of the dims after the quantization axis
};

// y = clamp(round_half_even(x / scale) + zero_point) in i8 (is_signed) or u8, through
// quantize_value() of requantize.h.
void quantize_f32(const float* x, int64_t n, const AffineQuantParams& p, bool is_signed, void* y);

// y = scale * (q - zero_point) for q of dtype `from` (i8, u8 or i32).
void dequantize_to_f32(const void* x, DType from, int64_t n, const AffineQuantParams& p, float* y);

Result<std::unique_ptr<Kernel>> make_cast(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_quantize(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_dequantize(const PrepareArgs& args);

}  // namespace strix::kernels::ref
