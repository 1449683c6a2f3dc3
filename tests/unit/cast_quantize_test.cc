// Cast, Quantize and Dequantize (kernels/cpu/ref/cast.cc, quantize.cc): hand-computed
// conversions (truncation, saturation, NaN, rounding), every dtype pair on random data,
// per-tensor and per-axis quantization, f16 storage, and the errors the factories report.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/cpu/ref/registry.h"
#include "tests/unit/data_movement_test_util.h"

namespace strix::testing {
namespace {

using namespace dm;  // NOLINT

Result<std::vector<HostTensor>> run_cast(const HostTensor& x, DType to) {
  return run_node(fb::OpType::Cast, fb::OpOptions::CastOptions,
                  [&](ModelBuilder& b) {
                    return fb::CreateCastOptions(b.fbb(), static_cast<fb::DType>(to)).Union();
                  },
                  {x}, {{to, x.shape.to_vector(), {}}});
}

TEST(Cast, FloatToIntTruncatesAndSaturates) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  HostTensor x = f32({10}, {1.9f, -1.9f, 300.f, -300.f, nan, 0.5f, -0.5f, 127.99f, 3e9f, -inf});
  auto a = run_cast(x, DType::kI8);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a.value()[0].values<int8_t>(),
            (std::vector<int8_t>{1, -1, 127, -128, 0, 0, 0, 127, 127, -128}));
  auto b = run_cast(x, DType::kU8);
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(b.value()[0].values<uint8_t>(),
            (std::vector<uint8_t>{1, 0, 255, 0, 0, 0, 0, 127, 255, 0}));
  auto c = run_cast(x, DType::kI32);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c.value()[0].values<int32_t>(),
            (std::vector<int32_t>{1, -1, 300, -300, 0, 0, 0, 127, 2147483647,
                                  std::numeric_limits<int32_t>::min()}));
}

TEST(Cast, IntegerConversions) {
  // i32 -> f32 rounds to nearest even above 2^24; i32 -> i8 / u8 saturate.
  HostTensor x = i32({5}, {16777217, -5, 300, -1000, 200});
  auto f = run_cast(x, DType::kF32);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(f.value()[0].f32(), (std::vector<float>{16777216.f, -5, 300, -1000, 200}));
  auto s = run_cast(x, DType::kI8);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s.value()[0].values<int8_t>(), (std::vector<int8_t>{127, -5, 127, -128, 127}));
  auto u = run_cast(x, DType::kU8);
  ASSERT_TRUE(u.ok()) << u.status().to_string();
  EXPECT_EQ(u.value()[0].values<uint8_t>(), (std::vector<uint8_t>{255, 0, 255, 0, 200}));
  auto back = run_cast(u8({3}, {0, 200, 255}), DType::kI8);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back.value()[0].values<int8_t>(), (std::vector<int8_t>{0, 127, 127}));
}

TEST(Cast, HalfConversions) {
  // f32 -> f16: 1/3 rounds to 0x3555, 70000 overflows to +inf; f16 -> i32 truncates.
  auto h = run_cast(f32({3}, {1.f / 3.f, 70000.f, -2.f}), DType::kF16);
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(h.value()[0].values<uint16_t>(), (std::vector<uint16_t>{0x3555, 0x7c00, 0xc000}));
  auto i = run_cast(f16({3}, {2.5f, -65504.f, -0.75f}), DType::kI32);
  ASSERT_TRUE(i.ok()) << i.status().to_string();
  EXPECT_EQ(i.value()[0].values<int32_t>(), (std::vector<int32_t>{2, -65504, 0}));
}

// The value of element i of t, exactly, as a double.
double value_at(const HostTensor& t, int64_t i) {
  switch (t.dtype) {
    case DType::kF32: return t.data<float>()[i];
    case DType::kF16: return half_to_float(t.data<uint16_t>()[i]);
    case DType::kI8: return t.data<int8_t>()[i];
    case DType::kU8: return t.data<uint8_t>()[i];
    case DType::kI32: return t.data<int32_t>()[i];
  }
  return 0;
}

