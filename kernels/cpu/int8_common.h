// kernels/cpu/int8_common.h — shared by the INT8 drivers of the optimized CPU backend
// (conv_int8.cc, gemm_int8.cc, add_int8.cc, pool_int8.cc, quantize_int8.cc): the per-channel
// requantize constants in the form the leaf routines take (isa_int8.h), and the INT8 factories the
// backend lists.
//
// Each factory first runs the reference factory of the op, so validation, error messages and
// output shapes are exactly the reference's (ref::int8_quant_params included); then it
// returns kUnsupported for configurations it has no fast path for (the reference runs).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/cpu/isa_int8.h"
#include "kernels/cpu/ref/int8_params.h"
#include "kernels/kernel.h"

namespace strix::kernels::cpu {

// One entry per output channel, padded with zeros to a multiple of the tile width so that
// vector loads of a last partial tile stay inside.
struct Int8Channels {
  std::vector<int32_t> offset, mult, lshift, rshift;
  int32_t zp = 0, qmin = -128, qmax = 127;
  bool left = false;  // some lshift > 0

  // Multipliers, shifts and clamp from `q` for channels [0, channels), zeros up to `padded`;
  // offset[c] = bias[c] - zp_eff * wsum[c] modulo 2^32 (isa_int8.h: the exact accumulator
  // fits int32, so wrapped intermediate values cancel). bias may be null; zp_eff comes from
  // effective_zero_point (0 with wsum all 0 where the kernel subtracts x_zp itself).
  void init(const ref::QuantParams& q, int64_t channels, int64_t padded, const int32_t* bias,
            const std::vector<int64_t>& wsum, int32_t zp_eff);
  // Enables the short requantize (isa_int8.h fast_requant_ok) when every channel c < channels
  // passes it with bound 255 * wabs[c] + |bias[c]| (wabs: sum of |w| of the channel's weights,
  // so the bound holds for every input): fills fast_c (padded like the others) and fast_mode.
  void enable_fast(int64_t channels, const int32_t* bias, const std::vector<int64_t>& wabs);
  // The constants from channel `first` on.
  Int8Requant at(int64_t first) const;

  std::vector<int64_t> fast_c;  // empty: the short requantize does not apply
  int fast_mode = 2;
};

// The accumulator value a zero-point input contributes per unit weight: x_zp + 128 when the
// ISA takes u8 activations (act_xor 0x80), x_zp when it takes s8.
inline int32_t effective_zero_point(const IsaInt8Kernels& isa, int32_t x_zp) {
  return x_zp + (isa.act_xor ? 128 : 0);
}

Result<std::unique_ptr<Kernel>> make_conv2d_i8(const PrepareArgs& args, const IsaInt8Kernels& isa);
Result<std::unique_ptr<Kernel>> make_fully_connected_i8(const PrepareArgs& args,
                                                        const IsaInt8Kernels& isa);
Result<std::unique_ptr<Kernel>> make_add_i8(const PrepareArgs& args, const IsaInt8Kernels& isa);
Result<std::unique_ptr<Kernel>> make_max_pool_i8(const PrepareArgs& args,
                                                 const IsaInt8Kernels& isa);
Result<std::unique_ptr<Kernel>> make_global_average_pool_i8(const PrepareArgs& args,
                                                            const IsaInt8Kernels& isa);
Result<std::unique_ptr<Kernel>> make_quantize_i8(const PrepareArgs& args,
                                                 const IsaInt8Kernels& isa);

}  // namespace strix::kernels::cpu
