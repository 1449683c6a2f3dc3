/**
 * SECTION:element-strixmetaconvert
 * @title: strixmetaconvert
 *
 * Turns the #StrixGstMeta of each buffer into one line of JSON
 * (strix_gst_meta_to_json(): pts, frame number, source, model, results) and posts it on the
 * bus as an element message named "strix-meta" with the fields "json" (string) and "pts"
 * (guint64), and keeps the last one in the read-only "json" property. Buffers pass through
 * untouched; buffers without a strix meta produce nothing.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m videotestsrc num-buffers=5 \
 *     ! strixclassify model=classifier.strix ! strixmetaconvert ! fakesink
 * ]|
 */
#include "pipeline/metaconvert.h"

#include "strix/gst/meta.h"

GST_DEBUG_CATEGORY_STATIC(gst_strix_meta_convert_debug);
#define GST_CAT_DEFAULT gst_strix_meta_convert_debug

enum { PROP_0, PROP_SOURCE, PROP_POST_MESSAGES, PROP_JSON };

#define DEFAULT_POST_MESSAGES TRUE

struct _GstStrixMetaConvert {
  GstBaseTransform parent;
  gchar* source;  // properties and last json, under the object lock
  gboolean post_messages;
  gchar* json;
};

#define gst_strix_meta_convert_parent_class parent_class
G_DEFINE_TYPE(GstStrixMetaConvert, gst_strix_meta_convert, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE(strixmetaconvert, "strixmetaconvert", GST_RANK_NONE,
                            GST_TYPE_STRIX_META_CONVERT);

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static void gst_strix_meta_convert_set_property(GObject* object, guint prop_id, const GValue* value,
                                                GParamSpec* pspec) {
  GstStrixMetaConvert* self = GST_STRIX_META_CONVERT(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_SOURCE:
      g_free(self->source);
      self->source = g_value_dup_string(value);
      break;
    case PROP_POST_MESSAGES: self->post_messages = g_value_get_boolean(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_strix_meta_convert_get_property(GObject* object, guint prop_id, GValue* value,
                                                GParamSpec* pspec) {
  GstStrixMetaConvert* self = GST_STRIX_META_CONVERT(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_SOURCE: g_value_set_string(value, self->source); break;
    case PROP_POST_MESSAGES: g_value_set_boolean(value, self->post_messages); break;
    case PROP_JSON: g_value_set_string(value, self->json); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static GstFlowReturn gst_strix_meta_convert_transform_ip(GstBaseTransform* trans, GstBuffer* buf) {
  GstStrixMetaConvert* self = GST_STRIX_META_CONVERT(trans);
  GST_OBJECT_LOCK(self);
  gchar* source = g_strdup(self->source);
  const gboolean post = self->post_messages;
  GST_OBJECT_UNLOCK(self);

  gpointer state = nullptr;
  GstMeta* m;
  while ((m = gst_buffer_iterate_meta_filtered(buf, &state, STRIX_GST_META_API_TYPE))) {
    gchar* json = strix_gst_meta_to_json(reinterpret_cast<const StrixGstMeta*>(m),
                                         GST_BUFFER_PTS(buf), source);
    if (post) {
      GstStructure* s = gst_structure_new("strix-meta", "json", G_TYPE_STRING, json, "pts",
                                          G_TYPE_UINT64, GST_BUFFER_PTS(buf), nullptr);
      gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
    }
    GST_OBJECT_LOCK(self);
    g_free(self->json);
    self->json = json;
    GST_OBJECT_UNLOCK(self);
  }
  g_free(source);
  return GST_FLOW_OK;
}

static gboolean gst_strix_meta_convert_start(GstBaseTransform* trans) {
  GstStrixMetaConvert* self = GST_STRIX_META_CONVERT(trans);
  GST_OBJECT_LOCK(self);
  g_clear_pointer(&self->json, g_free);
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static void gst_strix_meta_convert_finalize(GObject* object) {
  GstStrixMetaConvert* self = GST_STRIX_META_CONVERT(object);
  g_free(self->source);
  g_free(self->json);
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_strix_meta_convert_class_init(GstStrixMetaConvertClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(gst_strix_meta_convert_debug, "strixmetaconvert", 0,
                          "Strix metadata to JSON");

  gobject_class->set_property = gst_strix_meta_convert_set_property;
  gobject_class->get_property = gst_strix_meta_convert_get_property;
  gobject_class->finalize = gst_strix_meta_convert_finalize;
  g_object_class_install_property(
      gobject_class, PROP_SOURCE,
      g_param_spec_string("source", "Source",
                          "Value of the JSON \"source\" field (default: the name of the element "
                          "that produced the results)",
                          nullptr,
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean("post-messages", "Post messages",
                           "Post each JSON line as a \"strix-meta\" element message",
                           DEFAULT_POST_MESSAGES,
                           static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                    GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_JSON,
      g_param_spec_string("json", "JSON", "The JSON of the last strix meta seen", nullptr,
                          static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_set_static_metadata(element_class, "Strix metadata to JSON", "Filter/Metadata",
                                        "Converts strix inference results to JSON messages",
                                        "Strix");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  trans_class->transform_ip_on_passthrough = TRUE;
  trans_class->start = GST_DEBUG_FUNCPTR(gst_strix_meta_convert_start);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_strix_meta_convert_transform_ip);
}

static void gst_strix_meta_convert_init(GstStrixMetaConvert* self) {
  self->source = nullptr;
  self->post_messages = DEFAULT_POST_MESSAGES;
  self->json = nullptr;
  gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
}
