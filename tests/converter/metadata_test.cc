// Metadata round trip, part 2: the model that metadata_roundtrip.py converted (with labels,
// mean/std, colour order and resize mode) gives them back through strix::Model::metadata().
#include <gtest/gtest.h>

#include "strix/model.h"

namespace strix {
namespace {

TEST(ConverterMetadata, RuntimeApiReturnsWhatConvertWasGiven) {
  Result<Model> model = Model::load(STRIX_METADATA_MODEL);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  const Metadata& m = model.value().metadata();
  EXPECT_EQ(m.task, Task::kClassify);
  EXPECT_EQ(m.labels, (std::vector<std::string>{"cat", "dog", "tree frog", "ünïcode label"}));
  ASSERT_EQ(m.inputs.size(), 1u);
  const InputContract& c = m.inputs[0];
  EXPECT_EQ(c.input_index, 0);
  EXPECT_EQ(c.layout, Layout::kNCHW);
  EXPECT_EQ(c.color, ColorOrder::kBGR);
  EXPECT_EQ(c.resize, ResizeKind::kLetterbox);
  EXPECT_EQ(c.width, 11);
  EXPECT_EQ(c.height, 13);
  ASSERT_EQ(c.mean.size(), 3u);
  ASSERT_EQ(c.std.size(), 3u);
  const float mean[3] = {0.485f, 0.456f, 0.406f}, std_dev[3] = {0.229f, 0.224f, 0.225f};
  for (int i = 0; i < 3; ++i) {
    EXPECT_FLOAT_EQ(c.mean[i], mean[i]);
    EXPECT_FLOAT_EQ(c.std[i], std_dev[i]);
  }
  EXPECT_EQ(m.producer, "strixc");
  EXPECT_EQ(m.source_format, "onnx");
  EXPECT_EQ(m.source_file, "conv_bias_pads.onnx");
  EXPECT_EQ(m.source_sha256.size(), 64u);
  EXPECT_EQ(m.description, "metadata round trip");
  bool has_opset = false;
  for (const auto& kv : m.extra)
    has_opset = has_opset || (kv.first == "onnx_opset" && kv.second == "13");
  EXPECT_TRUE(has_opset);
}

}  // namespace
}  // namespace strix
