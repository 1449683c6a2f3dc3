// Engine: shape inference, batch override, in-place decisions, views, and the arena plan.
#include <gtest/gtest.h>

#include <cmath>

#include "converter/writer/model_builder.h"
#include "sdk/src/engine_impl.h"
#include "tests/support/model_runner.h"

namespace strix {
namespace {

using testing::f32;
using testing::run_model;
using writer::ModelBuilder;

// x -> Relu -> Sigmoid -> Tanh -> y, every tensor [2,3].
std::vector<uint8_t> chain_model(std::vector<int64_t> shape = {2, 3}) {
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, shape);
  int a = b.add_tensor("a", DType::kF32, shape);
  int s = b.add_tensor("s", DType::kF32, shape);
  int y = b.add_tensor("y", DType::kF32, shape);
  b.add_node("relu", fb::OpType::Relu, {x}, {a});
  b.add_node("sigmoid", fb::OpType::Sigmoid, {a}, {s});
  b.add_node("tanh", fb::OpType::Tanh, {s}, {y});
  b.mark_output(y);
  return b.finish();
}

TEST(Engine, RunsAChainAndMatchesHandComputedValues) {
  std::vector<float> x = {-2.f, -0.5f, 0.f, 0.5f, 1.f, 3.f};
  auto out = run_model(chain_model(), {f32({2, 3}, x)});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  std::vector<float> y = out.value()[0].f32();
  ASSERT_EQ(y.size(), 6u);
  for (size_t i = 0; i < x.size(); ++i) {
    double r = x[i] > 0 ? x[i] : 0.0;
    double expect = std::tanh(1.0 / (1.0 + std::exp(-r)));
    EXPECT_NEAR(y[i], expect, 1e-6) << i;
  }
  // tanh(sigmoid(0)) = tanh(0.5) = 0.46211715726
  EXPECT_NEAR(y[0], 0.46211715726, 1e-6);
}

TEST(Engine, InPlaceChainUsesOneActivationBuffer) {
  std::vector<uint8_t> file = chain_model({4, 256});
  auto model = Model::from_buffer(file.data(), file.size());
  ASSERT_TRUE(model.ok());
  EngineOptions options;
  options.reference_kernels = true;
  auto engine = Engine::create(model.value(), options);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  const EngineReport& r = engine.value()->report();
  // x is a graph input (never overwritten), a/s/y share one buffer in place.
  EXPECT_EQ(r.arena_bytes, 2u * 4096u);
  EXPECT_EQ(r.activation_bytes_unplanned, 4u * 4096u);
  ASSERT_EQ(r.nodes.size(), 3u);
  EXPECT_FALSE(r.nodes[0].in_place);  // would overwrite the graph input
  EXPECT_TRUE(r.nodes[1].in_place);
  EXPECT_TRUE(r.nodes[2].in_place);
  EXPECT_EQ(r.nodes[0].backend, "cpu-ref");
}

TEST(Engine, InputsSurviveRepeatedRuns) {
  std::vector<uint8_t> file = chain_model();
  auto model = Model::from_buffer(file.data(), file.size());
  auto engine = Engine::create(model.value(), {});
  ASSERT_TRUE(engine.ok());
  auto ctx = engine.value()->create_context();
  ASSERT_TRUE(ctx.ok());
  std::vector<float> x = {-1.f, 2.f, -3.f, 4.f, -5.f, 6.f};
  ASSERT_TRUE(ctx.value().set_input(0, x.data(), x.size() * 4).ok());
  ctx.value().run();
  std::vector<float> first(ctx.value().output(0).as<float>(),
                           ctx.value().output(0).as<float>() + 6);
  ctx.value().run();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(ctx.value().output(0).as<float>()[i], first[i]);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(ctx.value().input(0).as<float>()[i], x[i]);
}

TEST(Engine, BranchesAreNotOverwrittenInPlace) {
  // a = relu(x); b = sigmoid(a); c = tanh(a); outputs b and c: a is read twice, so the
  // sigmoid must not run in place over a.
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {5});
  int a = b.add_tensor("a", DType::kF32, {5});
  int s = b.add_tensor("s", DType::kF32, {5});
  int t = b.add_tensor("t", DType::kF32, {5});
  b.add_node("relu", fb::OpType::Relu, {x}, {a});
  b.add_node("sigmoid", fb::OpType::Sigmoid, {a}, {s});
  b.add_node("tanh", fb::OpType::Tanh, {a}, {t});
  b.mark_output(s);
  b.mark_output(t);
  std::vector<float> xv = {-1.f, 0.25f, 0.5f, 2.f, 4.f};
  auto out = run_model(b.finish(), {f32({5}, xv)});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  for (int i = 0; i < 5; ++i) {
    double r = xv[i] > 0 ? xv[i] : 0;
    EXPECT_NEAR(out.value()[0].f32()[i], 1 / (1 + std::exp(-r)), 1e-6);
    EXPECT_NEAR(out.value()[1].f32()[i], std::tanh(r), 1e-6);
  }
}

