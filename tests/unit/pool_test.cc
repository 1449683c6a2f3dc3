// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool (f32, f16 storage): hand-computed
// cases, odd random shapes against a padded-array formulation, and option errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "converter/writer/model_builder.h"
#include "tests/support/model_runner.h"

namespace strix {
namespace {

using testing::f16;
using testing::f32;
using testing::random_floats;
using testing::run_model;
using writer::ModelBuilder;

struct PoolOpts {
  std::vector<int> kernel, strides, dilations, pads;
  fb::PaddingMode padding = fb::PaddingMode::Explicit;
  bool ceil_mode = false;
  bool count_include_pad = false;
};

// One pool node x -> y; options omitted when o is null.
std::vector<uint8_t> pool_model(fb::OpType op, DType dtype, const std::vector<int64_t>& in,
                                const std::vector<int64_t>& out, const PoolOpts* o) {
  ModelBuilder b;
  int x = b.add_input("x", dtype, in);
  int y = b.add_tensor("y", dtype, out);
  auto& fbb = b.fbb();
  if (o != nullptr) {
    auto vec = [&fbb](const std::vector<int>& v) {
      return v.empty() ? flatbuffers::Offset<flatbuffers::Vector<int32_t>>() : fbb.CreateVector(v);
    };
    auto opts =
        fb::CreatePool2DOptions(fbb, vec(o->kernel), vec(o->strides), vec(o->dilations),
                                vec(o->pads), o->padding, o->ceil_mode, o->count_include_pad);
    b.add_node("pool", op, {x}, {y}, fb::OpOptions::Pool2DOptions, opts.Union());
  } else {
    b.add_node("pool", op, {x}, {y});
  }
  b.mark_output(y);
  return b.finish();
}

std::vector<float> run_f32(fb::OpType op, const std::vector<int64_t>& in,
                           const std::vector<int64_t>& out, const PoolOpts& o,
                           const std::vector<float>& x) {
  auto r = run_model(pool_model(op, DType::kF32, in, out, &o), {f32(in, x)});
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok()) return {};
  EXPECT_EQ(r.value()[0].shape, Shape(out));
  return r.value()[0].f32();
}

Status run_error(fb::OpType op, const std::vector<int64_t>& in, const PoolOpts* o) {
  std::vector<float> x(static_cast<size_t>(Shape(in).num_elements()), 1.f);
  auto r = run_model(pool_model(op, DType::kF32, in, {1, 1, 1, 1}, o), {f32(in, x)});
  return r.ok() ? Status() : r.status();
}

// ---- Independent formulation: output sizes from the ONNX formulas in floating point, the
// input copied into a padded array whose cells are marked real / explicit pad / extra (the
// area ceil_mode adds), and every window enumerated in padded coordinates.

struct RefDim {
  int64_t out, pad_begin, pad_end;
};

RefDim ref_dim(int64_t in, int k, int s, int d, const PoolOpts& o, int pad_b, int pad_e) {
  double ek = (k - 1.0) * d + 1.0;
  switch (o.padding) {
    case fb::PaddingMode::Valid:
      return {static_cast<int64_t>(std::ceil((in - ek + 1.0) / s)), 0, 0};
    case fb::PaddingMode::SameUpper:
    case fb::PaddingMode::SameLower: {
      int64_t out = static_cast<int64_t>(std::ceil(static_cast<double>(in) / s));
      int64_t total = std::max<int64_t>(0, (out - 1) * s + static_cast<int64_t>(ek) - in);
      int64_t begin = o.padding == fb::PaddingMode::SameUpper ? total / 2 : (total + 1) / 2;
      return {out, begin, total - begin};
    }
    default: {
      double v = (in + pad_b + pad_e - ek) / s;
      int64_t out = static_cast<int64_t>(o.ceil_mode ? std::ceil(v) : std::floor(v)) + 1;
      if (o.ceil_mode && (out - 1) * s >= in + pad_b) --out;
      return {out, pad_b, pad_e};
    }
  }
}

struct RefResult {
  std::vector<int64_t> shape;
  std::vector<float> y;
};

RefResult ref_pool(bool average, const std::vector<int64_t>& in, const PoolOpts& o,
                   const std::vector<float>& x) {
  int kh = o.kernel[0], kw = o.kernel[1];
  int sh = o.strides.empty() ? 1 : o.strides[0], sw = o.strides.empty() ? 1 : o.strides[1];
  int dh = o.dilations.empty() ? 1 : o.dilations[0], dw = o.dilations.empty() ? 1 : o.dilations[1];
  std::vector<int> p = o.pads.empty() ? std::vector<int>{0, 0, 0, 0} : o.pads;
  int64_t n = in[0], c = in[1], h = in[2], w = in[3];
  RefDim rh = ref_dim(h, kh, sh, dh, o, p[0], p[2]);
  RefDim rw = ref_dim(w, kw, sw, dw, o, p[1], p[3]);
  // Padded plane: big enough for every window, including ceil_mode's extra area.
  int64_t hp = std::max(h + rh.pad_begin + rh.pad_end, (rh.out - 1) * sh + (kh - 1) * dh + 1);
  int64_t wp = std::max(w + rw.pad_begin + rw.pad_end, (rw.out - 1) * sw + (kw - 1) * dw + 1);
  enum Cell { kReal, kPad, kExtra };
  std::vector<int> kind(static_cast<size_t>(hp * wp));
  for (int64_t i = 0; i < hp; ++i) {
    for (int64_t j = 0; j < wp; ++j) {
      bool in_h = i >= rh.pad_begin && i < rh.pad_begin + h;
      bool in_w = j >= rw.pad_begin && j < rw.pad_begin + w;
      bool in_padded = i < h + rh.pad_begin + rh.pad_end && j < w + rw.pad_begin + rw.pad_end;
      kind[i * wp + j] = (in_h && in_w) ? kReal : (in_padded ? kPad : kExtra);
    }
  }
  RefResult r;
  r.shape = {n, c, rh.out, rw.out};
  std::vector<float> plane(static_cast<size_t>(hp * wp));
  for (int64_t nc = 0; nc < n * c; ++nc) {
    for (int64_t i = 0; i < hp * wp; ++i) {
      int64_t pi = i / wp - rh.pad_begin, pj = i % wp - rw.pad_begin;
      plane[i] = kind[i] == kReal ? x[nc * h * w + pi * w + pj] : 0.f;
    }
    for (int64_t oh = 0; oh < rh.out; ++oh) {
      for (int64_t ow = 0; ow < rw.out; ++ow) {
        double sum = 0, count = 0;
        float m = -std::numeric_limits<float>::infinity();
        for (int a = 0; a < kh; ++a) {
          for (int b = 0; b < kw; ++b) {
            int64_t cell = (oh * sh + a * dh) * wp + (ow * sw + b * dw);
            if (kind[cell] == kReal) {
              sum += plane[cell];
              m = std::max(m, plane[cell]);
              count += 1;
            } else if (kind[cell] == kPad && o.count_include_pad) {
              count += 1;
            }
          }
        }
        r.y.push_back(average ? static_cast<float>(sum / count) : m);
      }
    }
  }
  return r;
}

void expect_near_all(const std::vector<float>& got, const std::vector<float>& want, float tol,
                     const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], tol * (1.f + std::fabs(want[i]))) << what << " at " << i;
}

