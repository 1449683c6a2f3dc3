// Concat and Split (kernels/cpu/ref/concat.cc, split.cc): hand-computed cases, random odd
// shapes of every dtype against an index-by-index formulation, int8 requantization across
// different input/output quantizations, and the errors the factories report.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "tests/unit/data_movement_test_util.h"

namespace strix::testing {
namespace {

using namespace dm;  // NOLINT

flatbuffers::Offset<void> concat_options(ModelBuilder& b, int32_t axis) {
  return fb::CreateConcatOptions(b.fbb(), axis).Union();
}

flatbuffers::Offset<void> split_options(ModelBuilder& b, int32_t axis,
                                        const std::vector<int64_t>& sizes) {
  return fb::CreateSplitOptions(b.fbb(), axis, sizes.empty() ? 0 : longs(b, sizes)).Union();
}

Quantization per_tensor(float scale, int64_t zero_point) {
  Quantization q;
  q.scales = {scale};
  q.zero_points = {zero_point};
  return q;
}

TEST(Concat, HandComputed) {
  // A = [[1, 2], [3, 4]], B = [[5], [6]] along axis 1 -> [[1, 2, 5], [3, 4, 6]].
  for (int32_t axis : {1, -1}) {
    auto out =
        run_node(fb::OpType::Concat, fb::OpOptions::ConcatOptions,
                 [&](ModelBuilder& b) { return concat_options(b, axis); },
                 {f32({2, 2}, {1, 2, 3, 4}), f32({2, 1}, {5, 6})}, {{DType::kF32, {2, 3}, {}}});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    EXPECT_EQ(out.value()[0].f32(), (std::vector<float>{1, 2, 5, 3, 4, 6}));
  }
  // Along axis 0: [[1, 2], [3, 4], [7, 8]].
  auto out =
      run_node(fb::OpType::Concat, fb::OpOptions::ConcatOptions,
               [](ModelBuilder& b) { return concat_options(b, 0); },
               {i32({2, 2}, {1, 2, 3, 4}), i32({1, 2}, {7, 8})}, {{DType::kI32, {3, 2}, {}}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out.value()[0].values<int32_t>(), (std::vector<int32_t>{1, 2, 3, 4, 7, 8}));
}

// Three inputs [3, a_i, 5] (rotated so the concat axis moves) vs index-by-index placement.
TEST(Concat, RandomEveryDtypeAndAxis) {
  uint32_t seed = 10;
  for (DType dtype : {DType::kF32, DType::kF16, DType::kI8, DType::kU8, DType::kI32}) {
    for (int axis = 0; axis < 3; ++axis) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " axis " + std::to_string(axis));
      std::vector<int64_t> sizes = {1, 13, 4};
      std::vector<HostTensor> in;
      std::vector<int64_t> out_shape = {3, 7, 5};
      out_shape[axis] = 0;
      for (int64_t s : sizes) {
        std::vector<int64_t> shape = {3, 7, 5};
        shape[axis] = s;
        out_shape[axis] += s;
        in.push_back(random_tensor(dtype, shape, seed++));
      }
      HostTensor expected = empty_tensor(dtype, out_shape);
      for (int64_t e = 0; e < numel(out_shape); ++e) {
        std::vector<int64_t> idx = unravel(e, out_shape);
        size_t i = 0;
        while (idx[axis] >= sizes[i]) idx[axis] -= sizes[i++];
        copy_element(in[i], ravel(idx, in[i].shape.to_vector()), &expected, e);
      }
      auto out = run_node(fb::OpType::Concat, fb::OpOptions::ConcatOptions,
                          [&](ModelBuilder& b) { return concat_options(b, axis - 3); }, in,
                          {{dtype, out_shape, {}}});
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      EXPECT_EQ(out.value()[0].bytes, expected.bytes);
    }
  }
}

TEST(Concat, Int8RequantizesInputsWithOtherQuantization) {
  // Input 0: scale 0.5, zp 3; input 1 and the output: scale 0.25, zp -2 (a byte copy).
  // q_out = round(0.5 * (q - 3) / 0.25) - 2 = 2 * (q - 3) - 2, clamped to [-128, 127]:
  //   3 -> -2, 4 -> 0, 5 -> 2, 10 -> 12, 127 -> 246 -> 127, -128 -> -264 -> -128.
  HostTensor a = i8({1, 6}, {3, 4, 5, 10, 127, -128});
  HostTensor c = i8({1, 2}, {-7, 100});
  Quantization out_q = per_tensor(0.25f, -2);
  auto out = run_node(fb::OpType::Concat, fb::OpOptions::ConcatOptions,
                      [](ModelBuilder& b) { return concat_options(b, 1); }, {a, c},
                      {{DType::kI8, {1, 8}, out_q}}, {}, {per_tensor(0.5f, 3), out_q});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out.value()[0].values<int8_t>(),
            (std::vector<int8_t>{-2, 0, 2, 12, 127, -128, -7, 100}));
}

