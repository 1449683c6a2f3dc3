// tests/cuda/cuda_test_util.h — one-node models run on the CPU reference backend and on
// the CUDA backend with the same fresh random inputs.
#pragma once

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "converter/writer/model_builder.h"
#include "strix/context.h"
#include "strix/engine.h"
#include "strix/model.h"
#include "tests/support/model_runner.h"

namespace strix::testing {

inline bool have_gpu() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

#define STRIX_REQUIRE_GPU()                                                                 \
  do {                                                                                      \
    if (!::strix::testing::have_gpu())                                                      \
      GTEST_SKIP() << "no CUDA GPU on this machine: the CUDA backend tests need one (they " \
                      "run on the GPU test machine, see scripts/gpu_check.sh)";             \
  } while (0)

// A fresh seed per call (printed by the caller on failure).
inline uint32_t fresh_seed() { return std::random_device{}(); }

// A graph input with random values (float; f16 inputs round).
struct RandomInput {
  std::vector<int64_t> shape;
  float lo = -1.f, hi = 1.f;
};

// Runs `file` on "cpu" and on "cuda" with the same inputs; returns the relative L2 error of
// every output (CUDA vs CPU) and checks that the CUDA outputs are finite.
struct Comparison {
  std::vector<double> rel_l2;
  int num_fallbacks = 0;
  std::vector<std::string> cuda_kernels;  // per report node
};

inline HostTensor random_tensor(DType dtype, const RandomInput& in, uint32_t seed) {
  size_t n = 1;
  for (int64_t d : in.shape) n *= static_cast<size_t>(d);
  std::vector<float> v = random_floats(n, seed, in.lo, in.hi);
  return dtype == DType::kF16 ? f16(in.shape, v) : f32(in.shape, v);
}

inline std::vector<float> as_floats(const HostTensor& t) {
  if (t.dtype == DType::kF32) return t.f32();
  std::vector<float> out(t.size());
  const uint16_t* h = t.data<uint16_t>();
  for (int64_t i = 0; i < t.size(); ++i) out[i] = half_to_float(h[i]);
  return out;
}

inline Comparison compare_cpu_cuda(const std::vector<uint8_t>& file,
                                   const std::vector<HostTensor>& inputs,
                                   EngineOptions cuda_options = {}) {
  Comparison c;
  EngineOptions cpu;
  auto ref = run_model(file, inputs, cpu);
  EXPECT_TRUE(ref.ok()) << ref.status().to_string();
  cuda_options.device = "cuda";
  auto got = run_model(file, inputs, cuda_options);
  EXPECT_TRUE(got.ok()) << got.status().to_string();
  if (!ref.ok() || !got.ok()) return c;
  for (size_t i = 0; i < ref.value().size(); ++i) {
    std::vector<float> r = as_floats(ref.value()[i]), g = as_floats(got.value()[i]);
    bool finite = true;
    for (float v : g) finite = finite && std::isfinite(v);
    EXPECT_TRUE(finite) << "output " << i << " has non-finite values (unwritten?)";
    c.rel_l2.push_back(relative_l2(g, r));
  }
  Result<Model> model = Model::from_buffer(file.data(), file.size());
  if (model.ok()) {
    cuda_options.device = "cuda";
    auto engine = Engine::create(model.value(), cuda_options);
    if (engine.ok()) {
      c.num_fallbacks = engine.value()->report().num_fallbacks;
      for (const NodeReport& n : engine.value()->report().nodes) c.cuda_kernels.push_back(n.kernel);
    }
  }
  return c;
}

}  // namespace strix::testing
