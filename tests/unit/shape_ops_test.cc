// Reshape, Flatten, Squeeze, Unsqueeze (kernels/cpu/ref/shape_ops.cc): hand-computed shape
// inference, byte identity through the Engine for several dtypes, eval with distinct
// pointers (when the planner cannot alias), and the errors the factories report.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cpu/ref/shape_ops.h"
#include "tests/unit/data_movement_test_util.h"

namespace strix::testing {
namespace {

using namespace dm;  // NOLINT

flatbuffers::Offset<void> reshape_options(ModelBuilder& b, const std::vector<int64_t>& shape) {
  return fb::CreateReshapeOptions(b.fbb(), longs(b, shape)).Union();
}

// Runs x -> Cast(same dtype) -> t -> op -> y and checks y holds x's bytes with shape
// `expected`. The Cast keeps the view away from the graph input (see ViewOfKeptGraphInput).
template <typename MakeOptions>
void expect_view(fb::OpType op, fb::OpOptions type, MakeOptions make, const HostTensor& x,
                 const std::vector<int64_t>& expected) {
  ModelBuilder b;
  int xi = add_input_like(b, "x", x);
  int t = b.add_tensor("t", x.dtype, x.shape.to_vector());
  int y = b.add_tensor("y", x.dtype, expected);
  auto cast = fb::CreateCastOptions(b.fbb(), static_cast<fb::DType>(x.dtype)).Union();
  b.add_node("copy", fb::OpType::Cast, {xi}, {t}, fb::OpOptions::CastOptions, cast);
  flatbuffers::Offset<void> opts = make(b);
  b.add_node("view", op, {t}, {y}, type, opts);
  b.mark_output(y);
  auto out = run_model(b.finish(), {x});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out.value()[0].shape, Shape(expected));
  EXPECT_EQ(out.value()[0].bytes, x.bytes);
}

TEST(ReshapeShape, HandComputed) {
  Shape in{2, 3, 4};
  Shape out;
  std::string error;
  ASSERT_TRUE(kernels::ref::reshape_shape(in, {0, -1}, &out, &error)) << error;
  EXPECT_EQ(out, (Shape{2, 12}));
  ASSERT_TRUE(kernels::ref::reshape_shape(in, {4, 0, -1}, &out, &error)) << error;
  EXPECT_EQ(out, (Shape{4, 3, 2}));  // 0 copies in[1] = 3, -1 = 24 / 12
  ASSERT_TRUE(kernels::ref::reshape_shape(in, {-1}, &out, &error)) << error;
  EXPECT_EQ(out, (Shape{24}));
  ASSERT_TRUE(kernels::ref::reshape_shape(in, {1, 24, 1}, &out, &error)) << error;
  EXPECT_EQ(out, (Shape{1, 24, 1}));

  EXPECT_FALSE(kernels::ref::reshape_shape(in, {-1, -1}, &out, &error));
  EXPECT_NE(error.find("more than one -1"), std::string::npos) << error;
  EXPECT_FALSE(kernels::ref::reshape_shape(in, {5, 5}, &out, &error));
  EXPECT_NE(error.find("24 elements"), std::string::npos) << error;
  EXPECT_FALSE(kernels::ref::reshape_shape(in, {-1, 5}, &out, &error));
  EXPECT_NE(error.find("cannot infer"), std::string::npos) << error;
  EXPECT_FALSE(kernels::ref::reshape_shape(in, {2, 3, 4, 0}, &out, &error));
  EXPECT_NE(error.find("rank 3"), std::string::npos) << error;
  EXPECT_FALSE(kernels::ref::reshape_shape(in, {-2, -12}, &out, &error));
}

TEST(Reshape, KeepsBytesForEveryDtype) {
  uint32_t seed = 1;
  for (DType dtype : {DType::kF32, DType::kF16, DType::kI8, DType::kU8, DType::kI32}) {
    SCOPED_TRACE(dtype_name(dtype));
    HostTensor x = random_tensor(dtype, {3, 5, 7}, seed++);
    expect_view(fb::OpType::Reshape, fb::OpOptions::ReshapeOptions,
                [](ModelBuilder& b) {
                  return reshape_options(b, {0, -1, 1});
                },
                x, {3, 35, 1});
  }
}

TEST(Reshape, ElementCountMismatchIsAnError) {
  HostTensor x = random_tensor(DType::kF32, {2, 3}, 3);
  auto out = run_node(fb::OpType::Reshape, fb::OpOptions::ReshapeOptions,
                      [](ModelBuilder& b) {
                        return reshape_options(b, {4, 2});
                      },
                      {x}, {{DType::kF32, {4, 2}, {}}});
  expect_error(out, StatusCode::kShapeMismatch, "has 6 elements");
  auto none = run_node(fb::OpType::Reshape, fb::OpOptions::NONE,
                       [](ModelBuilder&) { return flatbuffers::Offset<void>(); }, {x},
                       {{DType::kF32, {6}, {}}});
  expect_error(none, StatusCode::kCorruptModel, "ReshapeOptions");
}

TEST(Flatten, HandComputedShapes) {
  HostTensor x = random_tensor(DType::kF32, {2, 3, 4, 5}, 4);
  struct Case {
    int32_t axis;
    std::vector<int64_t> out;
  };
  for (const Case& c : std::vector<Case>{
           {2, {6, 20}}, {0, {1, 120}}, {-1, {24, 5}}, {4, {120, 1}}, {-4, {1, 120}}}) {
    SCOPED_TRACE(c.axis);
    expect_view(
        fb::OpType::Flatten, fb::OpOptions::FlattenOptions,
        [&](ModelBuilder& b) { return fb::CreateFlattenOptions(b.fbb(), c.axis).Union(); }, x,
        c.out);
  }
  auto bad = run_node(fb::OpType::Flatten, fb::OpOptions::FlattenOptions,
                      [](ModelBuilder& b) { return fb::CreateFlattenOptions(b.fbb(), 5).Union(); },
                      {x}, {{DType::kF32, {120, 1}, {}}});
  expect_error(bad, StatusCode::kCorruptModel, "axis 5 is out of range");
}

flatbuffers::Offset<void> axes_options(ModelBuilder& b, const std::vector<int32_t>& axes) {
  return fb::CreateAxesOptions(b.fbb(), axes.empty() ? 0 : ints(b, axes)).Union();
}

TEST(Squeeze, HandComputedShapes) {
  HostTensor x = random_tensor(DType::kI8, {1, 3, 1, 5}, 5);
  expect_view(fb::OpType::Squeeze, fb::OpOptions::AxesOptions,
              [](ModelBuilder& b) { return axes_options(b, {}); }, x, {3, 5});
  expect_view(fb::OpType::Squeeze, fb::OpOptions::AxesOptions,
              [](ModelBuilder& b) { return axes_options(b, {-2}); }, x, {1, 3, 5});
  expect_view(fb::OpType::Squeeze, fb::OpOptions::AxesOptions,
              [](ModelBuilder& b) {
                return axes_options(b, {2, 0});
              },
              x, {3, 5});
  auto bad = run_node(fb::OpType::Squeeze, fb::OpOptions::AxesOptions,
                      [](ModelBuilder& b) { return axes_options(b, {1}); }, {x},
                      {{DType::kI8, {1, 1, 5}, {}}});
  expect_error(bad, StatusCode::kShapeMismatch, "its size is 3, not 1");
  auto twice = run_node(fb::OpType::Squeeze, fb::OpOptions::AxesOptions,
                        [](ModelBuilder& b) {
                          return axes_options(b, {0, -4});
                        },
                        {x}, {{DType::kI8, {3, 1, 5}, {}}});
  expect_error(twice, StatusCode::kCorruptModel, "listed twice");
}

TEST(Unsqueeze, AxesIndexTheOutput) {
  HostTensor x = random_tensor(DType::kI32, {3, 5}, 6);
  // Output rank 4: -1 -> 3.
  expect_view(fb::OpType::Unsqueeze, fb::OpOptions::AxesOptions,
              [](ModelBuilder& b) {
                return axes_options(b, {0, -1});
              },
              x, {1, 3, 5, 1});
  // Unsorted axes are sorted: insert at 1 and 3.
  expect_view(fb::OpType::Unsqueeze, fb::OpOptions::AxesOptions,
              [](ModelBuilder& b) {
                return axes_options(b, {3, 1});
              },
              x, {3, 1, 5, 1});
  expect_view(fb::OpType::Unsqueeze, fb::OpOptions::AxesOptions,
              [](ModelBuilder& b) { return axes_options(b, {2}); }, x, {3, 5, 1});
  auto dup = run_node(fb::OpType::Unsqueeze, fb::OpOptions::AxesOptions,
                      [](ModelBuilder& b) {
                        return axes_options(b, {1, -3});
                      },
                      {x}, {{DType::kI32, {3, 1, 1, 5}, {}}});
  expect_error(dup, StatusCode::kCorruptModel, "listed twice");
  auto range = run_node(fb::OpType::Unsqueeze, fb::OpOptions::AxesOptions,
                        [](ModelBuilder& b) { return axes_options(b, {3}); }, {x},
                        {{DType::kI32, {3, 5, 1}, {}}});
  expect_error(range, StatusCode::kCorruptModel, "axis 3 is out of range for rank 3");
  auto none = run_node(fb::OpType::Unsqueeze, fb::OpOptions::AxesOptions,
                       [](ModelBuilder& b) { return axes_options(b, {}); }, {x},
                       {{DType::kI32, {3, 5}, {}}});
  expect_error(none, StatusCode::kCorruptModel, "at least one axis");
}

// The factories mark the kernels as views; eval() must still copy when called with
// distinct buffers.
TEST(ShapeOps, EvalCopiesWithDistinctPointers) {
  HostTensor x = random_tensor(DType::kF16, {2, 1, 7}, 7);
  std::vector<uint8_t> y(x.bytes.size(), 0xA5);
  DirectNode n;
  n.finish(fb::OpType::Squeeze, fb::OpOptions::NONE, 0);
  n.input(DType::kF16, {2, 1, 7});
  kernels::KTensor* out = n.output(DType::kF16, {2, 7});
  auto k = kernels::ref::make_squeeze(n.args());
  ASSERT_TRUE(k.ok()) << k.status().to_string();
  EXPECT_TRUE(k.value()->is_view);
  EXPECT_EQ(out->shape, (Shape{2, 7}));
  eval_kernel(*k.value(), {x.bytes.data()}, {y.data()});
  EXPECT_EQ(y, x.bytes);
}

// A view of a graph input that is itself a graph output: the caller owns both buffers
// (run_model() poisons outputs after writing inputs), so the planner must not alias them and
// the view's eval() must copy. Fails while the planner (sdk/src/engine.cc plan()) merges
// every is_view output into its input's group.
TEST(ShapeOps, ViewOfKeptGraphInput) {
  ModelBuilder b;
  HostTensor x = random_tensor(DType::kF32, {4, 6}, 8);
  int xi = add_input_like(b, "x", x);
  int y = b.add_tensor("y", DType::kF32, {24});
  b.add_node("r", fb::OpType::Reshape, {xi}, {y}, fb::OpOptions::ReshapeOptions,
             reshape_options(b, {-1}));
  b.mark_output(y);
  auto out = run_model(b.finish(), {x});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out.value()[0].bytes, x.bytes);
}

}  // namespace
}  // namespace strix::testing
