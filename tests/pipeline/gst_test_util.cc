// GStreamer test helpers (gst_test_util.h).
#include "tests/pipeline/gst_test_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <random>

#include "converter/writer/model_builder.h"
#include "pipeline/classify.h"
#include "pipeline/metaconvert.h"
#include "pipeline/metapublish.h"
#include "pipeline/overlay.h"
#include "strix/engine.h"
#include "tests/support/model_runner.h"

// LeakSanitizer: GLib allocates buffers in its library constructors (_dl_init) that it
// never frees; those are GLib's, not the elements'. Matching them needs whole stacks (GLib
// has no frame pointers), hence the slow unwinder.
extern "C" const char* __lsan_default_suppressions() { return "leak:_dl_init\n"; }
extern "C" const char* __asan_default_options() { return "fast_unwind_on_malloc=0"; }

namespace strix::gsttest {

namespace {

// gst_deinit() at exit, so that LeakSanitizer sees GStreamer's own memory released.
class GstEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { gst_deinit(); }
};

}  // namespace

void init_gst() {
  static std::once_flag once;
  std::call_once(once, [] {
    gst_init(nullptr, nullptr);
    ::testing::AddGlobalTestEnvironment(new GstEnvironment);
    GST_ELEMENT_REGISTER(strixclassify, nullptr);
    GST_ELEMENT_REGISTER(strixoverlay, nullptr);
    GST_ELEMENT_REGISTER(strixmetaconvert, nullptr);
    GST_ELEMENT_REGISTER(strixmetapublish, nullptr);
  });
}

std::string temp_path(const std::string& name) {
  static std::string dir = [] {
    char tmpl[] = "/tmp/strix_gst_test_XXXXXX";
    const char* d = mkdtemp(tmpl);
    return std::string(d ? d : "/tmp");
  }();
  return dir + "/" + name;
}

std::string write_model(const ModelSpec& spec, const std::string& name) {
  namespace fb = strix::fb;
  const int64_t c = spec.color == ColorOrder::kGray ? 1 : 3, h = spec.height, w = spec.width;
  const int64_t n = c * h * w, k = spec.classes;
  writer::ModelBuilder b;
  const std::vector<int64_t> shape = spec.layout == Layout::kNCHW
                                         ? std::vector<int64_t>{1, c, h, w}
                                         : std::vector<int64_t>{1, h, w, c};
  int x = b.add_input("image", DType::kF32, shape);
  int flat = b.add_tensor("flat", DType::kF32, {1, n});
  int fw =
      b.add_constant_f32("fc_w", {k, n}, testing::random_floats(k * n, spec.seed, -0.2f, 0.2f));
  int fbias =
      b.add_constant_f32("fc_b", {k}, testing::random_floats(k, spec.seed + 1, -0.1f, 0.1f));
  int logits = b.add_tensor("logits", DType::kF32, {1, k});
  int probs = b.add_tensor("probs", DType::kF32, {1, k});
  auto& f = b.fbb();
  b.add_node("flatten", fb::OpType::Flatten, {x}, {flat}, fb::OpOptions::FlattenOptions,
             fb::CreateFlattenOptions(f, 1).Union());
  b.add_node("fc", fb::OpType::FullyConnected, {flat, fw, fbias}, {logits},
             fb::OpOptions::FullyConnectedOptions,
             fb::CreateFullyConnectedOptions(f, 1.0f, 1.0f, false, true).Union());
  b.add_node("softmax", fb::OpType::Softmax, {logits}, {probs}, fb::OpOptions::SoftmaxOptions,
             fb::CreateSoftmaxOptions(f, -1).Union());
  b.mark_output(probs);
  Metadata& md = b.metadata();
  md.task = Task::kClassify;
  for (int i = 0; i < spec.classes; ++i) md.labels.push_back("class-" + std::to_string(i));
  InputContract ic;
  ic.layout = spec.layout;
  ic.width = spec.width;
  ic.height = spec.height;
  ic.color = spec.color;
  ic.mean = std::vector<float>(c, 0.45f);
  ic.std = std::vector<float>(c, 0.25f);
  ic.resize = spec.resize;
  ic.pad_value = 114;
  md.inputs.push_back(ic);
  md.postprocess.top_k = 3;
  const std::string path = temp_path(name);
  Status s = b.write(path);
  EXPECT_TRUE(s.ok()) << s.to_string();
  return path;
}

