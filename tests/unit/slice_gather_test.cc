// Slice and Gather (kernels/cpu/ref/slice.cc, gather.cc): hand-computed ONNX clamping
// cases, random odd shapes against explicit index lists, every dtype, run-time index
// clamping, and the errors the factories report.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernels/cpu/ref/slice_gather.h"
#include "tests/unit/data_movement_test_util.h"

namespace strix::testing {
namespace {

using namespace dm;  // NOLINT

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

struct SliceSpec {
  std::vector<int64_t> starts, ends, axes, steps;  // axes/steps empty: absent
};

flatbuffers::Offset<void> slice_options(ModelBuilder& b, const SliceSpec& s) {
  return fb::CreateSliceOptions(b.fbb(), longs(b, s.starts), longs(b, s.ends),
                                s.axes.empty() ? 0 : longs(b, s.axes),
                                s.steps.empty() ? 0 : longs(b, s.steps))
      .Union();
}

std::vector<float> iota(int n) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return v;
}

Result<std::vector<HostTensor>> run_slice(const HostTensor& x, const SliceSpec& s,
                                          const std::vector<int64_t>& out_shape) {
  return run_node(fb::OpType::Slice, fb::OpOptions::SliceOptions,
                  [&](ModelBuilder& b) { return slice_options(b, s); }, {x},
                  {{x.dtype, out_shape, {}}});
}

TEST(SliceAxis, OnnxClampingRules) {
  int64_t first = -1;
  EXPECT_EQ(kernels::ref::slice_axis(10, 2, 8, 2, &first), 3);  // 2, 4, 6
  EXPECT_EQ(first, 2);
  EXPECT_EQ(kernels::ref::slice_axis(10, -1, kMin, -3, &first), 4);  // 9, 6, 3, 0
  EXPECT_EQ(first, 9);
  EXPECT_EQ(kernels::ref::slice_axis(10, 100, -100, -1, &first), 10);  // 9 .. 0
  EXPECT_EQ(first, 9);
  EXPECT_EQ(kernels::ref::slice_axis(10, 7, kMax, 1, &first), 3);  // 7, 8, 9
  EXPECT_EQ(first, 7);
  EXPECT_EQ(kernels::ref::slice_axis(10, -100, 3, 1, &first), 3);  // 0, 1, 2
  EXPECT_EQ(first, 0);
  EXPECT_EQ(kernels::ref::slice_axis(10, 5, 5, 1, &first), 0);
  EXPECT_EQ(kernels::ref::slice_axis(10, 20, 30, 1, &first), 0);
  EXPECT_EQ(kernels::ref::slice_axis(10, 0, 10, kMax, &first), 1);
  EXPECT_EQ(kernels::ref::slice_axis(10, 9, 0, kMin, &first), 1);
  EXPECT_EQ(first, 9);
  EXPECT_EQ(kernels::ref::slice_axis(10, 3, 5, -1, &first), 0);
  EXPECT_EQ(kernels::ref::slice_axis(0, 0, 1, -1, &first), 0);
}

TEST(Slice, HandComputed) {
  HostTensor x = f32({10}, iota(10));
  auto a = run_slice(x, {{2}, {8}, {}, {2}}, {3});
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a.value()[0].f32(), (std::vector<float>{2, 4, 6}));
  auto b = run_slice(x, {{-1}, {kMin}, {}, {-3}}, {4});
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(b.value()[0].f32(), (std::vector<float>{9, 6, 3, 0}));
  auto c = run_slice(x, {{7}, {kMax}, {0}, {}}, {3});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c.value()[0].f32(), (std::vector<float>{7, 8, 9}));
  // [3, 4] = 0..11; columns 1..2 of every row: axes {1}, starts {1}, ends {-1}.
  auto d = run_slice(f32({3, 4}, iota(12)), {{1}, {-1}, {-1}, {}}, {3, 2});
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d.value()[0].f32(), (std::vector<float>{1, 2, 5, 6, 9, 10}));
  // Both axes reversed, axes listed out of order: rows 2, 0 (step -2), columns 3, 2, 1, 0.
  auto e = run_slice(f32({3, 4}, iota(12)), {{kMax, 2}, {kMin, kMin}, {1, 0}, {-1, -2}}, {2, 4});
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(e.value()[0].f32(), (std::vector<float>{11, 10, 9, 8, 3, 2, 1, 0}));
}

