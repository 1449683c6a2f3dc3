// pipeline/classify.h — strixclassify: in-place image classification (see classify.cc).
#pragma once

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_STRIX_CLASSIFY (gst_strix_classify_get_type())
G_DECLARE_FINAL_TYPE(GstStrixClassify, gst_strix_classify, GST, STRIX_CLASSIFY, GstBaseTransform)
GST_ELEMENT_REGISTER_DECLARE(strixclassify);

G_END_DECLS
