// The CUDA backend's INT8 kernels (kernels/cuda/*int8*) against the CPU reference backend:
// every output byte must be equal (both follow kernels/cpu/ref/requantize.h), on fresh random
// data at odd shapes: tensor-core convolutions with each tile shape, the dp4a direct kernel
// (C = 3 stems, grouped), depthwise, FullyConnected, Quantize / Dequantize with the
// channels-last device layout, max / global average pooling, Add, the Engine's Conv + residual
// Add fusion, and a small network end to end. Skips without a GPU.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "kernels/cuda/int8_launch.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/unit/conv_fc_test_util.h"

namespace strix::testing {
namespace {

using convfc::per_channel;
using convfc::per_tensor;
using writer::ModelBuilder;

struct Outputs {
  std::vector<HostTensor> out;
  std::vector<NodeReport> nodes;
};

Outputs run(const std::vector<uint8_t>& file, const std::vector<HostTensor>& inputs, bool cuda) {
  Outputs o;
  EngineOptions options;
  options.reference_kernels = !cuda;
  if (cuda) options.device = "cuda";
  Result<std::vector<HostTensor>> r = run_model(file, inputs, options);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (r.ok()) o.out = std::move(r).value();
  Result<Model> model = Model::from_buffer(file.data(), file.size());
  if (model.ok()) {
    auto engine = Engine::create(model.value(), options);
    if (engine.ok()) o.nodes = engine.value()->report().nodes;
  }
  return o;
}

// CUDA output bytes == CPU reference bytes; every compute node on the GPU (no fallback).
// `min_distinct`: the reference output must hold at least that many byte values.
void expect_same(const std::vector<uint8_t>& file, const std::vector<HostTensor>& inputs,
                 const std::string& kernel_substr = "", size_t min_distinct = 16) {
  Outputs ref = run(file, inputs, false);
  Outputs got = run(file, inputs, true);
  ASSERT_EQ(ref.out.size(), got.out.size());
  for (const NodeReport& n : got.nodes) {
    EXPECT_EQ(n.backend, n.op.rfind("Copy", 0) == 0 ? "device" : "cuda")
        << n.name << " (" << n.op << ") ran " << n.kernel;
    if (!kernel_substr.empty() &&
        (n.op == "Conv2D" || n.op == "Conv2D+Add" || n.op == "FullyConnected")) {
      EXPECT_NE(n.kernel.find(kernel_substr), std::string::npos) << n.kernel;
    }
  }
  for (size_t i = 0; i < ref.out.size(); ++i) {
    const std::vector<uint8_t>& want = ref.out[i].bytes;
    const std::vector<uint8_t>& have = got.out[i].bytes;
    ASSERT_EQ(want.size(), have.size());
    std::set<uint8_t> distinct(want.begin(), want.end());
    EXPECT_GE(distinct.size(), std::min<size_t>(min_distinct, want.size()))
        << "reference output too uniform to prove anything";
    size_t bad = 0, first = 0;
    int worst = 0;
    for (size_t j = 0; j < want.size(); ++j)
      if (want[j] != have[j]) {
        if (bad++ == 0) first = j;
        if (ref.out[i].dtype == DType::kI8) {
          int d = std::abs(int(int8_t(want[j])) - int(int8_t(have[j])));
          worst = d > worst ? d : worst;
        }
      }
    EXPECT_EQ(bad, 0u) << "output " << i << ": " << bad << " of " << want.size()
                       << " bytes differ, first at byte " << first << " (worst " << worst
                       << " LSB)";
  }
}

// Output scale for K random int8 products, about 40 LSB of spread.
float out_scale(float xs, float ws, int64_t k) {
  return xs * ws * 5400.f * std::sqrt(static_cast<float>(k)) / 40.f;
}

struct Conv {
  int64_t n = 2, c = 32, h = 9, w = 11, m = 40, kh = 3, kw = 3;
  int32_t stride = 1, dilation = 1, group = 1;
  std::vector<int32_t> pads = {1, 1, 1, 1};
  int x_zp = -128;
  bool per_channel = true, bias = true;
  fb::ActivationKind act = fb::ActivationKind::Relu;
  float y_factor = 1.f;  // output scale x this: 1e-4 saturating left shifts, 300 right shifts ~20
  float bias_range = 20000.f;  // carries the signal when y_factor makes the products vanish
  int add_zp = -128;           // the residual Add's output zero point
};

// Builds x(i8) -> Conv2D -> y(i8) [-> Add with a second input -> z].
std::vector<uint8_t> conv_model(const Conv& t, uint32_t seed, bool residual,
                                std::vector<HostTensor>* inputs) {
  const int64_t cg = t.c / t.group;
  const float xs = 0.03f, wb = 0.01f;
  std::vector<int8_t> w = random_i8(t.m * cg * t.kh * t.kw, seed + 1, -127, 127);
  std::vector<float> wsc = random_floats(t.per_channel ? t.m : 1, seed + 2, 0.5f * wb, 2.f * wb);
  std::vector<float> rb = random_floats(t.m, seed + 3, -t.bias_range, t.bias_range);
  std::vector<int32_t> bias(t.m);
  for (int64_t i = 0; i < t.m; ++i) bias[i] = static_cast<int32_t>(rb[i]);
  const int64_t e = (t.kh - 1) * t.dilation + 1, ew = (t.kw - 1) * t.dilation + 1;
  const int64_t oh = (t.h + t.pads[0] + t.pads[2] - e) / t.stride + 1;
  const int64_t ow = (t.w + t.pads[1] + t.pads[3] - ew) / t.stride + 1;
  const float ys = out_scale(xs, wb, cg * t.kh * t.kw) * t.y_factor;
  ModelBuilder b;
  int x = b.add_input("x", DType::kI8, {t.n, t.c, t.h, t.w});
  b.set_quantization(x, per_tensor(xs, t.x_zp));
  inputs->push_back(i8({t.n, t.c, t.h, t.w}, random_i8(t.n * t.c * t.h * t.w, seed)));
  int wt = convfc::add_i8_constant(b, "w", {t.m, cg, t.kh, t.kw}, w);
  b.set_quantization(wt, t.per_channel ? per_channel(wsc, 0) : per_tensor(wsc[0], 0));
  std::vector<int> ins = {x, wt};
  if (t.bias) ins.push_back(b.add_constant_i32("bias", {t.m}, bias));
  int y = b.add_tensor("y", DType::kI8, {t.n, t.m, oh, ow});
  b.set_quantization(y, per_tensor(ys, residual ? 3 : -100));
  auto s = convfc::ints(b, {t.stride, t.stride});
  auto d = convfc::ints(b, {t.dilation, t.dilation});
  auto p = convfc::ints(b, t.pads);
  auto a = convfc::activation(b, residual ? fb::ActivationKind::None : t.act, 0.f, 0.f);
  auto o = fb::CreateConv2DOptions(b.fbb(), 0, s, d, p, fb::PaddingMode::Explicit, t.group, a);
  b.add_node("conv", fb::OpType::Conv2D, ins, {y}, fb::OpOptions::Conv2DOptions, o.Union());
  int out = y;
  if (residual) {
    int r = b.add_input("r", DType::kI8, {t.n, t.m, oh, ow});
    b.set_quantization(r, per_tensor(ys * 0.7f, -20));
    inputs->push_back(i8({t.n, t.m, oh, ow}, random_i8(t.n * t.m * oh * ow, seed + 9)));
    out = b.add_tensor("z", DType::kI8, {t.n, t.m, oh, ow});
    b.set_quantization(out, per_tensor(ys * 1.3f, t.add_zp));
    auto act = convfc::activation(b, t.act, 0.f, 0.f);
    auto bo = fb::CreateBinaryOptions(b.fbb(), act);
    b.add_node("add", fb::OpType::Add, {r, y}, {out}, fb::OpOptions::BinaryOptions, bo.Union());
  }
  b.mark_output(out);
  return b.finish();
}

class ScopedTile {
 public:
  explicit ScopedTile(int t) { setenv("STRIX_CUDA_INT8_TILE", std::to_string(t).c_str(), 1); }
  ~ScopedTile() { unsetenv("STRIX_CUDA_INT8_TILE"); }
};

TEST(CudaInt8, ConvTensorCoresEveryTile) {
  STRIX_REQUIRE_GPU();
  const uint32_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::vector<Conv> cases;
  cases.push_back(Conv{});  // 3x3, pads, zp -128
  Conv c1;
  c1.c = 48, c1.m = 200, c1.kh = c1.kw = 1, c1.pads = {0, 0, 0, 0}, c1.x_zp = 0;  // 1x1
  c1.act = fb::ActivationKind::None, c1.per_channel = false;
  cases.push_back(c1);
  Conv c2;
  c2.c = 16, c2.m = 67, c2.h = 15, c2.w = 13, c2.stride = 2, c2.x_zp = 37, c2.bias = false;
  cases.push_back(c2);  // stride 2, odd M
  Conv c3;
  c3.c = 64, c3.m = 64, c3.h = 7, c3.w = 7, c3.dilation = 2, c3.pads = {2, 1, 2, 3};
  cases.push_back(c3);  // dilation, asymmetric pads
  Conv c4;
  c4.n = 3, c4.c = 80, c4.m = 129, c4.kh = 5, c4.kw = 3, c4.pads = {2, 1, 2, 1};
  cases.push_back(c4);  // K = 1200 (not a multiple of 64), M past two tiles
  Conv c5;
  c5.y_factor = 1e-4f, c5.act = fb::ActivationKind::None;  // multipliers > 1: left shifts
  cases.push_back(c5);
  Conv c6;
  c6.y_factor = 300.f, c6.bias_range = 3e7f, c6.x_zp = 100;  // right shifts near 20
  cases.push_back(c6);
  // Without padding (the loader that skips the bounds checks): 1x1 stride 2 with a ReLU (the
  // epilogue without the sign term), and a 3x3 whose taps all stay inside (no ReLU).
  Conv c7;
  c7.c = 32, c7.m = 48, c7.h = 13, c7.w = 9, c7.kh = c7.kw = 1, c7.stride = 2;
  c7.pads = {0, 0, 0, 0}, c7.x_zp = -7;
  cases.push_back(c7);
  Conv c8;
  c8.c = 48, c8.m = 80, c8.pads = {0, 0, 0, 0}, c8.act = fb::ActivationKind::None;
  cases.push_back(c8);
  for (int tile = 0; tile < kernels::cuda::kNumMmaConfigs; ++tile) {
    ScopedTile pin(tile);
    for (size_t i = 0; i < cases.size(); ++i) {
      SCOPED_TRACE("tile " + std::to_string(tile) + ", case " + std::to_string(i));
      std::vector<HostTensor> in;
      std::vector<uint8_t> file = conv_model(cases[i], seed + 17 * i, false, &in);
      expect_same(file, in, "cuda_conv_i8_mma_t" + std::to_string(tile), i < 5 || i > 6 ? 16 : 2);
    }
  }
}

class ScopedSplitK {
 public:
  explicit ScopedSplitK(int n) { setenv("STRIX_CUDA_INT8_SPLITK", std::to_string(n).c_str(), 1); }
  ~ScopedSplitK() { unsetenv("STRIX_CUDA_INT8_SPLITK"); }
};

// Split-K (few output positions, long reductions: batch 1's late layers): the splits' int32
// sums added and requantized by a second kernel must give the same bytes, with and without a
// fused residual Add, split counts that do and do not divide the stages, every tile shape.
TEST(CudaInt8, SplitKMatchesTheCpu) {
  STRIX_REQUIRE_GPU();
  const uint32_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Conv deep;  // 3x3 over 128 channels on a 7x7 plane: K = 1152, 18 stages
  deep.n = 1, deep.c = 128, deep.m = 72, deep.h = deep.w = 7;
  Conv wide;  // 1x1 over 512 channels, odd M, no ReLU: K = 512, 8 stages
  wide.n = 1, wide.c = 512, wide.m = 100, wide.h = 5, wide.w = 6, wide.kh = wide.kw = 1;
  wide.pads = {0, 0, 0, 0}, wide.act = fb::ActivationKind::None;
  Conv left;  // left shifts: the general requantize
  left = deep, left.y_factor = 1e-4f, left.act = fb::ActivationKind::None;
  int i = 0;
  for (int splits : {3, 4, 7}) {
    ScopedSplitK split(splits);
    for (int tile : {0, 2, 5}) {
      ScopedTile pin(tile);
      for (const Conv* t : {&deep, &wide, &left}) {
        for (bool residual : {false, true}) {
          SCOPED_TRACE("splits " + std::to_string(splits) + ", tile " + std::to_string(tile) +
                       ", case " + std::to_string(i) + (residual ? ", residual" : ""));
          std::vector<HostTensor> in;
          std::vector<uint8_t> file = conv_model(*t, seed + 11 * i++, residual, &in);
          // Left shifts saturate most outputs (as in ConvTensorCoresEveryTile).
          expect_same(file, in, "_splitk", t == &left ? 2 : 8);
        }
      }
    }
  }
}

// Stride-2 convolutions over <= 4 channels (stems) as space-to-depth + the tensor-core kernel.
TEST(CudaInt8, StemSpaceToDepth) {
  STRIX_REQUIRE_GPU();
  const uint32_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::vector<Conv> cases;
  Conv stem;  // the ResNet stem shape, small odd plane
  stem.c = 3, stem.m = 64, stem.kh = stem.kw = 7, stem.stride = 2, stem.pads = {3, 3, 3, 3};
  stem.h = 23, stem.w = 19;
  cases.push_back(stem);
  Conv stem3;  // MobileNetV2's stem: 3x3/2, c = 3 -> 32
  stem3.c = 3, stem3.m = 32, stem3.stride = 2, stem3.x_zp = 0, stem3.n = 3;
  cases.push_back(stem3);
  Conv odd;  // 4 channels, 5x4 filter, asymmetric pads, odd M, per-tensor, no bias
  odd.c = 4, odd.m = 37, odd.kh = 5, odd.kw = 4, odd.stride = 2, odd.pads = {2, 0, 1, 3};
  odd.h = 14, odd.w = 17, odd.x_zp = 57, odd.per_channel = false, odd.bias = false;
  cases.push_back(odd);
  Conv one;  // 1 channel, 2x2 filter without padding, odd plane
  one.c = 1, one.m = 16, one.kh = one.kw = 2, one.stride = 2, one.pads = {0, 0, 0, 0};
  one.h = 9, one.w = 13, one.act = fb::ActivationKind::None;
  cases.push_back(one);
  Conv shifts;  // left shifts (multipliers > 1)
  shifts.c = 2, shifts.m = 24, shifts.stride = 2, shifts.y_factor = 1e-4f;
  shifts.act = fb::ActivationKind::None;
  cases.push_back(shifts);
  for (int tile : {1, 2, 4}) {
    ScopedTile pin(tile);
    for (size_t i = 0; i < cases.size(); ++i) {
      SCOPED_TRACE("tile " + std::to_string(tile) + ", case " + std::to_string(i));
      std::vector<HostTensor> in;
      std::vector<uint8_t> file = conv_model(cases[i], seed + 13 * i, false, &in);
      expect_same(file, in, "cuda_conv_i8_s2d_mma_t" + std::to_string(tile), i == 4 ? 2 : 16);
    }
  }
}

TEST(CudaInt8, ConvDirectAndDepthwise) {
  STRIX_REQUIRE_GPU();
  const uint32_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Conv odd;
  odd.c = 5, odd.m = 6, odd.x_zp = 11, odd.act = fb::ActivationKind::None;
  Conv c24;  // MobileNetV2's 24-channel 1x1 expansion
  c24.c = 24, c24.m = 144, c24.kh = c24.kw = 1, c24.pads = {0, 0, 0, 0};
  Conv wide_stem;  // stride 2 over 5 channels: past the space-to-depth limit of 4
  wide_stem.c = 5, wide_stem.m = 20, wide_stem.stride = 2, wide_stem.h = 12, wide_stem.w = 15;
  int i = 0;
  for (const Conv& c : {odd, c24, wide_stem}) {
    SCOPED_TRACE("small-c case " + std::to_string(i));
    std::vector<HostTensor> in;
    expect_same(conv_model(c, seed + 31 * i++, false, &in), in, "cuda_conv_i8_small_c_mma");
  }
  Conv grouped;
  grouped.c = 16, grouped.m = 32, grouped.group = 2, grouped.per_channel = false;
  Conv big_k;  // 9x9 x 5 channels = 405 reduction bytes: past the small-c kernel's limit
  big_k.c = 5, big_k.m = 70, big_k.kh = big_k.kw = 9, big_k.pads = {4, 4, 4, 4};
  Conv wide_group;  // 64 channels per group: the shared-memory direct kernel
  wide_group.c = 32, wide_group.m = 128, wide_group.group = 2;
  for (const Conv& c : {grouped, big_k, wide_group}) {
    SCOPED_TRACE("direct case " + std::to_string(i));
    std::vector<HostTensor> in;
    expect_same(conv_model(c, seed + 31 * i++, false, &in), in, "cuda_conv_i8_direct");
  }
  Conv dw;
  dw.c = dw.m = dw.group = 24, dw.stride = 2, dw.h = 17, dw.w = 14;
  Conv dw_odd;
  dw_odd.c = dw_odd.m = dw_odd.group = 7, dw_odd.kh = dw_odd.kw = 5, dw_odd.pads = {2, 2, 2, 2};
  dw_odd.x_zp = 3;
  for (const Conv& c : {dw, dw_odd}) {
    SCOPED_TRACE("depthwise case " + std::to_string(i));
    std::vector<HostTensor> in;
    expect_same(conv_model(c, seed + 31 * i++, false, &in), in, "cuda_depthwise_i8", 8);
  }
  // 16 channels per thread (c % 16 == 0): padding as x_zp with the folded bias, per-tensor and
  // per-channel weights, 3x3 stride 2, 5x5 with asymmetric pads, left shifts (general requantize).
  Conv dw16;
  dw16.c = dw16.m = dw16.group = 48, dw16.stride = 2, dw16.h = 17, dw16.w = 14, dw16.x_zp = -7;
  Conv dw16_5;
  dw16_5.c = dw16_5.m = dw16_5.group = 32, dw16_5.kh = dw16_5.kw = 5;
  dw16_5.pads = {2, 1, 2, 3}, dw16_5.x_zp = 90, dw16_5.per_channel = false;
  Conv dw16_shift = dw16;
  dw16_shift.y_factor = 1e-4f, dw16_shift.act = fb::ActivationKind::None;
  for (const Conv& c : {dw16, dw16_5, dw16_shift}) {
    SCOPED_TRACE("depthwise16 case " + std::to_string(i));
    std::vector<HostTensor> in;
    expect_same(conv_model(c, seed + 31 * i++, false, &in), in, "cuda_depthwise16_i8", 2);
  }
}

TEST(CudaInt8, ConvResidualAddFusion) {
  STRIX_REQUIRE_GPU();
  const uint32_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Conv a;    // tensor cores, M % 16 != 0 (the epilogue's byte path)
  Conv a16;  // tensor cores, M % 16 == 0 (16-byte residual loads and stores), 1x1
  a16.m = 64, a16.kh = a16.kw = 1, a16.pads = {0, 0, 0, 0}, a16.x_zp = 5;
  Conv a_lin;  // tensor cores, 1x1, an Add without ReLU (the Add's sign-exact requantize)
  a_lin.m = 48, a_lin.kh = a_lin.kw = 1, a_lin.pads = {0, 0, 0, 0};
  a_lin.act = fb::ActivationKind::None, a_lin.add_zp = 10;  // clamp below the zero point
  Conv b;  // few channels (im2col in shared memory)
  b.c = 6, b.m = 8;
  Conv c;  // depthwise
  c.c = c.m = c.group = 12, c.act = fb::ActivationKind::None;
  Conv c16;  // depthwise, 16 channels per thread
  c16.c = c16.m = c16.group = 32, c16.x_zp = 20;
  Conv d;  // grouped (direct dp4a)
  d.c = 16, d.m = 32, d.group = 2;
  int i = 0;
  for (int tile = 0; tile < kernels::cuda::kNumMmaConfigs; ++tile) {
    ScopedTile pin(tile);
    for (const Conv& t : {a, a16, a_lin}) {
      SCOPED_TRACE("tile " + std::to_string(tile) + ", case " + std::to_string(i));
      std::vector<HostTensor> in;
      expect_same(conv_model(t, seed + 7 * i++, true, &in), in,
                  "_t" + std::to_string(tile) + "_residual");
    }
  }
  for (const Conv& t : {a, b, c, c16, d}) {
    SCOPED_TRACE("case " + std::to_string(i));
    std::vector<HostTensor> in;
    std::vector<uint8_t> file = conv_model(t, seed + 7 * i++, true, &in);
    expect_same(file, in, "_residual");
    Outputs got = run(file, in, true);
    ASSERT_FALSE(got.nodes.empty());
    bool fused = false;
    for (const NodeReport& n : got.nodes) fused = fused || n.op == "Conv2D+Add";
    EXPECT_TRUE(fused) << "the Engine did not fuse the residual Add on the GPU";
  }
}

// An Engine build measures the tile shape of each tensor-core convolution and appends it to the
// tuning cache file (kernels/cuda/tuning_cache.h); the kernel that runs is the one stored. The
// shape is used by no other test, so this process has not measured it yet.
TEST(CudaInt8, TileChoiceGoesToTheTuningCacheFile) {
  STRIX_REQUIRE_GPU();
  char tmpl[] = "/tmp/strix_tuning_XXXXXX";
  const int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  close(fd);
  setenv("STRIX_CUDA_TUNING_CACHE", tmpl, 1);
  Conv t;
  t.n = 3, t.c = 48, t.m = 88, t.h = 10, t.w = 13, t.kh = t.kw = 1, t.pads = {0, 0, 0, 0};
  std::vector<HostTensor> in;
  std::vector<uint8_t> file = conv_model(t, fresh_seed(), false, &in);
  expect_same(file, in, "cuda_conv_i8_mma_t");
  Outputs got = run(file, in, true);
  unsetenv("STRIX_CUDA_TUNING_CACHE");
  std::string kernel;
  for (const NodeReport& n : got.nodes)
    if (n.op == "Conv2D") kernel = n.kernel;
  std::ifstream f(tmpl);
  std::string line, stored;
  int lines = 0;
  while (std::getline(f, line)) {
    if (line.find("|i8mma-") == std::string::npos) continue;
    ++lines;
    const size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    stored = line.substr(tab + 1, line.find('\t', tab + 1) - tab - 1);
    EXPECT_NE(line.find("|3,10,13,48|88,1,1|"), std::string::npos)
        << "the shape is in the key: " << line;
  }
  std::remove(tmpl);
  EXPECT_EQ(lines, 1) << "one measurement for the one shape";
  ASSERT_FALSE(stored.empty());
  // "t<tile>s<splits>": the kernel is cuda_conv_i8_mma_t<tile>[_splitk<splits>].
  const size_t s_at = stored.find('s');
  ASSERT_NE(s_at, std::string::npos) << stored;
  const int splits = std::atoi(stored.c_str() + s_at + 1);
  const std::string want = "cuda_conv_i8_mma_" + stored.substr(0, s_at) +
                           (splits > 1 ? "_splitk" + std::to_string(splits) : "");
  EXPECT_EQ(kernel, want) << "the kernel that ran is the stored choice (" << stored << ")";
}

TEST(CudaInt8, FullyConnected) {
  STRIX_REQUIRE_GPU();
  const uint32_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  struct Fc {
    int64_t rows, k, n;
    bool trans_b;
    int zp;
  };
  int i = 0;
  for (Fc t : {Fc{3, 64, 100, true, -128}, Fc{5, 96, 37, false, 7}, Fc{2, 37, 21, true, 0}}) {
    SCOPED_TRACE("fc case " + std::to_string(i));
    const float xs = 0.02f, wb = 0.01f;
    ModelBuilder b;
    int a = b.add_input("a", DType::kI8, {t.rows, t.k});
    b.set_quantization(a, per_tensor(xs, t.zp));
    std::vector<int8_t> w = random_i8(t.k * t.n, seed + i, -127, 127);
    int wt = convfc::add_i8_constant(
        b, "w", t.trans_b ? std::vector<int64_t>{t.n, t.k} : std::vector<int64_t>{t.k, t.n}, w);
    b.set_quantization(
        wt, per_channel(random_floats(t.n, seed + 5, 0.5f * wb, 2.f * wb), t.trans_b ? 0 : 1));
    std::vector<float> rb = random_floats(t.n, seed + 6, -5000.f, 5000.f);
    std::vector<int32_t> bias(rb.begin(), rb.end());
    int bt = b.add_constant_i32("bias", {t.n}, bias);
    int y = b.add_tensor("y", DType::kI8, {t.rows, t.n});
    b.set_quantization(y, per_tensor(out_scale(xs, wb, t.k), 5));
    auto act = convfc::activation(b, fb::ActivationKind::None, 0.f, 0.f);
    auto o = fb::CreateFullyConnectedOptions(b.fbb(), 1, 1, false, t.trans_b, act);
    b.add_node("fc", fb::OpType::FullyConnected, {a, wt, bt}, {y},
               fb::OpOptions::FullyConnectedOptions, o.Union());
    b.mark_output(y);
    std::vector<HostTensor> in = {i8({t.rows, t.k}, random_i8(t.rows * t.k, seed + 9 + i))};
    expect_same(b.finish(), in, t.k % 16 == 0 ? "cuda_fc_i8_mma" : "cuda_fc_i8_small_c_mma");
    ++i;
  }
}

// f32 input -> Quantize -> Conv (+ReLU) -> MaxPool 3x3/2 -> Conv + residual Add -> GAP ->
// Flatten -> FC -> Dequantize: the whole INT8 graph on the GPU, output floats equal.
// `ch` channels after the stem: 32 and 20 and 7 take the MaxPool's 16-, 4- and 1-byte paths.
void small_network_end_to_end(uint32_t seed, int64_t ch) {
  SCOPED_TRACE("channels " + std::to_string(ch));
  const int64_t n = 3, h = 21, w = 19;
  ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {n, 3, h, w});
  int q = b.add_tensor("x#i8", DType::kI8, {n, 3, h, w});
  b.set_quantization(q, per_tensor(2.f / 255.f, -1));
  b.add_node("quantize", fb::OpType::Quantize, {x}, {q});
  auto conv = [&](int in, int64_t c, int64_t m, int64_t hh, int64_t ww, int k, int stride,
                  float out_s, int64_t zp, fb::ActivationKind act, const std::string& name) {
    std::vector<int8_t> wv = random_i8(m * c * k * k, seed + m + c, -127, 127);
    int wt = convfc::add_i8_constant(b, name + ".w", {m, c, k, k}, wv);
    b.set_quantization(wt, per_channel(random_floats(m, seed + 3, 0.005f, 0.02f), 0));
    std::vector<float> rb = random_floats(m, seed + 4, -3000.f, 3000.f);
    int bt = b.add_constant_i32(name + ".b", {m}, std::vector<int32_t>(rb.begin(), rb.end()));
    const int64_t oh = (hh + 2 * (k / 2) - k) / stride + 1,
                  ow = (ww + 2 * (k / 2) - k) / stride + 1;
    int y = b.add_tensor(name, DType::kI8, {n, m, oh, ow});
    b.set_quantization(y, per_tensor(out_s, zp));
    auto s = convfc::ints(b, {stride, stride});
    auto d = convfc::ints(b, {1, 1});
    auto p = convfc::ints(b, {k / 2, k / 2, k / 2, k / 2});
    auto a = convfc::activation(b, act, 0.f, 0.f);
    auto o = fb::CreateConv2DOptions(b.fbb(), 0, s, d, p, fb::PaddingMode::Explicit, 1, a);
    b.add_node(name + "_node", fb::OpType::Conv2D, {in, wt, bt}, {y}, fb::OpOptions::Conv2DOptions,
               o.Union());
    return y;
  };
  int c1 = conv(q, 3, ch, h, w, 3, 2, 0.05f, -128, fb::ActivationKind::Relu, "c1");  // 11x10
  int mp = b.add_tensor("mp", DType::kI8, {n, ch, 6, 5});
  b.set_quantization(mp, per_tensor(0.05f, -128));
  {
    auto k = convfc::ints(b, {3, 3});
    auto s = convfc::ints(b, {2, 2});
    auto d = convfc::ints(b, {1, 1});
    auto p = convfc::ints(b, {1, 1, 1, 1});
    auto o = fb::CreatePool2DOptions(b.fbb(), k, s, d, p, fb::PaddingMode::Explicit);
    b.add_node("maxpool", fb::OpType::MaxPool, {c1}, {mp}, fb::OpOptions::Pool2DOptions, o.Union());
  }
  int c2 = conv(mp, ch, ch, 6, 5, 3, 1, 0.08f, 4, fb::ActivationKind::None, "c2");
  int sum = b.add_tensor("sum", DType::kI8, {n, ch, 6, 5});
  b.set_quantization(sum, per_tensor(0.1f, -128));
  {
    auto act = convfc::activation(b, fb::ActivationKind::Relu, 0.f, 0.f);
    auto o = fb::CreateBinaryOptions(b.fbb(), act);
    b.add_node("add", fb::OpType::Add, {c2, mp}, {sum}, fb::OpOptions::BinaryOptions, o.Union());
  }
  int gap = b.add_tensor("gap", DType::kI8, {n, ch, 1, 1});
  b.set_quantization(gap, per_tensor(0.04f, -128));
  b.add_node("gap", fb::OpType::GlobalAveragePool, {sum}, {gap});
  int flat = b.add_tensor("flat", DType::kI8, {n, ch});
  b.set_quantization(flat, per_tensor(0.04f, -128));
  {
    auto o = fb::CreateFlattenOptions(b.fbb(), 1);
    b.add_node("flatten", fb::OpType::Flatten, {gap}, {flat}, fb::OpOptions::FlattenOptions,
               o.Union());
  }
  std::vector<int8_t> fw = random_i8(10 * ch, seed + 77, -127, 127);
  int fwt = convfc::add_i8_constant(b, "fc.w", {10, ch}, fw);
  b.set_quantization(fwt, per_tensor(0.01f, 0));
  int logits8 = b.add_tensor("logits#i8", DType::kI8, {n, 10});
  b.set_quantization(logits8, per_tensor(0.02f, 0));
  {
    auto act = convfc::activation(b, fb::ActivationKind::None, 0.f, 0.f);
    auto o = fb::CreateFullyConnectedOptions(b.fbb(), 1, 1, false, true, act);
    b.add_node("fc", fb::OpType::FullyConnected, {flat, fwt}, {logits8},
               fb::OpOptions::FullyConnectedOptions, o.Union());
  }
  int logits = b.add_tensor("logits", DType::kF32, {n, 10});
  b.add_node("dequantize", fb::OpType::Dequantize, {logits8}, {logits});
  b.mark_output(logits);
  b.mark_output(sum);  // a rank-4 i8 output: copied back from channels-last
  std::vector<HostTensor> in = {
      f32({n, 3, h, w}, random_floats(n * 3 * h * w, seed + 100, -0.2f, 1.2f))};
  expect_same(b.finish(), in, "", 8);
}

TEST(CudaInt8, SmallNetworkEndToEnd) {
  STRIX_REQUIRE_GPU();
  const uint32_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (int64_t ch : {32, 20, 7}) small_network_end_to_end(seed + static_cast<uint32_t>(ch), ch);
}

// Concat copies bytes on the GPU only when every input has the output's quantization; the
// reference requantizes the others, so such a node must stay on the CPU (and stay right).
TEST(CudaInt8, ConcatRequantizingInputsStayOnTheCpu) {
  STRIX_REQUIRE_GPU();
  const uint32_t seed = fresh_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (bool same : {true, false}) {
    SCOPED_TRACE(same ? "same quantization" : "different quantization");
    ModelBuilder b;
    int a = b.add_input("a", DType::kI8, {2, 5, 7, 3});
    int c = b.add_input("c", DType::kI8, {2, 3, 7, 3});
    b.set_quantization(a, per_tensor(0.05f, -10));
    b.set_quantization(c, same ? per_tensor(0.05f, -10) : per_tensor(0.11f, 20));
    int y = b.add_tensor("y", DType::kI8, {2, 8, 7, 3});
    b.set_quantization(y, per_tensor(0.05f, -10));
    auto o = fb::CreateConcatOptions(b.fbb(), 1);
    b.add_node("concat", fb::OpType::Concat, {a, c}, {y}, fb::OpOptions::ConcatOptions, o.Union());
    b.mark_output(y);
    std::vector<uint8_t> file = b.finish();
    std::vector<HostTensor> in = {i8({2, 5, 7, 3}, random_i8(2 * 5 * 7 * 3, seed)),
                                  i8({2, 3, 7, 3}, random_i8(2 * 3 * 7 * 3, seed + 1))};
    Outputs ref = run(file, in, false);
    Outputs got = run(file, in, true);
    ASSERT_EQ(ref.out.size(), 1u);
    ASSERT_EQ(got.out.size(), 1u);
    EXPECT_EQ(got.out[0].bytes, ref.out[0].bytes);
    std::string backend;
    for (const NodeReport& n : got.nodes)
      if (n.op == "Concat") backend = n.backend;
    if (same)
      EXPECT_EQ(backend, "cuda");
    else
      EXPECT_TRUE(backend == "cpu" || backend == "cpu-ref") << backend;
  }
}

// STRIX_TEST_INT8_MODELS="a.strix b.strix": real INT8 models (strixc --precision int8), batch 2
// of random images: the GPU's output floats equal the CPU INT8 path's.
TEST(CudaInt8, ModelFilesMatchTheCpu) {
  STRIX_REQUIRE_GPU();
  const char* list = std::getenv("STRIX_TEST_INT8_MODELS");
  if (list == nullptr || *list == 0) GTEST_SKIP() << "STRIX_TEST_INT8_MODELS is not set";
  std::string all = list;
  size_t start = 0;
  while (start < all.size()) {
    size_t end = all.find(' ', start);
    if (end == std::string::npos) end = all.size();
    const std::string path = all.substr(start, end - start);
    start = end + 1;
    if (path.empty()) continue;
    SCOPED_TRACE(path);
    Result<Model> model = Model::load(path);
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    EngineOptions cpu;
    cpu.batch = 2;
    EngineOptions gpu = cpu;
    gpu.device = "cuda";
    auto e_cpu = Engine::create(model.value(), cpu);
    auto e_gpu = Engine::create(model.value(), gpu);
    ASSERT_TRUE(e_cpu.ok()) << e_cpu.status().to_string();
    ASSERT_TRUE(e_gpu.ok()) << e_gpu.status().to_string();
    EXPECT_EQ(e_gpu.value()->report().num_fallbacks, 0);
    auto c_cpu = e_cpu.value()->create_context();
    auto c_gpu = e_gpu.value()->create_context();
    ASSERT_TRUE(c_cpu.ok() && c_gpu.ok());
    // f32 inputs (images in [0, 1]) or, for --int8-io models, random i8 inputs.
    TensorView in = c_cpu.value().input(0);
    std::vector<uint8_t> x(in.byte_size());
    if (in.dtype == DType::kF32) {
      std::vector<float> f = random_floats(in.byte_size() / 4, 1234, 0.f, 1.f);
      std::memcpy(x.data(), f.data(), x.size());
    } else {
      std::vector<int8_t> q = random_i8(static_cast<int64_t>(x.size()), 1234);
      std::memcpy(x.data(), q.data(), x.size());
    }
    ASSERT_TRUE(c_cpu.value().set_input(0, x.data(), in.byte_size()).ok());
    ASSERT_TRUE(c_gpu.value().set_input(0, x.data(), in.byte_size()).ok());
    c_cpu.value().run();
    c_gpu.value().run();
    ASSERT_TRUE(c_gpu.value().last_error().ok()) << c_gpu.value().last_error().to_string();
    TensorView a = c_cpu.value().output(0), g = c_gpu.value().output(0);
    ASSERT_EQ(a.byte_size(), g.byte_size());
    ASSERT_EQ(a.dtype, g.dtype);
    const size_t elem = dtype_size(a.dtype), count = a.byte_size() / elem;
    const auto* ba = static_cast<const uint8_t*>(a.data);
    const auto* bg = static_cast<const uint8_t*>(g.data);
    size_t bad = 0;
    std::set<std::string> distinct;
    for (size_t i = 0; i < count; ++i) {
      bad += std::memcmp(ba + i * elem, bg + i * elem, elem) != 0;
      distinct.insert(std::string(reinterpret_cast<const char*>(ba + i * elem), elem));
    }
    EXPECT_GE(distinct.size(), 10u);
    EXPECT_EQ(bad, 0u) << bad << " of " << count << " outputs differ";
    std::printf("[ model    ] %s: %zu outputs equal, %d fallbacks\n", path.c_str(), count - bad,
                e_gpu.value()->report().num_fallbacks);
  }
}

}  // namespace
}  // namespace strix::testing
