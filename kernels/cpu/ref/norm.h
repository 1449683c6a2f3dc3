// kernels/cpu/ref/norm.h — normalizations (BatchNormalization, LayerNormalization,
// InstanceNormalization, GroupNormalization) and cross-channel LRN, f32, NCHW.
//
// Shapes are passed flattened: X [N, C, ...] is seen as [n, c, inner] where inner is the
// product of the dimensions after C (1 for rank 2).
#pragma once

#include <cstdint>

#include "kernels/kernel.h"

namespace strix::kernels::ref {

// ---- Shared statistics ------------------------------------------------------------------

// Mean and (biased, population) variance of x[0..n), in float, by the corrected two-pass
// method: pass 1 gives mean0 = sum(x) / n; pass 2 sums d = x - mean0 and d^2, then
// mean = mean0 + sum(d) / n and var = sum(d^2) / n - (sum(d) / n)^2 (clamped at 0).
// Accurate for data with a large offset (1e3 + small noise), unlike E[x^2] - E[x]^2.
// n == 0 gives mean = var = 0.
void mean_variance_f32(const float* x, int64_t n, float* mean, float* var);

// ---- BatchNormalization (inference) -----------------------------------------------------

// Per channel: a[c] = scale[c] / sqrt(var[c] + epsilon), b[c] = bias[c] - mean[c] * a[c].
void batch_norm_coefficients_f32(const float* scale, const float* bias, const float* mean,
                                 const float* var, float epsilon, int64_t c, float* a, float* b);

// y[i, j, k] = a[j] * x[i, j, k] + b[j] for X [n, c, inner]. x may equal y.
void channel_affine_f32(const float* x, const float* a, const float* b, int64_t n, int64_t c,
                        int64_t inner, float* y);

// y = scale * (x - mean) / sqrt(var + epsilon) + bias, per channel of X [n, c, inner];
// scale, bias, mean, var are [c]. Computes the coefficients above channel by channel.
// x may equal y.
void batch_norm_f32(const float* x, const float* scale, const float* bias, const float* mean,
                    const float* var, float epsilon, int64_t n, int64_t c, int64_t inner, float* y);

// ---- LayerNormalization -----------------------------------------------------------------

// X is [outer, d]: each row is normalized over its d values, then
// y[r, j] = (x[r, j] - mean_r) / sqrt(var_r + epsilon) * scale[j] + bias[j].
// scale is [d]; bias is [d] or null (zero). x may equal y.
void layer_norm_f32(const float* x, const float* scale, const float* bias, float epsilon,
                    int64_t outer, int64_t d, float* y);

// ---- InstanceNormalization / GroupNormalization -----------------------------------------

// X [n, c, inner]; channels are split into `groups` groups of c / groups consecutive
// channels (precondition: c % groups == 0). Each (sample, group) block of
// (c / groups) * inner values is normalized by its own mean and variance, then channel j
// gets y = x_hat * scale[j] + bias[j] (scale, bias [c], as ONNX opset 21 and PyTorch).
// x may equal y.
void group_norm_f32(const float* x, const float* scale, const float* bias, float epsilon, int64_t n,
                    int64_t c, int64_t groups, int64_t inner, float* y);

// InstanceNormalization: group_norm_f32 with one group per channel.
void instance_norm_f32(const float* x, const float* scale, const float* bias, float epsilon,
                       int64_t n, int64_t c, int64_t inner, float* y);

// ---- LRN (cross-channel, ONNX) ----------------------------------------------------------

struct LrnParams {
  int size = 1;
  float alpha = 1e-4f;
  float beta = 0.75f;
  float bias = 1.f;
};

// X [n, c, inner]. For each channel j:
//   square_sum = sum of x[i, j', k]^2 for j' in [j - floor((size-1)/2), j + ceil((size-1)/2)]
//                clipped to [0, c),
//   y[i, j, k] = x[i, j, k] / (bias + alpha / size * square_sum)^beta.
// x must not alias y.
void lrn_f32(const LrnParams& p, const float* x, int64_t n, int64_t c, int64_t inner, float* y);

// ---- Factories --------------------------------------------------------------------------

Result<std::unique_ptr<Kernel>> make_batch_norm(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_layer_norm(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_instance_norm(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_group_norm(const PrepareArgs& args);
Result<std::unique_ptr<Kernel>> make_lrn(const PrepareArgs& args);

// ---- Prepare-time checks shared by the factories above ----------------------------------

// Input i is present, f32, and of shape [c]; `what` names it in the message ("scale").
Status expect_channel_param(const PrepareArgs& args, int i, int64_t c, const char* what);
// Output 0 is f32.
Status expect_f32_output(const PrepareArgs& args);
// epsilon is finite and >= 0.
Status expect_epsilon(const PrepareArgs& args, float epsilon);

}  // namespace strix::kernels::ref
