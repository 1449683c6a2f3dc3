// Transpose and Pad (kernels/cpu/ref/transpose.cc, pad.cc): hand-computed cases, random odd
// shapes against an index-unravel transpose and a mirrored-index pad written here, every
// dtype, negative (crop) pads, int8 constant padding, and the errors the factories report.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "tests/unit/data_movement_test_util.h"

namespace strix::testing {
namespace {

using namespace dm;  // NOLINT

std::vector<float> iota(int n) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return v;
}

Result<std::vector<HostTensor>> run_transpose(const HostTensor& x, const std::vector<int32_t>& perm,
                                              const std::vector<int64_t>& out_shape) {
  return run_node(
      fb::OpType::Transpose, fb::OpOptions::TransposeOptions,
      [&](ModelBuilder& b) {
        return fb::CreateTransposeOptions(b.fbb(), perm.empty() ? 0 : ints(b, perm)).Union();
      },
      {x}, {{x.dtype, out_shape, {}}});
}

TEST(Transpose, HandComputed) {
  // [[1, 2, 3], [4, 5, 6]] reversed -> [[1, 4], [2, 5], [3, 6]].
  auto a = run_transpose(f32({2, 3}, {1, 2, 3, 4, 5, 6}), {}, {3, 2});
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a.value()[0].f32(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  // x[0, j, k] = 3j + k, perm {2, 0, 1}: y[k, 0, j] = x[0, j, k] -> {0, 3, 1, 4, 2, 5}.
  auto b = run_transpose(f32({1, 2, 3}, iota(6)), {2, 0, 1}, {3, 1, 2});
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(b.value()[0].f32(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(Transpose, RandomEveryPermutationAndDtype) {
  std::vector<int64_t> shape = {3, 5, 7, 2};
  uint32_t seed = 80;
  for (DType dtype : {DType::kF32, DType::kF16, DType::kI8, DType::kI32}) {
    HostTensor x = random_tensor(dtype, shape, seed++);
    std::vector<int32_t> perm = {0, 1, 2, 3};
    do {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " perm " + std::to_string(perm[0]) +
                   std::to_string(perm[1]) + std::to_string(perm[2]) + std::to_string(perm[3]));
      std::vector<int64_t> out_shape;
      for (int32_t p : perm) out_shape.push_back(shape[p]);
      HostTensor expected = empty_tensor(dtype, out_shape);
      for (int64_t e = 0; e < numel(out_shape); ++e) {
        std::vector<int64_t> o = unravel(e, out_shape), src(4);
        for (int d = 0; d < 4; ++d) src[perm[d]] = o[d];
        copy_element(x, ravel(src, shape), &expected, e);
      }
      auto out = run_transpose(x, perm, out_shape);
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      EXPECT_EQ(out.value()[0].bytes, expected.bytes);
    } while (std::next_permutation(perm.begin(), perm.end()) && dtype == DType::kF32);
  }
}

TEST(Transpose, Errors) {
  HostTensor x = f32({2, 3}, iota(6));
  expect_error(run_transpose(x, {0, 1, 2}, {2, 3}), StatusCode::kCorruptModel,
               "perm has 3 entries for rank 2");
  expect_error(run_transpose(x, {1, 1}, {3, 3}), StatusCode::kCorruptModel,
               "not a permutation of 0..1");
  expect_error(run_transpose(x, {0, 2}, {2, 3}), StatusCode::kCorruptModel, "entry 1 is 2");
  expect_error(run_transpose(x, {1, 0}, {2, 3}), StatusCode::kShapeMismatch, "[3x2]");
}

Result<std::vector<HostTensor>> run_pad(const HostTensor& x, const std::vector<int64_t>& pads,
                                        fb::PadMode mode, float value,
                                        const std::vector<int64_t>& out_shape,
                                        const Quantization& out_q = {}) {
  return run_node(fb::OpType::Pad, fb::OpOptions::PadOptions,
                  [&](ModelBuilder& b) {
                    return fb::CreatePadOptions(b.fbb(), longs(b, pads), mode, value).Union();
                  },
                  {x}, {{x.dtype, out_shape, out_q}});
}

TEST(Pad, HandComputed) {
  // [[0, 1, 2], [3, 4, 5]], one row before, two columns after, value 9.
  auto a = run_pad(f32({2, 3}, iota(6)), {1, 0, 0, 2}, fb::PadMode::Constant, 9, {3, 5});
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a.value()[0].f32(), (std::vector<float>{9, 9, 9, 9, 9, 0, 1, 2, 9, 9, 3, 4, 5, 9, 9}));
  HostTensor x = f32({4}, {1, 2, 3, 4});
  auto r = run_pad(x, {2, 3}, fb::PadMode::Reflect, 0, {9});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[0].f32(), (std::vector<float>{3, 2, 1, 2, 3, 4, 3, 2, 1}));
  auto e = run_pad(x, {2, 3}, fb::PadMode::Edge, 0, {9});
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(e.value()[0].f32(), (std::vector<float>{1, 1, 1, 2, 3, 4, 4, 4, 4}));
}

TEST(Pad, NegativePadsCropFirst) {
  HostTensor x = f32({6}, iota(6));  // 0 1 2 3 4 5
  auto c = run_pad(x, {-2, 1}, fb::PadMode::Constant, 0, {5});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c.value()[0].f32(), (std::vector<float>{2, 3, 4, 5, 0}));
  // Cropped to 1..5, then mirrored around 5.
  auto r = run_pad(x, {-1, 2}, fb::PadMode::Reflect, 0, {7});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[0].f32(), (std::vector<float>{1, 2, 3, 4, 5, 4, 3}));
  // Cropped to 0..2, then mirrored around 0.
  auto s = run_pad(x, {2, -3}, fb::PadMode::Reflect, 0, {5});
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s.value()[0].f32(), (std::vector<float>{2, 1, 0, 1, 2}));
  auto e = run_pad(x, {-5, 2}, fb::PadMode::Edge, 0, {3});
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(e.value()[0].f32(), (std::vector<float>{5, 5, 5}));
}

