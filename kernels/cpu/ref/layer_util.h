// kernels/cpu/ref/layer_util.h — prepare-time helpers shared by the Conv2D,
// ConvTranspose2D, FullyConnected and MatMul reference kernels.
#pragma once

#include <cstdint>

#include "kernels/cpu/ref/activation.h"
#include "kernels/kernel.h"

namespace strix::kernels::ref {

// Fails when the node carries an options table of another type than `expected`.
// An absent table (NONE) passes: the caller then uses the schema defaults.
Status check_options_type(const PrepareArgs& args, fb::OpOptions expected);

// Reads a fused activation (null means None). Fails on an unknown kind and on Clip with
// min > max.
Status fused_activation(const PrepareArgs& args, const fb::Activation* activation,
                        ActivationParams* out);

// Reads an int attribute of exactly `count` values into out[0..count). An absent or empty
// vector gives `fallback` in every slot; any other length fails, naming `what`.
Status read_ints(const PrepareArgs& args, const flatbuffers::Vector<int32_t>* values,
                 const char* what, int count, int64_t fallback, int64_t* out);

// Checks that output i has the given dtype.
Status expect_output_dtype(const PrepareArgs& args, int i, DType dtype);

}  // namespace strix::kernels::ref
