// sdk/vision/preprocess_internal.h — pieces of the CPU pre-processing path
// (preprocess.cc) that the batch / device path (preprocess_batch.cc) shares (internal).
#pragma once

#include <cstdint>

#include "kernels/preprocess_job.h"
#include "strix/status.h"
#include "strix/vision.h"

namespace strix::vision {
namespace internal {

// Preprocessor::run()'s frame check: kInvalidArgument for an unknown format, an empty
// frame, a null plane or a too-small stride.
Status check_frame(const Image& image);
// Used bytes of one row of `plane` and rows of that plane, for a frame of the format.
int64_t plane_row_bytes(PixelFormat format, int width, int plane);
int plane_rows(PixelFormat format, int height, int plane);
// The device description of `image` (its planes as given) sampled through `m`, with the
// CPU path's YUV constants and sample steps.
kernels::PreprocessFrame device_frame(const Image& image, const Mapping& m);

}  // namespace internal

// Builds device jobs from a Preprocessor's private constants (a friend of Preprocessor).
struct PreprocessorAccess {
  // The job writing frames[0..count) (planes already in device memory, one device frame
  // each in `out`, which must hold count entries) into items of `dst`, a device tensor of
  // `batch` items of p's input in its model layout, or channels-last (kernels/device.h:
  // logical [N, D1, D2, D3] stored as [N, D2, D3, D1]) when `channels_last`.
  static kernels::PreprocessJob job(const Preprocessor& p, const Image* frames, int count,
                                    int batch, void* dst, bool channels_last,
                                    kernels::PreprocessFrame* out);
};

}  // namespace strix::vision
