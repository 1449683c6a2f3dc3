// The Custom op (kernels/cpu/ref/custom.cc): user kernels registered in a CustomOpRegistry
// run through the Engine with their CustomOptions.data; errors for unregistered names, a
// missing registry, failing or inconsistent user prepare() calls.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "strix/custom_op.h"
#include "tests/unit/data_movement_test_util.h"

namespace strix::testing {
namespace {

using namespace dm;  // NOLINT

// y = x + c, f32, where c is a float in CustomOptions.data (1 when there is no data).
class AddOne : public CustomKernel {
 public:
  Status prepare(const std::vector<TensorInfo>& in, std::vector<TensorInfo>& out,
                 const uint8_t* data, size_t size) override {
    if (in.size() != 1 || out.size() != 1 || in[0].dtype != DType::kF32)
      return Status(StatusCode::kInvalidArgument, "AddOne takes one f32 tensor");
    if (size == sizeof(float)) std::memcpy(&c_, data, sizeof(float));
    out[0].shape = in[0].shape;
    return Status();
  }
  void eval(const TensorView* in, int, TensorView* out, int) const override {
    const float* x = in[0].as<float>();
    float* y = out[0].as<float>();
    for (int64_t i = 0; i < in[0].shape.num_elements(); ++i) y[i] = x[i] + c_;
  }