std::vector<float> iota_floats(size_t n, float start = 1.f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + static_cast<float>(i);
  return v;
}

// ---- Hand-computed cases.

TEST(Pool, MaxPool4x4Kernel2Stride2) {
  // x = 1..16 row-major; each 2x2 block's maximum is its bottom-right element.
  PoolOpts o{{2, 2}, {2, 2}};
  auto y = run_f32(fb::OpType::MaxPool, {1, 1, 4, 4}, {1, 1, 2, 2}, o, iota_floats(16));
  EXPECT_EQ(y, (std::vector<float>{6, 8, 14, 16}));
}

TEST(Pool, AveragePool3x3Stride2Pad1) {
  // x[r][c] = 4r + c + 1 on 4x4; out = floor((4 + 2 - 3) / 2) + 1 = 2.
  // Windows (rows x cols in input coordinates): (0) rows -1..1, (1) rows 1..3.
  //   (0,0): rows 0-1, cols 0-1: 1+2+5+6 = 14;   4 real taps
  //   (0,1): rows 0-1, cols 1-3: 2+3+4+6+7+8 = 30; 6 real taps
  //   (1,0): rows 1-3, cols 0-1: 5+6+9+10+13+14 = 57; 6 real taps
  //   (1,1): rows 1-3, cols 1-3: 6+7+8+10+11+12+14+15+16 = 99; 9 real taps
  PoolOpts o{{3, 3}, {2, 2}, {}, {1, 1, 1, 1}};
  auto y = run_f32(fb::OpType::AveragePool, {1, 1, 4, 4}, {1, 1, 2, 2}, o, iota_floats(16));
  expect_near_all(y, {14.f / 4, 30.f / 6, 57.f / 6, 99.f / 9}, 1e-6f, "exclude pad");
  o.count_include_pad = true;
  y = run_f32(fb::OpType::AveragePool, {1, 1, 4, 4}, {1, 1, 2, 2}, o, iota_floats(16));
  expect_near_all(y, {14.f / 9, 30.f / 9, 57.f / 9, 99.f / 9}, 1e-6f, "include pad");
}

