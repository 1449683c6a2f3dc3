// ReduceSum, ReduceMean, ReduceMax (kernels/cpu/ref/reduce.h): hand-computed cases, axis sets
// of odd shapes against an unravel-index reduction in double, f16 storage, error paths.
#include "kernels/cpu/ref/reduce.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "tests/unit/norm_softmax_reduce_util.h"

namespace strix::testing {
namespace {

using O = fb::OpType;
using namespace kernels::ref;  // the plain functions under test

OptionsFn reduce_options(const std::vector<int>& axes, bool keep_dims) {
  return [=](flatbuffers::FlatBufferBuilder& fbb) {
    return std::make_pair(fb::OpOptions::ReduceOptions,
                          fb::CreateReduceOptions(fbb, fbb.CreateVector(axes), keep_dims).Union());
  };
}

// Normalized set of reduced dims (empty axes: all).
std::set<int> reduced_dims(const std::vector<int>& axes, int rank) {
  std::set<int> r;
  for (int a : axes) r.insert(a < 0 ? a + rank : a);
  if (axes.empty())
    for (int d = 0; d < rank; ++d) r.insert(d);
  return r;
}

std::vector<int64_t> out_shape(const std::vector<int64_t>& shape, const std::vector<int>& axes,
                               bool keep_dims) {
  std::set<int> r = reduced_dims(axes, static_cast<int>(shape.size()));
  std::vector<int64_t> out;
  for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
    if (!r.count(d)) {
      out.push_back(shape[d]);
    } else if (keep_dims) {
      out.push_back(1);
    }
  }
  return out;
}

NodeSpec reduce_spec(O op, const std::vector<int64_t>& shape, const std::vector<int>& axes,
                     bool keep_dims) {
  return NodeSpec{
      op, shape, {}, reduce_options(axes, keep_dims), out_shape(shape, axes, keep_dims)};
}

// For every input element: unravel its flat index into coordinates, zero the reduced
// coordinates, ravel against the keep-dims output shape, and accumulate in double.
std::vector<double> reduce_double(O op, const std::vector<float>& x,
                                  const std::vector<int64_t>& shape, const std::vector<int>& axes) {
  const int rank = static_cast<int>(shape.size());
  const std::set<int> r = reduced_dims(axes, rank);
  const std::vector<int64_t> kept = out_shape(shape, axes, true);
  std::vector<double> acc(product(kept), op == O::ReduceMax ? -INFINITY : 0.0);
  std::vector<int64_t> count(acc.size(), 0);
  for (int64_t i = 0; i < static_cast<int64_t>(x.size()); ++i) {
    std::vector<int64_t> coord(rank);
    int64_t rest = i;
    for (int d = rank - 1; d >= 0; --d) {
      coord[d] = rest % shape[d];
      rest /= shape[d];
    }
    int64_t o = 0;
    for (int d = 0; d < rank; ++d) o = o * kept[d] + (r.count(d) ? 0 : coord[d]);
    acc[o] = op == O::ReduceMax ? std::max(acc[o], static_cast<double>(x[i])) : acc[o] + x[i];
    ++count[o];
  }
  if (op == O::ReduceMean)
    for (size_t o = 0; o < acc.size(); ++o) acc[o] /= count[o];
  return acc;
}

std::vector<float> run_ok(const NodeSpec& s, const std::vector<float>& x) {
  Result<std::vector<float>> y = run_node(s, x);
  EXPECT_TRUE(y.ok()) << y.status().to_string();
  return y.ok() ? y.value() : std::vector<float>();
}

void expect_eq_all(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(got[i], want[i]) << "at " << i;
}

TEST(Reduce, HandComputed) {
  // X [2, 3] = [[1, 2, 3], [4, 5, 6]].
  const std::vector<float> x{1, 2, 3, 4, 5, 6};
  // Sum over axis 0: [1 + 4, 2 + 5, 3 + 6] = [5, 7, 9], shape [1, 3].
  expect_eq_all(run_ok(reduce_spec(O::ReduceSum, {2, 3}, {0}, true), x), {5, 7, 9});
  // Sum over axis -1: [1 + 2 + 3, 4 + 5 + 6] = [6, 15], shape [2].
  expect_eq_all(run_ok(reduce_spec(O::ReduceSum, {2, 3}, {-1}, false), x), {6, 15});
  // Mean over axis 1: [6 / 3, 15 / 3] = [2, 5].
  expect_eq_all(run_ok(reduce_spec(O::ReduceMean, {2, 3}, {1}, true), x), {2, 5});
  // Max over axis 0: [4, 5, 6].
  expect_eq_all(run_ok(reduce_spec(O::ReduceMax, {2, 3}, {0}, false), x), {4, 5, 6});
  // All axes (empty list): sum 21 with shape [1, 1]; mean 21 / 6 = 3.5 as a scalar [].
  expect_eq_all(run_ok(reduce_spec(O::ReduceSum, {2, 3}, {}, true), x), {21});
  expect_eq_all(run_ok(reduce_spec(O::ReduceMean, {2, 3}, {}, false), x), {3.5f});
  // No options: all axes, keep_dims -> max 6 with shape [1, 1].
  expect_eq_all(run_ok(NodeSpec{O::ReduceMax, {2, 3}, {}, nullptr, {1, 1}}, x), {6});
  // Max of negative values: [[-3, -1, -2], [-6, -5, -4]] over axis 1 = [-1, -4].
  expect_eq_all(run_ok(reduce_spec(O::ReduceMax, {2, 3}, {1}, true), {-3, -1, -2, -6, -5, -4}),
                {-1, -4});
}

TEST(Reduce, AxisSetsOfOddShapesMatchUnravel) {
  struct Case {
    std::vector<int64_t> shape;
    std::vector<int> axes;
  };
  const std::vector<Case> cases{
      {{2, 13, 7, 5}, {1}},
      {{2, 13, 7, 5}, {0, 2}},
      {{2, 13, 7, 5}, {-1}},
      {{2, 13, 7, 5}, {3, 1}},
      {{2, 13, 7, 5}, {}},
      {{2, 13, 7, 5}, {0, 1, 2, 3}},
      {{1, 5, 13, 17}, {2, 3}},
      {{1, 5, 13, 17}, {-3, 0}},
      {{3, 127}, {1}},
      {{3, 127}, {0}},
      {{385}, {0}},
      {{2, 1, 3, 1, 5}, {1, 3, 4}},
  };
  for (O op : {O::ReduceSum, O::ReduceMean, O::ReduceMax}) {
    for (const Case& tc : cases) {
      for (bool keep : {true, false}) {
        std::vector<float> x = random_floats(product(tc.shape), 5, -2.f, 3.f);
        SCOPED_TRACE(std::string(fb::EnumNameOpType(op)) + " " + Shape(tc.shape).to_string() +
                     " axes " + ::testing::PrintToString(tc.axes) + (keep ? " keep" : ""));
        EXPECT_LT(relative_l2(run_ok(reduce_spec(op, tc.shape, tc.axes, keep), x),
                              to_float(reduce_double(op, x, tc.shape, tc.axes))),
                  1e-5);
      }
    }
  }
}

TEST(Reduce, F16StorageMatchesF32) {
  const std::vector<int64_t> shape{2, 13, 7, 5};
  std::vector<float> x = random_floats(product(shape), 15, -1.f, 2.f);
  for (O op : {O::ReduceSum, O::ReduceMean, O::ReduceMax}) {
    NodeSpec s = reduce_spec(op, shape, {1, 3}, false);
    std::vector<float> ref = run_ok(s, x);
    s.dtype = DType::kF16;
    EXPECT_LT(relative_l2(run_ok(s, x), ref), 1e-2) << fb::EnumNameOpType(op);
  }
}

TEST(Reduce, MaxPropagatesNan) {
  // Plain function: [[1, NaN, 3], [4, 5, 6]] over axis 1 -> [NaN, 6].
  const float x[6] = {1, NAN, 3, 4, 5, 6};
  const bool reduced[2] = {false, true};
  float y[2] = {0, 0};
  reduce_f32(ReduceKind::kMax, x, Shape{2, 3}, reduced, y);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], 6.f);
}

