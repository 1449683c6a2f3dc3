// kernels/cpu/ref/softmax.h — Softmax and LogSoftmax along one axis (ONNX opset 13), f32.
//
// X is seen as [outer, len, inner]: `len` is the reduced axis, `inner` the product of the
// dimensions after it. Element (o, a, i) is at x[(o * len + a) * inner + i].
#pragma once

#include <cstdint>

#include "kernels/kernel.h"

namespace strix::kernels::ref {

// y = exp(x - max) / sum(exp(x - max)) along the axis. x may equal y.
void softmax_f32(const float* x, int64_t outer, int64_t len, int64_t inner, float* y);

// y = x - max - log(sum(exp(x - max))) along the axis. x may equal y.
void log_softmax_f32(const float* x, int64_t outer, int64_t len, int64_t inner, float* y);

Result<std::unique_ptr<Kernel>> make_softmax(const PrepareArgs& args);  // Softmax, LogSoftmax

}  // namespace strix::kernels::ref
