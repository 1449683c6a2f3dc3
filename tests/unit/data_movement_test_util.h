// tests/unit/data_movement_test_util.h — helpers shared by the data movement tests
// (shape ops, Concat/Split, Slice/Gather, Transpose/Pad, Resize, Cast/Quantize, Custom):
// random tensors of any dtype, index unravel/ravel, status checks, and direct calls of a
// factory with a standalone fb::Node (to run eval with distinct pointers).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "converter/writer/model_builder.h"
#include "kernels/kernel.h"
#include "strix/tensor.h"
#include "strix_generated.h"
#include "tests/support/model_runner.h"

namespace strix::testing::dm {

using writer::ModelBuilder;

inline int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Multi-index of flat element e in a row-major tensor of `shape`.
inline std::vector<int64_t> unravel(int64_t e, const std::vector<int64_t>& shape) {
  std::vector<int64_t> idx(shape.size());
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    idx[d] = e % shape[d];
    e /= shape[d];
  }
  return idx;
}

inline int64_t ravel(const std::vector<int64_t>& idx, const std::vector<int64_t>& shape) {
  int64_t e = 0;
  for (size_t d = 0; d < shape.size(); ++d) e = e * shape[d] + idx[d];
  return e;
}

// A random tensor of any dtype: floats in [-1, 1) (f16 rounded), i8/u8 over their range,
// i32 in [-100000, 100000].
inline HostTensor random_tensor(DType dtype, const std::vector<int64_t>& shape, uint32_t seed) {
  size_t n = static_cast<size_t>(numel(shape));
  switch (dtype) {
    case DType::kF32: return f32(shape, random_floats(n, seed));
    case DType::kF16: return f16(shape, random_floats(n, seed));
    case DType::kI8: return i8(shape, random_i8(n, seed));
    case DType::kU8: {
      std::vector<int8_t> v = random_i8(n, seed);
      std::vector<uint8_t> u(v.begin(), v.end());
      return u8(shape, u);
    }
    case DType::kI32: {
      std::mt19937 rng(seed);
      std::uniform_int_distribution<int32_t> dist(-100000, 100000);
      std::vector<int32_t> v(n);
      for (int32_t& x : v) x = dist(rng);
      return i32(shape, v);
    }
  }
  return HostTensor();
}

// A HostTensor of `shape` and `dtype` with zeroed bytes, to fill element by element.
inline HostTensor empty_tensor(DType dtype, const std::vector<int64_t>& shape) {
  HostTensor t;
  t.dtype = dtype;
  t.shape = Shape(shape);
  t.bytes.assign(static_cast<size_t>(numel(shape)) * dtype_size(dtype), 0);
  return t;
}

// Copies element `from` of `src` into element `to` of `dst` (same dtype).
inline void copy_element(const HostTensor& src, int64_t from, HostTensor* dst, int64_t to) {
  size_t es = dtype_size(src.dtype);
  std::memcpy(dst->bytes.data() + to * es, src.bytes.data() + from * es, es);
}

// Adds a graph input holding `t`'s dtype and shape.
inline int add_input_like(ModelBuilder& b, const std::string& name, const HostTensor& t) {
  return b.add_input(name, t.dtype, t.shape.to_vector());
}

// Adds a constant holding `t`.
inline int add_constant_like(ModelBuilder& b, const std::string& name, const HostTensor& t) {
  return b.add_constant(name, t.dtype, t.shape.to_vector(), t.bytes.data(), t.bytes.size());
}

inline flatbuffers::Offset<flatbuffers::Vector<int64_t>> longs(ModelBuilder& b,
                                                               const std::vector<int64_t>& v) {
  return b.fbb().CreateVector(v);
}
inline flatbuffers::Offset<flatbuffers::Vector<int32_t>> ints(ModelBuilder& b,
                                                              const std::vector<int32_t>& v) {
  return b.fbb().CreateVector(v);
}

// Checks that `r` failed with `code` and a message containing `text`.
template <typename T>
void expect_error(const Result<T>& r, StatusCode code, const std::string& text) {
  ASSERT_FALSE(r.ok()) << "expected an error containing '" << text << "'";
  EXPECT_EQ(r.status().code(), code) << r.status().to_string();
  EXPECT_NE(r.status().message().find(text), std::string::npos) << r.status().to_string();
}

struct OutSpec {
  DType dtype;
  std::vector<int64_t> shape;  // as stored in the file
  Quantization quant;          // empty: none
};

