// The loader never trusts the file: truncation, bit flips, bad indices, size mismatches,
// cycles and newer schema versions each give a Status that says what is wrong — never a
// crash (this suite also runs under ASan + UBSan in CI).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "converter/writer/model_builder.h"
#include "strix/engine.h"
#include "strix/version.h"
#include "tests/support/model_runner.h"

namespace strix {
namespace {

using writer::ModelBuilder;

// x[1,3,9,9] -> Conv2D(4, 3x3, bias) -> Relu -> GlobalAveragePool -> Flatten
//   -> FullyConnected(4 -> 5) -> Softmax, with labels and an input contract.
std::vector<uint8_t> small_net(void (*tweak)(ModelBuilder&) = nullptr) {
  ModelBuilder b;
  auto& fbb = b.fbb();
  int x = b.add_input("x", DType::kF32, {1, 3, 9, 9});
  int w = b.add_constant_f32("conv.w", {4, 3, 3, 3}, testing::random_floats(108, 1));
  int bias = b.add_constant_f32("conv.b", {4}, testing::random_floats(4, 2));
  int c = b.add_tensor("conv", DType::kF32, {1, 4, 7, 7});
  int r = b.add_tensor("relu", DType::kF32, {1, 4, 7, 7});
  int g = b.add_tensor("gap", DType::kF32, {1, 4, 1, 1});
  int f = b.add_tensor("flat", DType::kF32, {1, 4});
  int fw = b.add_constant_f32("fc.w", {5, 4}, testing::random_floats(20, 3));
  int fb_ = b.add_constant_f32("fc.b", {5}, testing::random_floats(5, 4));
  int logits = b.add_tensor("logits", DType::kF32, {1, 5});
  int prob = b.add_tensor("prob", DType::kF32, {1, 5});
  auto conv = fb::CreateConv2DOptions(
      fbb, fbb.CreateVector<int32_t>({3, 3}), fbb.CreateVector<int32_t>({1, 1}),
      fbb.CreateVector<int32_t>({1, 1}), fbb.CreateVector<int32_t>({0, 0, 0, 0}));
  b.add_node("conv", fb::OpType::Conv2D, {x, w, bias}, {c}, fb::OpOptions::Conv2DOptions,
             conv.Union());
  b.add_node("relu", fb::OpType::Relu, {c}, {r});
  b.add_node("gap", fb::OpType::GlobalAveragePool, {r}, {g});
  b.add_node("flatten", fb::OpType::Flatten, {g}, {f}, fb::OpOptions::FlattenOptions,
             fb::CreateFlattenOptions(fbb, 1).Union());
  b.add_node("fc", fb::OpType::FullyConnected, {f, fw, fb_}, {logits},
             fb::OpOptions::FullyConnectedOptions,
             fb::CreateFullyConnectedOptions(fbb, 1.f, 1.f, false, true).Union());
  b.add_node("softmax", fb::OpType::Softmax, {logits}, {prob}, fb::OpOptions::SoftmaxOptions,
             fb::CreateSoftmaxOptions(fbb, -1).Union());
  b.mark_output(prob);
  Metadata& m = b.metadata();
  m.task = Task::kClassify;
  m.labels = {"a", "b", "c", "d", "e"};
  InputContract ic;
  ic.width = 9;
  ic.height = 9;
  ic.mean = {0.5f, 0.5f, 0.5f};
  ic.std = {0.25f, 0.25f, 0.25f};
  ic.resize = ResizeKind::kLetterbox;
  ic.pad_value = 114;
  m.inputs.push_back(ic);
  m.producer = "loader_test";
  if (tweak) tweak(b);
  return b.finish();
}

Status load(const std::vector<uint8_t>& bytes) {
  Result<Model> m = Model::from_buffer(bytes.data(), bytes.size());
  return m.ok() ? Status() : m.status();
}

void expect_error(const std::vector<uint8_t>& bytes, StatusCode code, const std::string& needle) {
  Status s = load(bytes);
  ASSERT_FALSE(s.ok()) << "expected an error containing '" << needle << "'";
  EXPECT_EQ(s.code(), code) << s.to_string();
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.to_string();
}

TEST(Loader, LoadsAValidModelAndItsMetadata) {
  std::vector<uint8_t> bytes = small_net();
  Result<Model> m = Model::from_buffer(bytes.data(), bytes.size());
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m.value().schema_version(), kSchemaVersion);
  EXPECT_EQ(m.value().num_nodes(), 6);
  EXPECT_EQ(m.value().num_inputs(), 1);
  EXPECT_EQ(m.value().input(0).shape, Shape({1, 3, 9, 9}));
  EXPECT_EQ(m.value().weights_bytes(), (108u + 4u + 20u + 5u) * 4u);
  const Metadata& md = m.value().metadata();
  EXPECT_EQ(md.task, Task::kClassify);
  ASSERT_EQ(md.labels.size(), 5u);
  EXPECT_EQ(md.labels[4], "e");
  ASSERT_EQ(md.inputs.size(), 1u);
  EXPECT_EQ(md.inputs[0].resize, ResizeKind::kLetterbox);
  EXPECT_FLOAT_EQ(md.inputs[0].pad_value, 114.f);
  EXPECT_FLOAT_EQ(md.inputs[0].std[2], 0.25f);
  EXPECT_EQ(md.producer, "loader_test");
}

TEST(Loader, FromFileMapsAndMissingFileIsNotFound) {
  std::vector<uint8_t> bytes = small_net();
  std::string path = ::testing::TempDir() + "/loader_test.strix";
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  Result<Model> m = Model::load(path);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m.value().num_nodes(), 6);
  Result<Model> missing = Model::load(path + ".nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(".nope"), std::string::npos);
  Result<Model> dir = Model::load(::testing::TempDir());
  ASSERT_FALSE(dir.ok());
  std::remove(path.c_str());
}

TEST(Loader, RejectsNonStrixFiles) {
  expect_error({}, StatusCode::kCorruptModel, "empty");
  std::string text = "this is a text file, not a model at all";
  expect_error(std::vector<uint8_t>(text.begin(), text.end()), StatusCode::kCorruptModel,
               "not a .strix model");
  expect_error(std::vector<uint8_t>(5, 0), StatusCode::kCorruptModel, "too short");
}

TEST(Loader, TruncationAtEverySixteenthIsAnError) {
  std::vector<uint8_t> bytes = small_net();
  for (int k = 0; k < 16; ++k) {
    size_t len = bytes.size() * k / 16;
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + len);
    Status s = load(cut);
    EXPECT_FALSE(s.ok()) << "truncated to " << len << " of " << bytes.size() << " bytes loaded";
    if (!s.ok()) {
      EXPECT_TRUE(s.code() == StatusCode::kCorruptModel) << s.to_string();
      EXPECT_FALSE(s.message().empty());
    }
  }
}