TEST(Reduce, Errors) {
  std::vector<float> x = random_floats(2 * 13 * 7 * 5, 1);
  expect_node_error({O::ReduceSum, {2, 13, 7, 5}, {}, reduce_options({1, -3}, true), {2, 1, 7, 5}},
                    x, StatusCode::kCorruptModel, "axes lists dimension 1 twice (axis -3)");
  expect_node_error({O::ReduceMean, {2, 13, 7, 5}, {}, reduce_options({2, 2}, false), {2, 13, 5}},
                    x, StatusCode::kCorruptModel, "axes lists dimension 2 twice");
  expect_node_error({O::ReduceMax, {2, 13, 7, 5}, {}, reduce_options({4}, true), {2, 13, 7, 5}}, x,
                    StatusCode::kCorruptModel, "axis 4 is out of range for rank 4");
  expect_node_error({O::ReduceMax, {2, 13, 7, 5}, {}, reduce_options({-5}, true), {2, 13, 7, 5}}, x,
                    StatusCode::kCorruptModel, "axis -5 is out of range for rank 4");
  // The stored output shape disagrees with keep_dims = false.
  expect_node_error({O::ReduceSum, {2, 13, 7, 5}, {}, reduce_options({1}, false), {2, 1, 7, 5}}, x,
                    StatusCode::kShapeMismatch, "is stored as [2x1x7x5] but the inputs give");
}

}  // namespace
}  // namespace strix::testing
