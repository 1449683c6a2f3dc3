// StrixGstMeta: registration, copy/scale transforms and JSON (strix/gst/meta.h).
#include "strix/gst/meta.h"

#include <gst/video/video.h>

#include <cstring>

namespace {

constexpr const char* kApiName = "StrixGstMetaAPI";
constexpr const char* kImplName = "StrixGstMeta";

gboolean meta_init(GstMeta* meta, gpointer, GstBuffer*) {
  StrixGstMeta* m = reinterpret_cast<StrixGstMeta*>(meta);
  m->source = g_intern_static_string("");
  m->model = g_intern_static_string("");
  m->frame_number = 0;
  m->inferred = FALSE;
  m->latency_ms = 0;
  m->num_results = 0;
  std::memset(m->results, 0, sizeof(m->results));
  return TRUE;
}

void copy_fields(StrixGstMeta* dst, const StrixGstMeta* src) {
  dst->source = src->source;
  dst->model = src->model;
  dst->frame_number = src->frame_number;
  dst->inferred = src->inferred;
  dst->latency_ms = src->latency_ms;
  dst->num_results = src->num_results;
  std::memcpy(dst->results, src->results, sizeof(src->results));
}

// Copies follow buffer copies; scaled frames (videoscale) get their boxes scaled.
gboolean meta_transform(GstBuffer* dest, GstMeta* meta, GstBuffer*, GQuark type, gpointer data) {
  const StrixGstMeta* src = reinterpret_cast<const StrixGstMeta*>(meta);
  if (GST_META_TRANSFORM_IS_COPY(type)) {
    StrixGstMeta* m = strix_gst_buffer_add_meta(dest);
    if (m == nullptr) return FALSE;
    copy_fields(m, src);
    return TRUE;
  }
  if (GST_VIDEO_META_TRANSFORM_IS_SCALE(type)) {
    const GstVideoMetaTransform* t = static_cast<const GstVideoMetaTransform*>(data);
    const int iw = GST_VIDEO_INFO_WIDTH(t->in_info), ih = GST_VIDEO_INFO_HEIGHT(t->in_info);
    if (iw <= 0 || ih <= 0) return FALSE;
    StrixGstMeta* m = strix_gst_buffer_add_meta(dest);
    if (m == nullptr) return FALSE;
    copy_fields(m, src);
    const float sx = static_cast<float>(GST_VIDEO_INFO_WIDTH(t->out_info)) / iw;
    const float sy = static_cast<float>(GST_VIDEO_INFO_HEIGHT(t->out_info)) / ih;
    for (guint i = 0; i < m->num_results; ++i) {
      m->results[i].x *= sx;
      m->results[i].width *= sx;
      m->results[i].y *= sy;
      m->results[i].height *= sy;
    }
    return TRUE;
  }
  return FALSE;
}

void append_json_string(GString* s, const gchar* text) {
  g_string_append_c(s, '"');
  for (const guchar* p = reinterpret_cast<const guchar*>(text ? text : ""); *p; ++p) {
    switch (*p) {
      case '"': g_string_append(s, "\\\""); break;
      case '\\': g_string_append(s, "\\\\"); break;
      case '\n': g_string_append(s, "\\n"); break;
      case '\r': g_string_append(s, "\\r"); break;
      case '\t': g_string_append(s, "\\t"); break;
      default:
        if (*p < 0x20) {
          g_string_append_printf(s, "\\u%04x", *p);
        } else {
          g_string_append_c(s, static_cast<gchar>(*p));
        }
    }
  }
  g_string_append_c(s, '"');
}

// Locale-independent shortest-ish form; non-finite values become null (JSON has no NaN).
void append_json_number(GString* s, double v) {
  if (!(v == v) || v > 1e300 || v < -1e300) {
    g_string_append(s, "null");
    return;
  }
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append(s, g_ascii_formatd(buf, sizeof(buf), "%.6g", v));
}

}  // namespace

extern "C" {

GType strix_gst_meta_api_get_type(void) {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GType type = g_type_from_name(kApiName);
    if (type == 0) {
      static const gchar* tags[] = {GST_META_TAG_VIDEO_STR, nullptr};
      type = gst_meta_api_type_register(kApiName, tags);
    }
    g_once_init_leave(&once, type);
  }
  return static_cast<GType>(once);
}

const GstMetaInfo* strix_gst_meta_get_info(void) {
  static const GstMetaInfo* info = nullptr;
  if (g_once_init_enter(&info)) {
    const GstMetaInfo* found = gst_meta_get_info(kImplName);
    if (found == nullptr) {
      found = gst_meta_register(strix_gst_meta_api_get_type(), kImplName, sizeof(StrixGstMeta),
                                meta_init, nullptr, meta_transform);
    }
    g_once_init_leave(&info, found);
  }
  return info;
}

StrixGstMeta* strix_gst_buffer_add_meta(GstBuffer* buffer) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), nullptr);
  return reinterpret_cast<StrixGstMeta*>(
      gst_buffer_add_meta(buffer, strix_gst_meta_get_info(), nullptr));
}

StrixGstMeta* strix_gst_buffer_get_meta(GstBuffer* buffer) {
  return reinterpret_cast<StrixGstMeta*>(gst_buffer_get_meta(buffer, STRIX_GST_META_API_TYPE));
}

gchar* strix_gst_meta_to_json(const StrixGstMeta* meta, GstClockTime pts, const gchar* source) {
  g_return_val_if_fail(meta != nullptr, nullptr);
  GString* s = g_string_sized_new(256);
  g_string_append(s, "{\"pts\":");
  if (GST_CLOCK_TIME_IS_VALID(pts)) {
    g_string_append_printf(s, "%" G_GUINT64_FORMAT, static_cast<guint64>(pts));
  } else {
    g_string_append(s, "null");
  }
  g_string_append_printf(s, ",\"frame\":%" G_GUINT64_FORMAT ",\"source\":", meta->frame_number);
  append_json_string(s, source ? source : meta->source);
  g_string_append(s, ",\"model\":");
  append_json_string(s, meta->model);
  g_string_append_printf(s, ",\"inferred\":%s,\"latency_ms\":", meta->inferred ? "true" : "false");
  append_json_number(s, meta->latency_ms);
  g_string_append(s, ",\"results\":[");
  const guint n = MIN(meta->num_results, STRIX_GST_META_MAX_RESULTS);
  for (guint i = 0; i < n; ++i) {
    const StrixGstResult& r = meta->results[i];
    g_string_append_printf(s, "%s{\"class_id\":%d,\"label\":", i ? "," : "", r.class_id);
    append_json_string(s, r.label);
    g_string_append(s, ",\"score\":");
    append_json_number(s, r.score);
    if (r.width > 0 && r.height > 0) {
      g_string_append(s, ",\"box\":{\"x\":");
      append_json_number(s, r.x);
      g_string_append(s, ",\"y\":");
      append_json_number(s, r.y);
      g_string_append(s, ",\"width\":");
      append_json_number(s, r.width);
      g_string_append(s, ",\"height\":");
      append_json_number(s, r.height);
      g_string_append_c(s, '}');
    }
    g_string_append_c(s, '}');
  }
  g_string_append(s, "]}");
  return g_string_free(s, FALSE);
}

}  // extern "C"
