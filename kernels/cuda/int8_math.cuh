// kernels/cuda/int8_math.cuh — ref::requantize (kernels/cpu/ref/requantize.h) and ref::add_i8
// in device code, so that GPU INT8 results equal the CPU's bytes. The arithmetic functions are
// __host__ __device__: tests/cuda/cuda_int8_math_test.cc checks them against the reference on
// the CPU (no GPU needed).
#pragma once

#include <climits>
#include <cstdint>

#include "kernels/cuda/int8_launch.h"

namespace strix::kernels::cuda {

// (a * b * 2) >> 32 rounded, saturating the single overflow case (gemmlowp's
// SaturatingRoundingDoublingHighMul). The 64-bit quotient truncates toward zero like C's /.
__host__ __device__ __forceinline__ int32_t srdhm(int32_t a, int32_t b) {
  if (a == b && a == INT_MIN) return INT_MAX;
  const long long ab = static_cast<long long>(a) * static_cast<long long>(b);
  const long long v = ab + (ab >= 0 ? (1ll << 30) : (1ll - (1ll << 30)));
  // v / 2^31 toward zero, without a 64-bit division.
  const long long q = (v >= 0 ? v : v + ((1ll << 31) - 1)) >> 31;
  return static_cast<int32_t>(q);
}

// x / 2^e rounded half away from zero.
__host__ __device__ __forceinline__ int32_t rounding_divide_by_pot(int32_t x, int e) {
  if (e <= 0) return x;
  const int32_t mask = static_cast<int32_t>((1ll << e) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}

__host__ __device__ __forceinline__ int32_t mul_by_quantized_multiplier(int32_t x, int32_t mult,
                                                                        int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  long long shifted = static_cast<long long>(x) * (1ll << left);
  if (shifted > INT_MAX) shifted = INT_MAX;
  if (shifted < INT_MIN) shifted = INT_MIN;
  return rounding_divide_by_pot(srdhm(static_cast<int32_t>(shifted), mult), right);
}

__host__ __device__ __forceinline__ int32_t requantize_dev(int32_t acc, int32_t mult, int shift,
                                                           int32_t zp, int32_t qmin, int32_t qmax) {
  const int32_t y = mul_by_quantized_multiplier(acc, mult, shift) + zp;
  return y < qmin ? qmin : (y > qmax ? qmax : y);
}

// requantize_dev for a multiplier in [2^30, 2^31) or 0 (quantize_multiplier's range: never
// INT_MIN, never negative) and right shifts e <= 31, in a few operations on constants made once
// per channel (RqConst). With m >= 0, srdhm(x, m) equals floor((x * m + 2^30) / 2^31) (the
// sign-dependent nudge and the truncation toward zero of the reference combine into one
// floor), and for e >= 1 rounding_divide_by_pot(h, e) equals floor((h + 2^(e-1) - [h < 0]) /
// 2^e); nested floors of integer divisions merge, so
//   y = (a + [e > 0] * (2^(30+e) - [a < 0] * 2^31)) >> (31 + e),  a = x * m + 2^30,
// where h < 0 exactly when a < 0. |a| < 2^63; for e >= 1 the result is (a >> 32) >> (e - 1),
// a 32-bit shift of the high word, and for e = 0 it is a >> 31, which fits in 32 bits. Bit-
// identical to requantize_dev (tests compare every byte).
struct RqConst {
  int32_t mult = 0;
  int32_t lsh = 0;       // saturating left shift of the input (shift > 0)
  int32_t e = 0;         // right shift after the 31-bit one
  int32_t hi_shift = 0;  // e - 1 for e >= 1: the shift of a's high word
  long long cpos = 0;    // [e > 0] * 2^(30 + e): the rounding term when a >= 0
  long long cneg = 0;    // the same minus 2^31 when a < 0 (0 when e == 0)
};

__host__ __device__ __forceinline__ RqConst rq_const(int32_t mult, int shift) {
  RqConst c;
  c.mult = mult;
  c.lsh = shift > 0 ? shift : 0;
  c.e = shift > 0 ? 0 : -shift;
  c.cpos = c.e > 0 ? (1ll << (30 + c.e)) : 0;
  c.cneg = c.e > 0 ? c.cpos - (1ll << 31) : 0;
  c.hi_shift = c.e > 0 ? c.e - 1 : 0;
  return c;
}

// multiply_by_quantized_multiplier(v) with c = rq_const(mult, shift).
__host__ __device__ __forceinline__ int32_t rq_apply(int32_t v, const RqConst& c) {
  int32_t x = v;
  if (c.lsh > 0) {
    const long long s = static_cast<long long>(v) << c.lsh;
    x = s > INT_MAX ? INT_MAX : (s < INT_MIN ? INT_MIN : static_cast<int32_t>(s));
  }
  long long a = static_cast<long long>(x) * c.mult + (1ll << 30);
  a += a < 0 ? c.cneg : c.cpos;
  return c.e == 0 ? static_cast<int32_t>(a >> 31) : static_cast<int32_t>(a >> 32) >> c.hi_shift;
}

__host__ __device__ __forceinline__ int32_t rq_clamp(int32_t v, const RqConst& c, int32_t zp,
                                                     int32_t qmin, int32_t qmax) {
  const int32_t y = rq_apply(v, c) + zp;
  return y < qmin ? qmin : (y > qmax ? qmax : y);
}

__host__ __device__ __forceinline__ int32_t requantize_fast(int32_t v, int32_t mult, int shift,
                                                            int32_t zp, int32_t qmin,
                                                            int32_t qmax) {
  return rq_clamp(v, rq_const(mult, shift), zp, qmin, qmax);
}

// x * m + c as one wide multiply-add (mad.wide.s32 on the device).
__host__ __device__ __forceinline__ long long mad_wide(int32_t x, int32_t m, long long c) {
#ifdef __CUDA_ARCH__
  long long d;
  asm("mad.wide.s32 %0, %1, %2, %3;" : "=l"(d) : "r"(x), "r"(m), "l"(c));
  return d;
#else
  return static_cast<long long>(x) * m + c;
#endif
}

// multiply_by_quantized_multiplier(acc + bias) for a multiplier m in [0, 2^31) with a right
// shift e >= 1, where |acc + bias| + 2^(e-1) + 1 < 2^31 (rq_fast_ok), with the bias folded into
// the 64-bit term c = bias * m + 2^30 (once per channel): h = srdhm(acc + bias, m) =
// floor((acc * m + c) / 2^31) is one wide multiply-add and a funnel shift, and
// rounding_divide_by_pot(h, e) = (h + 2^(e-1) - [h < 0]) >> e, where the bound keeps the sum
// inside 32 bits (|h| <= |acc + bias| + 1). round = 2^(e-1). Bit-identical to requantize_dev
// under that bound (tests compare).
__host__ __device__ __forceinline__ int32_t rq_fast_folded(int32_t acc, int32_t m, long long c,
                                                           int32_t round, int e) {
  const int32_t h = static_cast<int32_t>(mad_wide(acc, m, c) >> 31);
  return (h + round + (h >> 31)) >> e;
}

// rq_fast_folded without a bias: multiply_by_quantized_multiplier(x).
__host__ __device__ __forceinline__ int32_t rq_fast(int32_t x, int32_t m, int32_t round, int e) {
  return rq_fast_folded(x, m, 1ll << 30, round, e);
}

// rq_fast_folded for outputs whose clamp removes the negative side (qmin >= the output zero
// point, a fused ReLU): with c_relu = bias * m + 2^30 + 2^(30+e) and hs = e - 1,
//   y = hi32(acc * m + c_relu) >> hs = floor(((acc + bias) * m + 2^30 + 2^(30+e)) / 2^(31+e)),
// which is rq_fast_folded without its sign term (- [h < 0]). Where acc * m + bias * m + 2^30 >=
// 0 the two are equal; where it is negative, both are <= 0, so y + zp <= zp <= qmin and the
// clamp gives qmin either way. So clamp(y + zp, qmin, qmax) equals the reference's for qmin >=
// zp (tests compare). Needs m in [0, 2^31), 1 <= e <= 31 and |acc + bias| < 2^31: one wide
// multiply-add and one shift of its high word.
__host__ __device__ __forceinline__ int32_t rq_fast_relu(int32_t acc, int32_t m, long long c_relu,
                                                         int hs) {
  return static_cast<int32_t>(mad_wide(acc, m, c_relu) >> 32) >> hs;
}

// c_relu of rq_fast_relu for a bias, multiplier m and right shift e >= 1.
__host__ __device__ __forceinline__ long long rq_relu_const(int32_t bias, int32_t m, int e) {
  return static_cast<long long>(bias) * m + (1ll << 30) + (1ll << (30 + e));
}

// Whether rq_fast is exact for multiplier `shift` and every |x| <= max_abs_x.
__host__ __device__ __forceinline__ bool rq_fast_ok(int shift, long long max_abs_x) {
  const int e = -shift;
  return e >= 1 && e <= 31 && max_abs_x + (1ll << (e - 1)) + 1 < (1ll << 31) - 1;
}

// The DevFastDiv of divisor d >= 1 (Granlund and Montgomery, "Division by invariant integers
// using multiplication", 1994, fig. 4.1): shift = ceil(log2 d), mul = 2^32 (2^shift - d) / d + 1.
inline DevFastDiv make_fast_div(uint32_t d) {
  DevFastDiv f;
  while ((1ull << f.shift) < d) ++f.shift;
  f.mul = static_cast<uint32_t>(((1ull << 32) * ((1ull << f.shift) - d)) / d + 1);
  return f;
}

// n / d for 0 <= n < 2^31 (the sum stays below 2^32).
__host__ __device__ __forceinline__ int fast_div(int n, DevFastDiv f) {
#ifdef __CUDA_ARCH__
  const uint32_t hi = __umulhi(static_cast<uint32_t>(n), f.mul);
#else
  const uint32_t hi = static_cast<uint32_t>((static_cast<uint64_t>(n) * f.mul) >> 32);
#endif
  return static_cast<int>((hi + static_cast<uint32_t>(n)) >> f.shift);
}

__host__ __device__ __forceinline__ int32_t add_i8_dev(const DevAddI8& q, int32_t a, int32_t b) {
  const int32_t sa = (a - q.a_zp) * (1 << q.left_shift);
  const int32_t sb = (b - q.b_zp) * (1 << q.left_shift);
  const int32_t sum = requantize_fast(sa, q.a_mult, q.a_shift, 0, INT_MIN, INT_MAX) +
                      requantize_fast(sb, q.b_mult, q.b_shift, 0, INT_MIN, INT_MAX);
  return requantize_fast(sum, q.out_mult, q.out_shift, q.out_zp, q.qmin, q.qmax);
}

#ifdef __CUDACC__
// The output value of channel `ch` for accumulator `acc` (bias not yet added), with the
// fused residual value `r` when p.residual is set.
__device__ __forceinline__ int8_t conv_i8_output(const DevConvI8& p, int32_t acc, int ch,
                                                 int32_t r) {
  const int32_t v = acc + __ldg(p.rq.bias + ch);
  int32_t y = requantize_fast(v, __ldg(p.rq.mult + ch), __ldg(p.rq.shift + ch), p.rq.y_zp,
                              p.rq.qmin, p.rq.qmax);
  if (p.residual != nullptr) y = add_i8_dev(p.add, y, r);
  return static_cast<int8_t>(y);
}

#endif  // __CUDACC__

}  // namespace strix::kernels::cuda