TEST(Pool, CeilModeKeepsPartialLastWindow) {
  // x[r][c] = 5r + c on 5x5, kernel 2, stride 2: floor mode gives 2, ceil mode
  // ceil((5 - 2) / 2) + 1 = 3; the last window (start 4) holds only row/col 4.
  // Max: 5 * min(2o + 1, 4) + min(2o' + 1, 4). Mean: 5 * rowmean + colmean with
  // rowmean = colmean = {0.5, 2.5, 4}.
  PoolOpts o{{2, 2}, {2, 2}};
  o.ceil_mode = true;
  std::vector<float> x = iota_floats(25, 0.f);
  auto y = run_f32(fb::OpType::MaxPool, {1, 1, 5, 5}, {1, 1, 3, 3}, o, x);
  EXPECT_EQ(y, (std::vector<float>{6, 8, 9, 16, 18, 19, 21, 23, 24}));
  std::vector<float> mean = {3, 5, 6.5f, 13, 15, 16.5f, 20.5f, 22.5f, 24};
  y = run_f32(fb::OpType::AveragePool, {1, 1, 5, 5}, {1, 1, 3, 3}, o, x);
  expect_near_all(y, mean, 1e-6f, "ceil exclude pad");
  // The area ceil_mode adds is not padding: count_include_pad changes nothing here.
  o.count_include_pad = true;
  y = run_f32(fb::OpType::AveragePool, {1, 1, 5, 5}, {1, 1, 3, 3}, o, x);
  expect_near_all(y, mean, 1e-6f, "ceil include pad");
}

TEST(Pool, CeilModeWithPadsCountsOnlyExplicitPads) {
  // x[r][c] = 4r + c + 1 on 4x4, kernel 3, stride 2, pads 1, ceil: (4 + 2 - 3) / 2 = 1.5 ->
  // 3 outputs; the last starts at padded 4 = input 3 < 4 + 1, so it stays.
  // Row windows: {-1,0,1} {1,2,3} {3,4(pad),5(extra)}: real rows R = {0,1} {1,2,3} {3},
  // counted with pads: 3, 3, 2 (row 5 is ceil_mode area). Same for columns.
  // Window sum = nC * 4 * sum(R) + nR * sum(C) + nR * nC.
  PoolOpts o{{3, 3}, {2, 2}, {}, {1, 1, 1, 1}};
  o.ceil_mode = true;
  o.count_include_pad = true;
  std::vector<float> sums = {14, 30, 12, 57, 99, 36, 27, 45, 16};
  std::vector<float> incl = {9, 9, 6, 9, 9, 6, 6, 6, 4};
  std::vector<float> excl = {4, 6, 2, 6, 9, 3, 2, 3, 1};
  std::vector<float> want_incl, want_excl;
  for (size_t i = 0; i < 9; ++i) {
    want_incl.push_back(sums[i] / incl[i]);
    want_excl.push_back(sums[i] / excl[i]);
  }
  auto y = run_f32(fb::OpType::AveragePool, {1, 1, 4, 4}, {1, 1, 3, 3}, o, iota_floats(16));
  expect_near_all(y, want_incl, 1e-6f, "include pad");
  o.count_include_pad = false;
  y = run_f32(fb::OpType::AveragePool, {1, 1, 4, 4}, {1, 1, 3, 3}, o, iota_floats(16));
  expect_near_all(y, want_excl, 1e-6f, "exclude pad");
}