TEST(Engine, DynamicBatchIsSetAtBuild) {
  std::vector<uint8_t> file = chain_model({-1, 3});
  auto model = Model::from_buffer(file.data(), file.size());
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EngineOptions options;
  options.batch = 5;
  auto engine = Engine::create(model.value(), options);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  EXPECT_EQ(engine.value()->input(0).shape, Shape({5, 3}));
  EXPECT_EQ(engine.value()->output(0).shape, Shape({5, 3}));
  auto one = Engine::create(model.value(), {});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one.value()->output(0).shape, Shape({1, 3}));
}

TEST(Engine, BatchOverrideOfAFixedModel) {
  std::vector<uint8_t> file = chain_model({2, 3});
  EngineOptions options;
  options.batch = 7;
  auto out = run_model(file, {f32({7, 3}, testing::random_floats(21, 1))}, options);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out.value()[0].shape, Shape({7, 3}));
}

TEST(Engine, RejectsBadOptions) {
  std::vector<uint8_t> file = chain_model();
  auto model = Model::from_buffer(file.data(), file.size());
  EngineOptions o;
  o.device = "tpu";
  auto e = Engine::create(model.value(), o);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(e.status().message().find("tpu"), std::string::npos);
  o = {};
  o.batch = -3;
  EXPECT_FALSE(Engine::create(model.value(), o).ok());
  o = {};
  o.device = "cuda:0";
  e = Engine::create(model.value(), o);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kUnsupported);
}

TEST(Engine, StoredShapeMismatchNamesTheTensor) {
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {2, 3});
  int y = b.add_tensor("wrong_shape", DType::kF32, {3, 2});
  b.add_node("relu", fb::OpType::Relu, {x}, {y});
  b.mark_output(y);
  auto out = run_model(b.finish(), {f32({2, 3}, std::vector<float>(6, 1.f))});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kShapeMismatch);
  EXPECT_NE(out.status().message().find("wrong_shape"), std::string::npos);
  EXPECT_NE(out.status().message().find("node 0 'relu' (Relu)"), std::string::npos);
}

TEST(Engine, F16StorageComputesInF32) {
  ModelBuilder b;
  int x = b.add_input("x", DType::kF16, {4});
  int y = b.add_tensor("y", DType::kF16, {4});
  b.add_node("sig", fb::OpType::Sigmoid, {x}, {y});
  b.mark_output(y);
  std::vector<float> xv = {-2.f, -0.5f, 0.75f, 3.f};
  auto out = run_model(b.finish(), {testing::f16({4}, xv)});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  ASSERT_EQ(out.value()[0].dtype, DType::kF16);
  std::vector<uint16_t> h = out.value()[0].values<uint16_t>();
  for (int i = 0; i < 4; ++i) {
    float xr = half_to_float(float_to_half(xv[i]));
    EXPECT_NEAR(half_to_float(h[i]), 1 / (1 + std::exp(-xr)), 1e-3);
  }
}

