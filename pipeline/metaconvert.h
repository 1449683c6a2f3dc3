// pipeline/metaconvert.h — strixmetaconvert: strix results to JSON (see metaconvert.cc).
#pragma once

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_STRIX_META_CONVERT (gst_strix_meta_convert_get_type())
G_DECLARE_FINAL_TYPE(GstStrixMetaConvert, gst_strix_meta_convert, GST, STRIX_META_CONVERT,
                     GstBaseTransform)
GST_ELEMENT_REGISTER_DECLARE(strixmetaconvert);

G_END_DECLS