TEST(Pool, CeilModeDropsWindowStartingInPadding) {
  // 5 wide, kernel 2, stride 3, pads 0/1: (5 + 1 - 2) / 3 = 1.33 -> ceil gives 3, but the
  // third window starts at 6 >= 5 + 0 (entirely in the padding) and is dropped: 2 outputs,
  // max(x0, x1) = 3 and max(x3, x4) = 5.
  PoolOpts o{{1, 2}, {1, 3}, {}, {0, 0, 0, 1}};
  o.ceil_mode = true;
  auto y = run_f32(fb::OpType::MaxPool, {1, 1, 1, 5}, {1, 1, 1, 2}, o, {3, 1, 4, 1, 5});
  EXPECT_EQ(y, (std::vector<float>{3, 5}));
}

TEST(Pool, DilatedMaxPool) {
  // x[r][c] = (7r + 3c) % 11 on 5x5:
  //   0  3  6  9  1
  //   7 10  2  5  8
  //   3  6  9  1  4
  //  10  2  5  8  0
  //   6  9  1  4  7
  // kernel 2, dilation 2, stride 1: taps rows {o, o+2} x cols {o', o'+2}, 3x3 outputs.
  //   (0,0): 0 6 3 9 -> 9   (0,1): 3 9 6 1 -> 9   (0,2): 6 1 9 4 -> 9
  //   (1,0): 7 2 10 5 -> 10 (1,1): 10 5 2 8 -> 10 (1,2): 2 8 5 0 -> 8
  //   (2,0): 3 9 6 1 -> 9   (2,1): 6 1 9 4 -> 9   (2,2): 9 4 1 7 -> 9
  std::vector<float> x;
  for (int r = 0; r < 5; ++r)
    for (int c = 0; c < 5; ++c) x.push_back(static_cast<float>((7 * r + 3 * c) % 11));
  PoolOpts o{{2, 2}, {1, 1}, {2, 2}};
  auto y = run_f32(fb::OpType::MaxPool, {1, 1, 5, 5}, {1, 1, 3, 3}, o, x);
  EXPECT_EQ(y, (std::vector<float>{9, 9, 9, 10, 10, 8, 9, 9, 9}));
}

TEST(Pool, SameUpperAndSameLower) {
  // Width 3, kernel 2, stride 1: out 3, total pad 1 -> right (SameUpper) or left (SameLower).
  // x = [[1 5 2] [4 3 6]], kernel [1, 2].
  std::vector<float> x = {1, 5, 2, 4, 3, 6};
  PoolOpts o{{1, 2}};
  o.padding = fb::PaddingMode::SameUpper;
  EXPECT_EQ(run_f32(fb::OpType::MaxPool, {1, 1, 2, 3}, {1, 1, 2, 3}, o, x),
            (std::vector<float>{5, 5, 2, 4, 6, 6}));
  expect_near_all(run_f32(fb::OpType::AveragePool, {1, 1, 2, 3}, {1, 1, 2, 3}, o, x),
                  {3, 3.5f, 2, 3.5f, 4.5f, 6}, 1e-6f, "same upper");
  o.padding = fb::PaddingMode::SameLower;
  EXPECT_EQ(run_f32(fb::OpType::MaxPool, {1, 1, 2, 3}, {1, 1, 2, 3}, o, x),
            (std::vector<float>{1, 5, 5, 4, 4, 6}));
  expect_near_all(run_f32(fb::OpType::AveragePool, {1, 1, 2, 3}, {1, 1, 2, 3}, o, x),
                  {1, 3, 3.5f, 4, 3.5f, 4.5f}, 1e-6f, "same lower");
  o.count_include_pad = true;  // the computed pad counts: 1 / 2 at the left edge
  expect_near_all(run_f32(fb::OpType::AveragePool, {1, 1, 2, 3}, {1, 1, 2, 3}, o, x),
                  {0.5f, 3, 3.5f, 2, 3.5f, 4.5f}, 1e-6f, "same lower include pad");
}

// ---- Odd random shapes against the padded-array formulation.

