/**
 * SECTION:element-strixmetapublish
 * @title: strixmetapublish
 *
 * Writes one JSON line (strix_gst_meta_to_json()) per #StrixGstMeta to the file named by
 * "location" and passes buffers through untouched. The file is created (truncated) when
 * the element starts and flushed at EOS and when it stops. Buffers without a strix meta
 * write nothing.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=30 \
 *     ! strixclassify model=classifier.strix \
 *     ! strixmetapublish location=results.jsonl ! fakesink
 * ]|
 */
#include "pipeline/metapublish.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "strix/gst/meta.h"

GST_DEBUG_CATEGORY_STATIC(gst_strix_meta_publish_debug);
#define GST_CAT_DEFAULT gst_strix_meta_publish_debug

enum { PROP_0, PROP_LOCATION, PROP_LINES };

struct _GstStrixMetaPublish {
  GstBaseTransform parent;
  gchar* location;  // under the object lock
  guint64 lines;    // under the object lock
  FILE* file;       // streaming thread; opened in start(), closed in stop()
};

#define gst_strix_meta_publish_parent_class parent_class
G_DEFINE_TYPE(GstStrixMetaPublish, gst_strix_meta_publish, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE(strixmetapublish, "strixmetapublish", GST_RANK_NONE,
                            GST_TYPE_STRIX_META_PUBLISH);

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static void gst_strix_meta_publish_set_property(GObject* object, guint prop_id, const GValue* value,
                                                GParamSpec* pspec) {
  GstStrixMetaPublish* self = GST_STRIX_META_PUBLISH(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free(self->location);
      self->location = g_value_dup_string(value);
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_strix_meta_publish_get_property(GObject* object, guint prop_id, GValue* value,
                                                GParamSpec* pspec) {
  GstStrixMetaPublish* self = GST_STRIX_META_PUBLISH(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_LOCATION: g_value_set_string(value, self->location); break;
    case PROP_LINES: g_value_set_uint64(value, self->lines); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static gboolean gst_strix_meta_publish_start(GstBaseTransform* trans) {
  GstStrixMetaPublish* self = GST_STRIX_META_PUBLISH(trans);
  GST_OBJECT_LOCK(self);
  gchar* location = g_strdup(self->location);
  self->lines = 0;
  GST_OBJECT_UNLOCK(self);
  if (location == nullptr || location[0] == '\0') goto no_location;
  self->file = std::fopen(location, "w");
  if (self->file == nullptr) goto open_failed;
  g_free(location);
  return TRUE;

  /* ERRORS */
no_location:
  GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No file name: set the \"location\" property"),
                    (nullptr));
  g_free(location);
  return FALSE;
open_failed:
  GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE,
                    ("Could not open \"%s\" for writing: %s", location, std::strerror(errno)),
                    (nullptr));
  g_free(location);
  return FALSE;
}

static gboolean gst_strix_meta_publish_stop(GstBaseTransform* trans) {
  GstStrixMetaPublish* self = GST_STRIX_META_PUBLISH(trans);
  if (self->file != nullptr) {
    std::fclose(self->file);
    self->file = nullptr;
  }
  return TRUE;
}

static gboolean gst_strix_meta_publish_sink_event(GstBaseTransform* trans, GstEvent* event) {
  GstStrixMetaPublish* self = GST_STRIX_META_PUBLISH(trans);
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS && self->file != nullptr) std::fflush(self->file);
  return GST_BASE_TRANSFORM_CLASS(parent_class)->sink_event(trans, event);
}

static GstFlowReturn gst_strix_meta_publish_transform_ip(GstBaseTransform* trans, GstBuffer* buf) {
  GstStrixMetaPublish* self = GST_STRIX_META_PUBLISH(trans);
  gpointer state = nullptr;
  GstMeta* m;
  guint64 written = 0;
  while ((m = gst_buffer_iterate_meta_filtered(buf, &state, STRIX_GST_META_API_TYPE))) {
    gchar* json = strix_gst_meta_to_json(reinterpret_cast<const StrixGstMeta*>(m),
                                         GST_BUFFER_PTS(buf), nullptr);
    const bool ok = std::fputs(json, self->file) >= 0 && std::fputc('\n', self->file) != EOF;
    g_free(json);
    if (!ok) goto write_failed;
    ++written;
  }
  GST_OBJECT_LOCK(self);
  self->lines += written;
  GST_OBJECT_UNLOCK(self);
  return GST_FLOW_OK;

  /* ERRORS */
write_failed:
  GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("Could not write JSON: %s", std::strerror(errno)),
                    (nullptr));
  return GST_FLOW_ERROR;
}

static void gst_strix_meta_publish_finalize(GObject* object) {
  GstStrixMetaPublish* self = GST_STRIX_META_PUBLISH(object);
  g_free(self->location);
  if (self->file != nullptr) std::fclose(self->file);
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_strix_meta_publish_class_init(GstStrixMetaPublishClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(gst_strix_meta_publish_debug, "strixmetapublish", 0,
                          "Strix metadata to JSON lines");

  gobject_class->set_property = gst_strix_meta_publish_set_property;
  gobject_class->get_property = gst_strix_meta_publish_get_property;
  gobject_class->finalize = gst_strix_meta_publish_finalize;
  g_object_class_install_property(
      gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Location", "File the JSON lines are written to (required)",
                          nullptr,
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      gobject_class, PROP_LINES,
      g_param_spec_uint64("lines", "Lines", "JSON lines written since start", 0, G_MAXUINT64, 0,
                          static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_set_static_metadata(
      element_class, "Strix metadata publisher", "Sink/Metadata",
      "Writes strix inference results as JSON lines to a file and passes buffers through", "Strix");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  trans_class->transform_ip_on_passthrough = TRUE;
  trans_class->start = GST_DEBUG_FUNCPTR(gst_strix_meta_publish_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_strix_meta_publish_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_strix_meta_publish_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_strix_meta_publish_transform_ip);
}

static void gst_strix_meta_publish_init(GstStrixMetaPublish* self) {
  self->location = nullptr;
  self->lines = 0;
  self->file = nullptr;
  gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
}
