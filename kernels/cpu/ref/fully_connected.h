// kernels/cpu/ref/fully_connected.h — FullyConnected (ONNX Gemm): f32
// (fully_connected.cc) and int8 (fully_connected_int8.cc).
//
// Inputs: A [M, K] ([K, M] when trans_a), B [K, N] ([N, K] when trans_b; constant or
// computed), optional C broadcastable (numpy, unidirectional) to [M, N]. Output Y [M, N]:
//   Y[i, j] = act(alpha * sum_k op(A)[i, k] * op(B)[k, j] + beta * C[i, j]).
// Options (FullyConnectedOptions; absent means alpha 1, beta 1, no transposes, no activation).
// When beta == 0, C is not read.
//
// int8: A i8 per tensor, B constant i8 symmetric per tensor or per channel along N (axis 1
// of [K, N], axis 0 of [N, K] with trans_b), C an optional constant i32 bias of N values
// ([N] or [1, N]); alpha must be 1, beta 1 (when C is given) and trans_a false. See
// int8_params.h.
#pragma once

#include <cstdint>
#include <memory>

#include "kernels/cpu/ref/activation.h"
#include "kernels/cpu/ref/int8_params.h"
#include "kernels/kernel.h"

namespace strix::kernels::ref {

struct FullyConnectedParams {
  int64_t m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  float alpha = 1, beta = 1;
  // C[i, j] is c[i * c_stride_m + j * c_stride_n]; a stride is 0 along a broadcast dim.
  int64_t c_stride_m = 0, c_stride_n = 0;
};

// f32 Gemm with fused activation. c may be null (no C).
void fully_connected_f32(const FullyConnectedParams& p, const ActivationParams& act, const float* a,
                         const float* b, const float* c, float* y);

// int8 Gemm (trans_a false, alpha and beta 1): y[i, j] = requantize(sum_k (a - a_zp) * b +
// bias[j]). bias may be null.
void fully_connected_i8(const FullyConnectedParams& p, const QuantParams& q, const int8_t* a,
                        const int8_t* b, const int32_t* bias, int8_t* y);

// Checks that A (input 0) and B (input 1) are rank 2 and fills p->m, p->k (from op(A)) and
// p->n (from op(B)) as p->trans_a / p->trans_b say; `kb` is op(B)'s K, which the caller
// compares with p->k.
Status fully_connected_shapes(const PrepareArgs& args, FullyConnectedParams* p, int64_t* kb);

// Dispatches on input 0's dtype: f32 here, i8 to make_fully_connected_i8.
Result<std::unique_ptr<Kernel>> make_fully_connected(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_fully_connected_i8(const PrepareArgs& args);

}  // namespace strix::kernels::ref
