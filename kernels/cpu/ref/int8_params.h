// kernels/cpu/ref/int8_params.h — the quantization constants of an INT8 Conv2D or
// FullyConnected, validated and resolved once at prepare.
//
// Contract (see requantize.h for the arithmetic):
//   x (input 0): i8, per-tensor scale and zero point.
//   w (weights): constant i8, symmetric (every zero point 0), per tensor or per channel
//                along the output-channel axis.
//   bias:        optional constant i32 with one value per output channel, scale
//                x_scale * w_scale[c] and zero point 0. When the bias tensor carries a
//                Quantization, its scales must match that within 1e-6 relative; when it
//                carries none, the values are taken at that scale as they are.
//   y (output 0): i8, per-tensor scale and zero point.
// y_q[c] = requantize(sum (x_q - x_zp) * w_q + bias[c], multipliers[c], y_zp, qmin, qmax).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/cpu/ref/requantize.h"
#include "kernels/kernel.h"

namespace strix::kernels::ref {

struct QuantParams {
  int32_t x_zero_point = 0;
  int32_t y_zero_point = 0;
  // Output clamp: the i8 range, narrowed by a fused Relu or Clip.
  int32_t qmin = -128;
  int32_t qmax = 127;
  // One per output channel (repeated for per-tensor weights): x_scale * w_scale[c] / y_scale.
  std::vector<QuantizedMultiplier> multipliers;
};

// Largest reduction length for which sum (x_q - x_zp) * w_q (|term| <= 255 * 128) plus an
// i32 bias cannot overflow int32 is about 2^31 / 32640; longer reductions are refused.
constexpr int64_t kMaxInt8Reduction = 65536;

// Validates the quantization of input 0, of the weights (input `w_index`, `channels`
// output channels along axis `w_axis` of the weights), of the optional bias (input
// `bias_index`, -1 or an omitted input for none) and of output 0, and fills `q`. The fused
// activation may be None, Relu or Clip; anything else is kUnsupported.
Status int8_quant_params(const PrepareArgs& args, int w_index, int w_axis, int64_t channels,
                         int bias_index, const fb::Activation* activation, QuantParams* q);

// The per-tensor quantization of an i8 activation tensor `t` (Pool, Add): exactly one scale,
// finite and > 0, and a zero point in [-128, 127] (0 when absent). Anything else is
// kUnsupported (not per tensor) or kCorruptModel (invalid values).
Status int8_tensor_quant(const PrepareArgs& args, const KTensor& t, float* scale, int32_t* zp);

}  // namespace strix::kernels::ref