TEST(Loader, TruncationAtEveryByteOfTheHeaderIsAnError) {
  std::vector<uint8_t> bytes = small_net();
  for (size_t len = 0; len < 256 && len < bytes.size(); ++len) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + len);
    EXPECT_FALSE(load(cut).ok()) << len;
  }
}

// Random bit flips: the loader, the Engine build and a run must never crash. Whatever loads
// and builds must run (shapes and pointers were validated).
TEST(Loader, RandomBitFlipsNeverCrash) {
  std::vector<uint8_t> bytes = small_net();
  std::mt19937 rng(1234);
  int loaded = 0, rejected = 0;
  for (int round = 0; round < 6000; ++round) {
    std::vector<uint8_t> m = bytes;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) {
      size_t pos = rng() % m.size();
      m[pos] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    Result<Model> model = Model::from_buffer(m.data(), m.size());
    if (!model.ok()) {
      ++rejected;
      EXPECT_FALSE(model.status().message().empty());
      continue;
    }
    ++loaded;
    auto engine = Engine::create(model.value(), {});
    if (!engine.ok()) {
      EXPECT_FALSE(engine.status().message().empty());
      continue;
    }
    auto ctx = engine.value()->create_context();
    if (!ctx.ok()) continue;
    for (int i = 0; i < engine.value()->num_inputs(); ++i) {
      TensorView in = ctx.value().input(i);
      std::memset(in.data, 0, in.byte_size());
    }
    ctx.value().run();
  }
  EXPECT_GT(rejected, 0);
  std::printf("bit flips: %d rejected, %d loaded\n", rejected,
              loaded);  // flips in weights and names still load
}

TEST(Loader, OutOfRangeIndices) {
  expect_error(small_net([](ModelBuilder& b) { b.mark_output(999); }), StatusCode::kCorruptModel,
               "graph output 1 refers to tensor 999");
  expect_error(small_net([](ModelBuilder& b) {
                 int y = b.add_tensor("extra", DType::kF32, {3});
                 b.add_node("bad", fb::OpType::Relu, {77}, {y});
               }),
               StatusCode::kCorruptModel, "refers to tensor 77");
}

TEST(Loader, BufferSizeMustEqualDtypeTimesShape) {
  std::vector<uint8_t> bytes = small_net([](ModelBuilder& b) {
    std::vector<float> v(5, 1.f);
    int t = b.add_constant("short_weights", DType::kF32, {2, 3}, v.data(), v.size() * 4);
    int y = b.add_tensor("y2", DType::kF32, {2, 3});
    b.add_node("relu2", fb::OpType::Relu, {t}, {y});
  });
  expect_error(bytes, StatusCode::kCorruptModel, "'short_weights': buffer");
  expect_error(bytes, StatusCode::kCorruptModel, "holds 20 bytes");
}

