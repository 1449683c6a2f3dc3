// strixclassify through GstHarness: every input format at 384x288, 385x289 and 385x385
// gives the results of the C++ API on the same pre-processed tensor; frame accounting;
// renegotiation; flush and EOS; model errors on the bus; shared model instances.
#include <gst/check/gstharness.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "pipeline/engine_pool.h"
#include "strix/gst/meta.h"
#include "tests/pipeline/gst_test_util.h"

namespace strix::gsttest {
namespace {

using vision::PixelFormat;

const PixelFormat kFormats[] = {PixelFormat::kRGB,  PixelFormat::kBGR,  PixelFormat::kRGBx,
                                PixelFormat::kBGRx, PixelFormat::kRGBA, PixelFormat::kBGRA,
                                PixelFormat::kNV12, PixelFormat::kI420, PixelFormat::kGray8};
const int kSizes[][2] = {{384, 288}, {385, 289}, {385, 385}};

class ClassifyTest : public ::testing::Test {
 protected:
  void SetUp() override { init_gst(); }
};

GstHarness* harness(const std::string& props) {
  return gst_harness_new_parse(("strixclassify " + props).c_str());
}

void set_caps(GstHarness* h, PixelFormat f, int w, int h_px, GstVideoInfo* info) {
  gst_video_info_set_format(info, gst_format(f), w, h_px);
  info->fps_n = 30;
  info->fps_d = 1;
  GstCaps* caps = gst_video_info_to_caps(info);
  gst_harness_set_src_caps(h, caps);
}

// Pushes one frame of random pixels and checks the meta against the C++ API.
void push_and_check(GstHarness* h, const std::string& model, PixelFormat f,
                    const GstVideoInfo& info, uint32_t seed, int top_k) {
  const int w = GST_VIDEO_INFO_WIDTH(&info), hp = GST_VIDEO_INFO_HEIGHT(&info);
  std::vector<uint8_t> px = random_packed(f, w, hp, seed);
  ASSERT_EQ(gst_harness_push(h, to_buffer(px, f, info)), GST_FLOW_OK);
  GstBuffer* out = gst_harness_pull(h);
  ASSERT_NE(out, nullptr);
  const StrixGstMeta* meta = strix_gst_buffer_get_meta(out);
  ASSERT_NE(meta, nullptr);
  const std::vector<vision::Classification> want = expected_top(model, px, f, info, top_k);
  const std::string where = std::string(vision::pixel_format_name(f)) + " " + std::to_string(w) +
                            "x" + std::to_string(hp);
  ASSERT_EQ(meta->num_results, want.size()) << where;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(meta->results[i].class_id, want[i].class_id) << where << " rank " << i;
    EXPECT_EQ(meta->results[i].score, want[i].score) << where << " rank " << i;
    EXPECT_EQ(std::string(meta->results[i].label), "class-" + std::to_string(want[i].class_id));
  }
  EXPECT_TRUE(meta->inferred);
  gst_buffer_unref(out);
}

TEST_F(ClassifyTest, EveryFormatAndSizeMatchesTheCppApi) {
  ModelSpec stretch;
  ModelSpec letterbox;
  letterbox.layout = Layout::kNHWC;
  letterbox.color = ColorOrder::kBGR;
  letterbox.resize = ResizeKind::kLetterbox;
  letterbox.width = 9;
  letterbox.height = 13;
  letterbox.seed = 5;
  ModelSpec gray;
  gray.color = ColorOrder::kGray;
  gray.resize = ResizeKind::kCenterCrop;
  gray.seed = 9;
  uint32_t seed = 100;
  const ModelSpec specs[] = {stretch, letterbox, gray};
  for (size_t m = 0; m < 3; ++m) {
    const std::string path = write_model(specs[m], "every_format_" + std::to_string(m) + ".strix");
    for (PixelFormat f : kFormats) {
      GstHarness* h = harness("model=" + path + " top-k=7");
      for (const auto& size : kSizes) {
        GstVideoInfo info;
        set_caps(h, f, size[0], size[1], &info);
        push_and_check(h, path, f, info, seed++, 7);
      }
      gst_harness_teardown(h);
    }
  }
}

TEST_F(ClassifyTest, FrameAccountingWithAnInterval) {
  const std::string path = write_model(ModelSpec(), "accounting.strix");
  GstHarness* h = harness("model=" + path + " inference-interval=3");
  GstVideoInfo info;
  set_caps(h, PixelFormat::kI420, 64, 48, &info);
  const int n = 10;
  for (int i = 0; i < n; ++i)
    ASSERT_EQ(gst_harness_push(h, to_buffer(random_packed(PixelFormat::kI420, 64, 48, i),
                                            PixelFormat::kI420, info)),
              GST_FLOW_OK);
  ASSERT_EQ(gst_harness_buffers_received(h), static_cast<guint>(n));
  for (int i = 0; i < n; ++i) {
    GstBuffer* out = gst_harness_pull(h);
    int metas = 0;
    gpointer state = nullptr;
    while (gst_buffer_iterate_meta_filtered(out, &state, STRIX_GST_META_API_TYPE)) ++metas;
    EXPECT_EQ(metas, 1) << i;
    const StrixGstMeta* meta = strix_gst_buffer_get_meta(out);
    EXPECT_EQ(meta->frame_number, static_cast<guint64>(i));
    EXPECT_EQ(meta->inferred, i % 3 == 0) << i;
    EXPECT_EQ(meta->num_results, 3u);  // the model's top_k
    gst_buffer_unref(out);
  }
  guint64 frames = 0, inferences = 0;
  double latency = -1, p99 = -1;
  GstElement* element = gst_harness_find_element(h, "strixclassify");
  g_object_get(element, "frames", &frames, "inferences", &inferences, "latency-ms", &latency,
               "latency-p99-ms", &p99, nullptr);
  EXPECT_EQ(frames, static_cast<guint64>(n));
  EXPECT_EQ(inferences, static_cast<guint64>((n + 2) / 3));  // ceil(10 / 3) = 4
  EXPECT_GT(latency, 0);
  EXPECT_GE(p99, latency * 0.5);
  gst_object_unref(element);
  gst_harness_teardown(h);
}

TEST_F(ClassifyTest, ResolutionChangeRenegotiates) {
  const std::string path = write_model(ModelSpec(), "renegotiate.strix");
  GstHarness* h = harness("model=" + path + " top-k=7");
  GstVideoInfo info;
  set_caps(h, PixelFormat::kNV12, 384, 288, &info);
  push_and_check(h, path, PixelFormat::kNV12, info, 1, 7);
  set_caps(h, PixelFormat::kBGRx, 385, 289, &info);
  push_and_check(h, path, PixelFormat::kBGRx, info, 2, 7);
  set_caps(h, PixelFormat::kNV12, 1280, 720, &info);
  push_and_check(h, path, PixelFormat::kNV12, info, 3, 7);
  gst_harness_teardown(h);
}

TEST_F(ClassifyTest, FlushReinfersAndEosPassesThrough) {
  const std::string path = write_model(ModelSpec(), "flush.strix");
  GstHarness* h = harness("model=" + path + " inference-interval=100");
  GstVideoInfo info;
  set_caps(h, PixelFormat::kRGB, 32, 24, &info);
  auto push_pull_inferred = [&](int seed) {
    EXPECT_EQ(gst_harness_push(h, to_buffer(random_packed(PixelFormat::kRGB, 32, 24, seed),
                                            PixelFormat::kRGB, info)),
              GST_FLOW_OK);
    GstBuffer* out = gst_harness_pull(h);
    const bool inferred = strix_gst_buffer_get_meta(out)->inferred;
    gst_buffer_unref(out);
    return inferred;
  };
  EXPECT_TRUE(push_pull_inferred(1));
  EXPECT_FALSE(push_pull_inferred(2));
  EXPECT_TRUE(gst_harness_push_event(h, gst_event_new_flush_start()));
  EXPECT_TRUE(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
  // Re-send the segment the flush reset.
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  EXPECT_TRUE(gst_harness_push_event(h, gst_event_new_segment(&segment)));
  EXPECT_TRUE(push_pull_inferred(3));
  EXPECT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  bool saw_eos = false;
  while (GstEvent* e = gst_harness_try_pull_event(h)) {
    saw_eos |= GST_EVENT_TYPE(e) == GST_EVENT_EOS;
    gst_event_unref(e);
  }
  EXPECT_TRUE(saw_eos);
  gst_harness_teardown(h);
}

// Runs `description` to PLAYING and returns the error message text ("" when none).
std::string run_for_error(const std::string& description) {
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(description.c_str(), &err);
  EXPECT_NE(pipeline, nullptr) << (err ? err->message : "");
  if (pipeline == nullptr) return "";
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg = gst_bus_timed_pop_filtered(
      bus, 10 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
  std::string text;
  if (msg != nullptr && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError* e = nullptr;
    gst_message_parse_error(msg, &e, nullptr);
    text = e->message;
    g_error_free(e);
  }
  if (msg != nullptr) gst_message_unref(msg);
  EXPECT_EQ(gst_element_set_state(pipeline, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  return text;
}

TEST_F(ClassifyTest, ModelErrorsReachTheBusAndThePipelineStops) {
  std::string e = run_for_error("videotestsrc num-buffers=3 ! strixclassify model=" +
                                temp_path("missing.strix") + " ! fakesink");
  EXPECT_NE(e.find("Could not load model"), std::string::npos) << e;
  EXPECT_NE(e.find("not_found"), std::string::npos) << e;

  const std::string corrupt = temp_path("corrupt.strix");
  FILE* f = std::fopen(corrupt.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("this is not a strix model, just some bytes of text...", f);
  std::fclose(f);
  e = run_for_error("videotestsrc num-buffers=3 ! strixclassify model=" + corrupt + " ! fakesink");
  EXPECT_NE(e.find("corrupt_model"), std::string::npos) << e;

  e = run_for_error("videotestsrc num-buffers=3 ! strixclassify ! fakesink");
  EXPECT_NE(e.find("No model"), std::string::npos) << e;

  const std::string ok = write_model(ModelSpec(), "errors_ok.strix");
  EXPECT_EQ(run_for_error("videotestsrc num-buffers=3 ! strixclassify model=" + ok + " ! fakesink"),
            "");
}

TEST_F(ClassifyTest, ElementsWithOneInstanceIdShareAnEngine) {
  const std::string a = write_model(ModelSpec(), "shared_a.strix");
  ModelSpec other;
  other.seed = 77;
  const std::string b = write_model(other, "shared_b.strix");
  ASSERT_EQ(gst::live_shared_engines(), 0);
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(
      ("videotestsrc num-buffers=5 ! tee name=t ! queue ! strixclassify model-instance-id=x "
       "model=" +
       a + " ! fakesink t. ! queue ! strixclassify model-instance-id=x model=" + a + " ! fakesink")
          .c_str(),
      &err);
  ASSERT_NE(pipeline, nullptr);
  ASSERT_NE(gst_element_set_state(pipeline, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  ASSERT_EQ(gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND),
            GST_STATE_CHANGE_SUCCESS);
  EXPECT_EQ(gst::live_shared_engines(), 1);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  EXPECT_EQ(gst::live_shared_engines(), 0);

  const std::string e = run_for_error(
      "videotestsrc num-buffers=5 ! tee name=t ! queue ! strixclassify model-instance-id=y model=" +
      a + " ! fakesink t. ! queue ! strixclassify model-instance-id=y model=" + b + " ! fakesink");
  EXPECT_NE(e.find("model-instance-id 'y' already holds model"), std::string::npos) << e;
  EXPECT_EQ(gst::live_shared_engines(), 0);
}

TEST_F(ClassifyTest, LabelsThresholdAndTopKProperties) {
  const std::string path = write_model(ModelSpec(), "props.strix");
  const std::string labels_file = temp_path("labels.txt");
  FILE* f = std::fopen(labels_file.c_str(), "w");
  std::fputs("zero\n one \ntwo\nthree\nfour\nfive\nsix\n", f);
  std::fclose(f);
  for (const std::string& labels : {std::string("zero,one,two,three,four,five,six"), labels_file}) {
    GstHarness* h = harness("model=" + path + " top-k=7 labels=\"" + labels + "\"");
    GstVideoInfo info;
    set_caps(h, PixelFormat::kRGB, 20, 20, &info);
    gst_harness_push(
        h, to_buffer(random_packed(PixelFormat::kRGB, 20, 20, 4), PixelFormat::kRGB, info));
    GstBuffer* out = gst_harness_pull(h);
    const StrixGstMeta* meta = strix_gst_buffer_get_meta(out);
    ASSERT_EQ(meta->num_results, 7u);
    const char* names[] = {"zero", "one", "two", "three", "four", "five", "six"};
    for (guint i = 0; i < 7; ++i)
      EXPECT_STREQ(meta->results[i].label, names[meta->results[i].class_id]) << labels;
    gst_buffer_unref(out);
    gst_harness_teardown(h);
  }
  GstHarness* h = harness("model=" + path + " top-k=7 threshold=0.15");
  GstVideoInfo info;
  set_caps(h, PixelFormat::kRGB, 20, 20, &info);
  std::vector<uint8_t> px = random_packed(PixelFormat::kRGB, 20, 20, 4);
  gst_harness_push(h, to_buffer(px, PixelFormat::kRGB, info));
  GstBuffer* out = gst_harness_pull(h);
  const StrixGstMeta* meta = strix_gst_buffer_get_meta(out);
  const std::vector<vision::Classification> all =
      expected_top(path, px, PixelFormat::kRGB, info, 7);
  guint above = 0;
  for (const auto& c : all) above += c.score >= 0.15f;
  EXPECT_EQ(meta->num_results, above);
  EXPECT_LT(above, 7u);
  for (guint i = 0; i < meta->num_results; ++i) EXPECT_GE(meta->results[i].score, 0.15f);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}

}  // namespace
}  // namespace strix::gsttest
