// kernels/cuda/launch.h — launchers of the CUDA kernels in *.cu (internal).
//
// Plain functions over raw device pointers, so that the .cu files need neither the
// FlatBuffers schema nor the Status type. Every launcher enqueues on `stream` and returns
// at once; launch errors surface at the Context's next synchronize. Layout NCHW, element
// type f32 or f16 (`half` true: IEEE binary16 storage, f32 arithmetic).
#pragma once

#include <cstddef>
#include <cstdint>

#include <cuda_runtime.h>

namespace strix::kernels::cuda {

// Values of fb::ActivationKind (kept equal: static_assert in cuda_backend.cc).
struct DevActivation {
  int kind = 0;
  float alpha = 0, beta = 0;
};

// y[i] = act(x[i]); x may equal y.
void launch_unary(const DevActivation& act, const void* x, void* y, int64_t n, bool half,
                  cudaStream_t stream);

// [n, c, hw] <-> [n, hw, c] (to_channels_last: NCHW -> NHWC), elements of 1, 2 or 4 bytes.
void launch_convert_layout(void* dst, const void* src, int64_t n, int64_t c, int64_t hw,
                           size_t elem_size, bool to_channels_last, cudaStream_t stream);

// Binary op codes.
enum BinaryOp { kAdd = 0, kSub, kMul, kDiv, kMax, kMin, kPow };
constexpr int kMaxBroadcastRank = 8;
struct DevBroadcast {
  int rank = 1;
  int64_t dims[kMaxBroadcastRank] = {1};
  int64_t a_strides[kMaxBroadcastRank] = {0};
  int64_t b_strides[kMaxBroadcastRank] = {0};
  int64_t count = 0;
  bool same_shape = false;  // a, b and y have the same shape: flat indexing
};
// y = act(a op b) with numpy broadcasting described by `p`.
void launch_binary(BinaryOp op, const DevActivation& act, const DevBroadcast& p, const void* a,
                   const void* b, void* y, bool half, cudaStream_t stream);

// y[m, n] = act(y[m, n] * scale + beta * c[m * c_stride_m + n * c_stride_n] + bias[n]) over
// y [rows, cols]; c and bias may be null. Used after cuBLAS and cuDNN.
void launch_epilogue(const DevActivation& act, void* y, int64_t rows, int64_t cols, const void* c,
                     float beta, int64_t c_stride_m, int64_t c_stride_n, bool half,
                     cudaStream_t stream);
// y[n, m, :] = act(y[n, m, :] + bias[m]) over y [batch, channels, spatial]; bias may be null.
// channels_last: y is [batch, spatial, channels] instead.
void launch_bias_activation(const DevActivation& act, void* y, const void* bias, int64_t batch,
                            int64_t channels, int64_t spatial, bool channels_last, bool half,
                            cudaStream_t stream);

// 2-D pooling over x [n*c planes, h, w] -> y [planes, oh, ow]; geometry as ref::Pool2DParams.
struct DevPool {
  int kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
  int pad_top, pad_left, pad_bottom, pad_right;
  bool count_include_pad;
  int64_t planes, h, w, out_h, out_w;
  int64_t channels;    // channels_last only: planes = n * channels
  bool channels_last;  // x [n, h, w, c] -> y [n, oh, ow, c]
};
void launch_pool2d(bool average, const DevPool& p, const void* x, void* y, bool half,
                   cudaStream_t stream);
// y[plane] = mean (or max) of x[plane, 0..spatial).
// channels_last: x is [n, spatial, channels] (planes = n * channels), y [n, channels].
void launch_global_pool(bool average, const void* x, void* y, int64_t planes, int64_t spatial,
                        int64_t channels, bool channels_last, bool half, cudaStream_t stream);

// Depthwise Conv2D (groups = channels, one filter each) over channels-last f16 tensors:
// x [n, h, w, c], filters [c, kh, kw] (the device layout [M, kH, kW, 1]), bias [c] or null,
// y [n, oh, ow, c] = act(conv + bias). Geometry as ref::Conv2DParams; every element count
// and offset must fit in int32 (the caller checks).
struct DevDepthwise {
  int n, c, h, w, oh, ow, kh, kw, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
};
void launch_depthwise_nhwc(const DevDepthwise& p, const DevActivation& act, const void* x,
                           const void* w, const void* bias, void* y, cudaStream_t stream);

// Softmax (or log-softmax) over the middle dimension of x viewed as [outer, axis, inner].
void launch_softmax(bool log, const void* x, void* y, int64_t outer, int64_t axis, int64_t inner,
                    bool half, cudaStream_t stream);

}  // namespace strix::kernels::cuda
