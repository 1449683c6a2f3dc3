// INT8 MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool and Add: hand-computed
// rounding, agreement within 1 LSB with float math on dequantized values, and the
// quantization errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "converter/writer/model_builder.h"
#include "tests/support/model_runner.h"

namespace strix {
namespace {

using testing::f32;
using testing::i8;
using testing::random_i8;
using testing::run_model;
using writer::ModelBuilder;

struct QP {
  float scale;
  int zp;
};

Quantization quant(QP q) {
  Quantization r;
  r.scales = {q.scale};
  r.zero_points = {q.zp};
  return r;
}

std::vector<float> dequantize(const std::vector<int8_t>& q, QP p) {
  std::vector<float> r;
  for (int8_t v : q) r.push_back(p.scale * (static_cast<int>(v) - p.zp));
  return r;
}

int quantize(float real, QP p) {
  double q = std::nearbyint(static_cast<double>(real) / p.scale) + p.zp;
  return static_cast<int>(std::clamp(q, -128.0, 127.0));
}

// Every |y - quantize(want)| <= 1.
void expect_within_1_lsb(const std::vector<int8_t>& y, const std::vector<float>& want, QP p,
                         const std::string& what) {
  ASSERT_EQ(y.size(), want.size()) << what;
  int worst = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    int d = std::abs(static_cast<int>(y[i]) - quantize(want[i], p));
    worst = std::max(worst, d);
    ASSERT_LE(d, 1) << what << " at " << i << ": got " << int(y[i]) << " want " << want[i];
  }
}

struct PoolOpts {
  std::vector<int> kernel, strides, pads;
  bool ceil_mode = false;
  bool count_include_pad = false;
};

// One pool node; Pool2DOptions only for MaxPool / AveragePool.
std::vector<uint8_t> pool_model(fb::OpType op, DType dtype, const std::vector<int64_t>& in,
                                const std::vector<int64_t>& out, const PoolOpts& o, QP qx, QP qy) {
  ModelBuilder b;
  int x = b.add_input("x", dtype, in);
  int y = b.add_tensor("y", dtype, out);
  if (dtype == DType::kI8) {
    b.set_quantization(x, quant(qx));
    b.set_quantization(y, quant(qy));
  }
  auto& fbb = b.fbb();
  if (op == fb::OpType::MaxPool || op == fb::OpType::AveragePool) {
    auto vec = [&fbb](const std::vector<int>& v) {
      return v.empty() ? flatbuffers::Offset<flatbuffers::Vector<int32_t>>() : fbb.CreateVector(v);
    };
    auto opts =
        fb::CreatePool2DOptions(fbb, vec(o.kernel), vec(o.strides), 0, vec(o.pads),
                                fb::PaddingMode::Explicit, o.ceil_mode, o.count_include_pad);
    b.add_node("pool", op, {x}, {y}, fb::OpOptions::Pool2DOptions, opts.Union());
  } else {
    b.add_node("pool", op, {x}, {y});
  }
  b.mark_output(y);
  return b.finish();
}

// Runs the node on int8 x and, as the reference, the f32 node on dequantized x.
void check_pool(fb::OpType op, const std::vector<int64_t>& in, const std::vector<int64_t>& out,
                const PoolOpts& o, QP qx, QP qy, uint32_t seed) {
  std::vector<int8_t> x = random_i8(static_cast<size_t>(Shape(in).num_elements()), seed);
  auto r = run_model(pool_model(op, DType::kI8, in, out, o, qx, qy), {i8(in, x)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto ref =
      run_model(pool_model(op, DType::kF32, in, out, o, qx, qy), {f32(in, dequantize(x, qx))});
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  expect_within_1_lsb(r.value()[0].values<int8_t>(), ref.value()[0].f32(), qy,
                      std::string(fb::EnumNameOpType(op)) + " " + Shape(in).to_string());
}

TEST(Int8Pool, AverageRoundsHalfAwayFromZero) {
  // [1,1,2,4], kernel 2x2 stride 2: windows {1,2,3,4} (sum 10) and {-1,-2,-3,-4} (sum -10).
  // Same scale, zero points 0: 10/4 = 2.5 -> 3, -2.5 -> -3.
  std::vector<int8_t> x = {1, 2, -1, -2, 3, 4, -3, -4};
  PoolOpts o{{2, 2}, {2, 2}};
  auto r = run_model(pool_model(fb::OpType::AveragePool, DType::kI8, {1, 1, 2, 4}, {1, 1, 1, 2}, o,
                                {0.1f, 0}, {0.1f, 0}),
                     {i8({1, 1, 2, 4}, x)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[0].values<int8_t>(), (std::vector<int8_t>{3, -3}));
  // Input zero point 2 (so the same reals are x + 2), output zero point -1: -1 + 3, -1 - 3.
  std::vector<int8_t> x2;
  for (int8_t v : x) x2.push_back(static_cast<int8_t>(v + 2));
  r = run_model(pool_model(fb::OpType::AveragePool, DType::kI8, {1, 1, 2, 4}, {1, 1, 1, 2}, o,
                           {0.1f, 2}, {0.1f, -1}),
                {i8({1, 1, 2, 4}, x2)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[0].values<int8_t>(), (std::vector<int8_t>{2, -4}));
  // Scales 0.5 -> 0.25 (requantize path, multiplier 0.5 / (0.25 * 4) = 0.5): 10 * 0.5 = 5.
  r = run_model(pool_model(fb::OpType::AveragePool, DType::kI8, {1, 1, 2, 4}, {1, 1, 1, 2}, o,
                           {0.5f, 0}, {0.25f, 0}),
                {i8({1, 1, 2, 4}, x)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[0].values<int8_t>(), (std::vector<int8_t>{5, -5}));
}

TEST(Int8Pool, MaxPoolMatchesFloatExactly) {
  std::vector<int64_t> in = {2, 3, 13, 17};
  PoolOpts o{{3, 3}, {2, 2}, {1, 1, 1, 1}, true};
  QP q{0.05f, -7};
  std::vector<int8_t> x = random_i8(static_cast<size_t>(Shape(in).num_elements()), 11);
  auto r = run_model(pool_model(fb::OpType::MaxPool, DType::kI8, in, {2, 3, 7, 9}, o, q, q),
                     {i8(in, x)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto ref = run_model(pool_model(fb::OpType::MaxPool, DType::kF32, in, {2, 3, 7, 9}, o, q, q),
                       {f32(in, dequantize(x, q))});
  ASSERT_TRUE(ref.ok());
  std::vector<int8_t> y = r.value()[0].values<int8_t>();
  std::vector<float> want = ref.value()[0].f32();
  for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], quantize(want[i], q)) << i;
  check_pool(fb::OpType::GlobalMaxPool, {2, 5, 31, 29}, {2, 5, 1, 1}, {}, q, q, 12);
}

TEST(Int8Pool, AveragePoolWithin1Lsb) {
  PoolOpts cip{{3, 3}, {2, 2}, {1, 0, 2, 1}, true, true};
  PoolOpts no_cip{{3, 2}, {2, 1}, {1, 1, 1, 1}, true, false};
  std::vector<int64_t> in = {2, 3, 13, 17};
  uint32_t seed = 20;
  for (const PoolOpts* o : {&cip, &no_cip}) {
    std::vector<int64_t> out =
        o == &cip ? std::vector<int64_t>{2, 3, 7, 9} : std::vector<int64_t>{2, 3, 7, 18};
    // Same scale (rounding division), different zero points.
    check_pool(fb::OpType::AveragePool, in, out, *o, {0.05f, 3}, {0.05f, -9}, seed++);
    // Different scales (requantize per window count).
    check_pool(fb::OpType::AveragePool, in, out, *o, {0.05f, 3}, {0.03f, -10}, seed++);
    check_pool(fb::OpType::AveragePool, in, out, *o, {0.02f, -128}, {0.07f, 5}, seed++);
  }
}

TEST(Int8Pool, GlobalAveragePoolWithin1Lsb) {
  check_pool(fb::OpType::GlobalAveragePool, {2, 7, 13, 17}, {2, 7, 1, 1}, {}, {0.05f, 3},
             {0.05f, 3}, 30);
  check_pool(fb::OpType::GlobalAveragePool, {1, 13, 31, 29}, {1, 13, 1, 1}, {}, {0.05f, 3},
             {0.004f, -20}, 31);
  check_pool(fb::OpType::GlobalAveragePool, {3, 5, 11}, {3, 5, 1}, {}, {0.1f, 0}, {0.02f, 1}, 32);
}

TEST(Int8Pool, MaxPoolNeedsEqualQuantization) {
  std::vector<int64_t> in = {1, 1, 4, 4};
  for (fb::OpType op : {fb::OpType::MaxPool, fb::OpType::GlobalMaxPool}) {
    std::vector<int64_t> out = op == fb::OpType::MaxPool ? std::vector<int64_t>{1, 1, 2, 2}
                                                         : std::vector<int64_t>{1, 1, 1, 1};
    auto r = run_model(pool_model(op, DType::kI8, in, out, {{2, 2}, {2, 2}}, {0.1f, 0}, {0.2f, 0}),
                       {i8(in, std::vector<int8_t>(16, 1))});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(r.status().message().find("output quantization (scale 0.2, zero point 0) to equal "
                                        "the input's (scale 0.1, zero point 0)"),
              std::string::npos)
        << r.status().to_string();
  }
}

TEST(Int8Pool, MissingQuantizationIsRejected) {
  ModelBuilder b;
  int x = b.add_input("x", DType::kI8, {1, 1, 2, 2});
  int y = b.add_tensor("y", DType::kI8, {1, 1, 1, 1});
  b.set_quantization(y, quant({0.1f, 0}));
  b.add_node("gap", fb::OpType::GlobalAveragePool, {x}, {y});
  b.mark_output(y);
  auto r = run_model(b.finish(), {i8({1, 1, 2, 2}, {1, 2, 3, 4})});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'x' must be quantized per tensor"), std::string::npos)
      << r.status().to_string();
}

// ---- Add.

struct Act {
  fb::ActivationKind kind = fb::ActivationKind::None;
  float alpha = 0, beta = 0;
};

std::vector<uint8_t> add_model(const std::vector<int64_t>& as, const std::vector<int64_t>& bs,
                               const std::vector<int64_t>& out, QP qa, QP qb, QP qy, Act act = {},
                               DType b_dtype = DType::kI8) {
  ModelBuilder b;
  int a = b.add_input("a", DType::kI8, as);
  int bb = b.add_input("b", b_dtype, bs);
  int y = b.add_tensor("y", DType::kI8, out);
  b.set_quantization(a, quant(qa));
  if (b_dtype == DType::kI8) b.set_quantization(bb, quant(qb));
  b.set_quantization(y, quant(qy));
  auto& fbb = b.fbb();
  auto opts =
      fb::CreateBinaryOptions(fbb, fb::CreateActivation(fbb, act.kind, act.alpha, act.beta));
  b.add_node("add", fb::OpType::Add, {a, bb}, {y}, fb::OpOptions::BinaryOptions, opts.Union());
  b.mark_output(y);
  return b.finish();
}

TEST(Int8Add, HandComputed) {
  // a: scale 0.5, zp 0; b: scale 0.25, zp 10; y: scale 1, zp -5.
  //   (4, 14):     2 + 1 = 3            -> -5 + 3 = -2
  //   (-6, 2):    -3 - 2 = -5           -> -10
  //   (100, -118): 50 - 32 = 18         -> 13
  //   (127, 127):  63.5 + 29.25 = 92.75 -> 88
  //   (-100, 1):  -50 - 2.25 = -52.25   -> -57
  //   (127, 127) would be 133 with zp 40: clamps to 127 (checked below with zp 40).
  std::vector<int8_t> a = {4, -6, 100, 127, -100};
  std::vector<int8_t> b = {14, 2, -118, 127, 1};
  auto r = run_model(add_model({5}, {5}, {5}, {0.5f, 0}, {0.25f, 10}, {1.f, -5}),
                     {i8({5}, a), i8({5}, b)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[0].values<int8_t>(), (std::vector<int8_t>{-2, -10, 13, 88, -57}));
  r = run_model(add_model({5}, {5}, {5}, {0.5f, 0}, {0.25f, 10}, {1.f, 40}),
                {i8({5}, a), i8({5}, b)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[0].values<int8_t>(), (std::vector<int8_t>{43, 35, 58, 127, -12}));
}

void check_add(const std::vector<int64_t>& as, const std::vector<int64_t>& bs,
               const std::vector<int64_t>& out, QP qa, QP qb, QP qy, Act act, uint32_t seed) {
  std::vector<int8_t> a = random_i8(static_cast<size_t>(Shape(as).num_elements()), seed);
  std::vector<int8_t> b = random_i8(static_cast<size_t>(Shape(bs).num_elements()), seed + 1000);
  auto r = run_model(add_model(as, bs, out, qa, qb, qy, act), {i8(as, a), i8(bs, b)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  // Float reference: index arithmetic for a [N,C,H,W] + b broadcast from [C,1,1] or equal.
  std::vector<float> fa = dequantize(a, qa), fb_ = dequantize(b, qb);
  int64_t n = Shape(out).num_elements();
  int64_t plane = out.size() == 4 ? out[2] * out[3] : 1;
  int64_t channels = out.size() == 4 ? out[1] : 1;
  std::vector<float> want(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    int64_t bi = Shape(bs) == Shape(out) ? i : (i / plane) % channels;
    float v = fa[i] + fb_[bi];
    if (act.kind == fb::ActivationKind::Relu) v = std::max(v, 0.f);
    if (act.kind == fb::ActivationKind::Clip) v = std::clamp(v, act.alpha, act.beta);
    want[i] = v;
  }
  expect_within_1_lsb(r.value()[0].values<int8_t>(), want, qy, "add " + Shape(bs).to_string());
}

TEST(Int8Add, RandomWithin1LsbOfFloat) {
  check_add({2, 3, 13, 17}, {3, 1, 1}, {2, 3, 13, 17}, {0.03f, -4}, {0.07f, 12}, {0.09f, 3}, {},
            40);
  check_add({1, 5, 31, 29}, {1, 5, 31, 29}, {1, 5, 31, 29}, {0.02f, 0}, {0.02f, 0}, {0.03f, -2}, {},
            41);
  check_add({1, 5, 31, 29}, {1, 5, 31, 29}, {1, 5, 31, 29}, {0.1f, 100}, {0.004f, -50}, {0.05f, 0},
            {}, 42);
  check_add({2, 3, 13, 17}, {3, 1, 1}, {2, 3, 13, 17}, {0.03f, -4}, {0.07f, 12}, {0.04f, -20},
            {fb::ActivationKind::Relu}, 43);
  check_add({2, 3, 13, 17}, {3, 1, 1}, {2, 3, 13, 17}, {0.03f, -4}, {0.07f, 12}, {0.02f, 0},
            {fb::ActivationKind::Clip, -1.f, 1.5f}, 44);
}

TEST(Int8Add, Errors) {
  auto r = run_model(
      add_model({4}, {4}, {4}, {0.1f, 0}, {0.1f, 0}, {0.1f, 0}, {fb::ActivationKind::Sigmoid}),
      {i8({4}, {1, 2, 3, 4}), i8({4}, {1, 2, 3, 4})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("fused activation Sigmoid is not supported for int8 Add"),
            std::string::npos)
      << r.status().to_string();
  r = run_model(add_model({4}, {4}, {4}, {0.1f, 0}, {0.1f, 0}, {0.1f, 0}, {}, DType::kF32),
                {i8({4}, {1, 2, 3, 4}), f32({4}, {1, 2, 3, 4})});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("input 1 'b' is f32, expected i8"), std::string::npos)
      << r.status().to_string();
  r = run_model(add_model({2, 3}, {2}, {2, 3}, {0.1f, 0}, {0.1f, 0}, {0.1f, 0}),
                {i8({2, 3}, {1, 2, 3, 4, 5, 6}), i8({2}, {1, 2})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kShapeMismatch);
  EXPECT_NE(r.status().message().find("[2x3] and [2]"), std::string::npos)
      << r.status().to_string();
}

}  // namespace
}  // namespace strix
