/**
 * SECTION:element-strixclassify
 * @title: strixclassify
 *
 * Classifies every frame (or every inference-interval-th frame) with a `.strix` model and
 * attaches a #StrixGstMeta (strix/gst/meta.h) with the top-k classes to each buffer. The
 * model describes itself: its input contract says how frames are resized, normalized and
 * laid out, its labels name the classes. Buffers pass through unchanged (in place).
 *
 * Input: RGB, BGR, RGBx, BGRx, RGBA, BGRA, NV12, I420 or GRAY8 at any size and stride; the
 * size may change mid-stream. Models sharing a model-instance-id share one Engine.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=30 \
 *     ! video/x-raw,format=NV12,width=640,height=480 \
 *     ! strixclassify model=classifier.strix ! strixoverlay ! videoconvert ! fakesink
 * ]|
 */
#include "pipeline/classify.h"

#include <gst/video/video.h>

#include <chrono>
#include <memory>
#include <string>

#include "pipeline/common.h"
#include "pipeline/engine_pool.h"
#include "pipeline/stats.h"
#include "strix/context.h"
#include "strix/engine.h"
#include "strix/gst/meta.h"
#include "strix/vision.h"

GST_DEBUG_CATEGORY_STATIC(gst_strix_classify_debug);
#define GST_CAT_DEFAULT gst_strix_classify_debug

enum {
  PROP_0,
  PROP_MODEL,
  PROP_DEVICE,
  PROP_THREADS,
  PROP_INFERENCE_INTERVAL,
  PROP_THRESHOLD,
  PROP_TOP_K,
  PROP_MODEL_INSTANCE_ID,
  PROP_LABELS,
  PROP_FRAMES,
  PROP_INFERENCES,
  PROP_LATENCY_MS,
  PROP_LATENCY_P99_MS,
  PROP_PREPROCESS_MS,
  PROP_INFERENCE_MS,
  PROP_FPS,
};

#define DEFAULT_DEVICE GST_STRIX_DEVICE_AUTO
#define DEFAULT_THREADS 0
#define DEFAULT_INFERENCE_INTERVAL 1
#define DEFAULT_THRESHOLD 0.0f
#define DEFAULT_TOP_K 0

namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// What start() builds and stop() frees; used by the streaming thread only.
struct ClassifyState {
  std::shared_ptr<const strix::gst::SharedEngine> shared;
  strix::Context context;
  strix::vision::Preprocessor pre;
  strix::vision::Classifier classifier;
  int input_index = 0;
  const gchar* model = nullptr;      // interned path
  const gchar* source = nullptr;     // interned element name
  std::vector<const gchar*> labels;  // interned, by class id
  // Per stream.
  bool negotiated = false;
  strix::vision::PixelFormat format = strix::vision::PixelFormat::kRGB;
  guint64 frame_number = 0;
  bool have_results = false;
  guint num_results = 0;
  StrixGstResult results[STRIX_GST_META_MAX_RESULTS];
  double latency_ms = 0;
};

}  // namespace

struct _GstStrixClassify {
  GstBaseTransform parent;
  // Properties, under the object lock.
  gchar* model;
  GstStrixDevice device;
  gint threads;
  guint inference_interval;
  gfloat threshold;
  guint top_k;
  gchar* model_instance_id;
  gchar* labels;
  strix::gst::Stats* stats;  // under the object lock
  // Streaming state.
  GstVideoInfo info;
  ClassifyState* state;
};

