// make_test_model — writes a tiny classifier for the CLI and sample tests:
//
//   make_test_model OUT.strix [--dynamic-batch] [--batch N]
//
// Graph (NCHW, f32):
//   image [N,3,8,8] -> Conv2D 3x3 pad 1 (conv_w [4,3,3,3], conv_b [4]) -> Relu
//   -> GlobalAveragePool [N,4,1,1] -> Flatten [N,4]
//   -> FullyConnected (fc_w [5,4], trans_b, fc_b [5]) -> Softmax(axis -1) -> "scores/softmax:0"
// N is 1 unless --batch N; --dynamic-batch stores -1. Metadata: task classify, 5 labels.
// The weights are also written next to the model as OUT_STEM.{conv_w,conv_b,fc_w,fc_b}.npy
// (OUT_STEM is OUT without ".strix") so that tests can recompute the model with numpy.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "converter/writer/model_builder.h"
#include "strix/npy.h"

namespace {

std::vector<float> random_values(size_t n, std::mt19937* rng, float scale) {
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(*rng);
  return v;
}

int usage() {
  std::fprintf(stderr, "usage: make_test_model OUT.strix [--dynamic-batch] [--batch N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fb = strix::fb;
  if (argc < 2) return usage();
  const std::string path = argv[1];
  int64_t batch = 1;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--dynamic-batch") == 0) {
      batch = -1;
    } else if (std::strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
      batch = std::atoll(argv[++i]);
      if (batch < 1) return usage();
    } else {
      return usage();
    }
  }

  std::mt19937 rng(2024);
  const int64_t c = 3, m = 4, k = 3, hw = 8, classes = 5;
  std::vector<float> conv_w = random_values(m * c * k * k, &rng, 0.5f);
  std::vector<float> conv_b = random_values(m, &rng, 0.2f);
  std::vector<float> fc_w = random_values(classes * m, &rng, 1.0f);
  std::vector<float> fc_b = random_values(classes, &rng, 0.1f);

  strix::writer::ModelBuilder b;
  int x = b.add_input("image", strix::DType::kF32, {batch, c, hw, hw});
  int w = b.add_constant_f32("conv_w", {m, c, k, k}, conv_w);
  int bias = b.add_constant_f32("conv_b", {m}, conv_b);
  int conv = b.add_tensor("conv", strix::DType::kF32, {batch, m, hw, hw});
  int relu = b.add_tensor("relu", strix::DType::kF32, {batch, m, hw, hw});
  int gap = b.add_tensor("gap", strix::DType::kF32, {batch, m, 1, 1});
  int flat = b.add_tensor("flat", strix::DType::kF32, {batch, m});
  int fw = b.add_constant_f32("fc_w", {classes, m}, fc_w);
  int fbias = b.add_constant_f32("fc_b", {classes}, fc_b);
  int logits = b.add_tensor("logits", strix::DType::kF32, {batch, classes});
  int scores = b.add_tensor("scores/softmax:0", strix::DType::kF32, {batch, classes});

  auto& f = b.fbb();
  auto conv_opts = fb::CreateConv2DOptions(
      f, f.CreateVector<int32_t>({3, 3}), f.CreateVector<int32_t>({1, 1}),
      f.CreateVector<int32_t>({1, 1}), f.CreateVector<int32_t>({1, 1, 1, 1}));
  b.add_node("conv", fb::OpType::Conv2D, {x, w, bias}, {conv}, fb::OpOptions::Conv2DOptions,
             conv_opts.Union());
  auto relu_opts = fb::CreateUnaryOptions(f);
  b.add_node("relu", fb::OpType::Relu, {conv}, {relu}, fb::OpOptions::UnaryOptions,
             relu_opts.Union());
  b.add_node("gap", fb::OpType::GlobalAveragePool, {relu}, {gap});
  auto flat_opts = fb::CreateFlattenOptions(f, 1);
  b.add_node("flatten", fb::OpType::Flatten, {gap}, {flat}, fb::OpOptions::FlattenOptions,
             flat_opts.Union());
  auto fc_opts = fb::CreateFullyConnectedOptions(f, 1.0f, 1.0f, false, true);
  b.add_node("fc", fb::OpType::FullyConnected, {flat, fw, fbias}, {logits},
             fb::OpOptions::FullyConnectedOptions, fc_opts.Union());
  auto sm_opts = fb::CreateSoftmaxOptions(f, -1);
  b.add_node("softmax", fb::OpType::Softmax, {logits}, {scores}, fb::OpOptions::SoftmaxOptions,
             sm_opts.Union());
  b.mark_output(scores);

  strix::Metadata& meta = b.metadata();
  meta.task = strix::Task::kClassify;
  meta.labels = {"cat", "dog", "bird", "fish", "frog"};
  meta.description = "tiny test classifier (tests/tools/make_test_model.cc)";
  meta.producer = "make_test_model";

  strix::Status s = b.write(path);
  if (!s.ok()) {
    std::fprintf(stderr, "make_test_model: %s\n", s.to_string().c_str());
    return 1;
  }
  std::string stem = path;
  const std::string ext = ".strix";
  if (stem.size() > ext.size() && stem.compare(stem.size() - ext.size(), ext.size(), ext) == 0)
    stem.resize(stem.size() - ext.size());
  struct Weight {
    const char* name;
    strix::Shape shape;
    const std::vector<float>* values;
  };
  const Weight weights[] = {{"conv_w", strix::Shape({m, c, k, k}), &conv_w},
                            {"conv_b", strix::Shape({m}), &conv_b},
                            {"fc_w", strix::Shape({classes, m}), &fc_w},
                            {"fc_b", strix::Shape({classes}), &fc_b}};
  for (const Weight& wt : weights) {
    s = strix::write_npy(stem + "." + wt.name + ".npy", strix::DType::kF32, wt.shape,
                         wt.values->data());
    if (!s.ok()) {
      std::fprintf(stderr, "make_test_model: %s\n", s.to_string().c_str());
      return 1;
    }
  }
  return 0;
}
