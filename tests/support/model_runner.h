// tests/support/model_runner.h — build a model in memory, compile it on the CPU, run it.
//
//   strix::writer::ModelBuilder b;  ... add tensors and one node ...
//   auto out = strix::testing::run_model(b.finish(), {strix::testing::f32({2, 3}, values)});
//   ASSERT_TRUE(out.ok()) << out.status().to_string();
//   EXPECT_NEAR(out.value()[0].f32()[0], 1.5f, 1e-6f);
#pragma once

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "strix/engine.h"
#include "strix/model.h"
#include "strix/status.h"
#include "strix/tensor.h"

namespace strix::testing {

// An owned host tensor.
struct HostTensor {
  DType dtype = DType::kF32;
  Shape shape;
  std::vector<uint8_t> bytes;

  template <typename T>
  const T* data() const {
    return reinterpret_cast<const T*>(bytes.data());
  }
  template <typename T>
  std::vector<T> values() const {
    std::vector<T> v(bytes.size() / sizeof(T));
    if (!v.empty()) std::memcpy(v.data(), bytes.data(), bytes.size());
    return v;
  }
  std::vector<float> f32() const { return values<float>(); }
  int64_t size() const { return shape.num_elements(); }
};

HostTensor f32(const std::vector<int64_t>& shape, const std::vector<float>& values);
HostTensor i8(const std::vector<int64_t>& shape, const std::vector<int8_t>& values);
HostTensor u8(const std::vector<int64_t>& shape, const std::vector<uint8_t>& values);
HostTensor i32(const std::vector<int64_t>& shape, const std::vector<int32_t>& values);
HostTensor f16(const std::vector<int64_t>& shape, const std::vector<float>& values);  // rounds

// Deterministic uniform random values in [lo, hi).
std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f);
std::vector<int8_t> random_i8(size_t n, uint32_t seed, int lo = -128, int hi = 127);

// Loads `file` from memory, builds an Engine with `options`, writes `inputs` (in graph input
// order; their byte sizes must match), runs once and copies every graph output out.
// Output memory is poisoned (0xA5 bytes) before the run, so untouched outputs show.
Result<std::vector<HostTensor>> run_model(const std::vector<uint8_t>& file,
                                          const std::vector<HostTensor>& inputs,
                                          const EngineOptions& options = {});

// Relative L2 error ||a - b|| / max(||b||, tiny) of two float vectors of equal length.
double relative_l2(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace strix::testing
