/* strix/gst/meta.h — inference results attached to GStreamer buffers by the strix elements.
 *
 *   static GstPadProbeReturn on_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user) {
 *     GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
 *     StrixGstMeta *meta = strix_gst_buffer_get_meta (buffer);
 *     for (guint i = 0; meta != NULL && i < meta->num_results; i++)
 *       g_print ("%s %.3f\n", meta->results[i].label, meta->results[i].score);
 *     return GST_PAD_PROBE_OK;
 *   }
 *
 * strixclassify attaches one StrixGstMeta to every buffer it passes (frames between two
 * inferences carry the last results with inferred = FALSE). More than one strix element in
 * a pipeline means more than one meta per buffer: iterate them with
 * gst_buffer_iterate_meta_filtered (buffer, STRIX_GST_META_API_TYPE).
 *
 * Link libstrix_gst (pkg-config / CMake target strix_gst). The meta API type is registered
 * by name, so an application and the plugin agree on it whichever registers first.
 * Strings in the meta are interned (g_intern_string): valid for the life of the process,
 * never freed by the reader.
 */
#ifndef STRIX_GST_META_H_
#define STRIX_GST_META_H_

#include <gst/gst.h>

G_BEGIN_DECLS

#define STRIX_GST_META_MAX_RESULTS 16

/* One result: a class for the whole frame (width = height = 0) or inside a box. */
typedef struct {
  gint class_id;
  gfloat score;               /* probability, or the model's raw score when it has no softmax */
  const gchar* label;         /* interned; "" when the model has no label for class_id */
  gfloat x, y, width, height; /* box in frame pixels (top-left corner and size) */
} StrixGstResult;

typedef struct {
  GstMeta meta;
  const gchar* source;  /* interned name of the element that produced the results */
  const gchar* model;   /* interned model path */
  guint64 frame_number; /* frames the producing element saw before this one since start */
  gboolean inferred;    /* TRUE: computed on this frame; FALSE: copied from the last one */
  gdouble latency_ms;   /* pre-processing + inference + post-processing of those results */
  guint num_results;    /* <= STRIX_GST_META_MAX_RESULTS, best first */
  StrixGstResult results[STRIX_GST_META_MAX_RESULTS];
} StrixGstMeta;

GType strix_gst_meta_api_get_type(void);
#define STRIX_GST_META_API_TYPE (strix_gst_meta_api_get_type())

const GstMetaInfo* strix_gst_meta_get_info(void);
#define STRIX_GST_META_INFO (strix_gst_meta_get_info())

/* Adds an empty meta (num_results = 0) to a writable buffer. */
StrixGstMeta* strix_gst_buffer_add_meta(GstBuffer* buffer);

/* The first strix meta of the buffer, or NULL. */
StrixGstMeta* strix_gst_buffer_get_meta(GstBuffer* buffer);

/* One JSON object on one line, without a newline:
 *   {"pts":40000000,"frame":1,"source":"strixclassify0","model":"m.strix","inferred":true,
 *    "latency_ms":1.25,"results":[{"class_id":3,"label":"Dress","score":0.91}]}
 * pts is null for GST_CLOCK_TIME_NONE; "box":{"x":..,"y":..,"width":..,"height":..} is
 * added to results that have one. `source` replaces meta->source when not NULL.
 * Free with g_free. */
gchar* strix_gst_meta_to_json(const StrixGstMeta* meta, GstClockTime pts, const gchar* source);

G_END_DECLS

#endif /* STRIX_GST_META_H_ */
