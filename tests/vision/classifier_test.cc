// strix::vision::Classifier: top-k, softmax, thresholds, dtypes and labels.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "strix/vision.h"
#include "tests/support/model_runner.h"

namespace strix::vision {
namespace {

TensorInfo scores(int64_t classes, DType dtype = DType::kF32) {
  TensorInfo t;
  t.name = "probs";
  t.dtype = dtype;
  t.shape = Shape({1, classes});
  return t;
}

Classifier make(const Metadata& md, const TensorInfo& t, const ClassifierOptions& o) {
  Result<Classifier> c = Classifier::create(md, t, o);
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return c.ok() ? c.value() : Classifier();
}

TEST(Classifier, TopKBestFirstTiesByClassId) {
  Metadata md;
  md.labels = {"a", "b", "c", "d", "e"};
  ClassifierOptions o;
  o.top_k = 3;
  Classifier c = make(md, scores(5), o);
  const float s[5] = {0.1f, 0.5f, 0.2f, 0.9f, 0.3f};
  Classification out[8];
  ASSERT_EQ(c.run(s, out, 8), 3);
  EXPECT_EQ(out[0].class_id, 3);
  EXPECT_EQ(out[1].class_id, 1);
  EXPECT_EQ(out[2].class_id, 4);
  EXPECT_FLOAT_EQ(out[2].score, 0.3f);
  EXPECT_STREQ(c.label(3), "d");
  EXPECT_STREQ(c.label(5), "");
  EXPECT_STREQ(c.label(-1), "");
  // Capacity below top-k caps the count.
  ASSERT_EQ(c.run(s, out, 1), 1);
  EXPECT_EQ(out[0].class_id, 3);
  const float tie[3] = {1.f, 1.f, 0.f};
  Classifier t = make(md, scores(3), o);
  ASSERT_EQ(t.run(tie, out, 8), 3);
  EXPECT_EQ(out[0].class_id, 0);
  EXPECT_EQ(out[1].class_id, 1);
}

TEST(Classifier, SoftmaxAndThreshold) {
  // softmax([1, 2, 3]) = [0.09003057, 0.24472847, 0.66524096].
  Metadata md;
  md.postprocess.apply_softmax = true;
  md.postprocess.top_k = 3;
  ClassifierOptions o;
  Classifier c = make(md, scores(3), o);
  const float logits[3] = {1.f, 2.f, 3.f};
  Classification out[3];
  ASSERT_EQ(c.run(logits, out, 3), 3);
  EXPECT_NEAR(out[0].score, 0.66524096f, 1e-6f);
  EXPECT_NEAR(out[1].score, 0.24472847f, 1e-6f);
  EXPECT_NEAR(out[2].score, 0.09003057f, 1e-6f);
  o.threshold = 0.2f;
  EXPECT_EQ(make(md, scores(3), o).run(logits, out, 3), 2);
  o.softmax = 0;  // raw scores: all >= 0.2
  ASSERT_EQ(make(md, scores(3), o).run(logits, out, 3), 3);
  EXPECT_EQ(out[0].score, 3.f);
}

TEST(Classifier, DefaultsAndOverrides) {
  Metadata md;
  md.labels = {"x", "y"};
  md.postprocess.top_k = 0;
  Classifier c = make(md, scores(10), {});
  EXPECT_EQ(c.top_k(), 5);
  EXPECT_EQ(c.num_classes(), 10);
  ClassifierOptions o;
  o.top_k = 50;
  o.labels = {"p", "q", "r"};
  Classifier big = make(md, scores(10), o);
  EXPECT_EQ(big.top_k(), 10);
  EXPECT_STREQ(big.label(2), "r");
}

TEST(Classifier, QuantizedAndHalfScores) {
  Metadata md;
  TensorInfo q = scores(4, DType::kI8);
  q.quantization.scales = {0.5f};
  q.quantization.zero_points = {-10};
  ClassifierOptions o;
  o.top_k = 2;
  Classifier c = make(md, q, o);
  const int8_t s[4] = {-10, 20, 0, -128};  // 0, 15, 5, -59
  Classification out[2];
  ASSERT_EQ(c.run(s, out, 2), 2);
  EXPECT_EQ(out[0].class_id, 1);
  EXPECT_FLOAT_EQ(out[0].score, 15.f);
  EXPECT_FLOAT_EQ(out[1].score, 5.f);
  Classifier h = make(md, scores(4, DType::kF16), o);
  const uint16_t hs[4] = {float_to_half(0.25f), float_to_half(-1.f), float_to_half(2.5f),
                          float_to_half(0.f)};
  ASSERT_EQ(h.run(hs, out, 2), 2);
  EXPECT_EQ(out[0].class_id, 2);
  EXPECT_FLOAT_EQ(out[0].score, 2.5f);
  EXPECT_EQ(out[1].class_id, 0);
}

TEST(Classifier, RandomScoresMatchASortedReference) {
  const int n = 1001;
  std::vector<float> s = testing::random_floats(n, 9, -8.f, 8.f);
  Metadata md;
  ClassifierOptions o;
  o.top_k = 13;
  o.softmax = 1;
  Classifier c = make(md, scores(n), o);
  Classification out[13];
  ASSERT_EQ(c.run(s.data(), out, 13), 13);
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return s[a] > s[b]; });
  double sum = 0;
  for (float v : s) sum += std::exp(double(v));
  for (int r = 0; r < 13; ++r) {
    EXPECT_EQ(out[r].class_id, order[r]) << r;
    EXPECT_NEAR(out[r].score, std::exp(double(s[order[r]])) / sum, 1e-6) << r;
  }
}

TEST(Classifier, CreateErrors) {
  Metadata md;
  ClassifierOptions o;
  o.top_k = -1;
  Result<Classifier> c = Classifier::create(md, scores(3), o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("top-k is -1"), std::string::npos);
  c = Classifier::create(md, scores(3, DType::kI32), {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kUnsupported);
  c = Classifier::create(md, scores(3, DType::kU8), {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("per-tensor quantization"), std::string::npos);
  TensorInfo empty = scores(0);
  c = Classifier::create(md, empty, {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("no class dimension"), std::string::npos);
}

}  // namespace
}  // namespace strix::vision