// Input index of output index o along one axis: crop, then mirror / clamp; -1 = the value.
int64_t mirrored(int64_t o, int64_t dim, int64_t begin, int64_t end, fb::PadMode mode) {
  int64_t lo = std::max<int64_t>(0, -begin);
  int64_t size = dim + std::min<int64_t>(begin, 0) + std::min<int64_t>(end, 0);
  int64_t j = o - std::max<int64_t>(begin, 0);
  if (mode == fb::PadMode::Constant) return (j < 0 || j >= size) ? -1 : lo + j;
  if (mode == fb::PadMode::Edge) return lo + std::min(std::max<int64_t>(j, 0), size - 1);
  while (j < 0 || j >= size) j = j < 0 ? -j : 2 * (size - 1) - j;
  return lo + j;
}

TEST(Pad, RandomAgainstMirroredIndex) {
  std::vector<int64_t> shape = {3, 5, 7};
  std::mt19937 rng(90);
  uint32_t seed = 91;
  for (fb::PadMode mode : {fb::PadMode::Constant, fb::PadMode::Reflect, fb::PadMode::Edge}) {
    for (DType dtype : {DType::kF32, DType::kF16, DType::kI32}) {
      for (int trial = 0; trial < 3; ++trial) {
        SCOPED_TRACE(std::string(dtype_name(dtype)) + " mode " + std::to_string(int(mode)) +
                     " trial " + std::to_string(trial));
        HostTensor x = random_tensor(dtype, shape, seed++);
        std::vector<int64_t> pads(6), out_shape(3);
        for (int d = 0; d < 3; ++d) {
          // Reflect needs pad < cropped size; keep every mode's pads in [-1, dim / 2 + 1].
          std::uniform_int_distribution<int64_t> dist(-1, shape[d] / 2);
          pads[d] = dist(rng);
          pads[3 + d] = dist(rng);
          out_shape[d] = shape[d] + pads[d] + pads[3 + d];
        }
        HostTensor expected = empty_tensor(dtype, out_shape);
        HostTensor fill = dtype == DType::kF32   ? f32({1}, {-2.5f})
                          : dtype == DType::kF16 ? f16({1}, {-2.5f})
                                                 : i32({1}, {-2});  // round_half_even(-2.5)
        for (int64_t e = 0; e < numel(out_shape); ++e) {
          std::vector<int64_t> o = unravel(e, out_shape), src(3);
          bool inside = true;
          for (int d = 0; d < 3; ++d) {
            src[d] = mirrored(o[d], shape[d], pads[d], pads[3 + d], mode);
            inside = inside && src[d] >= 0;
          }
          if (inside)
            copy_element(x, ravel(src, shape), &expected, e);
          else
            copy_element(fill, 0, &expected, e);
        }
        auto out = run_pad(x, pads, mode, -2.5f, out_shape);
        ASSERT_TRUE(out.ok()) << out.status().to_string();
        EXPECT_EQ(out.value()[0].bytes, expected.bytes);
      }
    }
  }
}

TEST(Pad, Int8ConstantUsesTheOutputQuantization) {
  Quantization q;
  q.scales = {0.1f};
  q.zero_points = {-5};
  HostTensor x = i8({2}, {7, -9});
  // value 0 -> the zero point -5; value 1.0 -> round(1.0 / 0.1) - 5 = 5.
  auto zero = run_pad(x, {1, 1}, fb::PadMode::Constant, 0, {4}, q);
  ASSERT_TRUE(zero.ok()) << zero.status().to_string();
  EXPECT_EQ(zero.value()[0].values<int8_t>(), (std::vector<int8_t>{-5, 7, -9, -5}));
  auto one = run_pad(x, {0, 2}, fb::PadMode::Constant, 1, {4}, q);
  ASSERT_TRUE(one.ok()) << one.status().to_string();
  EXPECT_EQ(one.value()[0].values<int8_t>(), (std::vector<int8_t>{7, -9, 5, 5}));
  auto reflect = run_pad(x, {1, 0}, fb::PadMode::Reflect, 0, {3}, q);
  ASSERT_TRUE(reflect.ok()) << reflect.status().to_string();
  EXPECT_EQ(reflect.value()[0].values<int8_t>(), (std::vector<int8_t>{-9, 7, -9}));
}

TEST(Pad, Errors) {
  HostTensor x = f32({4}, {1, 2, 3, 4});
  expect_error(run_pad(x, {4, 0}, fb::PadMode::Reflect, 0, {8}), StatusCode::kShapeMismatch,
               "Reflect pad 4 on axis 0 needs a pad smaller than the axis size 4");
  expect_error(run_pad(x, {-2, 2}, fb::PadMode::Reflect, 0, {4}), StatusCode::kShapeMismatch,
               "Reflect pad 2");
  expect_error(run_pad(x, {1, 1, 1, 1}, fb::PadMode::Constant, 0, {6}), StatusCode::kCorruptModel,
               "4 pads for rank 1");
  expect_error(run_pad(x, {-3, -2}, fb::PadMode::Constant, 0, {0}), StatusCode::kShapeMismatch,
               "crop more than axis 0");
  expect_error(run_pad(x, {-4, 1}, fb::PadMode::Edge, 0, {1}), StatusCode::kShapeMismatch,
               "Edge pad of the empty axis 0");
}

}  // namespace
}  // namespace strix::testing
