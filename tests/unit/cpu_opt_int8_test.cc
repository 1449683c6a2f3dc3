// The optimized CPU backend's INT8 Conv2D and FullyConnected (kernels/cpu/conv_int8.cc,
// gemm_int8.cc and the leaf routines of isa_int8.h) against the INT8 reference kernels: every
// output byte must be equal, for every ISA the host has (STRIX_CPU_ISA), threads 1 and 3, on
// random data at odd shapes, zero points -128, 0, 37, per-tensor and per-channel weights,
// fused Relu / Clip and extreme requantize multipliers.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "kernels/cpu/isa_int8.h"
#include "tests/unit/conv_fc_test_util.h"
#include "tests/unit/cpu_opt_test_util.h"

namespace strix::testing {
namespace {

using convfc::per_channel;
using convfc::per_tensor;
using cpuopt::ModelBuilder;

struct I8Run {
  std::vector<int8_t> out;
  std::vector<NodeReport> nodes;
};

// The input's bytes (int8 values, or float for Quantize).
template <typename T>
std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
  const auto* p = reinterpret_cast<const uint8_t*>(v.data());
  return std::vector<uint8_t>(p, p + v.size() * sizeof(T));
}

Result<I8Run> run_i8(const std::vector<uint8_t>& file, const std::vector<uint8_t>& x,
                     bool reference, int threads) {
  Result<Model> model = Model::from_buffer(file.data(), file.size());
  if (!model.ok()) return model.status();
  EngineOptions options;
  options.threads = threads;
  options.reference_kernels = reference;
  Result<std::shared_ptr<Engine>> engine = Engine::create(model.value(), options);
  if (!engine.ok()) return engine.status();
  Result<Context> context = engine.value()->create_context();
  if (!context.ok()) return context.status();
  Context& ctx = context.value();
  STRIX_RETURN_IF_ERROR(ctx.set_input(0, x.data(), x.size()));
  I8Run run;
  for (int pass = 0; pass < 2; ++pass) {  // the second run catches state kept between runs
    TensorView out = ctx.output(0);
    std::memset(out.data, 0xA5, out.byte_size());
    ctx.run();
  }
  TensorView out = ctx.output(0);
  const auto* p = static_cast<const int8_t*>(out.data);
  run.out.assign(p, p + out.byte_size());
  run.nodes = engine.value()->report().nodes;
  return run;
}

// The INT8 routines' name for STRIX_CPU_ISA=isa ("avx512" without VNNI runs the AVX2 ones).
std::string int8_name(const std::string& isa) {
  using kernels::cpu::Isa;
  for (Isa i : {Isa::kAvx2, Isa::kAvx512, Isa::kNeon, Isa::kNeonDotprod})
    if (isa == kernels::cpu::isa_name(i)) {
      const kernels::cpu::IsaInt8Kernels* k = kernels::cpu::isa_int8_kernels(i);
      return k != nullptr ? k->name : "?";
    }
  return "?";
}

// Reference once; then every host ISA x threads {1, 3} must give the same bytes, each node on
// the optimized backend with a kernel named after the ISA's INT8 routines. `min_distinct`: the
// reference output must use at least that many values (so the test cannot pass on constant data).
void expect_exact(const std::vector<uint8_t>& file, const std::vector<uint8_t>& x,
                  size_t min_distinct) {
  Result<I8Run> ref = run_i8(file, x, true, 1);
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  for (const NodeReport& n : ref.value().nodes) ASSERT_EQ(n.backend, "cpu-ref");
  std::set<int> distinct(ref.value().out.begin(), ref.value().out.end());
  ASSERT_GE(distinct.size(), min_distinct) << "reference output too uniform to prove anything";
  std::vector<std::string> isas = cpuopt::host_isas();
  if (isas.empty()) GTEST_SKIP() << "no SIMD ISA on this CPU";
  for (const std::string& isa : isas) {
    cpuopt::ScopedIsa scoped(isa);
    for (int threads : {1, 3}) {
      SCOPED_TRACE("isa " + isa + ", threads " + std::to_string(threads));
      Result<I8Run> opt = run_i8(file, x, false, threads);
      ASSERT_TRUE(opt.ok()) << opt.status().to_string();
      for (const NodeReport& n : opt.value().nodes) {
        EXPECT_EQ(n.backend, "cpu") << n.op << " ran " << n.kernel;
        EXPECT_NE(n.kernel.find(int8_name(isa)), std::string::npos) << n.kernel;
      }
      const std::vector<int8_t>& want = ref.value().out;
      const std::vector<int8_t>& got = opt.value().out;
      ASSERT_EQ(got.size(), want.size());
      size_t bad = 0, first = 0;
      for (size_t i = 0; i < got.size(); ++i)
        if (got[i] != want[i] && bad++ == 0) first = i;
      EXPECT_EQ(bad, 0u) << "first at " << first << ": got " << int(got[first]) << ", want "
                         << int(want[first]);
    }
  }
}

enum class Scale { kNormal, kTiny, kLarge, kHuge, kHalf };

// Output scale for an accumulator of K random terms: kNormal maps its spread to about 40
// LSB; kTiny makes the multiplier ~2^-24 (right shifts near 24; the bias, see bias_range,
// then carries the signal), kLarge about 1.7 (shifts around 0, some saturation), kHuge 1e6
// (left shifts that saturate before the multiply), kHalf 0.5 (per-channel weight scales put
// the multipliers on both sides of 0.5: right shifts 0 and 1 in one layer).
float output_scale(float x_scale, float w_scale, int64_t k, Scale s) {
  const float normal = x_scale * w_scale * 5400.f * std::sqrt(static_cast<float>(k)) / 40.f;
  if (s == Scale::kTiny) return x_scale * w_scale * 16777216.f;
  if (s == Scale::kLarge) return x_scale * w_scale / 1.7f;
  if (s == Scale::kHuge) return x_scale * w_scale / 1e6f;
  if (s == Scale::kHalf) return x_scale * w_scale * 2.f;
  return normal;
}

size_t min_distinct(Scale s) { return s == Scale::kNormal ? 20 : 2; }
float bias_range(Scale s) { return s == Scale::kTiny ? 1e9f : 20000.f; }

// A fused activation; Clip bounds in units of the output scale.
struct Act {
  fb::ActivationKind kind = fb::ActivationKind::None;
  float lo = 0, hi = 0;
};

struct ConvCase {
  int64_t n = 1, c = 3, h = 7, w = 7, m = 5, kh = 3, kw = 3;
  int32_t sh = 1, sw = 1, dh = 1, dw = 1, group = 1;
  std::vector<int32_t> pads = {1, 1, 1, 1};
  int x_zp = 0;
  bool per_channel = false, bias = true;
  Act act;
  Scale scale = Scale::kNormal;
};

std::string describe(const ConvCase& t) {
  std::string s = "N" + std::to_string(t.n) + " C" + std::to_string(t.c) + " " +
                  std::to_string(t.h) + "x" + std::to_string(t.w) + " M" + std::to_string(t.m) +
                  " k" + std::to_string(t.kh) + "x" + std::to_string(t.kw) + " s" +
                  std::to_string(t.sh) + "x" + std::to_string(t.sw) + " d" + std::to_string(t.dh) +
                  "x" + std::to_string(t.dw) + " g" + std::to_string(t.group) + " pads";
  for (int32_t p : t.pads) s += " " + std::to_string(p);
  s += " zp " + std::to_string(t.x_zp) + (t.per_channel ? " per-channel" : " per-tensor");
  s += " act " + std::to_string(static_cast<int>(t.act.kind)) + " scale " +
       std::to_string(static_cast<int>(t.scale));
  return s;
}

void check_conv(const ConvCase& t, uint32_t seed) {
  SCOPED_TRACE(describe(t));
  const int64_t cg = t.c / t.group;
  const float x_scale = 0.02f, w_base = 0.01f;
  std::vector<int8_t> x = random_i8(t.n * t.c * t.h * t.w, seed);
  std::vector<int8_t> w = random_i8(t.m * cg * t.kh * t.kw, seed + 1, -127, 127);
  std::vector<float> w_scales =
      random_floats(t.per_channel ? t.m : 1, seed + 2, 0.5f * w_base, 2.f * w_base);
  std::vector<float> rb = random_floats(t.m, seed + 3, -bias_range(t.scale), bias_range(t.scale));
  std::vector<int32_t> bias(t.m);
  for (int64_t i = 0; i < t.m; ++i) bias[i] = static_cast<int32_t>(rb[i]);
  const int64_t eh = (t.kh - 1) * t.dh + 1, ew = (t.kw - 1) * t.dw + 1;
  const int64_t oh = (t.h + t.pads[0] + t.pads[2] - eh) / t.sh + 1;
  const int64_t ow = (t.w + t.pads[1] + t.pads[3] - ew) / t.sw + 1;
  const float y_scale = output_scale(x_scale, w_base, cg * t.kh * t.kw, t.scale);

  ModelBuilder b;
  int xt = b.add_input("x", DType::kI8, {t.n, t.c, t.h, t.w});
  b.set_quantization(xt, per_tensor(x_scale, t.x_zp));
  int wt = convfc::add_i8_constant(b, "w", {t.m, cg, t.kh, t.kw}, w);
  b.set_quantization(wt, t.per_channel ? per_channel(w_scales, 0) : per_tensor(w_scales[0], 0));
  std::vector<int> inputs = {xt, wt};
  if (t.bias) inputs.push_back(b.add_constant_i32("bias", {t.m}, bias));
  int y = b.add_tensor("y", DType::kI8, {t.n, t.m, oh, ow});
  b.set_quantization(y, per_tensor(y_scale, -3));
  auto strides = convfc::ints(b, {t.sh, t.sw});
  auto dilations = convfc::ints(b, {t.dh, t.dw});
  auto pads = convfc::ints(b, t.pads);
  auto activation = convfc::activation(b, t.act.kind, t.act.lo * y_scale, t.act.hi * y_scale);
  auto opts = fb::CreateConv2DOptions(b.fbb(), 0, strides, dilations, pads,
                                      fb::PaddingMode::Explicit, t.group, activation);
  b.add_node("conv", fb::OpType::Conv2D, inputs, {y}, fb::OpOptions::Conv2DOptions, opts.Union());
  b.mark_output(y);
  expect_exact(b.finish(), bytes_of(x), min_distinct(t.scale));
}

struct FcCase {
  int64_t m = 1, k = 7, n = 13;
  bool trans_b = false, per_channel = false, bias = true;
  int x_zp = 0;
  Act act;
  Scale scale = Scale::kNormal;
};

void check_fc(const FcCase& t, uint32_t seed) {
  SCOPED_TRACE(::testing::Message()
               << "M" << t.m << " K" << t.k << " N" << t.n << " trans_b " << t.trans_b
               << " per_channel " << t.per_channel << " zp " << t.x_zp << " act "
               << static_cast<int>(t.act.kind) << " scale " << static_cast<int>(t.scale));
  const float x_scale = 0.02f, w_base = 0.01f;
  std::vector<int8_t> a = random_i8(t.m * t.k, seed);
  std::vector<int8_t> w = random_i8(t.k * t.n, seed + 1, -127, 127);
  std::vector<float> w_scales =
      random_floats(t.per_channel ? t.n : 1, seed + 2, 0.5f * w_base, 2.f * w_base);
  std::vector<float> rb = random_floats(t.n, seed + 3, -bias_range(t.scale), bias_range(t.scale));
  std::vector<int32_t> bias(t.n);
  for (int64_t i = 0; i < t.n; ++i) bias[i] = static_cast<int32_t>(rb[i]);
  const float y_scale = output_scale(x_scale, w_base, t.k, t.scale);

  ModelBuilder b;
  int at = b.add_input("a", DType::kI8, {t.m, t.k});
  b.set_quantization(at, per_tensor(x_scale, t.x_zp));
  std::vector<int64_t> w_shape =
      t.trans_b ? std::vector<int64_t>{t.n, t.k} : std::vector<int64_t>{t.k, t.n};
  int wt = convfc::add_i8_constant(b, "w", w_shape, w);
  b.set_quantization(
      wt, t.per_channel ? per_channel(w_scales, t.trans_b ? 0 : 1) : per_tensor(w_scales[0], 0));
  std::vector<int> inputs = {at, wt};
  if (t.bias) inputs.push_back(b.add_constant_i32("bias", {t.n}, bias));
  int y = b.add_tensor("y", DType::kI8, {t.m, t.n});
  b.set_quantization(y, per_tensor(y_scale, 5));
  auto activation = convfc::activation(b, t.act.kind, t.act.lo * y_scale, t.act.hi * y_scale);
  auto opts = fb::CreateFullyConnectedOptions(b.fbb(), 1, 1, false, t.trans_b, activation);
  b.add_node("fc", fb::OpType::FullyConnected, inputs, {y}, fb::OpOptions::FullyConnectedOptions,
             opts.Union());
  b.mark_output(y);
  // Tiny outputs (M*N = 13) cannot show 20 distinct values.
  const size_t distinct = t.scale == Scale::kNormal && t.m * t.n >= 60 ? 20 : 2;
  expect_exact(b.finish(), bytes_of(a), distinct);
}

const Act kRelu{fb::ActivationKind::Relu, 0, 0};
const Act kClip{fb::ActivationKind::Clip, -30.5f, 60.5f};

TEST(CpuOptInt8Conv, Pointwise) {
  uint32_t seed = 100;
  for (int64_t c : {1, 3, 13, 17, 64}) {
    ConvCase t;
    t.c = c, t.m = 17, t.kh = t.kw = 1, t.pads = {0, 0, 0, 0}, t.h = 13, t.w = 17;
    t.x_zp = c % 2 ? 37 : -128;
    t.per_channel = c > 3;
    check_conv(t, seed += 10);
  }
  ConvCase down;  // 1x1 stride 2 (only one stride phase is read)
  down.c = 17, down.m = 9, down.kh = down.kw = 1, down.pads = {0, 0, 0, 0}, down.sh = down.sw = 2;
  down.h = 13, down.w = 17, down.per_channel = true, down.x_zp = 37;
  check_conv(down, seed += 10);
  ConvCase one;  // 1x1 spatial, batch 2, no bias
  one.n = 2, one.c = 64, one.m = 13, one.kh = one.kw = 1, one.pads = {0, 0, 0, 0};
  one.h = one.w = 1, one.bias = false, one.scale = Scale::kNormal;
  check_conv(one, seed += 10);
  // Narrow last column panels (<= 16 of 32 positions valid: the half-width VNNI tiles):
  // 1x1 on 4x10 (40 positions), 3x3 pad 1 on 6x6 (wide grid of 6 x 8 = 48 positions).
  ConvCase tail;
  tail.c = 21, tail.m = 19, tail.kh = tail.kw = 1, tail.pads = {0, 0, 0, 0};
  tail.h = 4, tail.w = 10, tail.per_channel = true, tail.x_zp = 37, tail.act = kRelu;
  check_conv(tail, seed += 10);
  for (Scale s : {Scale::kNormal, Scale::kLarge}) {  // the short and the general requantize
    ConvCase tail3;
    tail3.c = 13, tail3.m = 19, tail3.h = tail3.w = 6, tail3.per_channel = true, tail3.x_zp = -5;
    tail3.scale = s;
    check_conv(tail3, seed += 10);
  }
}

TEST(CpuOptInt8Conv, General) {
  uint32_t seed = 200;
  ConvCase a;  // 3x3 pad 1 at 13x17, per channel, Relu
  a.c = 17, a.m = 13, a.h = 13, a.w = 17, a.per_channel = true, a.act = kRelu, a.x_zp = 37;
  check_conv(a, seed += 10);
  ConvCase b;  // 5x5, asymmetric pads, Clip, zp -128
  b.c = 13, b.m = 17, b.kh = b.kw = 5, b.pads = {2, 0, 1, 3}, b.x_zp = -128, b.act = kClip;
  b.h = 13, b.w = 17;
  check_conv(b, seed += 10);
  ConvCase stem;  // 7x7 stride 2 pad 3, C 3
  stem.c = 3, stem.m = 17, stem.kh = stem.kw = 7, stem.sh = stem.sw = 2, stem.pads = {3, 3, 3, 3};
  stem.h = 29, stem.w = 31, stem.per_channel = true, stem.act = kRelu;
  check_conv(stem, seed += 10);
  ConvCase dil;  // dilation 2, stride 2 x 1, pads asymmetric
  dil.c = 13, dil.m = 7, dil.dh = dil.dw = 2, dil.sh = 2, dil.pads = {1, 2, 2, 0};
  dil.h = 13, dil.w = 17, dil.x_zp = 37;
  check_conv(dil, seed += 10);
  ConvCase wide;  // 3x3 at 7x7, 64 -> 64, batch 2
  wide.n = 2, wide.c = 64, wide.m = 64, wide.per_channel = true;
  check_conv(wide, seed += 10);
  ConvCase tiny;  // 1x1 input, 3x3 kernel padded
  tiny.c = 17, tiny.m = 31, tiny.h = tiny.w = 1, tiny.x_zp = -128;
  check_conv(tiny, seed += 10);
}

TEST(CpuOptInt8Conv, GroupedAndDepthwise) {
  uint32_t seed = 300;
  ConvCase g;  // 4 groups of 4 -> 3
  g.c = 16, g.m = 12, g.group = 4, g.h = 13, g.w = 17, g.per_channel = true, g.x_zp = 37;
  check_conv(g, seed += 10);
  ConvCase g2;  // 3 groups of 3, 5x5 stride 2
  g2.c = 9, g2.m = 6, g2.group = 3, g2.kh = g2.kw = 5, g2.sh = g2.sw = 2, g2.pads = {2, 2, 2, 2};
  g2.h = 17, g2.w = 13;
  check_conv(g2, seed += 10);
  for (int32_t stride : {1, 2}) {
    ConvCase d;  // depthwise 3x3
    d.c = d.m = d.group = 17, d.h = 13, d.w = 17, d.sh = d.sw = stride, d.per_channel = true;
    d.act = stride == 1 ? kRelu : kClip, d.x_zp = stride == 1 ? -128 : 37;
    check_conv(d, seed += 10);
  }
  ConvCase dm;  // depthwise, channel multiplier 2, dilation 2, asymmetric pads
  dm.c = 3, dm.m = 6, dm.group = 3, dm.dh = dm.dw = 2, dm.pads = {0, 2, 2, 1}, dm.h = dm.w = 7;
  check_conv(dm, seed += 10);
  for (int32_t stride : {1, 2, 3}) {
    ConvCase big;  // depthwise 5x5 (3 weight pairs per row) at 19x45, asymmetric pads
    big.c = big.m = big.group = 5, big.kh = big.kw = 5, big.h = 19, big.w = 45;
    big.sh = big.sw = stride, big.pads = {2, 1, 0, 3}, big.x_zp = 37, big.per_channel = true;
    check_conv(big, seed += 10);
  }
  for (int32_t kw : {3, 7}) {
    // Depthwise, rows wider than 64 outputs, dilation and stride 2 along H only, 1 or 2 weight
    // quads per row (kw 3 / 7), Relu.
    ConvCase wide;
    wide.c = wide.m = wide.group = 3, wide.kh = kw == 3 ? 3 : 4, wide.kw = kw;
    wide.h = 11, wide.w = 150, wide.sh = 2, wide.dh = 2, wide.pads = {1, kw / 2, 2, kw / 2};
    wide.x_zp = -7, wide.per_channel = true, wide.act = kRelu;
    check_conv(wide, seed += 10);
  }
  ConvCase d7;  // depthwise 64 channels at 7x7 stride 2 (1 row of output after padding)
  d7.c = d7.m = d7.group = 64, d7.sh = d7.sw = 2, d7.x_zp = 0;
  check_conv(d7, seed += 10);
}

TEST(CpuOptInt8Conv, ExtremeMultipliers) {
  uint32_t seed = 400;
  for (Scale s : {Scale::kTiny, Scale::kLarge, Scale::kHuge, Scale::kHalf}) {
    ConvCase t;
    t.c = 13, t.m = 17, t.h = 7, t.w = 7, t.per_channel = true, t.scale = s, t.x_zp = 37;
    check_conv(t, seed += 10);
    ConvCase d;
    d.c = d.m = d.group = 13, d.scale = s, d.x_zp = -128;
    check_conv(d, seed += 10);
  }
}

TEST(CpuOptInt8FullyConnected, Shapes) {
  uint32_t seed = 500;
  for (int64_t k : {1, 7, 300, 2048})
    for (int64_t m : {1, 5}) {
      FcCase t;
      t.k = k, t.m = m, t.n = k == 2048 ? 70 : 37;
      t.trans_b = (k + m) % 2 == 0;
      t.per_channel = m == 5;
      t.x_zp = k == 1 ? 0 : (k == 7 ? -128 : 37);
      check_fc(t, seed += 10);
    }
}

TEST(CpuOptInt8FullyConnected, ActivationsAndMultipliers) {
  uint32_t seed = 600;
  FcCase relu;
  relu.m = 5, relu.k = 300, relu.n = 13, relu.act = kRelu, relu.per_channel = true;
  check_fc(relu, seed += 10);
  FcCase clip;
  clip.m = 13, clip.k = 64, clip.n = 33, clip.act = kClip, clip.bias = false, clip.x_zp = -128;
  check_fc(clip, seed += 10);
  for (Scale s : {Scale::kTiny, Scale::kLarge, Scale::kHuge}) {
    FcCase t;
    t.m = 5, t.k = 300, t.n = 37, t.scale = s, t.per_channel = true, t.trans_b = true;
    check_fc(t, seed += 10);
  }
}

// Same-shape Add (the vector path) with zero points, scales and fused activations.
void check_add(const std::vector<int64_t>& shape, float sa, int za, float sb, int zb, float so,
               int zo, const Act& act, uint32_t seed, size_t min_distinct = 20) {
  SCOPED_TRACE(::testing::Message() << "scales " << sa << " " << sb << " -> " << so << " act "
                                    << static_cast<int>(act.kind));
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<int8_t> a = random_i8(n, seed), bv = random_i8(n, seed + 1);
  ModelBuilder b;
  int at = b.add_input("a", DType::kI8, shape);
  b.set_quantization(at, per_tensor(sa, za));
  int bt = convfc::add_i8_constant(b, "b", shape, bv);
  b.set_quantization(bt, per_tensor(sb, zb));
  int y = b.add_tensor("y", DType::kI8, shape);
  b.set_quantization(y, per_tensor(so, zo));
  auto& fbb = b.fbb();
  auto opts =
      fb::CreateBinaryOptions(fbb, fb::CreateActivation(fbb, act.kind, act.lo * so, act.hi * so));
  b.add_node("add", fb::OpType::Add, {at, bt}, {y}, fb::OpOptions::BinaryOptions, opts.Union());
  b.mark_output(y);
  expect_exact(b.finish(), bytes_of(a), min_distinct);
}

TEST(CpuOptInt8Add, SameShape) {
  uint32_t seed = 700;
  check_add({2, 13, 7, 9}, 0.05f, -128, 0.02f, 37, 0.06f, 0, Act{}, seed += 10);
  check_add({1, 17, 13, 17}, 0.02f, 37, 0.05f, 0, 0.03f, -20, kRelu, seed += 10);
  check_add({5, 37}, 0.1f, 0, 0.1f, 0, 0.13f, 3, kClip, seed += 10);
  check_add({3, 40000}, 0.01f, 5, 0.003f, -7, 0.02f, 11, Act{}, seed += 10);  // several chunks
  // Output scale far above the inputs': output right shift 23 (the general requantize of the
  // VBMI routine), ~20 output values.
  check_add({2, 3, 33, 35}, 0.5f, 3, 0.4f, -5, 12.f, -100, Act{}, seed += 10, 10);
}

// MaxPool: kernel k, stride s, dilation d, pads [t, l, b, r], ceil_mode.
void check_max_pool(int64_t n, int64_t c, int64_t h, int64_t w, int32_t k, int32_t st, int32_t d,
                    const std::vector<int32_t>& pads, bool ceil_mode, uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << c << "x" << h << "x" << w << " k" << k << " s" << st << " d"
                                    << d << " ceil " << ceil_mode);
  auto out_dim = [&](int64_t in, int32_t p0, int32_t p1) {
    const int64_t span = in + p0 + p1 - (int64_t{k} - 1) * d - 1;
    return (ceil_mode ? (span + st - 1) / st : span / st) + 1;
  };
  const int64_t oh = out_dim(h, pads[0], pads[2]), ow = out_dim(w, pads[1], pads[3]);
  std::vector<int8_t> x = random_i8(n * c * h * w, seed);
  ModelBuilder b;
  int xt = b.add_input("x", DType::kI8, {n, c, h, w});
  b.set_quantization(xt, per_tensor(0.1f, 3));
  int y = b.add_tensor("y", DType::kI8, {n, c, oh, ow});
  b.set_quantization(y, per_tensor(0.1f, 3));
  auto& fbb = b.fbb();
  auto opts = fb::CreatePool2DOptions(fbb, fbb.CreateVector<int32_t>({k, k}),
                                      fbb.CreateVector<int32_t>({st, st}),
                                      fbb.CreateVector<int32_t>({d, d}), fbb.CreateVector(pads),
                                      fb::PaddingMode::Explicit, ceil_mode, false);
  b.add_node("pool", fb::OpType::MaxPool, {xt}, {y}, fb::OpOptions::Pool2DOptions, opts.Union());
  b.mark_output(y);
  expect_exact(b.finish(), bytes_of(x), 20);
}