std::vector<uint8_t> random_packed(vision::PixelFormat format, int w, int h, uint32_t seed) {
  std::vector<uint8_t> v(vision::Image::packed_size(format, w, h));
  std::mt19937 rng(seed);
  for (uint8_t& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

GstVideoFormat gst_format(vision::PixelFormat format) {
  using vision::PixelFormat;
  switch (format) {
    case PixelFormat::kRGB: return GST_VIDEO_FORMAT_RGB;
    case PixelFormat::kBGR: return GST_VIDEO_FORMAT_BGR;
    case PixelFormat::kRGBx: return GST_VIDEO_FORMAT_RGBx;
    case PixelFormat::kBGRx: return GST_VIDEO_FORMAT_BGRx;
    case PixelFormat::kRGBA: return GST_VIDEO_FORMAT_RGBA;
    case PixelFormat::kBGRA: return GST_VIDEO_FORMAT_BGRA;
    case PixelFormat::kNV12: return GST_VIDEO_FORMAT_NV12;
    case PixelFormat::kI420: return GST_VIDEO_FORMAT_I420;
    case PixelFormat::kGray8: return GST_VIDEO_FORMAT_GRAY8;
  }
  return GST_VIDEO_FORMAT_UNKNOWN;
}

GstBuffer* to_buffer(const std::vector<uint8_t>& packed, vision::PixelFormat format,
                     const GstVideoInfo& info) {
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  GstMapInfo map;
  gst_buffer_map(buf, &map, GST_MAP_WRITE);
  std::memset(map.data, 0xEE, map.size);  // padding bytes must not matter
  const vision::Image src = vision::Image::packed(format, GST_VIDEO_INFO_WIDTH(&info),
                                                  GST_VIDEO_INFO_HEIGHT(&info), packed.data());
  for (int p = 0; p < vision::pixel_format_planes(format); ++p) {
    const int rows = p == 0 ? GST_VIDEO_INFO_HEIGHT(&info) : (GST_VIDEO_INFO_HEIGHT(&info) + 1) / 2;
    for (int r = 0; r < rows; ++r)
      std::memcpy(map.data + GST_VIDEO_INFO_PLANE_OFFSET(&info, p) +
                      static_cast<size_t>(r) * GST_VIDEO_INFO_PLANE_STRIDE(&info, p),
                  src.planes[p] + static_cast<size_t>(r) * src.strides[p], src.strides[p]);
  }
  gst_buffer_unmap(buf, &map);
  return buf;
}

std::vector<vision::Classification> expected_top(const std::string& model_path,
                                                 const std::vector<uint8_t>& packed,
                                                 vision::PixelFormat format,
                                                 const GstVideoInfo& info, int top_k) {
  Result<Model> model = Model::load(model_path);
  EXPECT_TRUE(model.ok()) << model.status().to_string();
  Result<std::shared_ptr<Engine>> engine = Engine::create(model.value(), EngineOptions());
  EXPECT_TRUE(engine.ok()) << engine.status().to_string();
  const Engine& e = *engine.value();
  Result<vision::Preprocessor> pre =
      vision::Preprocessor::create(model->metadata().inputs[0], e.input(0));
  EXPECT_TRUE(pre.ok()) << pre.status().to_string();
  vision::ClassifierOptions options;
  options.top_k = top_k;
  Result<vision::Classifier> cls =
      vision::Classifier::create(model->metadata(), e.output(0), options);
  EXPECT_TRUE(cls.ok()) << cls.status().to_string();
  Context ctx = std::move(e.create_context().value());
  // The tensor the element should see, through the plain packed layout.
  std::vector<float> tensor(pre->item_bytes() / sizeof(float));
  vision::Image image = vision::Image::packed(format, GST_VIDEO_INFO_WIDTH(&info),
                                              GST_VIDEO_INFO_HEIGHT(&info), packed.data());
  const GstVideoColorimetry& c = GST_VIDEO_INFO_COLORIMETRY(&info);
  image.matrix = c.matrix == GST_VIDEO_COLOR_MATRIX_BT709 ? vision::YuvMatrix::kBT709
                                                          : vision::YuvMatrix::kBT601;
  image.full_range = c.range == GST_VIDEO_COLOR_RANGE_0_255;
  Status s = pre->run(image, tensor.data());
  EXPECT_TRUE(s.ok()) << s.to_string();
  EXPECT_TRUE(ctx.set_input(0, tensor.data(), tensor.size() * sizeof(float)).ok());
  ctx.run();
  std::vector<vision::Classification> top(top_k);
  top.resize(cls->run(ctx.output(0).data, top.data(), top_k));
  return top;
}

}  // namespace strix::gsttest
