// The device path of Engine/Context: CPU fallback with copy steps, CUDA graphs on and off,
// repeated runs with new inputs, zero-copy device inputs, 8 Contexts on 8 threads, and the
// errors of device selection.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <thread>

#include "tests/cuda/cuda_test_util.h"

namespace strix::testing {
namespace {

namespace fb = strix::fb;
using writer::ModelBuilder;

// x [N,3,15,13] -> conv 3x3 (bias, relu; CUDA) -> BatchNormalization (no CUDA kernel: CPU
// fallback) -> Add(bn, conv) with relu (CUDA) -> GlobalAveragePool -> Flatten -> FC -> Softmax.
std::vector<uint8_t> fallback_model(int64_t n, DType dt = DType::kF32) {
  ModelBuilder b;
  const int64_t c = 3, m = 8, classes = 10;
  auto constant = [&](const char* name, std::vector<int64_t> shape, std::vector<float> v) {
    if (dt == DType::kF32) return b.add_constant_f32(name, shape, v);
    std::vector<uint16_t> h(v.size());
    for (size_t i = 0; i < v.size(); ++i) h[i] = float_to_half(v[i]);
    return b.add_constant(name, DType::kF16, shape, h.data(), h.size() * 2);
  };
  int x = b.add_input("x", dt, {n, c, 15, 13});
  int w = constant("w", {m, c, 3, 3}, random_floats(m * c * 9, 1, -0.4f, 0.4f));
  int bias = constant("b", {m}, random_floats(m, 2));
  int conv = b.add_tensor("conv", dt, {n, m, 15, 13});
  int scale = constant("s", {m}, random_floats(m, 3, 0.5f, 1.5f));
  int shift = constant("sh", {m}, random_floats(m, 4));
  int mean = constant("mu", {m}, random_floats(m, 5));
  int var = constant("var", {m}, random_floats(m, 6, 0.5f, 2.f));
  int bn = b.add_tensor("bn", dt, {n, m, 15, 13});
  int sum = b.add_tensor("sum", dt, {n, m, 15, 13});
  int gap = b.add_tensor("gap", dt, {n, m, 1, 1});
  int flat = b.add_tensor("flat", dt, {n, m});
  int fw = constant("fw", {classes, m}, random_floats(classes * m, 7));
  int fb_ = constant("fb", {classes}, random_floats(classes, 8));
  int logits = b.add_tensor("logits", dt, {n, classes});
  int prob = b.add_tensor("prob", dt, {n, classes});
  auto& f = b.fbb();
  auto relu = [&]() { return fb::CreateActivation(f, fb::ActivationKind::Relu); };
  auto co = fb::CreateConv2DOptions(f, f.CreateVector<int32_t>({3, 3}), 0, 0,
                                    f.CreateVector<int32_t>({1, 1, 1, 1}),
                                    fb::PaddingMode::Explicit, 1, relu());
  b.add_node("conv", fb::OpType::Conv2D, {x, w, bias}, {conv}, fb::OpOptions::Conv2DOptions,
             co.Union());
  auto bo = fb::CreateBatchNormOptions(f, 1e-5f);
  b.add_node("bn", fb::OpType::BatchNormalization, {conv, scale, shift, mean, var}, {bn},
             fb::OpOptions::BatchNormOptions, bo.Union());
  auto ao = fb::CreateBinaryOptions(f, relu());
  b.add_node("add", fb::OpType::Add, {bn, conv}, {sum}, fb::OpOptions::BinaryOptions, ao.Union());
  b.add_node("gap", fb::OpType::GlobalAveragePool, {sum}, {gap});
  auto flo = fb::CreateFlattenOptions(f, 1);
  b.add_node("flat", fb::OpType::Flatten, {gap}, {flat}, fb::OpOptions::FlattenOptions,
             flo.Union());
  auto fo = fb::CreateFullyConnectedOptions(f, 1.f, 1.f, false, true);
  b.add_node("fc", fb::OpType::FullyConnected, {flat, fw, fb_}, {logits},
             fb::OpOptions::FullyConnectedOptions, fo.Union());
  auto so = fb::CreateSoftmaxOptions(f, -1);
  b.add_node("softmax", fb::OpType::Softmax, {logits}, {prob}, fb::OpOptions::SoftmaxOptions,
             so.Union());
  b.mark_output(prob);
  b.mark_output(conv);  // an output that device nodes also read on
  return b.finish();
}

class CudaEngine : public ::testing::Test {
 protected:
  void SetUp() override { STRIX_REQUIRE_GPU(); }
  uint32_t seed_ = fresh_seed();
};

std::shared_ptr<Engine> build(const std::vector<uint8_t>& file, const std::string& device,
                              bool graph = true) {
  Result<Model> model = Model::from_buffer(file.data(), file.size());
  EXPECT_TRUE(model.ok());
  EngineOptions o;
  o.device = device;
  o.cuda_graph = graph;
  auto e = Engine::create(model.value(), o);
  EXPECT_TRUE(e.ok()) << e.status().to_string();
  return e.ok() ? e.value() : nullptr;
}

// Input 0 of ctx as bytes of its dtype (f32 or f16).
std::vector<uint8_t> input_bytes(const Context& ctx, const std::vector<float>& x) {
  HostTensor t =
      ctx.input(0).dtype == DType::kF16 ? f16({int64_t(x.size())}, x) : f32({int64_t(x.size())}, x);
  return t.bytes;
}

std::vector<float> output_floats(const Context& ctx, int o) {
  TensorView v = ctx.output(o);
  std::vector<float> out(v.shape.num_elements());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = v.dtype == DType::kF16 ? half_to_float(v.as<uint16_t>()[i]) : v.as<float>()[i];
  return out;
}

// Runs ctx on `input` and returns output 0 (outputs poisoned with NaN bytes first).
std::vector<float> run(Context& ctx, const std::vector<float>& input) {
  std::vector<uint8_t> bytes = input_bytes(ctx, input);
  EXPECT_TRUE(ctx.set_input(0, bytes.data(), bytes.size()).ok());
  for (int o = 0; o < ctx.engine().num_outputs(); ++o) {
    TensorView v = ctx.output(o);
    std::memset(v.data, 0xFF, v.byte_size());
  }
  ctx.run();
  EXPECT_TRUE(ctx.last_error().ok()) << ctx.last_error().to_string();
  std::vector<float> out = output_floats(ctx, 0);
  for (float f : out) EXPECT_TRUE(std::isfinite(f)) << "unwritten output";
  return out;
}

class CudaEngineDType : public CudaEngine, public ::testing::WithParamInterface<DType> {};

// f32 tensors stay NCHW on the device; f16 rank-4 tensors are channels-last, so the copies
// to and from the BatchNormalization fallback convert layouts.
TEST_P(CudaEngineDType, FallbackCopiesGraphsAndRepeatedRuns) {
  SCOPED_TRACE("seed " + std::to_string(seed_));
  const DType dt = GetParam();
  const double bound = dt == DType::kF32 ? 1e-5 : 4e-3;
  auto file = fallback_model(4, dt);
  auto cpu = build(file, "cpu");
  auto gpu = build(file, "cuda");
  auto plain = build(file, "cuda:0", false);
  ASSERT_TRUE(cpu && gpu && plain);
  const EngineReport& r = gpu->report();
  EXPECT_EQ(r.device, "cuda:0");
  EXPECT_EQ(r.num_fallbacks, 1);
  int copies = 0;
  for (const NodeReport& n : r.nodes) {
    if (n.op == "BatchNormalization") {
      EXPECT_TRUE(n.fallback);
    }
    if (n.op == "Conv2D") {
      EXPECT_EQ(n.backend, "cuda");
    }
    if (n.op == "CopyToDevice" || n.op == "CopyToHost") ++copies;
  }
  EXPECT_GE(copies, 4);  // x in, conv out to BN, bn back in, prob and conv out
  EXPECT_GT(r.device_arena_bytes, 0u);
  EXPECT_GT(r.device_weights_bytes, 0u);

  Context c_cpu = cpu->create_context().value();
  Context c_gpu = gpu->create_context().value();
  Context c_plain = plain->create_context().value();
  for (int round = 0; round < 3; ++round) {  // graph capture, then replays on new data
    std::vector<float> x = random_floats(4 * 3 * 15 * 13, seed_ + round);
    std::vector<float> want = run(c_cpu, x);
    EXPECT_LE(relative_l2(run(c_gpu, x), want), bound) << "round " << round;
    EXPECT_LE(relative_l2(run(c_plain, x), want), bound) << "round " << round;
    EXPECT_LE(relative_l2(output_floats(c_gpu, 1), output_floats(c_cpu, 1)), bound);
  }
}

TEST_P(CudaEngineDType, ZeroCopyDeviceInput) {
  SCOPED_TRACE("seed " + std::to_string(seed_));
  const DType dt = GetParam();
  const double bound = dt == DType::kF32 ? 1e-5 : 4e-3;
  auto file = fallback_model(2, dt);
  auto cpu = build(file, "cpu");
  auto gpu = build(file, "cuda");
  ASSERT_TRUE(cpu && gpu);
  Context c_cpu = cpu->create_context().value();
  Context c_gpu = gpu->create_context().value();
  std::vector<float> x = random_floats(2 * 3 * 15 * 13, seed_);
  std::vector<float> want = run(c_cpu, x);
  std::vector<uint8_t> bytes = input_bytes(c_gpu, x);
  void* dev = nullptr;
  ASSERT_EQ(cudaMalloc(&dev, bytes.size()), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(dev, bytes.data(), bytes.size(), cudaMemcpyHostToDevice), cudaSuccess);
  ASSERT_TRUE(c_gpu.set_device_input(0, dev).ok());
  // The staging input holds other data: the result must come from `dev`.
  std::vector<float> junk = random_floats(x.size(), seed_ + 1);
  EXPECT_LE(relative_l2(run(c_gpu, junk), want), bound);
  EXPECT_LE(relative_l2(run(c_gpu, junk), want), bound);  // graph replay
  ASSERT_TRUE(c_gpu.set_device_input(0, nullptr).ok());   // back to the staging copy
  EXPECT_LE(relative_l2(run(c_gpu, x), want), bound);
  cudaFree(dev);

  Status bad = c_gpu.set_device_input(3, dev);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  Status on_cpu = c_cpu.set_device_input(0, dev);
  EXPECT_EQ(on_cpu.code(), StatusCode::kUnsupported);
}

INSTANTIATE_TEST_SUITE_P(F32AndF16, CudaEngineDType, ::testing::Values(DType::kF32, DType::kF16),
                         [](const ::testing::TestParamInfo<DType>& i) {
                           return std::string(dtype_name(i.param));
                         });

TEST_F(CudaEngine, EightContextsOnEightThreads) {
  SCOPED_TRACE("seed " + std::to_string(seed_));
  auto file = fallback_model(3);
  auto gpu = build(file, "cuda");
  ASSERT_TRUE(gpu);
  constexpr int kThreads = 8, kRuns = 20;
  std::vector<std::vector<float>> inputs, want;
  {
    Context one = gpu->create_context().value();
    for (int t = 0; t < kThreads; ++t) {
      inputs.push_back(random_floats(3 * 3 * 15 * 13, seed_ + t));
      want.push_back(run(one, inputs.back()));
    }
  }
  std::vector<double> worst(kThreads, 0.0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t]() {
      Context ctx = gpu->create_context().value();
      for (int i = 0; i < kRuns; ++i) {
        ctx.set_input(0, inputs[t].data(), inputs[t].size() * 4);
        ctx.run();
        TensorView v = ctx.output(0);
        std::vector<float> got(v.as<float>(), v.as<float>() + v.shape.num_elements());
        double e = ctx.last_error().ok() ? relative_l2(got, want[t]) : 1.0;
        if (e > worst[t]) worst[t] = e;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  // Same kernels, algorithms and data: the results should be bit-identical; the bound leaves
  // room only for a library that reorders a reduction between streams.
  double worst_all = 0;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_LE(worst[t], 1e-6) << "thread " << t;
    worst_all = std::max(worst_all, worst[t]);
  }
  std::printf("8 contexts x %d runs: worst relative L2 vs one context = %g%s\n", kRuns, worst_all,
              worst_all == 0 ? " (bit-identical)" : "");
}

TEST(CudaDeviceSelection, Errors) {
  auto file = fallback_model(1);
  Result<Model> model = Model::from_buffer(file.data(), file.size());
  ASSERT_TRUE(model.ok());
  EngineOptions o;
  o.device = "cuda:x";
  auto e = Engine::create(model.value(), o);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(e.status().message().find("cuda:N"), std::string::npos) << e.status().message();
  o.device = "cuda:99";
  e = Engine::create(model.value(), o);
  ASSERT_FALSE(e.ok());
  if (have_gpu()) {
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument) << e.status().to_string();
  } else {
    EXPECT_EQ(e.status().code(), StatusCode::kUnsupported) << e.status().to_string();
    EXPECT_NE(e.status().message().find("no CUDA device"), std::string::npos);
  }
}

// Whether this process has mapped libcublas (from /proc/self/maps).
bool cublas_mapped() {
  std::FILE* f = std::fopen("/proc/self/maps", "r");
  if (f == nullptr) return false;
  char line[4096];
  bool found = false;
  while (!found && std::fgets(line, sizeof(line), f) != nullptr)
    found = std::strstr(line, "libcublas") != nullptr;
  std::fclose(f);
  return found;
}

// A CUDA-enabled libstrix loads cuBLAS (about 150 MiB resident with cuBLASLt) only when a CUDA
// Context is made, so CPU runs don't pay for it; then FullyConnected finds it. In a child
// process (re-executed), since earlier tests of this binary may have loaded it already. Runs
// without a GPU too.
TEST(CudaLazyCublas, CpuRunsDoNotLoadIt) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // a fresh process: CUDA does not survive fork
  EXPECT_EXIT(
      {
        auto file = fallback_model(2);
        Result<Model> model = Model::from_buffer(file.data(), file.size());
        if (!model.ok() || cublas_mapped()) std::exit(1);
        auto e = Engine::create(model.value(), EngineOptions());
        if (!e.ok()) std::exit(2);
        auto ctx = e.value()->create_context();
        if (!ctx.ok()) std::exit(3);
        run(ctx.value(), random_floats(2 * 3 * 15 * 13, 11));
        if (cublas_mapped()) std::exit(4);  // the CPU run loaded it
        if (have_gpu()) {
          EngineOptions o;
          o.device = "cuda";
          auto g = Engine::create(model.value(), o);
          if (!g.ok()) std::exit(5);
          auto gctx = g.value()->create_context();
          if (!gctx.ok()) std::exit(6);
          if (!cublas_mapped()) std::exit(7);  // a CUDA Context must have loaded it
          run(gctx.value(), random_floats(2 * 3 * 15 * 13, 11));
          if (!gctx.value().last_error().ok()) std::exit(8);
        }
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace strix::testing
