// pipeline/overlay.h — strixoverlay: draws strix results on frames (see overlay.cc).
#pragma once

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_STRIX_OVERLAY (gst_strix_overlay_get_type())
G_DECLARE_FINAL_TYPE(GstStrixOverlay, gst_strix_overlay, GST, STRIX_OVERLAY, GstVideoFilter)
GST_ELEMENT_REGISTER_DECLARE(strixoverlay);

G_END_DECLS