#define gst_strix_classify_parent_class parent_class
G_DEFINE_TYPE(GstStrixClassify, gst_strix_classify, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE(strixclassify, "strixclassify", GST_RANK_NONE, GST_TYPE_STRIX_CLASSIFY);

static GstStaticPadTemplate sink_template = STRIX_GST_VIDEO_PAD_TEMPLATE("sink", GST_PAD_SINK);
static GstStaticPadTemplate src_template = STRIX_GST_VIDEO_PAD_TEMPLATE("src", GST_PAD_SRC);

static void gst_strix_classify_set_property(GObject* object, guint prop_id, const GValue* value,
                                            GParamSpec* pspec) {
  GstStrixClassify* self = GST_STRIX_CLASSIFY(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free(self->model);
      self->model = g_value_dup_string(value);
      break;
    case PROP_DEVICE: self->device = static_cast<GstStrixDevice>(g_value_get_enum(value)); break;
    case PROP_THREADS: self->threads = g_value_get_int(value); break;
    case PROP_INFERENCE_INTERVAL: self->inference_interval = g_value_get_uint(value); break;
    case PROP_THRESHOLD: self->threshold = g_value_get_float(value); break;
    case PROP_TOP_K: self->top_k = g_value_get_uint(value); break;
    case PROP_MODEL_INSTANCE_ID:
      g_free(self->model_instance_id);
      self->model_instance_id = g_value_dup_string(value);
      break;
    case PROP_LABELS:
      g_free(self->labels);
      self->labels = g_value_dup_string(value);
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_strix_classify_get_property(GObject* object, guint prop_id, GValue* value,
                                            GParamSpec* pspec) {
  GstStrixClassify* self = GST_STRIX_CLASSIFY(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_MODEL: g_value_set_string(value, self->model); break;
    case PROP_DEVICE: g_value_set_enum(value, self->device); break;
    case PROP_THREADS: g_value_set_int(value, self->threads); break;
    case PROP_INFERENCE_INTERVAL: g_value_set_uint(value, self->inference_interval); break;
    case PROP_THRESHOLD: g_value_set_float(value, self->threshold); break;
    case PROP_TOP_K: g_value_set_uint(value, self->top_k); break;
    case PROP_MODEL_INSTANCE_ID: g_value_set_string(value, self->model_instance_id); break;
    case PROP_LABELS: g_value_set_string(value, self->labels); break;
    case PROP_FRAMES: g_value_set_uint64(value, self->stats->frames()); break;
    case PROP_INFERENCES: g_value_set_uint64(value, self->stats->inferences()); break;
    case PROP_LATENCY_MS: g_value_set_double(value, self->stats->latency_mean_ms()); break;
    case PROP_LATENCY_P99_MS: g_value_set_double(value, self->stats->latency_p99_ms()); break;
    case PROP_PREPROCESS_MS: g_value_set_double(value, self->stats->preprocess_mean_ms()); break;
    case PROP_INFERENCE_MS: g_value_set_double(value, self->stats->inference_mean_ms()); break;
    case PROP_FPS: g_value_set_double(value, self->stats->fps()); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

// A contract for models without one: the tensor's own layout (C in {1, 3} decides), RGB or
// gray, stretched, 0..1 pixels.
static strix::InputContract default_contract(const strix::TensorInfo& t) {
  strix::InputContract c;
  if (t.shape.rank() == 4 && t.shape[1] != 1 && t.shape[1] != 3 &&
      (t.shape[3] == 1 || t.shape[3] == 3))
    c.layout = strix::Layout::kNHWC;
  const int64_t ch =
      t.shape.rank() == 4 ? (c.layout == strix::Layout::kNCHW ? t.shape[1] : t.shape[3]) : 3;
  c.color = ch == 1 ? strix::ColorOrder::kGray : strix::ColorOrder::kRGB;
  return c;
}

static gboolean gst_strix_classify_start(GstBaseTransform* trans) {
  GstStrixClassify* self = GST_STRIX_CLASSIFY(trans);
  GST_OBJECT_LOCK(self);
  const std::string path = self->model ? self->model : "";
  const std::string id = self->model_instance_id ? self->model_instance_id : "";
  const std::string labels = self->labels ? self->labels : "";
  const GstStrixDevice device = self->device;
  const int threads = self->threads;
  strix::vision::ClassifierOptions options;
  options.top_k = static_cast<int>(self->top_k);
  options.threshold = self->threshold;
  self->stats->reset();
  GST_OBJECT_UNLOCK(self);

  if (path.empty()) goto no_model;
  {
    strix::Result<std::vector<std::string>> parsed = strix::gst::parse_labels(labels);
    if (!parsed.ok()) {
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("%s", parsed.status().to_string().c_str()),
                        (nullptr));
      return FALSE;
    }
    options.labels = parsed.value();

    strix::Result<std::shared_ptr<const strix::gst::SharedEngine>> shared =
        strix::gst::acquire_engine(id, path, strix::gst::device_name(device), threads);
    if (!shared.ok()) {
      const strix::Status& s = shared.status();
      if (s.code() == strix::StatusCode::kNotFound) {
        GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND,
                          ("Could not load model \"%s\": %s", path.c_str(), s.to_string().c_str()),
                          (nullptr));
      } else {
        GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ,
                          ("Could not load model \"%s\": %s", path.c_str(), s.to_string().c_str()),
                          (nullptr));
      }
      return FALSE;
    }
    auto state = std::make_unique<ClassifyState>();
    state->shared = shared.value();
    const strix::Engine& engine = *state->shared->engine;
    const strix::Metadata& md = engine.model().metadata();
    if (md.task != strix::Task::kClassify && md.task != strix::Task::kGeneric) {
      GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS,
                        ("Model \"%s\" is a %s model; strixclassify needs a classifier",
                         path.c_str(), strix::task_name(md.task)),
                        (nullptr));
      return FALSE;
    }
    strix::InputContract contract;
    if (md.inputs.empty()) {
      contract = default_contract(engine.input(0));
      GST_WARNING_OBJECT(self, "model %s has no input contract: assuming %s, stretch, 0..1",
                         path.c_str(), contract.layout == strix::Layout::kNCHW ? "NCHW" : "NHWC");
    } else {
      contract = md.inputs[0];
    }
    state->input_index = contract.input_index;
    strix::Result<strix::vision::Preprocessor> pre =
        strix::vision::Preprocessor::create(contract, engine.input(state->input_index));
    strix::Result<strix::vision::Classifier> cls =
        engine.num_outputs() > 0 ? strix::vision::Classifier::create(md, engine.output(0), options)
                                 : strix::Result<strix::vision::Classifier>(strix::Status(
                                       strix::StatusCode::kUnsupported, "the model has no output"));
    strix::Result<strix::Context> ctx = engine.create_context();
    const strix::Status bad = !pre.ok() ? pre.status() : !cls.ok() ? cls.status() : ctx.status();
    if (!pre.ok() || !cls.ok() || !ctx.ok()) {
      GST_ELEMENT_ERROR(
          self, LIBRARY, SETTINGS,
          ("Model \"%s\" cannot classify frames: %s", path.c_str(), bad.to_string().c_str()),
          (nullptr));
      return FALSE;
    }
    state->pre = pre.value();
    state->classifier = cls.value();
    state->context = std::move(ctx.value());
    state->model = g_intern_string(path.c_str());
    gchar* name = gst_object_get_name(GST_OBJECT(self));
    state->source = g_intern_string(name);
    g_free(name);
    for (int c = 0; c < state->classifier.num_classes(); ++c)
      state->labels.push_back(g_intern_string(state->classifier.label(c)));
    GST_INFO_OBJECT(self, "model %s on %s: input %s, %d classes", path.c_str(),
                    state->shared->device.c_str(),
                    engine.input(state->input_index).shape.to_string().c_str(),
                    state->classifier.num_classes());
    delete self->state;
    self->state = state.release();
  }
  return TRUE;

  /* ERRORS */
no_model:
  GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND,
                    ("No model: set the \"model\" property to a .strix file"), (nullptr));
  return FALSE;
}

