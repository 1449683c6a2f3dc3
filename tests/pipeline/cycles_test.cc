// 100 NULL -> PLAYING -> NULL cycles of a pipeline with every strix element: each cycle
// reaches EOS, every element and the pipeline are finalized once the pipeline is unreffed,
// no shared Engine stays alive. Leaked memory (buffers, metas, C++ state) is ASan's
// LeakSanitizer's to find: the asan preset runs this test too.
#include <gtest/gtest.h>

#include <string>

#include "pipeline/engine_pool.h"
#include "tests/pipeline/gst_test_util.h"

namespace strix::gsttest {
namespace {

void count_finalized(gpointer counter, GObject*) { g_atomic_int_inc(static_cast<int*>(counter)); }

TEST(Cycles, HundredPlayNullCyclesLeakNothing) {
  init_gst();
  const std::string model = write_model(ModelSpec(), "cycles.strix");
  const std::string jsonl = temp_path("cycles.jsonl");
  const std::string description =
      "videotestsrc num-buffers=3 ! video/x-raw,format=I420,width=97,height=61 ! "
      "strixclassify model=" +
      model +
      " model-instance-id=cyc name=c ! strixoverlay name=o ! "
      "strixmetaconvert name=m ! strixmetapublish name=p location=" +
      jsonl + " ! fakesink";
  int finalized = 0;
  for (int i = 0; i < 100; ++i) {
    GstElement* pipeline = gst_parse_launch(description.c_str(), nullptr);
    ASSERT_NE(pipeline, nullptr);
    g_object_weak_ref(G_OBJECT(pipeline), count_finalized, &finalized);
    for (const char* name : {"c", "o", "m", "p"}) {
      GstElement* e = gst_bin_get_by_name(GST_BIN(pipeline), name);
      g_object_weak_ref(G_OBJECT(e), count_finalized, &finalized);
      gst_object_unref(e);
    }
    ASSERT_NE(gst_element_set_state(pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    GstBus* bus = gst_element_get_bus(pipeline);
    GstMessage* msg = gst_bus_timed_pop_filtered(
        bus, 10 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    ASSERT_NE(msg, nullptr);
    EXPECT_EQ(GST_MESSAGE_TYPE(msg), GST_MESSAGE_EOS);
    gst_message_unref(msg);
    EXPECT_EQ(gst::live_shared_engines(), 1);
    ASSERT_EQ(gst_element_set_state(pipeline, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
    EXPECT_EQ(gst::live_shared_engines(), 0);
    gst_object_unref(bus);
    gst_object_unref(pipeline);
    // A streaming thread may still drop its last reference a moment after NULL.
    for (int wait = 0; wait < 1000 && g_atomic_int_get(&finalized) < 5 * (i + 1); ++wait)
      g_usleep(1000);
    ASSERT_EQ(g_atomic_int_get(&finalized), 5 * (i + 1))
        << "cycle " << i << ": an element was not finalized within 1 s";
  }
}

}  // namespace
}  // namespace strix::gsttest
