// The optimizer passes (converter/passes/): each rewrite is checked for the nodes it leaves and
// for numerical equivalence: the graph before and after, exported and run on random inputs
// through the optimized ("cpu") and the reference ("cpu-ref") kernels, agree to rel-L2 1e-5.
#include <gtest/gtest.h>

#include <array>

#include "converter/ir/export.h"
#include "converter/ir/graph.h"
#include "converter/passes/passes.h"
#include "tests/support/model_runner.h"

namespace strix::passes {
namespace {

using ir::DType;
using ir::Graph;
using ir::Node;
using ir::Tensor;
using strix::testing::f32;
using strix::testing::random_floats;
using strix::testing::run_model;
using OT = fb::OpType;
using AK = fb::ActivationKind;

constexpr int64_t kBatch = 3;  // used for a dynamic (-1) batch

int act(Graph& g, const char* name, std::vector<int64_t> shape) {
  return g.add_tensor(Tensor::activation(name, DType::kF32, std::move(shape)));
}
int weights(Graph& g, const char* name, std::vector<int64_t> shape, uint32_t seed, float lo = -1.f,
            float hi = 1.f) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return g.add_tensor(
      Tensor::constant_f32(name, shape, random_floats(static_cast<size_t>(n), seed, lo, hi)));
}
ir::Conv2DOptions conv_options(int k, int pad, int stride = 1, int group = 1) {
  ir::Conv2DOptions o;
  o.kernel = {k, k};
  o.strides = {stride, stride};
  o.pads = {pad, pad, pad, pad};
  o.group = group;
  return o;
}
// BatchNormalization parameters for `c` channels: scale, bias, mean, var (> 0).
std::vector<int> bn_params(Graph& g, int64_t c, uint32_t seed) {
  return {weights(g, "bn_scale", {c}, seed, 0.5f, 2.f), weights(g, "bn_bias", {c}, seed + 1),
          weights(g, "bn_mean", {c}, seed + 2), weights(g, "bn_var", {c}, seed + 3, 0.1f, 3.f)};
}

// Optimizes a copy of `g` at `level`, checks it has `want_nodes` nodes and that both graphs
// compute the same outputs on random inputs with both CPU backends; returns the copy.
Graph expect_equivalent(const Graph& g, int level, size_t want_nodes) {
  Graph opt = g;
  Graph ref = g;
  EXPECT_TRUE(ref.topological_sort().ok());
  OptimizeReport report;
  Status s = optimize(opt, level, &report);
  EXPECT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(opt.nodes.size(), want_nodes);
  EXPECT_EQ(report.nodes_before, static_cast<int>(g.nodes.size()));
  EXPECT_EQ(report.nodes_after, static_cast<int>(opt.nodes.size()));
  auto f_ref = ir::export_strix(ref, Metadata{});
  auto f_opt = ir::export_strix(opt, Metadata{});
  EXPECT_TRUE(f_ref.ok()) << f_ref.status().to_string();
  EXPECT_TRUE(f_opt.ok()) << f_opt.status().to_string();
  if (!f_ref.ok() || !f_opt.ok()) return opt;
  std::vector<strix::testing::HostTensor> inputs;
  uint32_t seed = 100;
  bool dynamic = false;
  for (int t : g.inputs) {
    std::vector<int64_t> shape = g.tensors[t].shape;
    if (!shape.empty() && shape[0] < 0) {
      shape[0] = kBatch;
      dynamic = true;
    }
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    inputs.push_back(f32(shape, random_floats(static_cast<size_t>(n), seed++, -2.f, 2.f)));
  }
  for (bool reference : {false, true}) {
    EngineOptions options;
    if (dynamic) options.batch = kBatch;
    options.reference_kernels = reference;
    auto a = run_model(f_ref.value(), inputs, options);
    auto b = run_model(f_opt.value(), inputs, options);
    EXPECT_TRUE(a.ok()) << a.status().to_string();
    EXPECT_TRUE(b.ok()) << b.status().to_string();
    if (!a.ok() || !b.ok()) return opt;
    EXPECT_EQ(a.value().size(), b.value().size());
    for (size_t i = 0; i < a.value().size() && i < b.value().size(); ++i) {
      std::vector<float> want = a.value()[i].f32(), got = b.value()[i].f32();
      double norm = 0;
      for (float v : want) norm += double(v) * v;
      EXPECT_GT(norm, 0.0) << "output " << i << " is all zeros: the test proves nothing";
      EXPECT_LE(strix::testing::relative_l2(got, want), 1e-5)
          << "output " << i << (reference ? " (cpu-ref)" : " (cpu)");
    }
  }
  return opt;
}

int count_op(const Graph& g, OT op) {
  int n = 0;
  for (const Node& node : g.nodes) n += node.op == op;
  return n;
}

TEST(Passes, NoopsAndDeadNodesGo) {
  Graph g;
  int x = act(g, "x", {-1, 4, 3, 5});
  int a = act(g, "a", {-1, 4, 3, 5});
  int b = act(g, "b", {-1, 4, 3, 5});
  int c = act(g, "c", {-1, 4, 3, 5});
  int y = act(g, "y", {-1, 4, 3, 5});
  int dead = act(g, "dead", {-1, 4, 3, 5});
  g.inputs = {x};
  g.outputs = {y};
  g.add_node({"reshape", OT::Reshape, ir::ReshapeOptions{{0, 4, 3, 5}}, {x}, {a}, {"R"}});
  g.add_node({"transpose", OT::Transpose, ir::TransposeOptions{{0, 1, 2, 3}}, {a}, {b}, {"T"}});
  ir::PadOptions pad;
  pad.pads = {0, 0, 0, 0, 0, 0, 0, 0};
  g.add_node({"pad", OT::Pad, pad, {b}, {c}, {"P"}});
  g.add_node({"relu", OT::Relu, ir::UnaryOptions{}, {c}, {y}, {"Relu"}});
  g.add_node({"unused", OT::Sigmoid, ir::UnaryOptions{}, {x}, {dead}, {"S"}});
  Graph opt = expect_equivalent(g, 1, 1);
  ASSERT_EQ(opt.nodes.size(), 1u);
  EXPECT_EQ(opt.nodes[0].op, OT::Relu);
  EXPECT_EQ(opt.nodes[0].inputs[0], x);
  expect_equivalent(g, 0, 5);  // -O0 leaves the graph alone
}

// A no-op whose output is a graph output stays: the output keeps its name.
TEST(Passes, NoopWritingAGraphOutputStays) {
  Graph g;
  int x = act(g, "x", {-1, 6});
  int r = act(g, "r", {-1, 6});
  int y = act(g, "y", {-1, 6});
  g.inputs = {x};
  g.outputs = {y};
  g.add_node({"relu", OT::Relu, ir::UnaryOptions{}, {x}, {r}, {"Relu"}});
  g.add_node({"reshape", OT::Reshape, ir::ReshapeOptions{{0, 6}}, {r}, {y}, {"R"}});
  expect_equivalent(g, 2, 2);
}

Graph conv_bn(int64_t cin, int64_t cout, int group, bool bias, int k, int pad, int stride) {
  Graph g;
  const int64_t h = 9, w = 7;
  const int64_t oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
  int x = act(g, "x", {-1, cin, h, w});
  int wt = weights(g, "w", {cout, cin / group, k, k}, 1);
  int t = act(g, "t", {-1, cout, oh, ow});
  int y = act(g, "y", {-1, cout, oh, ow});
  g.inputs = {x};
  g.outputs = {y};
  std::vector<int> in = {x, wt};
  if (bias) in.push_back(weights(g, "b", {cout}, 2));
  g.add_node({"conv", OT::Conv2D, conv_options(k, pad, stride, group), in, {t}, {"Conv_0"}});
  std::vector<int> p = bn_params(g, cout, 10);
  ir::BatchNormOptions bn;
  bn.epsilon = 1e-3f;
  g.add_node({"bn", OT::BatchNormalization, bn, {t, p[0], p[1], p[2], p[3]}, {y}, {"BN_1"}});
  return g;
}

TEST(Passes, BatchNormFoldsIntoConv) {
  for (bool bias : {true, false}) {
    Graph g = conv_bn(5, 7, 1, bias, 3, 1, 2);
    Graph opt = expect_equivalent(g, 1, 1);
    ASSERT_EQ(opt.nodes.size(), 1u);
    EXPECT_EQ(opt.nodes[0].op, OT::Conv2D);
    EXPECT_EQ(opt.nodes[0].source_nodes, (std::vector<std::string>{"Conv_0", "BN_1"}));
    // The original weights are not edited (another node could read them).
    EXPECT_EQ(g.tensors[1].floats, opt.tensors[1].floats);
  }
  // Depthwise (group = channels) and 1x1.
  expect_equivalent(conv_bn(6, 6, 6, true, 3, 1, 1), 1, 1);
  expect_equivalent(conv_bn(4, 13, 1, false, 1, 0, 1), 1, 1);
}

TEST(Passes, BatchNormStaysWhenTheConvOutputHasAnotherReader) {
  Graph g = conv_bn(3, 4, 1, true, 3, 1, 1);
  g.outputs.push_back(2);  // tensor 2 't', the Conv output, is a graph output too
  expect_equivalent(g, 2, 2);
}

TEST(Passes, BatchNormFoldsIntoFullyConnected) {
  for (bool trans_b : {false, true}) {
    for (bool with_c : {false, true}) {
      Graph g;
      const int64_t k = 9, n = 6;
      int x = act(g, "x", {-1, k});
      int w = trans_b ? weights(g, "w", {n, k}, 3) : weights(g, "w", {k, n}, 3);
      int t = act(g, "t", {-1, n});
      int y = act(g, "y", {-1, n});
      g.inputs = {x};
      g.outputs = {y};
      ir::FullyConnectedOptions o;
      o.trans_b = trans_b;
      o.alpha = 0.75f;
      o.beta = 0.5f;
      std::vector<int> in = {x, w};
      if (with_c) in.push_back(weights(g, "c", {n}, 4));
      g.add_node({"fc", OT::FullyConnected, o, in, {t}, {"Gemm_0"}});
      std::vector<int> p = bn_params(g, n, 20);
      g.add_node({"bn",
                  OT::BatchNormalization,
                  ir::BatchNormOptions{},
                  {t, p[0], p[1], p[2], p[3]},
                  {y},
                  {"BN_1"}});
      Graph opt = expect_equivalent(g, 1, 1);
      ASSERT_EQ(opt.nodes.size(), 1u);
      EXPECT_EQ(opt.nodes[0].op, OT::FullyConnected);
    }
  }
}

// x -> Conv -> (Sigmoid, Mul) = SiLU -> u1; u1 -> Conv 1x1 -> Relu -> u2;
// Add(u1, u2) -> Clip(0, 6) -> u3; u3 -> Conv -> Gelu -> u4; u4 -> Conv -> HardSigmoid -> y1;
// u4 -> Conv -> LeakyRelu -> y2, whose Conv output is also graph output 'keep'.
TEST(Passes, ActivationsFuseIntoConvAndAdd) {
  Graph g;
  const int64_t c = 6, h = 11, w = 13;
  std::vector<int64_t> s = {-1, c, h, w};
  int x = act(g, "x", {-1, 4, h, w});
  int t1 = act(g, "t1", s), sg = act(g, "sg", s), u1 = act(g, "u1", s);
  int t2 = act(g, "t2", s), u2 = act(g, "u2", s), t3 = act(g, "t3", s), u3 = act(g, "u3", s);
  int t4 = act(g, "t4", s), u4 = act(g, "u4", s), t5 = act(g, "t5", s), y1 = act(g, "y1", s);
  int keep = act(g, "keep", s), y2 = act(g, "y2", s);
  g.inputs = {x};
  g.outputs = {y1, y2, keep};
  g.add_node({"conv1",
              OT::Conv2D,
              conv_options(3, 1),
              {x, weights(g, "w1", {c, 4, 3, 3}, 1), weights(g, "b1", {c}, 2)},
              {t1},
              {"Conv_1"}});
  g.add_node({"sig", OT::Sigmoid, ir::UnaryOptions{}, {t1}, {sg}, {"Sigmoid_2"}});
  g.add_node({"mul", OT::Mul, ir::BinaryOptions{}, {sg, t1}, {u1}, {"Mul_3"}});
  g.add_node({"conv2",
              OT::Conv2D,
              conv_options(1, 0),
              {u1, weights(g, "w2", {c, c, 1, 1}, 3)},
              {t2},
              {"Conv_4"}});
  g.add_node({"relu", OT::Relu, ir::UnaryOptions{}, {t2}, {u2}, {"Relu_5"}});
  g.add_node({"add", OT::Add, ir::BinaryOptions{}, {u1, u2}, {t3}, {"Add_6"}});
  g.add_node({"clip", OT::Clip, ir::UnaryOptions{0.f, 6.f}, {t3}, {u3}, {"Clip_7"}});
  g.add_node({"conv3",
              OT::Conv2D,
              conv_options(3, 1),
              {u3, weights(g, "w3", {c, c, 3, 3}, 4)},
              {t4},
              {"Conv_8"}});
  g.add_node({"gelu", OT::Gelu, ir::GeluOptions{}, {t4}, {u4}, {"Gelu_9"}});
  g.add_node({"conv4",
              OT::Conv2D,
              conv_options(1, 0),
              {u4, weights(g, "w4", {c, c, 1, 1}, 5)},
              {t5},
              {"Conv_10"}});
  g.add_node({"hsig", OT::HardSigmoid, ir::UnaryOptions{0.2f, 0.5f}, {t5}, {y1}, {"HS_11"}});
  g.add_node({"conv5",
              OT::Conv2D,
              conv_options(1, 0),
              {u4, weights(g, "w5", {c, c, 1, 1}, 6)},
              {keep},
              {"Conv_12"}});
  g.add_node({"leaky", OT::LeakyRelu, ir::UnaryOptions{0.1f, 0.f}, {keep}, {y2}, {"Leaky_13"}});
  // -O1 fuses nothing; -O2: conv1+SiLU, conv2+Relu, add+Clip, conv3+Gelu, conv4+HardSigmoid,
  // conv5 and the LeakyRelu (conv5's output is a graph output).
  expect_equivalent(g, 1, 13);
  Graph opt = expect_equivalent(g, 2, 7);
  EXPECT_EQ(count_op(opt, OT::Conv2D), 5);
  EXPECT_EQ(count_op(opt, OT::LeakyRelu), 1);
  for (const Node& n : opt.nodes) {
    if (n.name == "conv1") {
      EXPECT_EQ(std::get<ir::Conv2DOptions>(n.options).activation.kind, AK::SiLU);
      EXPECT_EQ(n.source_nodes, (std::vector<std::string>{"Conv_1", "Sigmoid_2", "Mul_3"}));
    }
    if (n.name == "add") {
      const ir::Activation& a = std::get<ir::BinaryOptions>(n.options).activation;
      EXPECT_EQ(a.kind, AK::Clip);
      EXPECT_EQ(a.beta, 6.f);
    }
    if (n.name == "conv3") {
      EXPECT_EQ(std::get<ir::Conv2DOptions>(n.options).activation.kind, AK::Gelu);
    }
    if (n.name == "conv5") {
      EXPECT_EQ(std::get<ir::Conv2DOptions>(n.options).activation.kind, AK::None);
    }
  }
}

// x -> FC -> Clip(-0.5, 0.5) -> MatMul -> Tanh -> HardSwish -> y: the HardSwish stays (the
// MatMul's activation slot is taken).
TEST(Passes, ActivationsFuseIntoFullyConnectedAndMatMul) {
  Graph g;
  int x = act(g, "x", {-1, 9});
  int t1 = act(g, "t1", {-1, 6}), u1 = act(g, "u1", {-1, 6});
  int t2 = act(g, "t2", {-1, 5}), u2 = act(g, "u2", {-1, 5}), y = act(g, "y", {-1, 5});
  g.inputs = {x};
  g.outputs = {y};
  g.add_node({"fc",
              OT::FullyConnected,
              ir::FullyConnectedOptions{},
              {x, weights(g, "w1", {9, 6}, 1), weights(g, "c1", {6}, 2)},
              {t1},
              {"Gemm_0"}});
  g.add_node({"clip", OT::Clip, ir::UnaryOptions{-0.5f, 0.5f}, {t1}, {u1}, {"Clip_1"}});
  g.add_node({"mm",
              OT::MatMul,
              ir::MatMulOptions{},
              {u1, weights(g, "w2", {6, 5}, 3, -3.f, 3.f)},
              {t2},
              {"MatMul_2"}});
  g.add_node({"tanh", OT::Tanh, ir::UnaryOptions{}, {t2}, {u2}, {"Tanh_3"}});
  g.add_node({"hswish", OT::HardSwish, ir::UnaryOptions{}, {u2}, {y}, {"HardSwish_4"}});
  Graph opt = expect_equivalent(g, 2, 3);
  EXPECT_EQ(count_op(opt, OT::HardSwish), 1);
}

TEST(Passes, PadFoldsIntoConv) {
  Graph g;
  int x = act(g, "x", {-1, 3, 8, 10});
  int p = act(g, "p", {-1, 3, 11, 13});  // H 8 + 1 + 2, W 10 + 2 + 1
  int y = act(g, "y", {-1, 5, 10, 12});  // 3x3 conv, pads [1, 0, 0, 1]: 11+1-2, 13+1-2
  g.inputs = {x};
  g.outputs = {y};
  ir::PadOptions pad;
  pad.pads = {0, 0, 1, 2, 0, 0, 2, 1};
  g.add_node({"pad", OT::Pad, pad, {x}, {p}, {"Pad_0"}});
  ir::Conv2DOptions o = conv_options(3, 0);
  o.pads = {1, 0, 0, 1};
  g.add_node({"conv", OT::Conv2D, o, {p, weights(g, "w", {5, 3, 3, 3}, 1)}, {y}, {"Conv_1"}});
  Graph opt = expect_equivalent(g, 1, 1);
  ASSERT_EQ(opt.nodes.size(), 1u);
  EXPECT_EQ(std::get<ir::Conv2DOptions>(opt.nodes[0].options).pads,
            (std::array<int, 4>{2, 2, 2, 2}));
  // A non-zero pad value or an edge pad is not a Conv's zero padding.
  g.nodes[0].options = ir::PadOptions{pad.pads, fb::PadMode::Constant, 0.5f};
  expect_equivalent(g, 2, 2);
  g.nodes[0].options = ir::PadOptions{pad.pads, fb::PadMode::Edge, 0.f};
  expect_equivalent(g, 2, 2);
}

TEST(Passes, ReshapeChainsAndTransposePairsSimplify) {
  Graph g;
  int x = act(g, "x", {-1, 4, 6});
  int a = act(g, "a", {-1, 24}), b = act(g, "b", {-1, 6, 4});
  int c = act(g, "c", {-1, 4, 6}), d = act(g, "d", {-1, 6, 4}), y = act(g, "y", {-1, 6, 4});
  g.inputs = {x};
  g.outputs = {y};
  g.add_node({"flatten", OT::Flatten, ir::FlattenOptions{1}, {x}, {a}, {"Flatten_0"}});
  g.add_node({"reshape", OT::Reshape, ir::ReshapeOptions{{0, 6, 4}}, {a}, {b}, {"Reshape_1"}});
  g.add_node({"t1", OT::Transpose, ir::TransposeOptions{{0, 2, 1}}, {b}, {c}, {"Transpose_2"}});
  g.add_node({"t2", OT::Transpose, ir::TransposeOptions{{0, 2, 1}}, {c}, {d}, {"Transpose_3"}});
  g.add_node({"relu", OT::Relu, ir::UnaryOptions{}, {d}, {y}, {"Relu_4"}});
  Graph opt = expect_equivalent(g, 1, 2);  // Reshape(x) -> Relu
  EXPECT_EQ(count_op(opt, OT::Reshape), 1);
  EXPECT_EQ(count_op(opt, OT::Transpose), 0);

  // Two Transposes that do not cancel become one: [0,2,3,1] then [0,2,1,3] = [0,3,2,1].
  Graph h;
  int x2 = act(h, "x", {2, 3, 4, 5});
  int m = act(h, "m", {2, 4, 5, 3}), y2 = act(h, "y", {2, 5, 4, 3});
  h.inputs = {x2};
  h.outputs = {y2};
  h.add_node({"t1", OT::Transpose, ir::TransposeOptions{{0, 2, 3, 1}}, {x2}, {m}, {"T_0"}});
  h.add_node({"t2", OT::Transpose, ir::TransposeOptions{{0, 2, 1, 3}}, {m}, {y2}, {"T_1"}});
  Graph opt2 = expect_equivalent(h, 1, 1);
  ASSERT_EQ(opt2.nodes.size(), 1u);
  EXPECT_EQ(std::get<ir::TransposeOptions>(opt2.nodes[0].options).perm,
            (std::vector<int>{0, 3, 2, 1}));
}

}  // namespace
}  // namespace strix::passes