static gboolean gst_strix_classify_stop(GstBaseTransform* trans) {
  GstStrixClassify* self = GST_STRIX_CLASSIFY(trans);
  delete self->state;
  self->state = nullptr;
  return TRUE;
}

static gboolean gst_strix_classify_set_caps(GstBaseTransform* trans, GstCaps* incaps,
                                            GstCaps* outcaps) {
  GstStrixClassify* self = GST_STRIX_CLASSIFY(trans);
  if (!gst_video_info_from_caps(&self->info, incaps)) goto invalid_caps;
  if (self->state == nullptr) return FALSE;
  if (!strix::gst::to_pixel_format(GST_VIDEO_INFO_FORMAT(&self->info), &self->state->format))
    goto invalid_caps;
  self->state->negotiated = true;
  GST_DEBUG_OBJECT(self, "frames %s %dx%d", GST_VIDEO_INFO_NAME(&self->info),
                   GST_VIDEO_INFO_WIDTH(&self->info), GST_VIDEO_INFO_HEIGHT(&self->info));
  return TRUE;

  /* ERRORS */
invalid_caps:
  GST_ERROR_OBJECT(self, "invalid caps %" GST_PTR_FORMAT, incaps);
  return FALSE;
}

static gboolean gst_strix_classify_sink_event(GstBaseTransform* trans, GstEvent* event) {
  GstStrixClassify* self = GST_STRIX_CLASSIFY(trans);
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP && self->state != nullptr)
    self->state->have_results = false;  // results from before a seek describe other frames
  return GST_BASE_TRANSFORM_CLASS(parent_class)->sink_event(trans, event);
}