TEST(Concat, Int8RequantizeRandomMatchesRealArithmetic) {
  // Scales that are not powers of two; q_out = round(s_in (q - zp_in) / s_out) + zp_out.
  // The fixed-point multiplier may differ from the real one by one unit at exact ties.
  std::vector<int8_t> qa = random_i8(127, 21), qb = random_i8(127, 22);
  Quantization qa_q = per_tensor(0.037f, 5), qb_q = per_tensor(0.011f, -20);
  Quantization out_q = per_tensor(0.023f, 9);
  auto out =
      run_node(fb::OpType::Concat, fb::OpOptions::ConcatOptions,
               [](ModelBuilder& b) { return concat_options(b, 0); }, {i8({127}, qa), i8({127}, qb)},
               {{DType::kI8, {254}, out_q}}, {}, {qa_q, qb_q});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  std::vector<int8_t> y = out.value()[0].values<int8_t>();
  int exact = 0;
  for (int i = 0; i < 254; ++i) {
    const Quantization& q = i < 127 ? qa_q : qb_q;
    int x = i < 127 ? qa[i] : qb[i - 127];
    double real = q.scales[0] * (x - q.zero_points[0]);
    double r = std::round(real / out_q.scales[0]) + out_q.zero_points[0];
    int expected = static_cast<int>(std::min(127.0, std::max(-128.0, r)));
    EXPECT_LE(std::abs(y[i] - expected), 1) << i;
    exact += y[i] == expected;
  }
  EXPECT_GE(exact, 253);
}

TEST(Concat, Errors) {
  HostTensor a = random_tensor(DType::kF32, {2, 3}, 30), b = random_tensor(DType::kF32, {3, 3}, 31);
  auto dims = run_node(fb::OpType::Concat, fb::OpOptions::ConcatOptions,
                       [](ModelBuilder& m) { return concat_options(m, 1); }, {a, b},
                       {{DType::kF32, {2, 6}, {}}});
  expect_error(dims, StatusCode::kShapeMismatch, "outside axis 1");
  auto axis = run_node(fb::OpType::Concat, fb::OpOptions::ConcatOptions,
                       [](ModelBuilder& m) { return concat_options(m, 2); }, {a, a},
                       {{DType::kF32, {2, 6}, {}}});
  expect_error(axis, StatusCode::kCorruptModel, "axis 2 is out of range");
  HostTensor c = random_tensor(DType::kI32, {2, 3}, 32);
  auto dtype = run_node(fb::OpType::Concat, fb::OpOptions::ConcatOptions,
                        [](ModelBuilder& m) { return concat_options(m, 0); }, {a, c},
                        {{DType::kF32, {4, 3}, {}}});
  expect_error(dtype, StatusCode::kShapeMismatch, "input 1 'x1' is i32");
  auto none = run_node(fb::OpType::Concat, fb::OpOptions::NONE,
                       [](ModelBuilder&) { return flatbuffers::Offset<void>(); }, {a, a},
                       {{DType::kF32, {4, 3}, {}}});
  expect_error(none, StatusCode::kCorruptModel, "ConcatOptions");
}

