// tests/pipeline/gst_test_util.h — GStreamer set-up, test models and frames for the
// element tests.
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include <cstdint>
#include <string>
#include <vector>

#include "strix/model.h"
#include "strix/vision.h"

namespace strix::gsttest {

// gst_init once, then registers the strix elements statically (no plugin loading).
void init_gst();

// A classifier: image -> Flatten -> FullyConnected (random weights) -> [Softmax] -> probs.
struct ModelSpec {
  Layout layout = Layout::kNCHW;
  ColorOrder color = ColorOrder::kRGB;
  ResizeKind resize = ResizeKind::kStretch;
  int width = 12, height = 10, classes = 7;
  uint32_t seed = 1;
};
// Writes the model to a file in a per-process temporary directory and returns its path.
std::string write_model(const ModelSpec& spec, const std::string& name);
// A path in that directory.
std::string temp_path(const std::string& name);

// A random frame, tightly packed (strix::vision::Image::packed layout).
std::vector<uint8_t> random_packed(vision::PixelFormat format, int w, int h, uint32_t seed);
// The same pixels copied into a GstBuffer laid out as GStreamer's default for `info`
// (rows padded to 4 bytes, planes aligned).
GstBuffer* to_buffer(const std::vector<uint8_t>& packed, vision::PixelFormat format,
                     const GstVideoInfo& info);
GstVideoFormat gst_format(vision::PixelFormat format);

// Runs the model through the C++ API on `packed` pre-processed as the element does:
// the expected top-k of the frame. `info` gives the size and the YUV matrix and range.
std::vector<vision::Classification> expected_top(const std::string& model_path,
                                                 const std::vector<uint8_t>& packed,
                                                 vision::PixelFormat format,
                                                 const GstVideoInfo& info, int top_k);

}  // namespace strix::gsttest