// Pre-processes, runs and post-processes one frame into state->results.
static GstFlowReturn classify_frame(GstStrixClassify* self, GstVideoFrame* frame) {
  ClassifyState* st = self->state;
  const Clock::time_point t0 = Clock::now();
  // run_batch: on a device Context the raw frame goes up and is pre-processed there.
  const strix::vision::Image image = strix::gst::image_of(frame, st->format);
  const strix::Status s = st->pre.run_batch(st->context, st->input_index, &image, 1);
  if (!s.ok()) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Pre-processing failed: %s", s.to_string().c_str()),
                      (nullptr));
    return GST_FLOW_ERROR;
  }
  const Clock::time_point t1 = Clock::now();
  st->context.run();
  const Clock::time_point t2 = Clock::now();
  strix::vision::Classification top[STRIX_GST_META_MAX_RESULTS];
  const int n = st->classifier.run(st->context.output(0).data, top, STRIX_GST_META_MAX_RESULTS);
  for (int i = 0; i < n; ++i) {
    StrixGstResult& r = st->results[i];
    r = StrixGstResult();
    r.class_id = top[i].class_id;
    r.score = top[i].score;
    r.label = r.class_id < static_cast<int>(st->labels.size()) ? st->labels[r.class_id]
                                                               : g_intern_static_string("");
  }
  st->num_results = static_cast<guint>(n);
  st->have_results = true;
  const Clock::time_point t3 = Clock::now();
  st->latency_ms = ms_between(t0, t3);
  GST_OBJECT_LOCK(self);
  self->stats->add_inference(ms_between(t0, t1), ms_between(t1, t2), ms_between(t2, t3));
  GST_OBJECT_UNLOCK(self);
  return GST_FLOW_OK;
}

static GstFlowReturn gst_strix_classify_transform_ip(GstBaseTransform* trans, GstBuffer* buf) {
  GstStrixClassify* self = GST_STRIX_CLASSIFY(trans);
  ClassifyState* st = self->state;
  GstVideoFrame frame;
  GstFlowReturn ret = GST_FLOW_OK;
  if (st == nullptr || !st->negotiated) goto not_negotiated;

  GST_OBJECT_LOCK(self);
  {
    const guint interval = self->inference_interval;
    GST_OBJECT_UNLOCK(self);
    const bool infer = !st->have_results || st->frame_number % interval == 0;
    if (infer) {
      if (!gst_video_frame_map(&frame, &self->info, buf, GST_MAP_READ)) goto map_failed;
      ret = classify_frame(self, &frame);
      gst_video_frame_unmap(&frame);
      if (ret != GST_FLOW_OK) return ret;
    }
    StrixGstMeta* meta = strix_gst_buffer_add_meta(buf);
    meta->source = st->source;
    meta->model = st->model;
    meta->frame_number = st->frame_number;
    meta->inferred = infer;
    meta->latency_ms = st->latency_ms;
    meta->num_results = st->num_results;
    for (guint i = 0; i < st->num_results; ++i) meta->results[i] = st->results[i];
    ++st->frame_number;
    const int64_t now =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
            .count();
    GST_OBJECT_LOCK(self);
    self->stats->add_frame(now);
    GST_OBJECT_UNLOCK(self);
  }
  return GST_FLOW_OK;

  /* ERRORS */
not_negotiated:
  GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, (nullptr), ("no caps before the first buffer"));
  return GST_FLOW_NOT_NEGOTIATED;
map_failed:
  GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not map the frame for reading"), (nullptr));
  return GST_FLOW_ERROR;
}

