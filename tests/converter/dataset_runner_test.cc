// data::run_dataset: batching with a zero-filled partial last batch (per-item outputs equal
// batch-1 outputs and an explicit FC), limit, extra outputs, f16 and i8 inputs, and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "converter/data/dataset_runner.h"
#include "strix/npy.h"
#include "tests/converter/data_test_util.h"

namespace strix::testing::datatest {
namespace {

using data::RunOptions;

std::vector<float> randoms(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// 7 gray 3x5 images; model: Flatten + FC to 4 scores with random weights.
struct Fixture {
  TempDir t;
  std::vector<float> w = randoms(4 * 15, 1), bias = randoms(4, 2);
  InputContract c = contract(ColorOrder::kGray, {0.3f}, {0.7f});
  Model model;
  std::unique_ptr<data::Dataset> dataset;

  explicit Fixture(int64_t batch = 1) {
    std::vector<uint8_t> px(7 * 15);
    for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>((i * 37 + 11) % 256);
    write_idx(t / "img", {7, 3, 5}, px);
    write_idx(t / "lab", {7}, {0, 1, 2, 3, 0, 1, 2});
    model = fc_model(1, 3, 5, 4, w, bias, &c, {}, batch);
    auto d = open("idx:" + t / "img," + t / "lab", model);
    EXPECT_TRUE(d.ok()) << d.status().to_string();
    if (d.ok()) dataset = std::move(d.value());
  }
};

// Runs and returns each item's 4 scores (rows past `count` checked against `unused_row`).
std::vector<std::vector<float>> scores(const Fixture& f, const RunOptions& o,
                                       std::vector<std::pair<int64_t, int>>* visits = nullptr,
                                       std::vector<std::vector<float>>* unused = nullptr) {
  std::vector<std::vector<float>> out;
  Status s = data::run_dataset(f.model, *f.dataset, o,
                               [&](int64_t first, int count, const Engine& e, Context& ctx) {
                                 EXPECT_EQ(first, static_cast<int64_t>(out.size()));
                                 EXPECT_EQ(e.input(0).shape[0], o.batch);
                                 const float* y = ctx.output(0).as<float>();
                                 for (int r = 0; r < o.batch; ++r) {
                                   std::vector<float> row(y + r * 4, y + r * 4 + 4);
                                   if (r < count) {
                                     out.push_back(row);
                                   } else if (unused != nullptr) {
                                     unused->push_back(row);
                                   }
                                 }
                                 if (visits != nullptr) visits->push_back({first, count});
                                 return Status();
                               });
  EXPECT_TRUE(s.ok()) << s.to_string();
  return out;
}

TEST(RunDataset, PartialBatchMatchesBatchOneAndAnExplicitFc) {
  Fixture f;
  ASSERT_NE(f.dataset, nullptr);
  RunOptions one;
  one.threads = 1;
  std::vector<std::vector<float>> ref = scores(f, one);
  ASSERT_EQ(ref.size(), 7u);
  // Batch 1 against the FC written out on the pre-processed items.
  for (int i = 0; i < 7; ++i) {
    data::Sample s;
    ASSERT_TRUE(f.dataset->read(i, &s).ok());
    for (int k = 0; k < 4; ++k) {
      double dot = f.bias[k];
      for (int j = 0; j < 15; ++j) dot += double{f.w[k * 15 + j]} * s.input[j];
      EXPECT_NEAR(ref[i][k], dot, 1e-5) << "item " << i << " score " << k;
    }
  }
  RunOptions three = one;
  three.batch = 3;
  std::vector<std::pair<int64_t, int>> visits;
  std::vector<std::vector<float>> unused;
  std::vector<std::vector<float>> got = scores(f, three, &visits, &unused);
  EXPECT_EQ(visits, (std::vector<std::pair<int64_t, int>>{{0, 3}, {3, 3}, {6, 1}}));
  ASSERT_EQ(got.size(), 7u);
  for (int i = 0; i < 7; ++i)
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(got[i][k], ref[i][k], 1e-5f) << i << "," << k;
  // The two unused rows of the last batch held zeros: FC(0) = bias.
  ASSERT_EQ(unused.size(), 2u);
  for (const auto& row : unused)
    for (int k = 0; k < 4; ++k) EXPECT_FLOAT_EQ(row[k], f.bias[k]);

  // The same on the reference kernels, and with a dynamic-batch model.
  three.reference_kernels = true;
  got = scores(f, three);
  for (int i = 0; i < 7; ++i)
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(got[i][k], ref[i][k], 1e-5f);
  Fixture dyn(-1);
  got = scores(dyn, three);
  for (int i = 0; i < 7; ++i)
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(got[i][k], ref[i][k], 1e-5f);
}

TEST(RunDataset, LimitExtraOutputsAndVisitErrors) {
  Fixture f;
  ASSERT_NE(f.dataset, nullptr);
  RunOptions o;
  o.batch = 2;
  o.limit = 5;
  o.extra_outputs = {"flat"};
  std::vector<std::pair<int64_t, int>> visits;
  Status s = data::run_dataset(f.model, *f.dataset, o,
                               [&](int64_t first, int count, const Engine& e, Context& ctx) {
                                 visits.push_back({first, count});
                                 EXPECT_EQ(e.num_outputs(), 2);
                                 const float* flat = ctx.output(1).as<float>();
                                 for (int r = 0; r < count; ++r) {
                                   data::Sample item;
                                   EXPECT_TRUE(f.dataset->read(first + r, &item).ok());
                                   for (int j = 0; j < 15; ++j)
                                     EXPECT_EQ(flat[r * 15 + j], item.input[j]);
                                 }
                                 return Status();
                               });
  EXPECT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(visits, (std::vector<std::pair<int64_t, int>>{{0, 2}, {2, 2}, {4, 1}}));

  int calls = 0;
  s = data::run_dataset(
      f.model, *f.dataset, RunOptions(), [&](int64_t first, int, const Engine&, Context&) {
        ++calls;
        return first == 2 ? Status(StatusCode::kInvalidArgument, "stop at 2") : Status();
      });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "stop at 2");
  EXPECT_EQ(calls, 3);

  RunOptions bad;
  bad.batch = 0;
  auto nop = [](int64_t, int, const Engine&, Context&) { return Status(); };
  EXPECT_EQ(data::run_dataset(f.model, *f.dataset, bad, nop).code(), StatusCode::kInvalidArgument);
  bad.batch = 1;
  bad.limit = -1;
  EXPECT_EQ(data::run_dataset(f.model, *f.dataset, bad, nop).code(), StatusCode::kInvalidArgument);
  bad.limit = 0;
  bad.extra_outputs = {"no_such_tensor"};
  EXPECT_EQ(data::run_dataset(f.model, *f.dataset, bad, nop).code(), StatusCode::kInvalidArgument);
}

// x [batch, 4] of dtype `dt` -> Cast (f16) or Dequantize (i8) -> y f32; two inputs if `two`.
Model convert_model(DType dt, bool two = false) {
  writer::ModelBuilder b;
  int x = b.add_input("x", dt, {1, 4});
  if (dt == DType::kI8) {
    Quantization q;
    q.scales = {0.5f};
    q.zero_points = {3};
    b.set_quantization(x, q);
  }
  int y = b.add_tensor("y", DType::kF32, {1, 4});
  if (dt == DType::kF16) {
    auto o = fb::CreateCastOptions(b.fbb(), fb::DType::F32);
    b.add_node("cast", fb::OpType::Cast, {x}, {y}, fb::OpOptions::CastOptions, o.Union());
  } else {
    b.add_node("deq", fb::OpType::Dequantize, {x}, {y});
  }
  b.mark_output(y);
  if (two) {
    int x2 = b.add_input("x2", DType::kF32, {1, 4});
    int y2 = b.add_tensor("y2", DType::kF32, {1, 4});
    b.add_node("relu", fb::OpType::Relu, {x2}, {y2});
    b.mark_output(y2);
  }
  std::vector<uint8_t> file = b.finish();
  Result<Model> m = Model::from_buffer(file.data(), file.size());
  EXPECT_TRUE(m.ok()) << m.status().to_string();
  return m.ok() ? m.value() : Model();
}

TEST(RunDataset, F16AndI8InputsAreStoredInTheirDtype) {
  TempDir t;
  const std::vector<float> v = {0.1f, -1.75f, 2.3f, 100.f, 1.25f, 0.f, -0.6f, -300.f};
  ASSERT_TRUE(write_npy(t / "x.npy", DType::kF32, Shape{2, 4}, v.data()).ok());
  for (DType dt : {DType::kF16, DType::kI8}) {
    Model m = convert_model(dt);
    auto d = open("npy:" + t / "x.npy", m);
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    std::vector<float> got;
    RunOptions o;
    o.batch = 3;  // one partial batch
    Status s =
        data::run_dataset(m, *d.value(), o, [&](int64_t, int count, const Engine&, Context& ctx) {
          const float* y = ctx.output(0).as<float>();
          got.assign(y, y + 4 * 3);
          EXPECT_EQ(count, 2);
          return Status();
        });
    ASSERT_TRUE(s.ok()) << s.to_string();
    for (size_t i = 0; i < v.size(); ++i) {
      // i8: q = clamp(round_half_even(x / 0.5) + 3, -128, 127), y = 0.5 * (q - 3).
      const float q = std::min(127.f, std::max(-128.f, std::nearbyint(v[i] / 0.5f) + 3.f));
      const float want = dt == DType::kF16 ? half_to_float(float_to_half(v[i])) : 0.5f * (q - 3);
      EXPECT_EQ(got[i], want) << dtype_name(dt) << " value " << i;
    }
    for (size_t i = 8; i < 12; ++i) EXPECT_EQ(got[i], 0.f) << "zero row, " << dtype_name(dt);
  }
  Model two = convert_model(DType::kF16, true);
  auto d = open("npy:" + t / "x.npy", two);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  Status s = data::run_dataset(two, *d.value(), RunOptions(),
                               [](int64_t, int, const Engine&, Context&) { return Status(); });
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.to_string();
}

}  // namespace
}  // namespace strix::testing::datatest