// The indices an ONNX slice takes along one axis, listed by walking the range.
std::vector<int64_t> slice_indices(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  std::vector<int64_t> v;
  if (step > 0) {
    start = std::max<int64_t>(0, std::min(start, dim));
    end = std::max<int64_t>(0, std::min(end, dim));
    for (int64_t i = start; i < end; i += step) v.push_back(i);
  } else {
    start = std::max<int64_t>(0, std::min(start, dim - 1));
    end = std::max<int64_t>(-1, std::min(end, dim - 1));
    for (int64_t i = start; i > end; i += step) v.push_back(i);
  }
  return v;
}

TEST(Slice, RandomAgainstIndexLists) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int64_t> pos(-16, 16), stp(1, 4);
  std::vector<int64_t> shape = {5, 13, 4};
  uint32_t seed = 60;
  for (DType dtype : {DType::kF32, DType::kF16, DType::kI8, DType::kI32}) {
    for (int trial = 0; trial < 6; ++trial) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " trial " + std::to_string(trial));
      HostTensor x = random_tensor(dtype, shape, seed++);
      SliceSpec s;
      std::vector<std::vector<int64_t>> lists(3);
      for (int d = 0; d < 3; ++d) lists[d] = slice_indices(shape[d], 0, shape[d], 1);
      std::vector<int64_t> out_shape = shape;
      // Slice axes 2 and 0 (given in that order); axis 1 stays whole.
      for (int64_t axis : {2, 0}) {
        int64_t step = stp(rng) * (rng() % 2 ? 1 : -1);
        int64_t start = pos(rng), end = pos(rng);
        if (trial == 0) end = step > 0 ? kMax : kMin;
        s.starts.push_back(start);
        s.ends.push_back(end);
        s.axes.push_back(axis - (trial % 2 ? 3 : 0));
        s.steps.push_back(step);
        lists[axis] = slice_indices(shape[axis], start, end, step);
        out_shape[axis] = static_cast<int64_t>(lists[axis].size());
      }
      HostTensor expected = empty_tensor(dtype, out_shape);
      for (int64_t e = 0; e < numel(out_shape); ++e) {
        std::vector<int64_t> idx = unravel(e, out_shape);
        std::vector<int64_t> src = {lists[0][idx[0]], lists[1][idx[1]], lists[2][idx[2]]};
        copy_element(x, ravel(src, shape), &expected, e);
      }
      auto out = run_slice(x, s, out_shape);
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      EXPECT_EQ(out.value()[0].bytes, expected.bytes);
    }
  }
}

TEST(Slice, Errors) {
  HostTensor x = f32({3, 4}, iota(12));
  expect_error(run_slice(x, {{0}, {2}, {}, {0}}, {2, 4}), StatusCode::kCorruptModel,
               "step of axis 0 is 0");
  expect_error(run_slice(x, {{0, 0}, {1, 1}, {1, -1}, {}}, {3, 1}), StatusCode::kCorruptModel,
               "axis 1 is sliced twice");
  expect_error(run_slice(x, {{0, 0}, {1}, {}, {}}, {1, 4}), StatusCode::kCorruptModel,
               "2 starts but 1 ends");
  expect_error(run_slice(x, {{0}, {1}, {2}, {}}, {1, 4}), StatusCode::kCorruptModel,
               "axis 2 is out of range");
  expect_error(run_slice(x, {{0}, {1}, {}, {}}, {2, 4}), StatusCode::kShapeMismatch,
               "stored as [2x4]");
}

Result<std::vector<HostTensor>> run_gather(const HostTensor& data, const HostTensor& indices,
                                           int32_t axis, const std::vector<int64_t>& out_shape,
                                           bool constant_indices) {
  return run_node(fb::OpType::Gather, fb::OpOptions::GatherOptions,
                  [&](ModelBuilder& b) { return fb::CreateGatherOptions(b.fbb(), axis).Union(); },
                  {data, indices}, {{data.dtype, out_shape, {}}}, {false, constant_indices});
}