TEST(Cast, RandomEveryDtypePair) {
  const DType all[] = {DType::kF32, DType::kF16, DType::kI8, DType::kU8, DType::kI32};
  uint32_t seed = 110;
  for (DType from : all) {
    HostTensor x = random_tensor(from, {3, 13}, seed++);
    if (from == DType::kF32 || from == DType::kF16) {  // spread floats over the int ranges
      std::vector<float> v = floats_of(x);
      for (float& f : v) f *= 300.f;
      x = from == DType::kF32 ? f32({3, 13}, v) : f16({3, 13}, v);
    }
    for (DType to : all) {
      SCOPED_TRACE(std::string(dtype_name(from)) + " -> " + dtype_name(to));
      auto out = run_cast(x, to);
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      const HostTensor& y = out.value()[0];
      for (int64_t i = 0; i < x.size(); ++i) {
        double v = value_at(x, i);
        double expected = 0;
        if (to == DType::kF32)
          expected = static_cast<float>(v);
        else if (to == DType::kF16)
          expected = half_to_float(float_to_half(static_cast<float>(v)));
        else {
          double lo = to == DType::kI8 ? -128 : (to == DType::kU8 ? 0 : -2147483648.0);
          double hi = to == DType::kI8 ? 127 : (to == DType::kU8 ? 255 : 2147483647.0);
          expected = std::min(hi, std::max(lo, std::trunc(v)));
        }
        ASSERT_EQ(value_at(y, i), expected) << "element " << i << " from " << v;
      }
    }
  }
}

TEST(Cast, OutputDtypeMustMatch) {
  auto r = run_node(
      fb::OpType::Cast, fb::OpOptions::CastOptions,
      [](ModelBuilder& b) { return fb::CreateCastOptions(b.fbb(), fb::DType::I8).Union(); },
      {f32({2}, {1, 2})}, {{DType::kI32, {2}, {}}});
  expect_error(r, StatusCode::kShapeMismatch, "casts to i8 but output 'y0' is i32");
}

Quantization quant(const std::vector<float>& scales, const std::vector<int64_t>& zps,
                   int axis = 0) {
  Quantization q;
  q.scales = scales;
  q.zero_points = zps;
  q.axis = axis;
  return q;
}

Result<std::vector<HostTensor>> run_quantize(const HostTensor& x, DType to, const Quantization& q) {
  return run_node(fb::OpType::Quantize, fb::OpOptions::NONE,
                  [](ModelBuilder&) { return flatbuffers::Offset<void>(); }, {x},
                  {{to, x.shape.to_vector(), q}});
}

Result<std::vector<HostTensor>> run_dequantize(const HostTensor& x, const Quantization& q,
                                               DType to = DType::kF32) {
  return run_node(fb::OpType::Dequantize, fb::OpOptions::NONE,
                  [](ModelBuilder&) { return flatbuffers::Offset<void>(); }, {x},
                  {{to, x.shape.to_vector(), {}}}, {}, {q});
}

TEST(Quantize, HandComputed) {
  // q = round_half_even(x / 0.5) + zp: 1.25 -> 2.5 -> 2, 1.75 -> 3.5 -> 4.
  HostTensor x = f32({7}, {0, 0.5f, -0.5f, 1.25f, 1.75f, 100, -100});
  auto s = run_quantize(x, DType::kI8, quant({0.5f}, {3}));
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s.value()[0].values<int8_t>(), (std::vector<int8_t>{3, 4, 2, 5, 7, 127, -128}));
  auto u = run_quantize(x, DType::kU8, quant({0.5f}, {128}));
  ASSERT_TRUE(u.ok()) << u.status().to_string();
  EXPECT_EQ(u.value()[0].values<uint8_t>(),
            (std::vector<uint8_t>{128, 129, 127, 130, 132, 255, 0}));
  // Per axis 1 of [2, 3]: scales {1, 0.5, 0.25}, zero points {0, 1, -1}.
  auto p = run_quantize(f32({2, 3}, {1, 1, 1, -2, -2, -2}), DType::kI8,
                        quant({1, 0.5f, 0.25f}, {0, 1, -1}, 1));
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p.value()[0].values<int8_t>(), (std::vector<int8_t>{1, 3, 3, -2, -3, -9}));
}