TEST(Pool, RandomOddShapesMatchPaddedFormulation) {
  std::vector<PoolOpts> configs;
  configs.push_back({{3, 3}, {2, 2}, {}, {1, 1, 1, 1}});
  configs.push_back({{2, 3}, {2, 1}, {2, 1}, {0, 1, 1, 0}, fb::PaddingMode::Explicit, true});
  configs.push_back({{3, 3}, {2, 2}, {}, {1, 0, 2, 1}, fb::PaddingMode::Explicit, true, true});
  configs.push_back({{3, 3}, {2, 3}, {}, {1, 0, 2, 1}, fb::PaddingMode::Explicit, true, false});
  configs.push_back({{3, 2}, {1, 2}, {2, 3}, {2, 1, 0, 1}, fb::PaddingMode::Explicit, false, true});
  // ceil_mode's extra area with count_include_pad (it must not count).
  configs.push_back({{2, 4}, {2, 3}, {}, {0, 1, 0, 0}, fb::PaddingMode::Explicit, true, true});
  configs.push_back({{3, 4}, {2, 3}, {}, {}, fb::PaddingMode::SameUpper, false, true});
  configs.push_back({{4, 3}, {3, 2}, {1, 2}, {}, fb::PaddingMode::SameLower, false, true});
  configs.push_back({{4, 3}, {3, 2}, {}, {}, fb::PaddingMode::SameLower, false, false});
  configs.push_back({{5, 3}, {3, 2}, {}, {}, fb::PaddingMode::Valid, true, true});
  std::vector<std::vector<int64_t>> shapes = {{2, 3, 13, 17}, {1, 13, 31, 29}, {1, 3, 5, 127}};
  uint32_t seed = 1;
  for (size_t ci = 0; ci < configs.size(); ++ci) {
    for (const auto& in : shapes) {
      const PoolOpts& o = configs[ci];
      if (in[2] < (o.kernel[0] - 1) * (o.dilations.empty() ? 1 : o.dilations[0]) + 1) continue;
      std::vector<float> x = random_floats(static_cast<size_t>(Shape(in).num_elements()), seed++);
      for (bool average : {false, true}) {
        RefResult want = ref_pool(average, in, o, x);
        auto y =
            run_f32(average ? fb::OpType::AveragePool : fb::OpType::MaxPool, in, want.shape, o, x);
        expect_near_all(
            y, want.y, 1e-5f,
            "config " + std::to_string(ci) + (average ? " avg " : " max ") + Shape(in).to_string());
      }
    }
  }
}

TEST(Pool, F16StorageMatchesF32) {
  std::vector<int64_t> in = {1, 5, 13, 17};
  std::vector<float> x = random_floats(static_cast<size_t>(Shape(in).num_elements()), 77, -3, 3);
  PoolOpts o{{3, 3}, {2, 2}, {}, {1, 1, 1, 1}, fb::PaddingMode::Explicit, true, true};
  for (fb::OpType op : {fb::OpType::MaxPool, fb::OpType::AveragePool}) {
    std::vector<float> want = run_f32(op, in, {1, 5, 7, 9}, o, x);
    auto r = run_model(pool_model(op, DType::kF16, in, {1, 5, 7, 9}, &o), {f16(in, x)});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    std::vector<float> got;
    for (uint16_t h : r.value()[0].values<uint16_t>()) got.push_back(half_to_float(h));
    EXPECT_LT(testing::relative_l2(got, want), 1e-2) << fb::EnumNameOpType(op);
  }
}

// ---- Global pools.

std::vector<float> run_global(fb::OpType op, DType dtype, const std::vector<int64_t>& in,
                              const std::vector<float>& x) {
  std::vector<int64_t> out = in;
  for (size_t d = 2; d < out.size(); ++d) out[d] = 1;
  auto r = run_model(pool_model(op, dtype, in, out, nullptr),
                     {dtype == DType::kF16 ? f16(in, x) : f32(in, x)});
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok()) return {};
  EXPECT_EQ(r.value()[0].shape, Shape(out));
  if (dtype == DType::kF32) return r.value()[0].f32();
  std::vector<float> v;
  for (uint16_t h : r.value()[0].values<uint16_t>()) v.push_back(half_to_float(h));
  return v;
}

TEST(GlobalPool, HandComputed) {
  // Two channels of 2x2: {1, -2, 3, 6} -> mean 2, max 6; {-1, -5, -3, -7} -> mean -4, max -1.
  std::vector<float> x = {1, -2, 3, 6, -1, -5, -3, -7};
  EXPECT_EQ(run_global(fb::OpType::GlobalAveragePool, DType::kF32, {1, 2, 2, 2}, x),
            (std::vector<float>{2, -4}));
  EXPECT_EQ(run_global(fb::OpType::GlobalMaxPool, DType::kF32, {1, 2, 2, 2}, x),
            (std::vector<float>{6, -1}));
}