TEST(Gather, HandComputed) {
  // data [[1, 2], [3, 4], [5, 6]].
  HostTensor data = f32({3, 2}, {1, 2, 3, 4, 5, 6});
  for (bool constant : {false, true}) {
    SCOPED_TRACE(constant ? "constant indices" : "computed indices");
    auto a = run_gather(data, i32({2}, {2, 0}), 0, {2, 2}, constant);
    ASSERT_TRUE(a.ok()) << a.status().to_string();
    EXPECT_EQ(a.value()[0].f32(), (std::vector<float>{5, 6, 1, 2}));
    auto b = run_gather(data, i32({1}, {1}), 1, {3, 1}, constant);
    ASSERT_TRUE(b.ok()) << b.status().to_string();
    EXPECT_EQ(b.value()[0].f32(), (std::vector<float>{2, 4, 6}));
    auto c = run_gather(data, i32({}, {-1}), 0, {2}, constant);  // scalar index: rank drops
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    EXPECT_EQ(c.value()[0].f32(), (std::vector<float>{5, 6}));
    auto d = run_gather(data, i32({2, 2}, {0, -2, 2, 1}), 0, {2, 2, 2}, constant);
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    EXPECT_EQ(d.value()[0].f32(), (std::vector<float>{1, 2, 3, 4, 5, 6, 3, 4}));
  }
}

TEST(Gather, RandomEveryDtype) {
  std::vector<int64_t> shape = {5, 7, 3};
  std::mt19937 rng(70);
  uint32_t seed = 71;
  for (DType dtype : {DType::kF32, DType::kF16, DType::kI8, DType::kU8, DType::kI32}) {
    for (int axis = 0; axis < 3; ++axis) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " axis " + std::to_string(axis));
      HostTensor data = random_tensor(dtype, shape, seed++);
      std::uniform_int_distribution<int32_t> dist(static_cast<int32_t>(-shape[axis]),
                                                  static_cast<int32_t>(shape[axis] - 1));
      std::vector<int32_t> idx(6);
      for (int32_t& v : idx) v = dist(rng);
      std::vector<int64_t> out_shape;
      for (int d = 0; d < axis; ++d) out_shape.push_back(shape[d]);
      out_shape.push_back(2);
      out_shape.push_back(3);
      for (int d = axis + 1; d < 3; ++d) out_shape.push_back(shape[d]);
      HostTensor expected = empty_tensor(dtype, out_shape);
      for (int64_t e = 0; e < numel(out_shape); ++e) {
        std::vector<int64_t> o = unravel(e, out_shape);
        std::vector<int64_t> src;
        for (int d = 0; d < axis; ++d) src.push_back(o[d]);
        int64_t i = idx[o[axis] * 3 + o[axis + 1]];
        src.push_back(i < 0 ? i + shape[axis] : i);
        for (int d = axis + 1; d < 3; ++d) src.push_back(o[d + 1]);
        copy_element(data, ravel(src, shape), &expected, e);
      }
      auto out =
          run_gather(data, i32({2, 3}, idx), axis - (axis == 2 ? 3 : 0), out_shape, axis == 1);
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      EXPECT_EQ(out.value()[0].bytes, expected.bytes);
    }
  }
}

// Indices computed at run time that are out of range are clamped, never read out of bounds.
TEST(Gather, RunTimeIndicesOutOfRangeAreClamped) {
  HostTensor data = i32({3, 2}, {1, 2, 3, 4, 5, 6});
  auto out = run_gather(data, i32({3}, {10, -20, -4}), 0, {3, 2}, false);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out.value()[0].values<int32_t>(), (std::vector<int32_t>{5, 6, 1, 2, 1, 2}));
}

TEST(Gather, Errors) {
  HostTensor data = f32({3, 2}, {1, 2, 3, 4, 5, 6});
  expect_error(run_gather(data, i32({2}, {0, 3}), 0, {2, 2}, true), StatusCode::kCorruptModel,
               "index 3 (position 1 of 'x1') is out of range for axis 0 of size 3");
  expect_error(run_gather(data, i32({1}, {-4}), 0, {1, 2}, true), StatusCode::kCorruptModel,
               "index -4");
  expect_error(run_gather(data, i32({1}, {0}), 2, {3, 1}, false), StatusCode::kCorruptModel,
               "axis 2 is out of range");
  expect_error(run_gather(data, f32({1}, {0}), 0, {1, 2}, false), StatusCode::kUnsupported,
               "input 1 'x1' is f32, expected i32");
}

}  // namespace
}  // namespace strix::testing