TEST(Engine, PlacementsNeverOverlapWhileLive) {
  // A diamond with a long-lived branch: a = relu(x); b = sigmoid(a); c = tanh(b);
  // d = elu(a) (a lives until d), e = relu(c) ; outputs d and e.
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {64});
  std::vector<int> t;
  for (const char* name : {"a", "b", "c", "d", "e"})
    t.push_back(b.add_tensor(name, DType::kF32, {64}));
  auto& fbb = b.fbb();
  b.add_node("n0", fb::OpType::Relu, {x}, {t[0]});
  b.add_node("n1", fb::OpType::Sigmoid, {t[0]}, {t[1]});
  b.add_node("n2", fb::OpType::Tanh, {t[1]}, {t[2]});
  b.add_node("n3", fb::OpType::Elu, {t[0]}, {t[3]}, fb::OpOptions::UnaryOptions,
             fb::CreateUnaryOptions(fbb, 1.f).Union());
  b.add_node("n4", fb::OpType::Relu, {t[2]}, {t[4]});
  b.mark_output(t[3]);
  b.mark_output(t[4]);
  std::vector<uint8_t> file = b.finish();
  auto model = Model::from_buffer(file.data(), file.size());
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  auto engine = Engine::create(model.value(), {});
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  const EngineImpl& e = *engine.value()->impl();
  // Live ranges by hand (inputs live throughout): x [0,5], a [0,3], b [1,2], c [2,4], d [3,5], e
  // [4,5].
  int live[6][2] = {{0, 5}, {0, 3}, {1, 2}, {2, 4}, {3, 5}, {4, 5}};
  for (int i = 0; i < 6; ++i) {
    for (int j = i + 1; j < 6; ++j) {
      const TensorPlacement& p = e.placements[i];
      const TensorPlacement& q = e.placements[j];
      ASSERT_EQ(p.kind, TensorPlacement::kArena);
      bool same = p.offset == q.offset;
      bool time = live[i][0] <= live[j][1] && live[j][0] <= live[i][1];
      // Sharing is allowed only for an in-place step whose producer reads the input's last
      // use: d = elu(a) at step 3, c = tanh(b) at step 2, e = relu(c) at step 4.
      if (same && time) {
        bool in_place_pair = (i == 1 && j == 4) || (i == 2 && j == 3) || (i == 3 && j == 5);
        EXPECT_TRUE(in_place_pair) << "tensors " << i << " and " << j << " share memory while live";
      }
    }
  }
  auto out = run_model(file, {f32({64}, testing::random_floats(64, 3, -3.f, 3.f))});
  ASSERT_TRUE(out.ok());
}

TEST(Engine, ExtraOutputsExposeIntermediateTensorsUnchanged) {
  std::vector<uint8_t> file = chain_model({4, 256});
  auto model = Model::from_buffer(file.data(), file.size());
  ASSERT_TRUE(model.ok());
  EngineOptions options;
  options.extra_outputs = {"s", "a", "y"};  // y is already an output: not repeated
  auto engine = Engine::create(model.value(), options);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  ASSERT_EQ(engine.value()->num_outputs(), 3);
  EXPECT_EQ(engine.value()->output(0).name, "y");
  EXPECT_EQ(engine.value()->output(1).name, "s");
  EXPECT_EQ(engine.value()->output(2).name, "a");
  // a and s would be computed in place otherwise; now each keeps its own value.
  const EngineReport& r = engine.value()->report();
  EXPECT_FALSE(r.nodes[1].in_place);
  EXPECT_FALSE(r.nodes[2].in_place);
  auto ctx = engine.value()->create_context();
  ASSERT_TRUE(ctx.ok());
  std::vector<float> x(1024);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 37) * 0.25f - 4.f;
  ASSERT_TRUE(ctx.value().set_input(0, x.data(), x.size() * 4).ok());
  ctx.value().run();
  for (size_t i = 0; i < x.size(); i += 97) {
    float a = x[i] > 0 ? x[i] : 0.f;
    float s = 1.f / (1.f + std::exp(-a));
    EXPECT_NEAR(ctx.value().output(2).as<float>()[i], a, 1e-6) << i;
    EXPECT_NEAR(ctx.value().output(1).as<float>()[i], s, 1e-6) << i;
    EXPECT_NEAR(ctx.value().output(0).as<float>()[i], std::tanh(s), 1e-6) << i;
  }
}

TEST(Engine, ExtraOutputsMustNameProducedTensors) {
  std::vector<uint8_t> file = chain_model();
  auto model = Model::from_buffer(file.data(), file.size());
  ASSERT_TRUE(model.ok());
  EngineOptions options;
  options.extra_outputs = {"nope"};
  auto missing = Engine::create(model.value(), options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("'nope'"), std::string::npos);
  options.extra_outputs = {"x"};
  auto input = Engine::create(model.value(), options);
  ASSERT_FALSE(input.ok());
  EXPECT_NE(input.status().message().find("graph input"), std::string::npos);
}

}  // namespace
}  // namespace strix
