// kernels/cpu/ref/conv_geometry.h — option and shape checks shared by the Conv2D (f32, int8)
// and ConvTranspose2D factories. Every problem comes back as a node_error naming it.
#pragma once

#include <cstdint>

#include "kernels/kernel.h"

namespace strix::kernels::ref {

// The window options of a Conv2D / ConvTranspose2D, defaults filled in: kernel [-1, -1] when
// absent (the kernel of the weights), strides and dilations 1, pads
// [top, left, bottom, right] 0.
struct ConvWindow {
  int64_t kernel[2], strides[2], dilations[2], pads[4];
};

// Checks that X (input 0, `x`) is rank 4 [N,C,H,W], that the weights (input 1, `w`) are rank
// 4 with the layout `w_layout` (named in the message, e.g. "M,C/group,kH,kW"), and that every
// dimension of both is positive.
Status check_conv_shapes(const PrepareArgs& args, const Shape& x, const Shape& w,
                         const char* w_layout);

// Checks that group >= 1 and divides the `channels` input channels.
Status check_conv_group(const PrepareArgs& args, int64_t group, int64_t channels);

// Reads the window options (each may be null) and checks them: a given kernel equals the
// weights' [kh, kw] (w: shape of the weights, input 1), strides and dilations >= 1, pads >= 0.
Status read_conv_window(const PrepareArgs& args, const flatbuffers::Vector<int32_t>* kernel,
                        const flatbuffers::Vector<int32_t>* strides,
                        const flatbuffers::Vector<int32_t>* dilations,
                        const flatbuffers::Vector<int32_t>* pads, const Shape& w, ConvWindow* win);

// The same for an options table `o` (Conv2DOptions or ConvTranspose2DOptions; may be null).
template <typename Options>
Status read_conv_window(const PrepareArgs& args, const Options* o, const Shape& w,
                        ConvWindow* win) {
  return read_conv_window(args, o ? o->kernel() : nullptr, o ? o->strides() : nullptr,
                          o ? o->dilations() : nullptr, o ? o->pads() : nullptr, w, win);
}

// The optional f32 bias (input 2): when present it must be constant f32 of shape [m].
// `has_bias` says whether it is present.
Status check_f32_bias(const PrepareArgs& args, int64_t m, bool* has_bias);

}  // namespace strix::kernels::ref
