// pipeline/metapublish.h — strixmetapublish: strix results as JSON lines (see metapublish.cc).
#pragma once

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_STRIX_META_PUBLISH (gst_strix_meta_publish_get_type())
G_DECLARE_FINAL_TYPE(GstStrixMetaPublish, gst_strix_meta_publish, GST, STRIX_META_PUBLISH,
                     GstBaseTransform)
GST_ELEMENT_REGISTER_DECLARE(strixmetapublish);

G_END_DECLS
