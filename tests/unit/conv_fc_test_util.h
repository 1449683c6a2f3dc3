// tests/unit/conv_fc_test_util.h — helpers shared by the Conv2D, ConvTranspose2D,
// FullyConnected, MatMul and INT8 tests: model-building shorthands, f16 conversion and a
// test-side activation written independently of kernels/cpu/ref/activation.h.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "converter/writer/model_builder.h"
#include "strix/tensor.h"
#include "strix_generated.h"
#include "tests/support/model_runner.h"

namespace strix::testing::convfc {

using writer::ModelBuilder;

// An fb::Activation table; build it before the options table that holds it.
inline flatbuffers::Offset<fb::Activation> activation(ModelBuilder& b, fb::ActivationKind kind,
                                                      float alpha = 0, float beta = 0) {
  return fb::CreateActivation(b.fbb(), kind, alpha, beta);
}

// An int vector for an options table; an empty vector gives an absent field.
inline flatbuffers::Offset<flatbuffers::Vector<int32_t>> ints(ModelBuilder& b,
                                                              const std::vector<int32_t>& v) {
  if (v.empty()) return 0;
  return b.fbb().CreateVector(v);
}

// A constant of dtype f32 or f16 (values rounded to f16).
inline int add_float_constant(ModelBuilder& b, const std::string& name, DType dtype,
                              const std::vector<int64_t>& shape, const std::vector<float>& v) {
  if (dtype == DType::kF32) return b.add_constant_f32(name, shape, v);
  std::vector<uint16_t> h(v.size());
  for (size_t i = 0; i < v.size(); ++i) h[i] = float_to_half(v[i]);
  return b.add_constant(name, DType::kF16, shape, h.data(), h.size() * sizeof(uint16_t));
}

inline int add_i8_constant(ModelBuilder& b, const std::string& name,
                           const std::vector<int64_t>& shape, const std::vector<int8_t>& v) {
  return b.add_constant(name, DType::kI8, shape, v.data(), v.size());
}

// A host tensor of dtype f32 or f16.
inline HostTensor float_tensor(DType dtype, const std::vector<int64_t>& shape,
                               const std::vector<float>& v) {
  return dtype == DType::kF32 ? f32(shape, v) : f16(shape, v);
}

// The values of an f32 or f16 tensor as floats.
inline std::vector<float> as_floats(const HostTensor& t) {
  if (t.dtype == DType::kF32) return t.f32();
  std::vector<uint16_t> h = t.values<uint16_t>();
  std::vector<float> v(h.size());
  for (size_t i = 0; i < h.size(); ++i) v[i] = half_to_float(h[i]);
  return v;
}

inline Quantization per_tensor(float scale, int64_t zero_point) {
  Quantization q;
  q.scales = {scale};
  q.zero_points = {zero_point};
  return q;
}

inline Quantization per_channel(const std::vector<float>& scales, int axis) {
  Quantization q;
  q.scales = scales;
  q.zero_points.assign(scales.size(), 0);
  q.axis = axis;
  return q;
}

// The activations the tests fuse, written out from their definitions.
inline double ref_activation(fb::ActivationKind kind, float alpha, float beta, double x) {
  switch (kind) {
    case fb::ActivationKind::None: return x;
    case fb::ActivationKind::Relu: return std::max(x, 0.0);
    case fb::ActivationKind::Clip: return std::min(std::max(x, double(alpha)), double(beta));
    case fb::ActivationKind::LeakyRelu: return x < 0 ? alpha * x : x;
    case fb::ActivationKind::Sigmoid: return 1.0 / (1.0 + std::exp(-x));
    case fb::ActivationKind::Tanh: return std::tanh(x);
    default: ADD_FAILURE() << "ref_activation: add this kind"; return x;
  }
}

// The Status that run_model gives for `file`, which the test expects to fail at build.
inline Status build_status(const std::vector<uint8_t>& file,
                           const std::vector<HostTensor>& inputs) {
  Result<std::vector<HostTensor>> r = run_model(file, inputs);
  return r.ok() ? Status() : r.status();
}

}  // namespace strix::testing::convfc
