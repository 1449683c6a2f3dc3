// strixoverlay draws where results are and nowhere else, on every format and odd size;
// strixmetaconvert and strixmetapublish turn metas into JSON; the meta survives copies.
#include <gst/check/gstharness.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "strix/gst/meta.h"
#include "tests/pipeline/gst_test_util.h"

namespace strix::gsttest {
namespace {

using vision::PixelFormat;

class ElementsTest : public ::testing::Test {
 protected:
  void SetUp() override { init_gst(); }
};

void fill_meta(GstBuffer* buf, bool with_box) {
  StrixGstMeta* m = strix_gst_buffer_add_meta(buf);
  m->source = g_intern_static_string("test");
  m->model = g_intern_static_string("m.strix");
  m->frame_number = 7;
  m->inferred = TRUE;
  m->latency_ms = 1.5;
  m->num_results = 2;
  m->results[0].class_id = 3;
  m->results[0].score = 0.75f;
  m->results[0].label = g_intern_static_string("Dr\"ess");
  m->results[1].class_id = 4;
  m->results[1].score = 0.125f;
  m->results[1].label = g_intern_static_string("");
  if (with_box) {
    m->results[1].x = 100;
    m->results[1].y = 120;
    m->results[1].width = 50;
    m->results[1].height = 40;
  }
}

// Bytes that differ between the two buffers inside / outside rows [y0, y1) of plane 0.
void count_changes(GstBuffer* a, GstBuffer* b, const GstVideoInfo& info, int y0, int y1, int x0,
                   int x1, int* inside, int* outside) {
  GstMapInfo ma, mb;
  gst_buffer_map(a, &ma, GST_MAP_READ);
  gst_buffer_map(b, &mb, GST_MAP_READ);
  const int stride = GST_VIDEO_INFO_PLANE_STRIDE(&info, 0);
  const int pstride = GST_VIDEO_INFO_COMP_PSTRIDE(&info, 0);
  *inside = *outside = 0;
  for (int y = 0; y < GST_VIDEO_INFO_HEIGHT(&info); ++y)
    for (int x = 0; x < GST_VIDEO_INFO_WIDTH(&info); ++x)
      for (int c = 0; c < pstride; ++c) {
        const size_t i = static_cast<size_t>(y) * stride + x * pstride + c;
        if (ma.data[i] != mb.data[i])
          (y >= y0 && y < y1 && x >= x0 && x < x1 ? *inside : *outside) += 1;
      }
  gst_buffer_unmap(a, &ma);
  gst_buffer_unmap(b, &mb);
}

TEST_F(ElementsTest, OverlayDrawsLabelsAndBoxesOnEveryFormat) {
  const PixelFormat formats[] = {PixelFormat::kRGB,  PixelFormat::kBGR,  PixelFormat::kRGBx,
                                 PixelFormat::kBGRx, PixelFormat::kRGBA, PixelFormat::kBGRA,
                                 PixelFormat::kNV12, PixelFormat::kI420, PixelFormat::kGray8};
  const int sizes[][2] = {{384, 288}, {385, 289}, {385, 385}};
  for (PixelFormat f : formats) {
    for (const auto& size : sizes) {
      GstHarness* h = gst_harness_new_parse("strixoverlay scale=1");
      GstVideoInfo info;
      gst_video_info_set_format(&info, gst_format(f), size[0], size[1]);
      gst_harness_set_src_caps(h, gst_video_info_to_caps(&info));
      std::vector<uint8_t> px(vision::Image::packed_size(f, size[0], size[1]), 0x80);
      GstBuffer* in = to_buffer(px, f, info);
      GstBuffer* reference = gst_buffer_copy_deep(in);
      // No meta: unchanged.
      gst_harness_push(h, gst_buffer_ref(in));
      GstBuffer* out = gst_harness_pull(h);
      int inside = 0, outside = 0;
      count_changes(out, reference, info, 0, size[1], 0, size[0], &inside, &outside);
      EXPECT_EQ(inside + outside, 0) << vision::pixel_format_name(f);
      gst_buffer_unref(out);
      gst_buffer_unref(in);
      // A whole-frame result ('Dr"ess 0.75': 11 cells of 6 px + 2 px padding, one line of
      // 9 px) and a box at (100, 120) 50x40 with its label ('class 4 0.12', 74 px) above it
      // (rows 111..119).
      in = to_buffer(px, f, info);
      fill_meta(in, true);
      gst_harness_push(h, in);
      out = gst_harness_pull(h);
      count_changes(out, reference, info, 0, 9, 0, 11 * 6 + 2, &inside, &outside);
      EXPECT_GT(inside, 60) << vision::pixel_format_name(f) << " " << size[0];
      int box_inside = 0, box_outside = 0;
      count_changes(out, reference, info, 111, 160, 100, 174, &box_inside, &box_outside);
      EXPECT_GT(box_inside, 2 * 50 + 2 * 38) << vision::pixel_format_name(f);
      EXPECT_EQ(outside, box_inside) << vision::pixel_format_name(f) << ": drawn elsewhere";
      gst_buffer_unref(out);
      gst_buffer_unref(reference);
      gst_harness_teardown(h);
    }
  }
}

TEST_F(ElementsTest, MetaToJson) {
  GstBuffer* buf = gst_buffer_new();
  fill_meta(buf, true);
  gchar* json = strix_gst_meta_to_json(strix_gst_buffer_get_meta(buf), 40 * GST_MSECOND, nullptr);
  EXPECT_STREQ(json,
               "{\"pts\":40000000,\"frame\":7,\"source\":\"test\",\"model\":\"m.strix\","
               "\"inferred\":true,\"latency_ms\":1.5,\"results\":[{\"class_id\":3,\"label\":"
               "\"Dr\\\"ess\",\"score\":0.75},{\"class_id\":4,\"label\":\"\",\"score\":0.125,"
               "\"box\":{\"x\":100,\"y\":120,\"width\":50,\"height\":40}}]}");
  g_free(json);
  json = strix_gst_meta_to_json(strix_gst_buffer_get_meta(buf), GST_CLOCK_TIME_NONE, "cam0");
  nlohmann::json j = nlohmann::json::parse(json);
  EXPECT_TRUE(j["pts"].is_null());
  EXPECT_EQ(j["source"], "cam0");
  g_free(json);
  // Copies carry the meta.
  GstBuffer* copy = gst_buffer_copy(buf);
  ASSERT_NE(strix_gst_buffer_get_meta(copy), nullptr);
  EXPECT_EQ(strix_gst_buffer_get_meta(copy)->results[1].width, 50.f);
  gst_buffer_unref(copy);
  gst_buffer_unref(buf);
}

TEST_F(ElementsTest, MetaConvertPostsMessagesAndPublishWritesLines) {
  const std::string jsonl = temp_path("publish.jsonl");
  const std::string model = write_model(ModelSpec(), "publish.strix");
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(
      ("videotestsrc num-buffers=12 ! video/x-raw,format=NV12,width=97,height=61 ! "
       "strixclassify model=" +
       model +
       " inference-interval=5 ! strixmetaconvert name=conv "
       "source=cam0 ! strixmetapublish name=pub location=" +
       jsonl + " ! fakesink")
          .c_str(),
      &err);
  ASSERT_NE(pipeline, nullptr) << (err ? err->message : "");
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  int messages = 0;
  bool eos = false;
  while (!eos) {
    GstMessage* msg = gst_bus_timed_pop(bus, 10 * GST_SECOND);
    ASSERT_NE(msg, nullptr);
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
      GError* e = nullptr;
      gst_message_parse_error(msg, &e, nullptr);
      ADD_FAILURE() << e->message;
      g_error_free(e);
      eos = true;
    }
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) eos = true;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT &&
        gst_structure_has_name(gst_message_get_structure(msg), "strix-meta")) {
      const gchar* text = gst_structure_get_string(gst_message_get_structure(msg), "json");
      nlohmann::json j = nlohmann::json::parse(text);
      EXPECT_EQ(j["frame"], messages);
      EXPECT_EQ(j["source"], "cam0");
      EXPECT_EQ(j["inferred"], messages % 5 == 0);
      EXPECT_EQ(j["results"].size(), 3u);
      ++messages;
    }
    gst_message_unref(msg);
  }
  EXPECT_EQ(messages, 12);
  GstElement* conv = gst_bin_get_by_name(GST_BIN(pipeline), "conv");
  GstElement* pub = gst_bin_get_by_name(GST_BIN(pipeline), "pub");
  gchar* last = nullptr;
  guint64 lines = 0;
  g_object_get(conv, "json", &last, nullptr);
  g_object_get(pub, "lines", &lines, nullptr);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(nlohmann::json::parse(last)["frame"], 11);
  EXPECT_EQ(lines, 12u);
  g_free(last);
  gst_object_unref(conv);
  gst_object_unref(pub);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);

  std::ifstream in(jsonl);
  std::string line;
  int n = 0;
  GstClockTime last_pts = 0;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line);
    EXPECT_EQ(j["frame"], n);
    EXPECT_EQ(j["source"], "strixclassify0");  // publish keeps the producer's name
    if (n > 0) {
      EXPECT_GT(j["pts"].get<GstClockTime>(), last_pts);
    }
    last_pts = j["pts"].get<GstClockTime>();
    ++n;
  }
  EXPECT_EQ(n, 12);
}

TEST_F(ElementsTest, PublishWithoutLocationFails) {
  GError* err = nullptr;
  GstElement* pipeline =
      gst_parse_launch("videotestsrc num-buffers=1 ! strixmetapublish ! fakesink", &err);
  ASSERT_NE(pipeline, nullptr);
  EXPECT_EQ(gst_element_set_state(pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
}

}  // namespace
}  // namespace strix::gsttest