// Builds and runs a one-node model: inputs[i] is a graph input, or a constant where
// constant[i] is true; make_options(b) builds the options table. Returns the outputs.
template <typename MakeOptions>
Result<std::vector<HostTensor>> run_node(fb::OpType op, fb::OpOptions type,
                                         MakeOptions make_options,
                                         const std::vector<HostTensor>& inputs,
                                         const std::vector<OutSpec>& outputs,
                                         const std::vector<bool>& constant = {},
                                         const std::vector<Quantization>& in_quant = {},
                                         const EngineOptions& options = {}) {
  ModelBuilder b;
  std::vector<int> in_ids, out_ids;
  std::vector<HostTensor> graph_inputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string name = "x" + std::to_string(i);
    bool is_constant = i < constant.size() && constant[i];
    in_ids.push_back(is_constant ? add_constant_like(b, name, inputs[i])
                                 : add_input_like(b, name, inputs[i]));
    if (!is_constant) graph_inputs.push_back(inputs[i]);
    if (i < in_quant.size() && !in_quant[i].empty()) b.set_quantization(in_ids.back(), in_quant[i]);
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    out_ids.push_back(b.add_tensor("y" + std::to_string(i), outputs[i].dtype, outputs[i].shape));
    if (!outputs[i].quant.empty()) b.set_quantization(out_ids.back(), outputs[i].quant);
  }
  flatbuffers::Offset<void> opts = make_options(b);
  b.add_node("node", op, in_ids, out_ids, type, opts);
  for (int t : out_ids) b.mark_output(t);
  return run_model(b.finish(), graph_inputs, options);
}

inline std::vector<float> floats_of(const HostTensor& t) {
  if (t.dtype == DType::kF32) return t.f32();
  std::vector<uint16_t> h = t.values<uint16_t>();
  std::vector<float> v(h.size());
  for (size_t i = 0; i < h.size(); ++i) v[i] = half_to_float(h[i]);
  return v;
}

// A standalone fb::Node to call a factory directly (no Engine, no planner):
//   DirectNode n;
//   auto opts = fb::CreateReshapeOptions(n.fbb(), ...);
//   n.finish(fb::OpType::Reshape, fb::OpOptions::ReshapeOptions, opts.Union());
//   n.input(...); n.output(...);
//   auto k = kernels::ref::make_reshape(n.args());
class DirectNode {
 public:
  flatbuffers::FlatBufferBuilder& fbb() { return fbb_; }
  void finish(fb::OpType op, fb::OpOptions type, flatbuffers::Offset<void> options) {
    auto name = fbb_.CreateString("direct");
    fb::NodeBuilder nb(fbb_);
    nb.add_name(name);
    nb.add_op(op);
    nb.add_options_type(type);
    nb.add_options(options);
    fbb_.Finish(nb.Finish());
    node_ = flatbuffers::GetRoot<fb::Node>(fbb_.GetBufferPointer());
  }
  void input(DType dtype, const std::vector<int64_t>& shape, const void* constant = nullptr) {
    auto t = std::make_unique<kernels::KTensor>();
    t->name = "in" + std::to_string(tensors_.size());
    t->dtype = dtype;
    t->shape = Shape(shape);
    t->constant = constant;
    inputs_.push_back(t.get());
    tensors_.push_back(std::move(t));
  }
  kernels::KTensor* output(DType dtype, const std::vector<int64_t>& stored_shape) {
    auto t = std::make_unique<kernels::KTensor>();
    t->name = "out" + std::to_string(tensors_.size());
    t->dtype = dtype;
    t->shape = Shape(stored_shape);
    outputs_.push_back(t.get());
    tensors_.push_back(std::move(t));
    return outputs_.back();
  }
  kernels::PrepareArgs args() const {
    kernels::PrepareArgs a;
    a.node = node_;
    a.node_label = "direct node";
    a.inputs.assign(inputs_.begin(), inputs_.end());
    a.outputs = outputs_;
    return a;
  }

 private:
  flatbuffers::FlatBufferBuilder fbb_;
  const fb::Node* node_ = nullptr;
  std::vector<std::unique_ptr<kernels::KTensor>> tensors_;
  std::vector<const kernels::KTensor*> inputs_;
  std::vector<kernels::KTensor*> outputs_;
};

// Runs a prepared kernel once on the given buffers (scratch allocated here).
inline void eval_kernel(const kernels::Kernel& k, const std::vector<const void*>& inputs,
                        const std::vector<void*>& outputs) {
  std::vector<uint8_t> scratch(k.scratch_bytes + 64);
  kernels::EvalArgs a;
  a.inputs = inputs.data();
  a.outputs = outputs.data();
  a.scratch = scratch.data();
  k.eval(a);
}

}  // namespace strix::testing::dm
