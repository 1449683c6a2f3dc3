// The optimized CPU backend's f32 Concat (kernels/cpu/concat.cc) against the reference: every
// axis (negative too), 1-4 inputs of odd sizes, copies split into chunks (large blocks) and
// whole-row tasks (many small blocks), every host ISA, threads 1 and 2; f16 falls back to the
// reference's byte copy.
#include <gtest/gtest.h>

#include "tests/unit/cpu_opt_test_util.h"

namespace strix::testing::cpuopt {
namespace {

int64_t count(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// Concat of inputs whose shapes are `base` with dim `axis` replaced by sizes[i].
void check(std::vector<int64_t> base, int axis, const std::vector<int64_t>& sizes, uint32_t seed,
           DType dt = DType::kF32, const std::string& backend = "cpu") {
  const int rank = static_cast<int>(base.size());
  const int a = axis < 0 ? axis + rank : axis;
  ModelBuilder b;
  std::vector<int> inputs;
  std::vector<HostTensor> values;
  int64_t total = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::vector<int64_t> s = base;
    s[a] = sizes[i];
    total += sizes[i];
    inputs.push_back(b.add_input("x" + std::to_string(i), dt, s));
    std::vector<float> v = random_floats(count(s), seed + static_cast<uint32_t>(i));
    values.push_back(dt == DType::kF32 ? f32(s, v) : f16(s, v));
  }
  std::vector<int64_t> out = base;
  out[a] = total;
  int y = b.add_tensor("y", dt, out);
  auto opts = fb::CreateConcatOptions(b.fbb(), axis);
  b.add_node("concat", fb::OpType::Concat, inputs, {y}, fb::OpOptions::ConcatOptions, opts.Union());
  b.mark_output(y);
  if (dt == DType::kF32) {
    expect_matches_reference(b.finish(), values, backend);
    return;
  }
  // f16: the backend choice only (expect_matches_reference reads f32 outputs).
  std::vector<uint8_t> file = b.finish();
  ScopedIsa scoped(host_isas().empty() ? "scalar" : host_isas()[0]);
  Result<Model> model = Model::from_buffer(file.data(), file.size());
  ASSERT_TRUE(model.ok());
  Result<std::shared_ptr<Engine>> engine = Engine::create(model.value(), EngineOptions());
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  EXPECT_EQ(engine.value()->report().nodes[0].backend, backend);
}

TEST(CpuOptConcat, Axes) {
  check({3, 5, 7, 9}, 1, {13, 1, 7}, 1);  // SqueezeNet's fire concat, small
  check({3, 5, 7, 9}, 0, {2, 1}, 10);
  check({3, 5, 7, 9}, 2, {3, 4, 1, 2}, 20);
  check({3, 5, 7, 9}, 3, {5, 4}, 30);
  check({3, 5, 7, 9}, -1, {1, 2, 3}, 40);
  check({3, 5, 7, 9}, -3, {6, 1}, 50);
  check({7, 11}, 1, {3, 5}, 60);
  check({17}, 0, {3, 5, 1}, 70);
  check({2, 3, 5}, 1, {3}, 80);  // one input
}

TEST(CpuOptConcat, ChunkedAndRowTasks) {
  check({3, 1, 61, 67}, 1, {37, 29}, 100);  // blocks > 128 KiB: several chunks each
  check({1, 1, 213, 301}, 1, {3, 1}, 110);  // batch 1, unequal blocks
  check({3000, 3, 2}, 2, {1, 3}, 120);      // 6000 rows of tiny blocks: whole-row tasks
}

TEST(CpuOptConcat, F16FallsBackToReference) {
  check({3, 5, 7, 9}, 1, {13, 1, 7}, 200, DType::kF16, "cpu-ref");
}

}  // namespace
}  // namespace strix::testing::cpuopt
