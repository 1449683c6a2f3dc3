// kernels/cpu/ref/matmul.h — MatMul with numpy semantics, f32.
//
// Inputs A, B (each computed or constant, rank >= 1). A 1-D A [K] is taken as [1, K] and a
// 1-D B [K] as [K, 1]; the added dimension is removed from the result. The leading (batch)
// dimensions broadcast numpy-style. Output Y [batch..., M, N] (less the removed dims):
//   Y[b..., i, j] = act(sum_k A[b..., i, k] * B[b..., k, j]).
// Options: MatMulOptions (may be absent) carries the fused activation.
#pragma once

#include <cstdint>
#include <memory>

#include "kernels/cpu/ref/activation.h"
#include "kernels/kernel.h"

namespace strix::kernels::ref {

struct MatMulParams {
  // Broadcast batch dims of Y, and the element strides of A's and B's matrices along them
  // (0 along a broadcast dim). Batch b of Y uses A + sum_d idx_d * a_batch_strides[d].
  int batch_rank = 0;
  int64_t batch_dims[Shape::kMaxRank] = {};
  int64_t a_batch_strides[Shape::kMaxRank] = {};
  int64_t b_batch_strides[Shape::kMaxRank] = {};
  int64_t m = 0, n = 0, k = 0;  // A matrices [m, k], B [k, n], Y [m, n], all row-major
};

void matmul_f32(const MatMulParams& p, const ActivationParams& act, const float* a, const float* b,
                float* y);

// Computes the params and Y's shape from A's and B's; fails naming the dims that differ.
Status matmul_params(const PrepareArgs& args, const Shape& a, const Shape& b, MatMulParams* p,
                     Shape* y);

Result<std::unique_ptr<Kernel>> make_matmul(const PrepareArgs& args);

}  // namespace strix::kernels::ref