static void gst_strix_classify_finalize(GObject* object) {
  GstStrixClassify* self = GST_STRIX_CLASSIFY(object);
  g_free(self->model);
  g_free(self->model_instance_id);
  g_free(self->labels);
  delete self->stats;
  delete self->state;
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_strix_classify_class_init(GstStrixClassifyClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(gst_strix_classify_debug, "strixclassify", 0, "Strix classifier");

  gobject_class->set_property = gst_strix_classify_set_property;
  gobject_class->get_property = gst_strix_classify_get_property;
  gobject_class->finalize = gst_strix_classify_finalize;

  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                           GST_PARAM_MUTABLE_READY);
  const auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Model", "Path of the .strix model (required)", nullptr, rw));
  g_object_class_install_property(gobject_class, PROP_DEVICE,
                                  g_param_spec_enum("device", "Device", "Where inference runs",
                                                    GST_TYPE_STRIX_DEVICE, DEFAULT_DEVICE, rw));
  g_object_class_install_property(
      gobject_class, PROP_THREADS,
      g_param_spec_int("threads", "Threads",
                       "CPU worker threads of the Engine (0 = one per physical core)", 0, 256,
                       DEFAULT_THREADS, rw));
  g_object_class_install_property(
      gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint("inference-interval", "Inference interval",
                        "Run the model on every N-th frame (1 = every frame); the frames in "
                        "between carry the last results",
                        1, G_MAXUINT, DEFAULT_INFERENCE_INTERVAL,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_THRESHOLD,
      g_param_spec_float("threshold", "Threshold",
                         "Drop classes whose score (probability) is below this value", 0.f, 1.f,
                         DEFAULT_THRESHOLD, rw));
  g_object_class_install_property(
      gobject_class, PROP_TOP_K,
      g_param_spec_uint("top-k", "Top k",
                        "Classes per frame, best first (0 = the model's post-processing value)", 0,
                        STRIX_GST_META_MAX_RESULTS, DEFAULT_TOP_K, rw));
  g_object_class_install_property(
      gobject_class, PROP_MODEL_INSTANCE_ID,
      g_param_spec_string("model-instance-id", "Model instance id",
                          "Elements with the same id share one Engine (same model, device and "
                          "threads required); empty = a private Engine",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_LABELS,
      g_param_spec_string("labels", "Labels",
                          "Class names replacing the model's: comma-separated, or the path of a "
                          "file with one name per line",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_FRAMES,
      g_param_spec_uint64("frames", "Frames", "Frames processed since start", 0, G_MAXUINT64, 0,
                          ro));
  g_object_class_install_property(
      gobject_class, PROP_INFERENCES,
      g_param_spec_uint64("inferences", "Inferences", "Model runs since start", 0, G_MAXUINT64, 0,
                          ro));
  g_object_class_install_property(
      gobject_class, PROP_LATENCY_MS,
      g_param_spec_double("latency-ms", "Latency (ms)",
                          "Mean pre-processing + inference + post-processing time per inference "
                          "over the last 1024 inferences",
                          0, G_MAXDOUBLE, 0, ro));
  g_object_class_install_property(
      gobject_class, PROP_LATENCY_P99_MS,
      g_param_spec_double("latency-p99-ms", "Latency p99 (ms)",
                          "99th percentile of the per-inference latency (last 1024)", 0,
                          G_MAXDOUBLE, 0, ro));
  g_object_class_install_property(
      gobject_class, PROP_PREPROCESS_MS,
      g_param_spec_double("preprocess-ms", "Pre-processing (ms)",
                          "Mean pre-processing time per inference (last 1024)", 0, G_MAXDOUBLE, 0,
                          ro));
  g_object_class_install_property(
      gobject_class, PROP_INFERENCE_MS,
      g_param_spec_double("inference-ms", "Inference (ms)",
                          "Mean model run time per inference (last 1024)", 0, G_MAXDOUBLE, 0, ro));
  g_object_class_install_property(
      gobject_class, PROP_FPS,
      g_param_spec_double("fps", "Frames per second",
                          "Frames processed per second of wall time since the first frame", 0,
                          G_MAXDOUBLE, 0, ro));

  gst_element_class_set_static_metadata(
      element_class, "Strix classifier", "Filter/Analyzer/Video",
      "Classifies video frames with a .strix model and attaches the top classes as metadata",
      "Strix");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_type_mark_as_plugin_api(GST_TYPE_STRIX_DEVICE, static_cast<GstPluginAPIFlags>(0));

  trans_class->passthrough_on_same_caps = FALSE;
  trans_class->transform_ip_on_passthrough = FALSE;
  trans_class->start = GST_DEBUG_FUNCPTR(gst_strix_classify_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_strix_classify_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR(gst_strix_classify_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_strix_classify_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_strix_classify_transform_ip);
}

static void gst_strix_classify_init(GstStrixClassify* self) {
  self->model = nullptr;
  self->device = DEFAULT_DEVICE;
  self->threads = DEFAULT_THREADS;
  self->inference_interval = DEFAULT_INFERENCE_INTERVAL;
  self->threshold = DEFAULT_THRESHOLD;
  self->top_k = DEFAULT_TOP_K;
  self->model_instance_id = nullptr;
  self->labels = nullptr;
  self->stats = new strix::gst::Stats();
  self->state = nullptr;
  gst_video_info_init(&self->info);
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
}
