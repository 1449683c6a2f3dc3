#include "tests/support/model_runner.h"

#include <cmath>

namespace strix::testing {
namespace {

template <typename T>
HostTensor make(DType dtype, const std::vector<int64_t>& shape, const std::vector<T>& values) {
  HostTensor t;
  t.dtype = dtype;
  t.shape = Shape(shape);
  t.bytes.resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
  return t;
}

}  // namespace

HostTensor f32(const std::vector<int64_t>& shape, const std::vector<float>& values) {
  return make(DType::kF32, shape, values);
}
HostTensor i8(const std::vector<int64_t>& shape, const std::vector<int8_t>& values) {
  return make(DType::kI8, shape, values);
}
HostTensor u8(const std::vector<int64_t>& shape, const std::vector<uint8_t>& values) {
  return make(DType::kU8, shape, values);
}
HostTensor i32(const std::vector<int64_t>& shape, const std::vector<int32_t>& values) {
  return make(DType::kI32, shape, values);
}
HostTensor f16(const std::vector<int64_t>& shape, const std::vector<float>& values) {
  std::vector<uint16_t> h(values.size());
  for (size_t i = 0; i < values.size(); ++i) h[i] = float_to_half(values[i]);
  return make(DType::kF16, shape, h);
}

std::vector<float> random_floats(size_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<int8_t> random_i8(size_t n, uint32_t seed, int lo, int hi) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<int8_t> v(n);
  for (int8_t& x : v) x = static_cast<int8_t>(dist(rng));
  return v;
}

Result<std::vector<HostTensor>> run_model(const std::vector<uint8_t>& file,
                                          const std::vector<HostTensor>& inputs,
                                          const EngineOptions& options) {
  Result<Model> model = Model::from_buffer(file.data(), file.size());
  if (!model.ok()) return model.status();
  Result<std::shared_ptr<Engine>> engine = Engine::create(model.value(), options);
  if (!engine.ok()) return engine.status();
  Result<Context> context = engine.value()->create_context();
  if (!context.ok()) return context.status();
  Context& ctx = context.value();
  const Engine& e = *engine.value();
  if (static_cast<int>(inputs.size()) != e.num_inputs())
    return make_status(StatusCode::kInvalidArgument, "model has %d inputs, test gave %zu",
                       e.num_inputs(), inputs.size());
  for (int i = 0; i < e.num_inputs(); ++i) {
    if (inputs[i].dtype != e.input(i).dtype)
      return make_status(StatusCode::kInvalidArgument, "input %d: test gave %s, model wants %s", i,
                         dtype_name(inputs[i].dtype), dtype_name(e.input(i).dtype));
    STRIX_RETURN_IF_ERROR(ctx.set_input(i, inputs[i].bytes.data(), inputs[i].bytes.size()));
  }
  for (int i = 0; i < e.num_outputs(); ++i) {
    TensorView out = ctx.output(i);
    std::memset(out.data, 0xA5, out.byte_size());
  }
  ctx.run();
  std::vector<HostTensor> outputs;
  for (int i = 0; i < e.num_outputs(); ++i) {
    TensorView out = ctx.output(i);
    HostTensor t;
    t.dtype = out.dtype;
    t.shape = out.shape;
    t.bytes.assign(static_cast<const uint8_t*>(out.data),
                   static_cast<const uint8_t*>(out.data) + out.byte_size());
    outputs.push_back(std::move(t));
  }
  return outputs;
}

double relative_l2(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  size_t n = a.size() < b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) {
    double d = static_cast<double>(a[i]) - b[i];
    num += d * d;
    den += static_cast<double>(b[i]) * b[i];
  }
  if (a.size() != b.size()) return INFINITY;
  return std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
}

}  // namespace strix::testing