TEST(GlobalPool, AnyRankAtLeast3MatchesStdAlgorithms) {
  for (std::vector<int64_t> in :
       {std::vector<int64_t>{2, 5, 13}, {1, 3, 3, 5, 7}, {3, 11, 31, 29}}) {
    int64_t planes = in[0] * in[1];
    int64_t spatial = Shape(in).num_elements() / planes;
    std::vector<float> x = random_floats(static_cast<size_t>(planes * spatial), 5, -2, 2);
    std::vector<float> mean, mx;
    for (int64_t p = 0; p < planes; ++p) {
      auto b = x.begin() + p * spatial, e = b + spatial;
      double s = 0;
      for (auto it = b; it != e; ++it) s += *it;
      mean.push_back(static_cast<float>(s / spatial));
      mx.push_back(*std::max_element(b, e));
    }
    expect_near_all(run_global(fb::OpType::GlobalAveragePool, DType::kF32, in, x), mean, 1e-5f,
                    "gap " + Shape(in).to_string());
    EXPECT_EQ(run_global(fb::OpType::GlobalMaxPool, DType::kF32, in, x), mx);
    EXPECT_LT(
        testing::relative_l2(run_global(fb::OpType::GlobalAveragePool, DType::kF16, in, x), mean),
        1e-2);
  }
}

// ---- Errors.

void expect_error(const Status& s, StatusCode code, const char* substring) {
  EXPECT_EQ(s.code(), code) << s.to_string();
  EXPECT_NE(s.message().find(substring), std::string::npos) << s.to_string();
}

TEST(PoolErrors, BadOptionsAreReportedByName) {
  PoolOpts no_kernel{{}, {2, 2}};
  expect_error(run_error(fb::OpType::MaxPool, {1, 1, 4, 4}, &no_kernel), StatusCode::kCorruptModel,
               "kernel is missing");
  PoolOpts zero_stride{{2, 2}, {0, 1}};
  expect_error(run_error(fb::OpType::AveragePool, {1, 1, 4, 4}, &zero_stride),
               StatusCode::kCorruptModel, "strides (0, 1) must be >= 1");
  PoolOpts three{{2, 2, 2}};
  expect_error(run_error(fb::OpType::MaxPool, {1, 1, 4, 4}, &three), StatusCode::kCorruptModel,
               "kernel must have 2 values");
  PoolOpts zero_dilation{{2, 2}, {}, {1, 0}};
  expect_error(run_error(fb::OpType::MaxPool, {1, 1, 4, 4}, &zero_dilation),
               StatusCode::kCorruptModel, "dilations");
  PoolOpts negative_pad{{2, 2}, {}, {}, {0, -1, 0, 0}};
  expect_error(run_error(fb::OpType::MaxPool, {1, 1, 4, 4}, &negative_pad),
               StatusCode::kCorruptModel, "pads[1] = -1 is negative");
  PoolOpts pads_and_same{{2, 2}, {}, {}, {1, 1, 1, 1}, fb::PaddingMode::SameUpper};
  expect_error(run_error(fb::OpType::MaxPool, {1, 1, 4, 4}, &pads_and_same),
               StatusCode::kCorruptModel, "explicit pads are given together with padding mode");
  PoolOpts too_big{{5, 2}};
  expect_error(run_error(fb::OpType::MaxPool, {1, 1, 4, 4}, &too_big), StatusCode::kShapeMismatch,
               "does not fit input [1x1x4x4]");
  PoolOpts only_padding{{2, 2}, {1, 1}, {}, {2, 0, 0, 0}};
  expect_error(run_error(fb::OpType::AveragePool, {1, 1, 4, 4}, &only_padding),
               StatusCode::kShapeMismatch, "reads only padding");
  PoolOpts ok{{2, 2}};
  expect_error(run_error(fb::OpType::MaxPool, {1, 4, 4}, &ok), StatusCode::kShapeMismatch,
               "must be 4-D NCHW");
  expect_error(run_error(fb::OpType::GlobalAveragePool, {4, 4}, nullptr),
               StatusCode::kShapeMismatch, "rank >= 3");
}

}  // namespace
}  // namespace strix