TEST(CpuOptInt8MaxPool, Windows) {
  uint32_t seed = 800;
  check_max_pool(1, 5, 112, 112, 3, 2, 1, {1, 1, 1, 1}, false, seed += 10);  // ResNet's
  check_max_pool(2, 3, 13, 17, 2, 2, 1, {0, 0, 0, 0}, false, seed += 10);
  check_max_pool(1, 7, 13, 17, 3, 1, 1, {1, 1, 1, 1}, false, seed += 10);
  check_max_pool(1, 4, 14, 141, 3, 2, 1, {0, 1, 0, 0}, true, seed += 10);  // ceil mode, pad l
  check_max_pool(1, 3, 17, 19, 3, 1, 2, {2, 0, 1, 2}, false, seed += 10);  // dilation 2
  check_max_pool(1, 3, 20, 20, 3, 3, 1, {0, 0, 0, 0}, false, seed += 10);  // stride 3
}

// GlobalAveragePool: same scale (rounded mean) and different scales (requantize), spatial
// sizes around the vector width.
TEST(CpuOptInt8GlobalAveragePool, Planes) {
  uint32_t seed = 1000;
  for (int64_t spatial : {1, 15, 49, 67}) {
    for (float out_scale : {0.1f, 0.013f}) {
      SCOPED_TRACE(::testing::Message() << "spatial " << spatial << " out scale " << out_scale);
      const int64_t n = 2, c = 97;
      std::vector<int8_t> x = random_i8(n * c * spatial, seed += 10);
      ModelBuilder b;
      int xt = b.add_input("x", DType::kI8, {n, c, spatial, 1});
      b.set_quantization(xt, per_tensor(0.1f, -5));
      int y = b.add_tensor("y", DType::kI8, {n, c, 1, 1});
      b.set_quantization(y, per_tensor(out_scale, 7));
      b.add_node("gap", fb::OpType::GlobalAveragePool, {xt}, {y});
      b.mark_output(y);
      expect_exact(b.finish(), bytes_of(x), spatial == 1 ? 20 : 8);
    }
  }
}