 private:
  float c_ = 1.f;
};

// Splits the last dim of any dtype into two halves (two outputs), and reports the shapes
// and dtypes it saw.
class Halves : public CustomKernel {
 public:
  Status prepare(const std::vector<TensorInfo>& in, std::vector<TensorInfo>& out, const uint8_t*,
                 size_t) override {
    Shape s = in[0].shape;
    if (s[s.rank() - 1] % 2 != 0) return Status(StatusCode::kShapeMismatch, "odd last dim");
    s[s.rank() - 1] /= 2;
    out[0].shape = s;
    out[1].shape = s;
    return Status();
  }
  void eval(const TensorView* in, int n_in, TensorView* out, int n_out) const override {
    size_t row = out[0].shape[out[0].shape.rank() - 1] * dtype_size(in[0].dtype);
    int64_t rows = out[0].shape.num_elements() / out[0].shape[out[0].shape.rank() - 1];
    const auto* x = static_cast<const uint8_t*>(in[0].data);
    for (int64_t r = 0; r < rows; ++r) {
      std::memcpy(out[0].as<uint8_t>() + r * row, x + 2 * r * row, row);
      std::memcpy(out[1].as<uint8_t>() + r * row, x + (2 * r + 1) * row, row);
    }
  }
};

// Misbehaving kernels for the error paths.
class WrongShape : public CustomKernel {
 public:
  Status prepare(const std::vector<TensorInfo>& in, std::vector<TensorInfo>& out, const uint8_t*,
                 size_t) override {
    out[0].shape = Shape{7};
    return Status();
  }
  void eval(const TensorView*, int, TensorView*, int) const override {}
};
class WrongDtype : public CustomKernel {
 public:
  Status prepare(const std::vector<TensorInfo>& in, std::vector<TensorInfo>& out, const uint8_t*,
                 size_t) override {
    out[0].shape = in[0].shape;
    out[0].dtype = DType::kI32;
    return Status();
  }
  void eval(const TensorView*, int, TensorView*, int) const override {}
};

CustomOpRegistry registry() {
  CustomOpRegistry ops;
  ops.add("AddOne", [] { return std::unique_ptr<CustomKernel>(new AddOne); });
  ops.add("Halves", [] { return std::unique_ptr<CustomKernel>(new Halves); });
  ops.add("WrongShape", [] { return std::unique_ptr<CustomKernel>(new WrongShape); });
  ops.add("WrongDtype", [] { return std::unique_ptr<CustomKernel>(new WrongDtype); });
  return ops;
}

Result<std::vector<HostTensor>> run_custom(const std::string& name,
                                           const std::vector<uint8_t>& data,
                                           const std::vector<HostTensor>& inputs,
                                           const std::vector<OutSpec>& outputs,
                                           const CustomOpRegistry* ops) {
  EngineOptions options;
  options.custom_ops = ops;
  return run_node(
      fb::OpType::Custom, fb::OpOptions::CustomOptions,
      [&](ModelBuilder& b) {
        return fb::CreateCustomOptions(b.fbb(), b.fbb().CreateString(name),
                                       data.empty() ? 0 : b.fbb().CreateVector(data))
            .Union();
      },
      inputs, outputs, {}, {}, options);
}

TEST(CustomOp, AddOneRuns) {
  CustomOpRegistry ops = registry();
  auto out =
      run_custom("AddOne", {}, {f32({2, 2}, {1, 2, 3, -4})}, {{DType::kF32, {2, 2}, {}}}, &ops);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out.value()[0].f32(), (std::vector<float>{2, 3, 4, -3}));
}

TEST(CustomOp, DataReachesPrepare) {
  CustomOpRegistry ops = registry();
  float c = -0.5f;
  std::vector<uint8_t> data(sizeof(float));
  std::memcpy(data.data(), &c, sizeof(float));
  std::vector<float> x = random_floats(13, 130);
  auto out = run_custom("AddOne", data, {f32({13}, x)}, {{DType::kF32, {13}, {}}}, &ops);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  for (int i = 0; i < 13; ++i) EXPECT_EQ(out.value()[0].f32()[i], x[i] - 0.5f) << i;
}

TEST(CustomOp, TwoOutputsAnyDtype) {
  CustomOpRegistry ops = registry();
  for (DType dtype : {DType::kI8, DType::kF16, DType::kI32}) {
    SCOPED_TRACE(dtype_name(dtype));
    HostTensor x = random_tensor(dtype, {3, 10}, 131);
    HostTensor a = empty_tensor(dtype, {3, 5}), b = empty_tensor(dtype, {3, 5});
    for (int64_t r = 0; r < 3; ++r)
      for (int64_t c = 0; c < 5; ++c) {
        copy_element(x, r * 10 + c, &a, r * 5 + c);
        copy_element(x, r * 10 + 5 + c, &b, r * 5 + c);
      }
    auto out = run_custom("Halves", {}, {x}, {{dtype, {3, 5}, {}}, {dtype, {3, 5}, {}}}, &ops);
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    EXPECT_EQ(out.value()[0].bytes, a.bytes);
    EXPECT_EQ(out.value()[1].bytes, b.bytes);
  }
}

TEST(CustomOp, Errors) {
  CustomOpRegistry ops = registry();
  HostTensor x = f32({2}, {1, 2});
  std::vector<OutSpec> one = {{DType::kF32, {2}, {}}};
  expect_error(run_custom("Nope", {}, {x}, one, &ops), StatusCode::kNotFound,
               "custom op 'Nope' is not registered (register it in a CustomOpRegistry passed as "
               "EngineOptions::custom_ops)");
  expect_error(run_custom("AddOne", {}, {x}, one, nullptr), StatusCode::kNotFound,
               "custom op 'AddOne' is not registered");
  // The user's prepare() fails: its code and message come back, named.
  expect_error(run_custom("AddOne", {}, {i32({2}, {1, 2})}, {{DType::kI32, {2}, {}}}, &ops),
               StatusCode::kInvalidArgument, "custom op 'AddOne': AddOne takes one f32 tensor");
  expect_error(run_custom("Halves", {}, {f32({3}, {1, 2, 3})},
                          {{DType::kF32, {1}, {}}, {DType::kF32, {1}, {}}}, &ops),
               StatusCode::kShapeMismatch, "odd last dim");
  expect_error(run_custom("WrongShape", {}, {x}, one, &ops), StatusCode::kShapeMismatch,
               "stored as [2] but the inputs give [7]");
  expect_error(run_custom("WrongDtype", {}, {x}, one, &ops), StatusCode::kInvalidArgument,
               "changed output 0 from f32 to i32");
}

}  // namespace
}  // namespace strix::testing