TEST(Dequantize, HandComputed) {
  auto s = run_dequantize(i8({4}, {-128, 0, 5, 127}), quant({0.5f}, {3}));
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s.value()[0].f32(), (std::vector<float>{-65.5f, -1.5f, 1, 62}));
  auto u = run_dequantize(u8({2}, {0, 255}), quant({2}, {128}));
  ASSERT_TRUE(u.ok()) << u.status().to_string();
  EXPECT_EQ(u.value()[0].f32(), (std::vector<float>{-256, 254}));
  auto w = run_dequantize(i32({2}, {1000, -1000}), quant({0.25f}, {}));
  ASSERT_TRUE(w.ok()) << w.status().to_string();
  EXPECT_EQ(w.value()[0].f32(), (std::vector<float>{250, -250}));
  // Per axis 0 of [2, 2]: scales {1, 2}, zero points {0, 1}.
  auto p = run_dequantize(i8({2, 2}, {3, 4, 3, 4}), quant({1, 2}, {0, 1}, 0));
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ(p.value()[0].f32(), (std::vector<float>{3, 4, 4, 6}));
  auto h = run_dequantize(i8({2}, {7, -7}), quant({0.5f}, {1}), DType::kF16);
  ASSERT_TRUE(h.ok()) << h.status().to_string();
  EXPECT_EQ(floats_of(h.value()[0]), (std::vector<float>{3, -4}));
}

// Random round trip, per axis 1 of [3, 5, 7]: |dequantize(quantize(x)) - x| <= scale / 2
// wherever x is inside the representable range.
TEST(Quantize, RandomRoundTripPerAxis) {
  std::vector<int64_t> shape = {3, 5, 7};
  std::vector<float> v = random_floats(105, 120, -3.f, 3.f);
  Quantization q = quant({0.01f, 0.02f, 0.03f, 0.015f, 0.05f}, {-3, 0, 7, 1, -100}, 1);
  for (DType dtype : {DType::kF32, DType::kF16}) {
    SCOPED_TRACE(dtype_name(dtype));
    HostTensor x = dtype == DType::kF32 ? f32(shape, v) : f16(shape, v);
    auto qx = run_quantize(x, DType::kI8, q);
    ASSERT_TRUE(qx.ok()) << qx.status().to_string();
    auto dx = run_dequantize(qx.value()[0], q);
    ASSERT_TRUE(dx.ok()) << dx.status().to_string();
    std::vector<float> xs = floats_of(x), ys = dx.value()[0].f32();
    std::vector<int8_t> qs = qx.value()[0].values<int8_t>();
    for (int64_t i = 0; i < 105; ++i) {
      int c = static_cast<int>((i / 7) % 5);
      float scale = q.scales[c];
      double exact = std::nearbyint(xs[i] / scale) + q.zero_points[c];
      if (exact < -128 || exact > 127) {
        EXPECT_EQ(qs[i], exact < 0 ? -128 : 127) << i;
        continue;
      }
      EXPECT_EQ(qs[i], exact) << i;
      EXPECT_LE(std::fabs(ys[i] - xs[i]), scale * 0.5f + 1e-6f) << i;
    }
  }
}

TEST(QuantizeDequantize, Errors) {
  HostTensor x = f32({2}, {1, 2});
  expect_error(run_quantize(x, DType::kI8, {}), StatusCode::kCorruptModel,
               "tensor 'y0' has no quantization");
  expect_error(run_dequantize(i8({2}, {1, 2}), {}), StatusCode::kCorruptModel,
               "tensor 'x0' has no quantization");
  expect_error(run_quantize(x, DType::kI32, quant({1}, {0})), StatusCode::kUnsupported,
               "expected i8 or u8");
  expect_error(run_quantize(x, DType::kI8, quant({1}, {300})), StatusCode::kCorruptModel,
               "zero point 300, outside the i8 range");
  expect_error(run_dequantize(u8({2}, {1, 2}), quant({1}, {-1})), StatusCode::kCorruptModel,
               "zero point -1, outside the u8 range");
}

// Quantization the loader already rejects, handed straight to the factories.
TEST(QuantizeDequantize, FactoryChecksQuantizationItself) {
  Quantization zero_scale = quant({0}, {0});
  Quantization wrong_count = quant({1, 1, 1}, {0, 0, 0}, 0);
  for (const Quantization* q : {&zero_scale, &wrong_count}) {
    DirectNode n;
    n.finish(fb::OpType::Quantize, fb::OpOptions::NONE, 0);
    n.input(DType::kF32, {2});
    kernels::KTensor* out = n.output(DType::kI8, {2});
    out->quant = q;
    auto k = kernels::ref::ref_op(fb::OpType::Quantize).factory(n.args());
    expect_error(k, StatusCode::kCorruptModel,
                 q == &zero_scale ? "has scale 0" : "3 scales for axis 0 of size 2");
  }
}

}  // namespace
}  // namespace strix::testing