// Quantize f32 -> i8 per tensor: ties (x / scale = k + 0.5, round half to even), values far
// outside the range, infinities and NaN among random values.
TEST(CpuOptInt8Quantize, MatchesQuantizeValue) {
  for (int zp : {-128, 0, 37}) {
    SCOPED_TRACE(::testing::Message() << "zero point " << zp);
    const float scale = 0.25f;
    std::vector<float> x = random_floats(3 * 7 * 1001, 900 + zp, -40.f, 40.f);
    for (size_t i = 0; i < x.size(); i += 7) x[i] = 0.125f * static_cast<float>(i % 200) - 12.5f;
    x[1] = std::numeric_limits<float>::infinity();
    x[2] = -std::numeric_limits<float>::infinity();
    x[3] = std::numeric_limits<float>::quiet_NaN();
    x[4] = 1e30f;
    x[5] = -1e30f;
    ModelBuilder b;
    int xt = b.add_input("x", DType::kF32, {3, 7, 1001});
    int y = b.add_tensor("y", DType::kI8, {3, 7, 1001});
    b.set_quantization(y, per_tensor(scale, zp));
    b.add_node("q", fb::OpType::Quantize, {xt}, {y});
    b.mark_output(y);
    expect_exact(b.finish(), bytes_of(x), 100);
  }
}

}  // namespace
}  // namespace strix::testing
