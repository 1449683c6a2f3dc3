/**
 * SECTION:element-strixoverlay
 * @title: strixoverlay
 *
 * Draws the results of the #StrixGstMeta on each buffer: labels with their confidence in
 * the top-left corner for whole-frame classes, and boxes with a label for results that
 * have a box. Frames without a meta pass unchanged. Drawing is in place, with a built-in
 * 5x7 bitmap font scaled to the frame height.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=60 ! video/x-raw,width=1280,height=720 \
 *     ! strixclassify model=classifier.strix ! strixoverlay ! videoconvert \
 *     ! x264enc ! mp4mux ! filesink location=out.mp4
 * ]|
 */
#include "pipeline/overlay.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "pipeline/common.h"
#include "pipeline/draw.h"
#include "strix/gst/meta.h"

GST_DEBUG_CATEGORY_STATIC(gst_strix_overlay_debug);
#define GST_CAT_DEFAULT gst_strix_overlay_debug

enum { PROP_0, PROP_SCALE, PROP_SHOW_CONFIDENCE, PROP_LATENCY_MS };

#define DEFAULT_SCALE 0
#define DEFAULT_SHOW_CONFIDENCE TRUE

struct _GstStrixOverlay {
  GstVideoFilter parent;
  guint scale;  // under the object lock
  gboolean show_confidence;
  guint64 frames;  // drawing statistics, under the object lock
  double total_ms;
};

