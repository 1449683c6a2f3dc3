// tests/unit/norm_softmax_reduce_util.h — one-node models for norm_test, softmax_test and
// reduce_test: x -> op(x, params...) -> y, built in memory and run on the CPU reference
// backend, with f32 or f16 storage.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "converter/writer/model_builder.h"
#include "strix_generated.h"
#include "tests/support/model_runner.h"

namespace strix::testing {

// An extra input of the node (input 1, 2, ...). Constants become weights; the others become
// graph inputs fed after x. `omitted` writes -1 (an omitted optional input).
struct NodeParam {
  std::vector<int64_t> shape;
  std::vector<float> values;
  bool constant = true;
  bool omitted = false;
};

using OptionsFn = std::function<std::pair<fb::OpOptions, flatbuffers::Offset<void>>(
    flatbuffers::FlatBufferBuilder&)>;

struct NodeSpec {
  fb::OpType op = fb::OpType::Relu;
  std::vector<int64_t> x_shape;
  std::vector<NodeParam> params;
  OptionsFn options;             // null: no options table
  std::vector<int64_t> y_shape;  // the output shape stored in the file
  DType dtype = DType::kF32;     // storage of x, params and y (kF32 or kF16)
};

inline std::vector<uint16_t> to_half(const std::vector<float>& v) {
  std::vector<uint16_t> h(v.size());
  for (size_t i = 0; i < v.size(); ++i) h[i] = float_to_half(v[i]);
  return h;
}

inline std::vector<uint8_t> build_node_model(const NodeSpec& s) {
  writer::ModelBuilder b;
  std::vector<int> inputs;
  inputs.push_back(b.add_input("x", s.dtype, s.x_shape));
  for (size_t i = 0; i < s.params.size(); ++i) {
    const NodeParam& p = s.params[i];
    const std::string name = "p" + std::to_string(i + 1);
    if (p.omitted) {
      inputs.push_back(-1);
    } else if (!p.constant) {
      inputs.push_back(b.add_input(name, s.dtype, p.shape));
    } else if (s.dtype == DType::kF16) {
      std::vector<uint16_t> h = to_half(p.values);
      inputs.push_back(b.add_constant(name, DType::kF16, p.shape, h.data(), h.size() * 2));
    } else {
      inputs.push_back(b.add_constant_f32(name, p.shape, p.values));
    }
  }
  int y = b.add_tensor("y", s.dtype, s.y_shape);
  if (s.options) {
    auto [type, table] = s.options(b.fbb());
    b.add_node("n", s.op, inputs, {y}, type, table);
  } else {
    b.add_node("n", s.op, inputs, {y});
  }
  b.mark_output(y);
  return b.finish();
}

// Runs the node on x (and the computed params), returns y as floats (f16 widened).
inline Result<std::vector<float>> run_node(const NodeSpec& s, const std::vector<float>& x) {
  std::vector<HostTensor> feeds;
  auto feed = [&](const std::vector<int64_t>& shape, const std::vector<float>& v) {
    feeds.push_back(s.dtype == DType::kF16 ? f16(shape, v) : f32(shape, v));
  };
  feed(s.x_shape, x);
  for (const NodeParam& p : s.params)
    if (!p.constant && !p.omitted) feed(p.shape, p.values);
  Result<std::vector<HostTensor>> out = run_model(build_node_model(s), feeds);
  if (!out.ok()) return out.status();
  const HostTensor& y = out.value()[0];
  if (y.shape != Shape(s.y_shape))
    return make_status(StatusCode::kInternal, "output shape %s, expected %s",
                       y.shape.to_string().c_str(), Shape(s.y_shape).to_string().c_str());
  if (y.dtype == DType::kF32) return y.f32();
  std::vector<float> v(static_cast<size_t>(y.size()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = half_to_float(y.data<uint16_t>()[i]);
  return v;
}

inline int64_t product(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

inline std::vector<float> to_float(const std::vector<double>& v) {
  return std::vector<float>(v.begin(), v.end());
}

// Expects a failed run whose status has `code` and a message containing `text`.
inline void expect_node_error(const NodeSpec& s, const std::vector<float>& x, StatusCode code,
                              const std::string& text) {
  Result<std::vector<float>> r = run_node(s, x);
  ASSERT_FALSE(r.ok()) << "expected an error containing '" << text << "'";
  EXPECT_EQ(r.status().code(), code) << r.status().to_string();
  EXPECT_NE(r.status().message().find(text), std::string::npos) << r.status().to_string();
}

}  // namespace strix::testing
