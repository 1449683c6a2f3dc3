// The converter IR (converter/ir/): graph helpers, the integer and FP16 passes, and export.
// Graphs are small and hand-built; exported files run on the CPU reference backend.
#include <gtest/gtest.h>

#include "converter/ir/export.h"
#include "converter/ir/graph.h"
#include "converter/ir/passes.h"
#include "tests/support/model_runner.h"

namespace strix::ir {
namespace {

using strix::testing::f32;
using strix::testing::random_floats;
using strix::testing::run_model;

// x [-1, 5] -> Mul(x, c) -> t -> Relu -> y, with c = [5] constant; nodes added out of order.
Graph scaled_relu(const std::vector<float>& c) {
  Graph g;
  int x = g.add_tensor(Tensor::activation("x", DType::kF32, {-1, 5}));
  int k = g.add_tensor(Tensor::constant_f32("c", {5}, c));
  int t = g.add_tensor(Tensor::activation("t", DType::kF32, {-1, 5}));
  int y = g.add_tensor(Tensor::activation("y", DType::kF32, {-1, 5}));
  g.inputs = {x};
  g.outputs = {y};
  g.add_node({"relu", fb::OpType::Relu, UnaryOptions{}, {t}, {y}, {"onnx_relu"}});
  g.add_node({"mul", fb::OpType::Mul, BinaryOptions{}, {x, k}, {t}, {"onnx_mul"}});
  return g;
}

TEST(ConverterIr, TopologicalSortOrdersProducersFirst) {
  Graph g = scaled_relu({1, 2, 3, 4, 5});
  ASSERT_TRUE(g.topological_sort().ok());
  EXPECT_EQ(g.nodes[0].name, "mul");
  EXPECT_EQ(g.nodes[1].name, "relu");
  EXPECT_EQ(g.producer(3), 1);
  EXPECT_EQ(g.consumers(2), std::vector<int>{1});
}

TEST(ConverterIr, TopologicalSortReportsACycle) {
  Graph g = scaled_relu({1, 2, 3, 4, 5});
  g.nodes[1].inputs[0] = 3;  // mul reads y, which relu makes from mul's output
  Status s = g.topological_sort();
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("cycle"), std::string::npos) << s.message();
}

TEST(ConverterIr, ReplaceUsesAndDeadNodeRemoval) {
  Graph g = scaled_relu({1, 2, 3, 4, 5});
  // Bypass the Mul: relu reads x; the Mul is then dead.
  g.replace_uses(2, 0);
  g.remove_dead_nodes();
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].name, "relu");
  EXPECT_EQ(g.nodes[0].inputs, std::vector<int>{0});
  EXPECT_EQ(g.node_label(0), "node 0 'relu' (Relu, from 'onnx_relu')");
}

TEST(ConverterIr, ExportRunsWithDynamicBatch) {
  Graph g = scaled_relu({1, -2, 3, -4, 0.5f});
  ASSERT_TRUE(g.topological_sort().ok());
  Result<std::vector<uint8_t>> file = export_strix(g, Metadata{});
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  EngineOptions options;
  options.batch = 2;
  // y = relu(x * c): row 0 = relu([1,1,1,1,1] * c), row 1 = relu([-1,...] * c).
  auto out = run_model(file.value(), {f32({2, 5}, {1, 1, 1, 1, 1, -1, -1, -1, -1, -1})}, options);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  std::vector<float> want = {1, 0, 3, 0, 0.5f, 0, 2, 0, 4, 0};
  EXPECT_EQ(out.value()[0].f32(), want);
}

TEST(ConverterIr, Fp16KeepsF32InputsAndOutputs) {
  std::vector<float> c = random_floats(5, 7, -2.f, 2.f);
  Graph g32 = scaled_relu(c);
  ASSERT_TRUE(g32.topological_sort().ok());
  Graph g16 = g32;
  ASSERT_TRUE(convert_to_fp16(g16).ok());
  EXPECT_EQ(g16.tensors[g16.inputs[0]].dtype, DType::kF32);
  EXPECT_EQ(g16.tensors[g16.outputs[0]].dtype, DType::kF32);
  EXPECT_EQ(g16.tensors[g16.outputs[0]].name, "y");
  ASSERT_EQ(g16.nodes.size(), 4u);  // Cast, Mul, Relu, Cast
  EXPECT_EQ(g16.nodes.front().op, fb::OpType::Cast);
  EXPECT_EQ(g16.nodes.back().op, fb::OpType::Cast);
  EXPECT_EQ(g16.tensors[1].dtype, DType::kF16);  // the constant
  auto f1 = export_strix(g32, Metadata{});
  auto f2 = export_strix(g16, Metadata{});
  ASSERT_TRUE(f1.ok() && f2.ok());
  std::vector<float> x = random_floats(5 * 13, 11, -3.f, 3.f);
  EngineOptions options;
  options.batch = 13;
  auto a = run_model(f1.value(), {f32({13, 5}, x)}, options);
  auto b = run_model(f2.value(), {f32({13, 5}, x)}, options);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  double err = strix::testing::relative_l2(b.value()[0].f32(), a.value()[0].f32());
  EXPECT_GT(err, 0.0);  // f16 rounding shows
  EXPECT_LT(err, 1e-3);
}

