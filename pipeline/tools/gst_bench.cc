// strix_gst_bench — frames/s of a strix pipeline and its cost per stage.
//
//   GST_PLUGIN_PATH=build/pipeline/plugins strix_gst_bench MODEL.strix
//       [--width 1920] [--height 1080] [--format NV12] [--frames 300] [--threads 2]
//
// Runs videotestsrc (frames generated ahead into a queue, so that the source's cost does
// not count) -> strixclassify -> strixoverlay -> fakesink as fast as it can and prints
// frames/s over the elements' wall time and the mean milliseconds per frame of
// pre-processing, inference and drawing, read from the elements' statistics properties.
#include <gst/gst.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: strix_gst_bench MODEL.strix [--width W] [--height H] [--format F] "
                 "[--frames N] [--threads T]\n");
    return 2;
  }
  std::string model = argv[1], format = "NV12";
  int width = 1920, height = 1080, frames = 300, threads = 2;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--width")
      width = std::atoi(argv[i + 1]);
    else if (k == "--height")
      height = std::atoi(argv[i + 1]);
    else if (k == "--format")
      format = argv[i + 1];
    else if (k == "--frames")
      frames = std::atoi(argv[i + 1]);
    else if (k == "--threads")
      threads = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "strix_gst_bench: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  // The queue holds every frame, and the valve opens once it is full: the strix elements
  // then see frames as fast as they can take them.
  const std::string description =
      "videotestsrc num-buffers=" + std::to_string(frames) +
      " pattern=ball ! video/x-raw,format=" + format + ",width=" + std::to_string(width) +
      ",height=" + std::to_string(height) +
      ",framerate=30/1 ! queue max-size-buffers=" + std::to_string(frames + 1) +
      " max-size-bytes=0 max-size-time=0 name=q ! valve name=v drop=false ! strixclassify "
      "name=c device=cpu threads=" +
      std::to_string(threads) + " model=\"" + model +
      "\" ! strixoverlay name=o ! fakesink sync=false";
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
  if (pipeline == nullptr) {
    std::fprintf(stderr, "strix_gst_bench: %s\n", error->message);
    return 1;
  }
  GstElement* classify = gst_bin_get_by_name(GST_BIN(pipeline), "c");
  GstElement* overlay = gst_bin_get_by_name(GST_BIN(pipeline), "o");
  GstElement* queue = gst_bin_get_by_name(GST_BIN(pipeline), "q");
  GstElement* valve = gst_bin_get_by_name(GST_BIN(pipeline), "v");
  // Hold buffers (only: caps, segment and allocation queries must pass) at the valve's
  // src pad until the queue is full.
  GstPad* valve_src = gst_element_get_static_pad(valve, "src");
  const gulong probe = gst_pad_add_probe(
      valve_src, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER),
      nullptr, nullptr, nullptr);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  for (;;) {
    guint level = 0;
    g_object_get(queue, "current-level-buffers", &level, nullptr);
    if (static_cast<int>(level) >= frames - 1) break;
    g_usleep(10000);
  }
  const auto start = std::chrono::steady_clock::now();
  gst_pad_remove_probe(valve_src, probe);
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg = gst_bus_timed_pop_filtered(
      bus, GST_CLOCK_TIME_NONE, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int status = 0;
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError* e = nullptr;
    gst_message_parse_error(msg, &e, nullptr);
    std::fprintf(stderr, "strix_gst_bench: %s\n", e->message);
    g_error_free(e);
    status = 1;
  } else {
    guint64 n = 0;
    double pre = 0, infer = 0, latency = 0, p99 = 0, draw = 0;
    g_object_get(classify, "frames", &n, "preprocess-ms", &pre, "inference-ms", &infer,
                 "latency-ms", &latency, "latency-p99-ms", &p99, nullptr);
    g_object_get(overlay, "latency-ms", &draw, nullptr);
    std::printf("%dx%d %s, %" G_GUINT64_FORMAT
                " frames, %d threads: %.1f frames/s; per frame "
                "pre-processing %.3f ms, inference %.3f ms, post %.3f ms (latency %.3f ms, "
                "p99 %.3f ms), overlay %.3f ms\n",
                width, height, format.c_str(), n, threads, n / wall, pre, infer,
                latency - pre - infer, latency, p99, draw);
  }
  gst_message_unref(msg);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(valve_src);
  for (GstElement* e : {classify, overlay, queue, valve}) gst_object_unref(e);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  return status;
}