TEST(Split, HandComputed) {
  // [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]] split [2, 3] along axis 1.
  std::vector<float> x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto out = run_node(fb::OpType::Split, fb::OpOptions::SplitOptions,
                      [](ModelBuilder& b) {
                        return split_options(b, -1, {2, 3});
                      },
                      {f32({2, 5}, x)}, {{DType::kF32, {2, 2}, {}}, {DType::kF32, {2, 3}, {}}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out.value()[0].f32(), (std::vector<float>{0, 1, 5, 6}));
  EXPECT_EQ(out.value()[1].f32(), (std::vector<float>{2, 3, 4, 7, 8, 9}));
  // Equal parts: [6] -> 3 x [2].
  auto eq = run_node(fb::OpType::Split, fb::OpOptions::SplitOptions,
                     [](ModelBuilder& b) { return split_options(b, 0, {}); },
                     {i32({6}, {1, 2, 3, 4, 5, 6})},
                     {{DType::kI32, {2}, {}}, {DType::kI32, {2}, {}}, {DType::kI32, {2}, {}}});
  ASSERT_TRUE(eq.ok()) << eq.status().to_string();
  EXPECT_EQ(eq.value()[0].values<int32_t>(), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(eq.value()[1].values<int32_t>(), (std::vector<int32_t>{3, 4}));
  EXPECT_EQ(eq.value()[2].values<int32_t>(), (std::vector<int32_t>{5, 6}));
}

TEST(Split, RandomEveryDtype) {
  uint32_t seed = 40;
  for (DType dtype : {DType::kF32, DType::kF16, DType::kI8, DType::kI32}) {
    for (int axis = 0; axis < 3; ++axis) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " axis " + std::to_string(axis));
      std::vector<int64_t> shape = {5, 13, 3};
      std::vector<int64_t> sizes = {1, 0, shape[axis] - 1};
      HostTensor x = random_tensor(dtype, shape, seed++);
      std::vector<OutSpec> specs;
      std::vector<HostTensor> expected;
      for (int64_t s : sizes) {
        std::vector<int64_t> os = shape;
        os[axis] = s;
        specs.push_back({dtype, os, {}});
        expected.push_back(empty_tensor(dtype, os));
      }
      for (int64_t e = 0; e < numel(shape); ++e) {
        std::vector<int64_t> idx = unravel(e, shape);
        size_t i = 0;
        while (idx[axis] >= sizes[i]) idx[axis] -= sizes[i++];
        copy_element(x, e, &expected[i], ravel(idx, specs[i].shape));
      }
      auto out = run_node(
          fb::OpType::Split, fb::OpOptions::SplitOptions,
          [&](ModelBuilder& b) { return split_options(b, axis, sizes); }, {x}, specs);
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      for (size_t i = 0; i < sizes.size(); ++i) EXPECT_EQ(out.value()[i].bytes, expected[i].bytes);
    }
  }
}

TEST(Split, Errors) {
  HostTensor x = random_tensor(DType::kF32, {4, 5}, 50);
  auto sum = run_node(fb::OpType::Split, fb::OpOptions::SplitOptions,
                      [](ModelBuilder& b) {
                        return split_options(b, 1, {2, 2});
                      },
                      {x}, {{DType::kF32, {4, 2}, {}}, {DType::kF32, {4, 2}, {}}});
  expect_error(sum, StatusCode::kShapeMismatch, "add up to 4 but axis 1 has size 5");
  auto equal = run_node(fb::OpType::Split, fb::OpOptions::SplitOptions,
                        [](ModelBuilder& b) { return split_options(b, 1, {}); }, {x},
                        {{DType::kF32, {4, 2}, {}}, {DType::kF32, {4, 2}, {}}});
  expect_error(equal, StatusCode::kShapeMismatch, "does not split into 2 equal parts");
  auto count = run_node(fb::OpType::Split, fb::OpOptions::SplitOptions,
                        [](ModelBuilder& b) {
                          return split_options(b, 0, {1, 1, 2});
                        },
                        {x}, {{DType::kF32, {2, 5}, {}}, {DType::kF32, {2, 5}, {}}});
  expect_error(count, StatusCode::kCorruptModel, "3 sizes for 2 outputs");
  auto negative = run_node(fb::OpType::Split, fb::OpOptions::SplitOptions,
                           [](ModelBuilder& b) {
                             return split_options(b, 0, {-1, 5});
                           },
                           {x}, {{DType::kF32, {1, 5}, {}}, {DType::kF32, {5, 5}, {}}});
  expect_error(negative, StatusCode::kCorruptModel, "negative");
  auto axis = run_node(fb::OpType::Split, fb::OpOptions::SplitOptions,
                       [](ModelBuilder& b) { return split_options(b, -3, {}); }, {x},
                       {{DType::kF32, {4, 5}, {}}});
  expect_error(axis, StatusCode::kCorruptModel, "axis -3 is out of range");
}

}  // namespace
}  // namespace strix::testing
