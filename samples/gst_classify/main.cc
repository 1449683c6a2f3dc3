// gst_classify — runs a GStreamer pipeline with strixclassify and reads the results from an
// appsink through the public metadata API (strix/gst/meta.h).
//
//   GST_PLUGIN_PATH=build/pipeline/plugins gst_classify MODEL.strix [FRAMES] [SOURCE]
//
// SOURCE is a gst-launch fragment producing raw video (default: a 640x480 test pattern).
// Prints one line per frame: frame number, pts, whether the model ran, the best class.
#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "strix/gst/meta.h"

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: gst_classify MODEL.strix [FRAMES] [SOURCE]\n");
    return 2;
  }
  const int frames = argc > 2 ? std::atoi(argv[2]) : 10;
  const std::string source = argc > 3 ? argv[3]
                                      : "videotestsrc num-buffers=" + std::to_string(frames) +
                                            " ! video/x-raw,width=640,height=480";
  gchar* model = g_strescape(argv[1], nullptr);
  const std::string description =
      source + " ! strixclassify model=\"" + model + "\" ! appsink name=sink sync=false";
  g_free(model);

  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
  if (pipeline == nullptr) {
    std::fprintf(stderr, "gst_classify: %s\n", error->message);
    g_error_free(error);
    return 1;
  }
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);

  int seen = 0;
  while (GstSample* sample = gst_app_sink_pull_sample(GST_APP_SINK(sink))) {
    GstBuffer* buffer = gst_sample_get_buffer(sample);
    const StrixGstMeta* meta = strix_gst_buffer_get_meta(buffer);
    if (meta != nullptr) {
      std::printf("frame %3" G_GUINT64_FORMAT " pts %" GST_TIME_FORMAT " %s", meta->frame_number,
                  GST_TIME_ARGS(GST_BUFFER_PTS(buffer)), meta->inferred ? "inferred" : "reused  ");
      if (meta->num_results > 0)
        std::printf("  %s %.3f", meta->results[0].label, meta->results[0].score);
      std::printf("\n");
    }
    ++seen;
    gst_sample_unref(sample);
  }

  // The appsink returns NULL at EOS or on an error: the bus says which.
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  int status = 0;
  if (msg != nullptr) {
    GError* err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    std::fprintf(stderr, "gst_classify: %s\n", err->message);
    g_error_free(err);
    gst_message_unref(msg);
    status = 1;
  }
  std::printf("%d frames\n", seen);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  return status;
}