TEST(Loader, CyclesAndUseBeforeProduction) {
  // y = relu(z); z = relu(y): a cycle.
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {3});
  int y = b.add_tensor("y", DType::kF32, {3});
  int z = b.add_tensor("z", DType::kF32, {3});
  b.add_node("first", fb::OpType::Add, {x, z}, {y});
  b.add_node("second", fb::OpType::Relu, {y}, {z});
  b.mark_output(z);
  expect_error(b.finish(), StatusCode::kCorruptModel,
               "node 0 'first' (Add) reads tensor 2 'z' before node 1 produces it");

  ModelBuilder self;
  int sx = self.add_input("x", DType::kF32, {3});
  int sy = self.add_tensor("y", DType::kF32, {3});
  self.add_node("loop", fb::OpType::Add, {sx, sy}, {sy});
  self.mark_output(sy);
  expect_error(self.finish(), StatusCode::kCorruptModel, "cycle");

  ModelBuilder orphan;
  int ox = orphan.add_input("x", DType::kF32, {3});
  int ghost = orphan.add_tensor("ghost", DType::kF32, {3});
  int oy = orphan.add_tensor("y", DType::kF32, {3});
  orphan.add_node("add", fb::OpType::Add, {ox, ghost}, {oy});
  orphan.mark_output(oy);
  expect_error(orphan.finish(), StatusCode::kCorruptModel, "which no node produces");
}

TEST(Loader, TwoProducersAndWritesToInputs) {
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {3});
  int y = b.add_tensor("y", DType::kF32, {3});
  b.add_node("a", fb::OpType::Relu, {x}, {y});
  b.add_node("b", fb::OpType::Sigmoid, {x}, {y});
  b.mark_output(y);
  expect_error(b.finish(), StatusCode::kCorruptModel, "which node 0 also writes");

  ModelBuilder c;
  int cx = c.add_input("x", DType::kF32, {3});
  int cy = c.add_tensor("y", DType::kF32, {3});
  c.add_node("a", fb::OpType::Relu, {cy}, {cx});
  c.mark_output(cx);
  expect_error(c.finish(), StatusCode::kCorruptModel, "graph input or a constant");
}

TEST(Loader, OptionsMustMatchTheOp) {
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {3});
  int y = b.add_tensor("y", DType::kF32, {3});
  b.add_node("clip", fb::OpType::Clip, {x}, {y}, fb::OpOptions::SoftmaxOptions,
             fb::CreateSoftmaxOptions(b.fbb(), 0).Union());
  b.mark_output(y);
  expect_error(b.finish(), StatusCode::kCorruptModel,
               "carries SoftmaxOptions, but Clip takes UnaryOptions");

  ModelBuilder r;
  int rx = r.add_input("x", DType::kF32, {3});
  int ry = r.add_tensor("y", DType::kF32, {3});
  r.add_node("conv", fb::OpType::Conv2D, {rx}, {ry});
  r.mark_output(ry);
  expect_error(r.finish(), StatusCode::kCorruptModel, "needs Conv2DOptions");
}

TEST(Loader, NewerSchemaIsAVersionError) {
  std::vector<uint8_t> bytes =
      small_net([](ModelBuilder& b) { b.set_schema_version(kSchemaVersion + 1); });
  expect_error(bytes, StatusCode::kVersionMismatch, "schema version 2");
  expect_error(bytes, StatusCode::kVersionMismatch, "upgrade libstrix");
}

TEST(Loader, BadQuantizationAndShapes) {
  expect_error(small_net([](ModelBuilder& b) {
                 Quantization q;
                 q.scales = {0.5f, -1.f, 0.25f};
                 q.zero_points = {0, 0, 0};
                 q.axis = 1;
                 b.set_quantization(0, q);  // x is [1,3,9,9]: 3 channels on axis 1
               }),
               StatusCode::kCorruptModel, "scale 1 is -1");
  expect_error(small_net([](ModelBuilder& b) {
                 Quantization q;
                 q.scales = {0.5f, 0.5f};
                 q.zero_points = {0, 0};
                 q.axis = 1;
                 b.set_quantization(0, q);
               }),
               StatusCode::kCorruptModel, "2 per-channel scales for dimension 3");
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {3, -5});
  int y = b.add_tensor("y", DType::kF32, {3, 5});
  b.add_node("relu", fb::OpType::Relu, {x}, {y});
  b.mark_output(y);
  expect_error(b.finish(), StatusCode::kCorruptModel, "invalid dimension -5");
}

}  // namespace
}  // namespace strix
