// kernels/cpu/ref/binary.h — elementwise binary ops with numpy broadcasting: Add, Sub, Mul,
// Div, Max, Min, Pow (f32, fused activation), PRelu (f32), and INT8 Add.
//
// Broadcasting (numpy, multidirectional): shapes are right-aligned, missing leading dims are
// 1, and each pair of dims must be equal or contain a 1; the output takes the larger. Up to
// Shape::kMaxRank dims. PRelu broadcasts the slope unidirectionally: the output is X's shape.
//
// f32: y = activation(a op b). Div follows IEEE (x/0 = +-inf, 0/0 = nan). Max/Min propagate
// NaN. Pow is std::pow.
//
// INT8 Add (TFLite's quantized Add; all three tensors per-tensor quantized,
// real = scale * (q - zp)), with requantize.h arithmetic:
//   left_shift = 20, s = 2 * max(a_scale, b_scale)
//   a_mul = quantize_multiplier(a_scale / s), b_mul = quantize_multiplier(b_scale / s)
//   out_mul = quantize_multiplier(s / (2^20 * y_scale))
//   a' = multiply_by_quantized_multiplier((a_q - a_zp) * 2^20, a_mul), b' likewise
//   y_q = requantize(a' + b', out_mul, y_zp, qmin, qmax)
// [qmin, qmax] is [-128, 127] narrowed by a fused Relu (qmin = y_zp) or Clip (the bounds
// quantized with quantize_value); other fused activations are unsupported for INT8.
#pragma once

#include <cstdint>

#include "kernels/cpu/ref/activation.h"
#include "kernels/cpu/ref/requantize.h"
#include "kernels/kernel.h"

namespace strix::kernels::ref {

// numpy broadcast of a and b into *out; false when some dimension pair is incompatible.
bool broadcast_shapes(const Shape& a, const Shape& b, Shape* out);

// Element strides of both inputs over the output's dims (0 where an input is broadcast).
// A rank-0 output is treated as [1].
struct BroadcastPlan {
  int rank = 1;
  int64_t dims[Shape::kMaxRank] = {1};
  int64_t a_strides[Shape::kMaxRank] = {0};
  int64_t b_strides[Shape::kMaxRank] = {0};
  int64_t count = 1;  // elements of the output
};
// Precondition: a and b broadcast to out.
BroadcastPlan make_broadcast_plan(const Shape& a, const Shape& b, const Shape& out);

// Calls f(out_index, a_index, b_index) for every output element, in row-major order.
template <typename F>
void for_each_broadcast(const BroadcastPlan& p, F f) {
  int last = p.rank - 1;
  int64_t inner = p.dims[last];
  if (p.count == 0) return;
  int64_t sa = p.a_strides[last], sb = p.b_strides[last];
  int64_t idx[Shape::kMaxRank] = {0};
  int64_t a = 0, b = 0, o = 0;
  for (int64_t row = 0; row < p.count / inner; ++row) {
    for (int64_t i = 0; i < inner; ++i) f(o++, a + i * sa, b + i * sb);
    for (int d = last - 1; d >= 0; --d) {  // odometer over the outer dims
      a += p.a_strides[d];
      b += p.b_strides[d];
      if (++idx[d] < p.dims[d]) break;
      a -= p.a_strides[d] * p.dims[d];
      b -= p.b_strides[d] * p.dims[d];
      idx[d] = 0;
    }
  }
}

// y = activation(a op b) for op in Add, Sub, Mul, Div, Max, Min, Pow. y may equal a when a is
// not broadcast (a's shape is the output's).
void binary_f32(fb::OpType op, const ActivationParams& act, const BroadcastPlan& plan,
                const float* a, const float* b, float* y);

// y = x >= 0 ? x : slope * x; plan made with a = X, b = slope, out = X. y may equal x.
void prelu_f32(const BroadcastPlan& plan, const float* x, const float* slope, float* y);

struct AddI8Params {
  int32_t a_zp = 0, b_zp = 0, out_zp = 0;
  int left_shift = 20;
  QuantizedMultiplier a_mul, b_mul, out_mul;
  int32_t qmin = -128, qmax = 127;
};
AddI8Params make_add_i8_params(float a_scale, int32_t a_zp, float b_scale, int32_t b_zp,
                               float out_scale, int32_t out_zp, int32_t qmin, int32_t qmax);
void add_i8(const AddI8Params& q, const BroadcastPlan& plan, const int8_t* a, const int8_t* b,
            int8_t* y);

// Add, Sub, Mul, Div, Max, Min, Pow; Add with i8 inputs goes to make_add_i8.
Result<std::unique_ptr<Kernel>> make_binary(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_prelu(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_add_i8(const PrepareArgs& args);  // binary_int8.cc

}  // namespace strix::kernels::ref