// Input x is also graph output 'x_out' through its own copy (a Reshape), input z is read by
// no node and is an output itself: FP16 adds no Cast (the copy stays f32, exact), and a
// Relu reading x gets the one f16 Cast of x.
TEST(ConverterIr, Fp16CastsOnlyInputsThatNodesRead) {
  Graph g;
  int x = g.add_tensor(Tensor::activation("x", DType::kF32, {-1, 3}));
  int z = g.add_tensor(Tensor::activation("z", DType::kF32, {2, 3}));
  int y = g.add_tensor(Tensor::activation("x_out", DType::kF32, {-1, 3}));
  g.inputs = {x, z};
  g.outputs = {y, z};
  g.add_node({"copy", fb::OpType::Reshape, ReshapeOptions{{0, 0}}, {x}, {y}, {"Identity_0"}});
  Graph only_copy = g;
  ASSERT_TRUE(convert_to_fp16(only_copy).ok());
  ASSERT_EQ(only_copy.nodes.size(), 1u);
  EXPECT_EQ(only_copy.nodes[0].op, fb::OpType::Reshape);
  EXPECT_EQ(only_copy.nodes[0].inputs, std::vector<int>{x});
  EXPECT_EQ(only_copy.nodes[0].outputs, std::vector<int>{y});
  EXPECT_EQ(only_copy.tensors[y].dtype, DType::kF32);
  EXPECT_EQ(only_copy.tensors[y].name, "x_out");

  int r = g.add_tensor(Tensor::activation("r", DType::kF32, {-1, 3}));
  g.outputs.push_back(r);
  g.add_node({"relu", fb::OpType::Relu, UnaryOptions{}, {x}, {r}, {"Relu_0"}});
  ASSERT_TRUE(convert_to_fp16(g).ok());
  int casts_of_x = 0;
  for (const Node& n : g.nodes) {
    ASSERT_EQ(n.inputs.size(), 1u);
    EXPECT_NE(n.inputs[0], z) << n.name << " reads the unread input z";
    if (n.op == fb::OpType::Cast && n.inputs[0] == x) ++casts_of_x;
    if (n.op == fb::OpType::Reshape) {
      EXPECT_EQ(n.inputs[0], x) << "the copy reads x in f32";
    }
  }
  EXPECT_EQ(casts_of_x, 1);
  ASSERT_EQ(g.nodes.size(), 4u);  // Cast x -> f16, Reshape, Relu, Cast -> f32 'r'
  EXPECT_EQ(g.tensors[g.outputs[0]].name, "x_out");
  EXPECT_EQ(g.tensors[g.outputs[1]].name, "z");
}

TEST(ConverterIr, NarrowIntegersRangeChecks) {
  Graph g;
  int x = g.add_tensor(Tensor::activation("x", DType::kF32, {4, 3}));
  int i = g.add_tensor(Tensor::constant_int("idx", DType::kI64, {2}, {2, 0}));
  int y = g.add_tensor(Tensor::activation("y", DType::kF32, {2, 3}));
  g.inputs = {x};
  g.outputs = {y};
  g.add_node({"gather", fb::OpType::Gather, GatherOptions{0}, {x, i}, {y}, {"g"}});
  Graph ok = g;
  ASSERT_TRUE(narrow_integers(ok).ok());
  EXPECT_EQ(ok.tensors[i].dtype, DType::kI32);
  auto out = run_model(export_strix(ok, Metadata{}).value(),
                       {f32({4, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out.value()[0].f32(), (std::vector<float>{6, 7, 8, 0, 1, 2}));

  g.tensors[i].ints[1] = int64_t(1) << 40;
  Status s = narrow_integers(g);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("'idx'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("1099511627776"), std::string::npos) << s.message();
}

TEST(ConverterIr, ExportRejectsUnknownDimsAndWideTypes) {
  Graph g = scaled_relu({1, 2, 3, 4, 5});
  g.tensors[2].shape = {1, -1};
  Status s = export_strix(g, Metadata{}).status();
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("'t'"), std::string::npos) << s.message();

  Graph b = scaled_relu({1, 2, 3, 4, 5});
  b.tensors[1].dtype = DType::kBool;
  b.tensors[1].ints = {1, 0, 1, 0, 1};
  s = narrow_integers(b);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("bool"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace strix::ir
