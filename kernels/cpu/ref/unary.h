// kernels/cpu/ref/unary.h — elementwise activations and Power, f32.
#pragma once

#include <cstdint>

#include "kernels/cpu/ref/activation.h"
#include "kernels/kernel.h"

namespace strix::kernels::ref {

// y[i] = activation(x[i]) for i < n. x may equal y.
void unary_f32(const ActivationParams& p, const float* x, float* y, int64_t n);

// y[i] = (shift + scale * x[i]) ^ power. x may equal y.
void power_f32(float shift, float scale, float power, const float* x, float* y, int64_t n);

Result<std::unique_ptr<Kernel>> make_unary(const PrepareArgs& args);  // Relu ... Softplus
Result<std::unique_ptr<Kernel>> make_power(const PrepareArgs& args);

}  // namespace strix::kernels::ref
