// pipeline/common.h — pieces the strix elements share: the device enum property type,
// label lists, and GstVideoFrame -> strix::vision::Image.
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include <string>
#include <vector>

#include "strix/status.h"
#include "strix/vision.h"

G_BEGIN_DECLS

typedef enum {
  GST_STRIX_DEVICE_CPU = 0,
  GST_STRIX_DEVICE_CUDA = 1,
  GST_STRIX_DEVICE_AUTO = 2,
} GstStrixDevice;

// GEnum "GstStrixDevice": cpu, cuda, auto.
GType gst_strix_device_get_type(void);
#define GST_TYPE_STRIX_DEVICE (gst_strix_device_get_type())

G_END_DECLS

// The raw video formats the inference elements accept, as a caps string.
#define STRIX_GST_VIDEO_FORMATS "{ RGB, BGR, RGBx, BGRx, RGBA, BGRA, NV12, I420, GRAY8 }"
// An always-present static pad template ("sink"/"src", GST_PAD_SINK/GST_PAD_SRC) for raw
// video in STRIX_GST_VIDEO_FORMATS.
#define STRIX_GST_VIDEO_PAD_TEMPLATE(name, direction)      \
  GST_STATIC_PAD_TEMPLATE(name, direction, GST_PAD_ALWAYS, \
                          GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(STRIX_GST_VIDEO_FORMATS)))

namespace strix::gst {

const char* device_name(GstStrixDevice device);  // "cpu", "cuda", "auto"

// The `labels` property: a comma-separated list ("cat,dog"), or the path of a text file
// with one label per line when the value has no comma and names an existing file.
// Labels are trimmed of surrounding white space. Errors: kIoError for an unreadable file.
Result<std::vector<std::string>> parse_labels(const std::string& value);

// false when the frame's format is not one of STRIX_GST_VIDEO_FORMATS.
bool to_pixel_format(GstVideoFormat format, vision::PixelFormat* out);

// A borrowed view of a mapped frame (planes, strides, YUV matrix and range).
vision::Image image_of(const GstVideoFrame* frame, vision::PixelFormat format);

}  // namespace strix::gst