#define gst_strix_overlay_parent_class parent_class
G_DEFINE_TYPE(GstStrixOverlay, gst_strix_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE(strixoverlay, "strixoverlay", GST_RANK_NONE, GST_TYPE_STRIX_OVERLAY);

static GstStaticPadTemplate sink_template = STRIX_GST_VIDEO_PAD_TEMPLATE("sink", GST_PAD_SINK);
static GstStaticPadTemplate src_template = STRIX_GST_VIDEO_PAD_TEMPLATE("src", GST_PAD_SRC);

static void gst_strix_overlay_set_property(GObject* object, guint prop_id, const GValue* value,
                                           GParamSpec* pspec) {
  GstStrixOverlay* self = GST_STRIX_OVERLAY(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_SCALE: self->scale = g_value_get_uint(value); break;
    case PROP_SHOW_CONFIDENCE: self->show_confidence = g_value_get_boolean(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_strix_overlay_get_property(GObject* object, guint prop_id, GValue* value,
                                           GParamSpec* pspec) {
  GstStrixOverlay* self = GST_STRIX_OVERLAY(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_SCALE: g_value_set_uint(value, self->scale); break;
    case PROP_SHOW_CONFIDENCE: g_value_set_boolean(value, self->show_confidence); break;
    case PROP_LATENCY_MS:
      g_value_set_double(value, self->frames ? self->total_ms / self->frames : 0.0);
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

// "label 0.93", or "class 7 0.93" when the model has no label.
static void format_result(const StrixGstResult& r, gboolean confidence, char* out, size_t size) {
  char name[32];
  const char* label = r.label != nullptr && r.label[0] != '\0' ? r.label : nullptr;
  if (label == nullptr) {
    std::snprintf(name, sizeof(name), "class %d", r.class_id);
    label = name;
  }
  if (confidence) {
    std::snprintf(out, size, "%s %.2f", label, r.score);
  } else {
    std::snprintf(out, size, "%s", label);
  }
}

static void draw_meta(strix::gst::Canvas& canvas, const StrixGstMeta* meta, int scale,
                      gboolean confidence, int* next_line) {
  const strix::gst::Rgb white{255, 255, 255}, green{0, 220, 0}, black{0, 0, 0};
  const int pad = scale, line = strix::gst::Canvas::line_height(scale);
  char text[96];
  for (guint i = 0; i < meta->num_results && i < STRIX_GST_META_MAX_RESULTS; ++i) {
    const StrixGstResult& r = meta->results[i];
    format_result(r, confidence, text, sizeof(text));
    const int tw = strix::gst::Canvas::text_width(text, scale);
    if (r.width > 0 && r.height > 0) {
      const int x = static_cast<int>(r.x), y = static_cast<int>(r.y);
      canvas.outline(x, y, static_cast<int>(r.width), static_cast<int>(r.height),
                     std::max(1, scale), green);
      const int ty = y - line >= 0 ? y - line : y;
      canvas.fill_rect(x, ty, tw + 2 * pad, line, green, 255);
      canvas.text(x + pad, ty + pad, scale, text, black);
    } else {
      const int y = *next_line;
      canvas.fill_rect(0, y, tw + 2 * pad, line, black, 160);
      canvas.text(pad, y + pad, scale, text, white);
      *next_line += line;
    }
  }
}

static GstFlowReturn gst_strix_overlay_transform_frame_ip(GstVideoFilter* filter,
                                                          GstVideoFrame* frame) {
  GstStrixOverlay* self = GST_STRIX_OVERLAY(filter);
  const auto t0 = std::chrono::steady_clock::now();
  GST_OBJECT_LOCK(self);
  guint scale = self->scale;
  const gboolean confidence = self->show_confidence;
  GST_OBJECT_UNLOCK(self);
  if (scale == 0) scale = std::max(1, GST_VIDEO_FRAME_HEIGHT(frame) / 240);

  strix::gst::Canvas canvas(frame);
  int next_line = 0;
  gpointer state = nullptr;
  GstMeta* m;
  while ((m = gst_buffer_iterate_meta_filtered(frame->buffer, &state, STRIX_GST_META_API_TYPE)))
    draw_meta(canvas, reinterpret_cast<const StrixGstMeta*>(m), static_cast<int>(scale), confidence,
              &next_line);

  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  GST_OBJECT_LOCK(self);
  ++self->frames;
  self->total_ms += ms;
  GST_OBJECT_UNLOCK(self);
  return GST_FLOW_OK;
}

static gboolean gst_strix_overlay_start(GstBaseTransform* trans) {
  GstStrixOverlay* self = GST_STRIX_OVERLAY(trans);
  GST_OBJECT_LOCK(self);
  self->frames = 0;
  self->total_ms = 0;
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static void gst_strix_overlay_class_init(GstStrixOverlayClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstVideoFilterClass* filter_class = GST_VIDEO_FILTER_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(gst_strix_overlay_debug, "strixoverlay", 0, "Strix overlay");

  gobject_class->set_property = gst_strix_overlay_set_property;
  gobject_class->get_property = gst_strix_overlay_get_property;
  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                           GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_SCALE,
      g_param_spec_uint("scale", "Scale",
                        "Font pixel size in frame pixels (0 = frame height / 240, at least 1)", 0,
                        64, DEFAULT_SCALE, rw));
  g_object_class_install_property(
      gobject_class, PROP_SHOW_CONFIDENCE,
      g_param_spec_boolean("show-confidence", "Show confidence", "Print the score after each label",
                           DEFAULT_SHOW_CONFIDENCE, rw));
  g_object_class_install_property(
      gobject_class, PROP_LATENCY_MS,
      g_param_spec_double("latency-ms", "Latency (ms)", "Mean drawing time per frame since start",
                          0, G_MAXDOUBLE, 0,
                          static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_set_static_metadata(
      element_class, "Strix overlay", "Filter/Effect/Video",
      "Draws strix inference results (labels, confidence, boxes) on video frames", "Strix");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  GST_BASE_TRANSFORM_CLASS(klass)->start = GST_DEBUG_FUNCPTR(gst_strix_overlay_start);
  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_strix_overlay_transform_frame_ip);
}

static void gst_strix_overlay_init(GstStrixOverlay* self) {
  self->scale = DEFAULT_SCALE;
  self->show_confidence = DEFAULT_SHOW_CONFIDENCE;
  self->frames = 0;
  self->total_ms = 0;
}
