// INT8 calibration and graph quantization (converter/quant/): the calibrators against a numpy
// re-implementation and hand cases, batch-size independence of calibration, the structure
// and numerics of quantize_graph on a small network, and calibration-table checks.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "converter/data/dataset.h"
#include "converter/ir/export.h"
#include "converter/ir/graph.h"
#include "converter/quant/calib_table.h"
#include "converter/quant/calibrate.h"
#include "converter/quant/calibrator.h"
#include "converter/quant/histogram.h"
#include "converter/quant/quantize_graph.h"
#include "tests/support/model_runner.h"

namespace strix::quant {
namespace {

using ir::DType;
using ir::Graph;
using ir::Node;
using ir::Tensor;
using strix::testing::random_floats;

// ---- calibrators -------------------------------------------------------------------------

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("strix_quant_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// Runs tests/converter/calibrator_ref.py on a histogram: {entropy, mse, percentile} bins.
std::vector<long> python_bins(const std::vector<uint64_t>& h, bool non_negative, double p) {
  std::string path = temp_path("hist.txt");
  {
    std::ofstream f(path);
    f << "1 " << (non_negative ? 1 : 0) << " " << p << "\n";
    for (uint64_t c : h) f << c << "\n";
  }
  std::string cmd = std::string("/usr/bin/python3 ") + STRIX_CALIBRATOR_REF + " " + path;
  FILE* pipe = popen(cmd.c_str(), "r");
  std::vector<long> out(3, -1);
  if (pipe == nullptr) return out;
  if (std::fscanf(pipe, "%ld %ld %ld", &out[0], &out[1], &out[2]) != 3) out.assign(3, -1);
  pclose(pipe);
  std::filesystem::remove(path);
  return out;
}

TensorStats stats_of(const std::vector<float>& v) {
  TensorStats s;
  s.add_range(v.data(), static_cast<int64_t>(v.size()));
  s.start_histogram();
  s.add_histogram(v.data(), static_cast<int64_t>(v.size()));
  return s;
}

double threshold(const TensorStats& s, CalibratorKind kind, double p = 99.99) {
  CalibratorParams params;
  params.kind = kind;
  params.percentile = p;
  return compute_threshold(s.histogram(), s.bin_width(), s.min() >= 0.f, params);
}

TEST(QuantCalibrator, MinMaxIsTheExactRange) {
  std::vector<float> v = random_floats(1001, 3, -0.7f, 2.3f);
  v[17] = -3.25f;
  TensorStats s = stats_of(v);
  EXPECT_EQ(s.min(), -3.25f);
  EXPECT_FLOAT_EQ(s.amax(), 3.25f);
  EXPECT_EQ(threshold(s, CalibratorKind::kMinMax), 3.25);
  uint64_t total = 0;
  for (uint64_t c : s.histogram()) total += c;
  EXPECT_EQ(total, 1001u);
  EXPECT_EQ(s.histogram()[kHistogramBins - 1], 1u);  // |x| == amax lands in the last bin
}

TEST(QuantCalibrator, PercentileHandCases) {
  // 9999 values near 0 and one at 1: 99.99 % are covered by bin 0, 99.995 % need the outlier.
  std::vector<float> v(9999, 1e-6f);
  v.push_back(1.f);
  TensorStats s = stats_of(v);
  double w = 1.0 / kHistogramBins;
  EXPECT_DOUBLE_EQ(threshold(s, CalibratorKind::kPercentile, 99.99), w);
  EXPECT_DOUBLE_EQ(threshold(s, CalibratorKind::kPercentile, 99.995), 1.0);
  // Uniform |x| on [0, 1): the 90th percentile is at 0.9 within a bin.
  std::vector<float> u = random_floats(200000, 11, 0.f, 1.f);
  EXPECT_NEAR(threshold(stats_of(u), CalibratorKind::kPercentile, 90.0), 0.9, 2e-3);
}

TEST(QuantCalibrator, EntropyAndMseMatchNumpy) {
  // A Laplace-like activation with a few large outliers, and a ReLU output (non-negative).
  std::mt19937 rng(5);
  std::exponential_distribution<float> e(3.f);
  std::vector<float> signed_v, relu_v;
  for (int i = 0; i < 60000; ++i) {
    float x = e(rng);
    signed_v.push_back(i % 2 ? x : -x);
    relu_v.push_back(i % 3 ? e(rng) * 0.5f : 0.f);
  }
  signed_v[100] = 9.f;
  relu_v[7] = 6.f;
  for (const auto& v : {signed_v, relu_v}) {
    TensorStats s = stats_of(v);
    bool nn = s.min() >= 0.f;
    std::vector<long> py = python_bins(s.histogram(), nn, 99.9);
    ASSERT_GT(py[0], 0) << "calibrator_ref.py failed";
    double w = s.bin_width();
    long entropy = std::lround(threshold(s, CalibratorKind::kEntropy) / w);
    long mse = std::lround(threshold(s, CalibratorKind::kMse) / w);
    long pct = std::lround(threshold(s, CalibratorKind::kPercentile, 99.9) / w);
    EXPECT_NEAR(entropy, py[0], 1) << "non_negative " << nn;
    EXPECT_NEAR(mse, py[1], 1) << "non_negative " << nn;
    EXPECT_EQ(pct, py[2]) << "non_negative " << nn;
    // Entropy clips the outlier: its threshold lies well inside the range.
    EXPECT_LT(entropy, kHistogramBins / 2);
    EXPECT_GT(entropy, 10);
    EXPECT_LT(mse, kHistogramBins);
  }
}

TEST(QuantCalibrator, HistogramIsIndependentOfSplitting) {
  std::vector<float> v = random_floats(4099, 21, -5.f, 3.f);
  TensorStats whole = stats_of(v);
  TensorStats parts;
  for (size_t i = 0; i < v.size(); i += 37)
    parts.add_range(v.data() + i, static_cast<int64_t>(std::min<size_t>(37, v.size() - i)));
  parts.start_histogram();
  for (size_t i = v.size(); i > 0;) {  // reverse order of chunks
    size_t n = std::min<size_t>(53, i);
    i -= n;
    parts.add_histogram(v.data() + i, static_cast<int64_t>(n));
  }
  EXPECT_EQ(whole.histogram(), parts.histogram());
  EXPECT_EQ(whole.min(), parts.min());
  EXPECT_EQ(whole.max(), parts.max());
}

// ---- a small network ---------------------------------------------------------------------

// x [-1,3,7,9] -> conv1 (3x3, pad 1, +Relu) c1 [.,5,7,9] -> maxpool 2x2 p1 [.,5,3,4]
// -> depthwise conv2 (3x3, pad 1) c2 -> add(c2, p1) +Relu a1 (graph output) -> gap [.,5,1,1]
// -> flatten f [.,5] -> fc (5->4, trans_b, bias) z -> softmax y (graph output).
Graph small_net() {
  Graph g;
  auto act = [&](const char* name, std::vector<int64_t> shape) {
    return g.add_tensor(Tensor::activation(name, DType::kF32, std::move(shape)));
  };
  int x = act("x", {-1, 3, 7, 9});
  int w1 = g.add_tensor(Tensor::constant_f32("w1", {5, 3, 3, 3}, random_floats(135, 1, -.5f, .5f)));
  std::vector<float> b1v = random_floats(5, 2, -.2f, .2f);
  int b1 = g.add_tensor(Tensor::constant_f32("b1", {5}, b1v));
  int c1 = act("c1", {-1, 5, 7, 9});
  int p1 = act("p1", {-1, 5, 3, 4});
  std::vector<float> w2v = random_floats(45, 3, -.6f, .6f);
  for (int k = 9; k < 18; ++k) w2v[k] = 0.f;  // an all-zero channel
  int w2 = g.add_tensor(Tensor::constant_f32("w2", {5, 1, 3, 3}, w2v));
  int c2 = act("c2", {-1, 5, 3, 4});
  int a1 = act("a1", {-1, 5, 3, 4});
  int gp = act("gap", {-1, 5, 1, 1});
  int f = act("f", {-1, 5});
  int w3 = g.add_tensor(Tensor::constant_f32("w3", {4, 5}, random_floats(20, 4, -1.f, 1.f)));
  int b3 = g.add_tensor(Tensor::constant_f32("b3", {4}, random_floats(4, 5, -.3f, .3f)));
  int z = act("z", {-1, 4});
  int y = act("y", {-1, 4});
  g.inputs = {x};
  g.outputs = {y, a1};
  ir::Conv2DOptions o1;
  o1.kernel = {3, 3};
  o1.pads = {1, 1, 1, 1};
  o1.activation.kind = fb::ActivationKind::Relu;
  g.add_node({"conv1", fb::OpType::Conv2D, o1, {x, w1, b1}, {c1}, {}});
  ir::Pool2DOptions po;
  po.kernel = {2, 2};
  po.strides = {2, 2};
  g.add_node({"pool1", fb::OpType::MaxPool, po, {c1}, {p1}, {}});
  ir::Conv2DOptions o2;
  o2.kernel = {3, 3};
  o2.pads = {1, 1, 1, 1};
  o2.group = 5;
  g.add_node({"conv2", fb::OpType::Conv2D, o2, {p1, w2}, {c2}, {}});
  ir::BinaryOptions ao;
  ao.activation.kind = fb::ActivationKind::Relu;
  g.add_node({"add1", fb::OpType::Add, ao, {c2, p1}, {a1}, {}});
  g.add_node({"gap", fb::OpType::GlobalAveragePool, std::monostate{}, {a1}, {gp}, {}});
  g.add_node({"flatten", fb::OpType::Flatten, ir::FlattenOptions{}, {gp}, {f}, {}});
  ir::FullyConnectedOptions fo;
  fo.trans_b = true;
  g.add_node({"fc", fb::OpType::FullyConnected, fo, {f, w3, b3}, {z}, {}});
  ir::SoftmaxOptions so;
  so.axis = -1;
  g.add_node({"softmax", fb::OpType::Softmax, so, {z}, {y}, {}});
  EXPECT_TRUE(g.topological_sort().ok());
  return g;
}

constexpr int64_t kItem = 3 * 7 * 9;

// Items held in memory, for input [-1, 3, 7, 9].
class VectorDataset : public data::Dataset {
 public:
  VectorDataset(int64_t n, uint32_t seed) : spec_("memory:" + std::to_string(seed)) {
    for (int64_t i = 0; i < n; ++i)
      items_.push_back(random_floats(kItem, seed + static_cast<uint32_t>(i), -1.5f, 2.f));
  }
  int64_t size() const override { return static_cast<int64_t>(items_.size()); }
  bool has_labels() const override { return false; }
  Status read(int64_t index, data::Sample* sample) const override {
    sample->input = items_[index];
    sample->label = -1;
    return Status();
  }
  int label(int64_t) const override { return -1; }
  const std::string& spec() const override { return spec_; }
  std::string fingerprint() const override { return "fingerprint-" + spec_; }
  const std::vector<float>& item(int64_t i) const { return items_[i]; }

 private:
  std::string spec_;
  std::vector<std::vector<float>> items_;
};

CalibrationTable calibrated(const Graph& g, const VectorDataset& d, CalibratorKind kind, int batch,
                            bool reference_kernels = false) {
  CalibrateOptions o;
  o.reference_kernels = reference_kernels;
  o.calibrator.kind = kind;
  o.batch = batch;
  o.samples = 0;
  Result<CalibrationTable> t = calibrate(g, Metadata{}, d, o);
  EXPECT_TRUE(t.ok()) << t.status().to_string();
  return t.ok() ? t.value() : CalibrationTable{};
}

int find_tensor(const Graph& g, const std::string& name) {
  for (size_t t = 0; t < g.tensors.size(); ++t)
    if (g.tensors[t].name == name) return static_cast<int>(t);
  return -1;
}

int find_node(const Graph& g, const std::string& name) {
  for (size_t n = 0; n < g.nodes.size(); ++n)
    if (g.nodes[n].name == name) return static_cast<int>(n);
  return -1;
}

TEST(QuantCalibrate, Batch1AndBatch32GiveIdenticalTables) {
  Graph g = small_net();
  VectorDataset d(64, 100);
  for (CalibratorKind kind : {CalibratorKind::kEntropy, CalibratorKind::kMse}) {
    CalibrationTable t1 = calibrated(g, d, kind, 1);
    CalibrationTable t32 = calibrated(g, d, kind, 32);
    CalibrationTable t5 = calibrated(g, d, kind, 5);  // a partial last batch
    EXPECT_EQ(t1.samples, 64);
    EXPECT_EQ(table_to_json(t1), table_to_json(t32));
    EXPECT_EQ(table_to_json(t1), table_to_json(t5));
  }
}

// x -> conv (3 -> 12, 3x3, pad 1) -> flatten [., 756] -> fc (756 -> 10): a reduction longer
// than the optimized GEMM's K block (512), which it must split the same way at every batch.
Graph wide_net() {
  Graph g;
  int x = g.add_tensor(Tensor::activation("x", DType::kF32, {-1, 3, 7, 9}));
  int w = g.add_tensor(Tensor::constant_f32("w", {12, 3, 3, 3}, random_floats(324, 8, -.4f, .4f)));
  int c = g.add_tensor(Tensor::activation("c", DType::kF32, {-1, 12, 7, 9}));
  int f = g.add_tensor(Tensor::activation("f", DType::kF32, {-1, 756}));
  int w2 = g.add_tensor(Tensor::constant_f32("w2", {10, 756}, random_floats(7560, 9, -.1f, .1f)));
  int y = g.add_tensor(Tensor::activation("y", DType::kF32, {-1, 10}));
  g.inputs = {x};
  g.outputs = {y};
  ir::Conv2DOptions o;
  o.kernel = {3, 3};
  o.pads = {1, 1, 1, 1};
  g.add_node({"conv", fb::OpType::Conv2D, o, {x, w}, {c}, {}});
  g.add_node({"flatten", fb::OpType::Flatten, ir::FlattenOptions{}, {c}, {f}, {}});
  ir::FullyConnectedOptions fo;
  fo.trans_b = true;
  g.add_node({"fc", fb::OpType::FullyConnected, fo, {f, w2}, {y}, {}});
  return g;
}

TEST(QuantCalibrate, LongReductionsGiveIdenticalTablesAtEveryBatch) {
  Graph g = wide_net();
  VectorDataset d(64, 500);
  for (bool reference : {false, true}) {
    CalibrationTable t1 = calibrated(g, d, CalibratorKind::kEntropy, 1, reference);
    CalibrationTable t32 = calibrated(g, d, CalibratorKind::kEntropy, 32, reference);
    CalibrationTable t7 = calibrated(g, d, CalibratorKind::kEntropy, 7, reference);
    ASSERT_EQ(t1.tensors.count("y"), 1u);
    EXPECT_EQ(table_to_json(t1), table_to_json(t32)) << "reference kernels " << reference;
    EXPECT_EQ(table_to_json(t1), table_to_json(t7)) << "reference kernels " << reference;
  }
}

TEST(QuantCalibrate, RangesMatchTheFloatModel) {
  Graph g = small_net();
  VectorDataset d(24, 300);
  CalibrationTable t = calibrated(g, d, CalibratorKind::kMinMax, 8);
  // Every tensor an INT8-capable node touches, but not the softmax output.
  for (const char* name : {"x", "c1", "p1", "c2", "a1", "gap", "f", "z"})
    EXPECT_EQ(t.tensors.count(name), 1u) << name;
  EXPECT_EQ(t.tensors.count("y"), 0u);
  // x: the exact min/max of the items; symmetric.
  float lo = 1e9f, hi = -1e9f;
  for (int64_t i = 0; i < d.size(); ++i)
    for (float v : d.item(i)) lo = std::min(lo, v), hi = std::max(hi, v);
  const TensorCalibration& x = t.tensors["x"];
  EXPECT_EQ(x.min, lo);
  EXPECT_EQ(x.max, hi);
  EXPECT_EQ(x.zero_point, 0);
  EXPECT_FLOAT_EQ(x.scale, std::max(-lo, hi) / 127.f);
  // c1 follows a ReLU: non-negative, zero point -128, scale max / 255.
  const TensorCalibration& c1 = t.tensors["c1"];
  EXPECT_GE(c1.min, 0.f);
  EXPECT_GT(c1.max, 0.f);
  EXPECT_EQ(c1.zero_point, -128);
  EXPECT_FLOAT_EQ(c1.scale, c1.max / 255.f);
  // The max pool and the flatten take their input's quantization.
  EXPECT_EQ(t.tensors["p1"].scale, c1.scale);
  EXPECT_EQ(t.tensors["f"].scale, t.tensors["gap"].scale);
  EXPECT_EQ(t.tensors["f"].zero_point, t.tensors["gap"].zero_point);
}

TEST(QuantizeGraph, StructureNamesAndConstants) {
  Graph g = small_net();
  VectorDataset d(16, 7);
  CalibrationTable t = calibrated(g, d, CalibratorKind::kMinMax, 4);
  Graph q = g;
  QuantizeReport r;
  ASSERT_TRUE(quantize_graph(q, t, QuantizeOptions{}, &r).ok());
  EXPECT_EQ(r.int8_nodes, 7);  // all but the softmax
  EXPECT_EQ(r.quantize_nodes, 1);
  EXPECT_EQ(r.dequantize_nodes, 2);
  ASSERT_EQ(r.nodes.size(), 8u);
  EXPECT_EQ(r.nodes[7].node, "softmax");
  EXPECT_EQ(r.nodes[7].precision, "fp32");
  EXPECT_EQ(r.nodes[7].reason, "float: op has no int8 kernel");
  // Graph I/O stay f32 under their names.
  EXPECT_EQ(q.tensors[q.inputs[0]].name, "x");
  EXPECT_EQ(q.tensors[q.inputs[0]].dtype, DType::kF32);
  for (int o : q.outputs) EXPECT_EQ(q.tensors[o].dtype, DType::kF32);
  // x -> Quantize -> "x#i8" -> conv1.
  int xq = find_tensor(q, "x#i8");
  ASSERT_GE(xq, 0);
  EXPECT_EQ(q.tensors[xq].dtype, DType::kI8);
  EXPECT_EQ(q.nodes[q.producer(xq)].op, fb::OpType::Quantize);
  EXPECT_EQ(q.nodes[find_node(q, "conv1")].inputs[0], xq);
  // i8 tensors keep their names; c1 has the ReLU quantization.
  int c1 = find_tensor(q, "c1");
  EXPECT_EQ(q.tensors[c1].dtype, DType::kI8);
  EXPECT_EQ(q.tensors[c1].quant.zero_points, std::vector<int64_t>{-128});
  EXPECT_EQ(q.tensors[find_tensor(q, "p1")].quant.scales, q.tensors[c1].quant.scales);
  // z is read by the float softmax through "z#f32".
  int z = find_tensor(q, "z"), zf = find_tensor(q, "z#f32");
  ASSERT_GE(zf, 0);
  EXPECT_EQ(q.tensors[z].dtype, DType::kI8);
  EXPECT_EQ(q.nodes[q.producer(zf)].op, fb::OpType::Dequantize);
  EXPECT_EQ(q.nodes[find_node(q, "softmax")].inputs[0], zf);
  // The graph output a1 stays f32; its i8 value is "a1#i8", read by gap.
  int a1 = find_tensor(q, "a1"), a1q = find_tensor(q, "a1#i8");
  ASSERT_GE(a1q, 0);
  EXPECT_EQ(q.tensors[a1].dtype, DType::kF32);
  EXPECT_EQ(q.nodes[q.producer(a1)].op, fb::OpType::Dequantize);
  EXPECT_EQ(q.nodes[find_node(q, "gap")].inputs[0], a1q);
  // Weights per channel; the all-zero channel of w2 gets scale 1 and zeros.
  const Tensor& w2 = q.tensors[find_tensor(q, "w2")];
  EXPECT_EQ(w2.dtype, DType::kI8);
  ASSERT_EQ(w2.quant.scales.size(), 5u);
  EXPECT_EQ(w2.quant.scales[1], 1.f);
  for (int k = 9; k < 18; ++k) EXPECT_EQ(w2.ints[k], 0);
  const Tensor& w1f = g.tensors[find_tensor(g, "w1")];
  const Tensor& w1 = q.tensors[find_tensor(q, "w1")];
  for (int c = 0; c < 5; ++c) {
    float amax = 0;
    for (int k = 0; k < 27; ++k) amax = std::max(amax, std::fabs(w1f.floats[c * 27 + k]));
    EXPECT_FLOAT_EQ(w1.quant.scales[c], amax / 127.f);
    for (int k = 0; k < 27; ++k)
      EXPECT_EQ(w1.ints[c * 27 + k], std::nearbyint(w1f.floats[c * 27 + k] / w1.quant.scales[c]));
  }
  // Bias: i32 at x_scale * w_scale[c] (fc: trans_b weights [4, 5], per channel along axis 0).
  const Tensor& b3f = g.tensors[find_tensor(g, "b3")];
  const Tensor& b3 = q.tensors[find_tensor(q, "b3")];
  const Tensor& w3 = q.tensors[find_tensor(q, "w3")];
  EXPECT_EQ(b3.dtype, DType::kI32);
  EXPECT_EQ(w3.quant.axis, 0);
  float fs = t.tensors["f"].scale;
  for (int c = 0; c < 4; ++c) {
    double s = static_cast<double>(fs) * w3.quant.scales[c];
    EXPECT_EQ(b3.ints[c], std::llround(b3f.floats[c] / s)) << c;
    EXPECT_FLOAT_EQ(b3.quant.scales[c], static_cast<float>(s));
  }
}

// Runs a graph on `x` (batch n) and returns its outputs.
std::vector<strix::testing::HostTensor> run(const Graph& g, const std::vector<float>& x, int n,
                                            bool reference = false) {
  Result<std::vector<uint8_t>> file = ir::export_strix(g, Metadata{});
  EXPECT_TRUE(file.ok()) << file.status().to_string();
  if (!file.ok()) return {};
  EngineOptions o;
  o.batch = n;
  o.reference_kernels = reference;
  auto out = strix::testing::run_model(file.value(), {strix::testing::f32({n, 3, 7, 9}, x)}, o);
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  return out.ok() ? out.value() : std::vector<strix::testing::HostTensor>{};
}

TEST(QuantizeGraph, Int8OutputsStayWithinTheQuantizationError) {
  Graph g = small_net();
  VectorDataset d(32, 900);
  CalibrationTable t = calibrated(g, d, CalibratorKind::kMinMax, 8);
  Graph q = g;
  ASSERT_TRUE(quantize_graph(q, t, QuantizeOptions{}, nullptr).ok());
  // Fresh data from the calibration distribution, batch 3.
  std::vector<float> x = random_floats(3 * kItem, 4242, -1.5f, 2.f);
  auto ref = run(g, x, 3);
  auto out = run(q, x, 3);
  auto out_ref_kernels = run(q, x, 3, true);
  ASSERT_EQ(ref.size(), 2u);
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out_ref_kernels.size(), 2u);
  // Optimized and reference INT8 kernels agree bit for bit.
  EXPECT_EQ(out[1].f32(), out_ref_kernels[1].f32());
  // a1: x, c1, c2 and a1 each round once (half a step of their scale); a step of x moves c1 by
  // at most sum|w1|, and so on. Bound: a few steps of a1's scale.
  float a1_scale = t.tensors["a1"].scale;
  std::vector<float> a = out[1].f32(), b = ref[1].f32();
  double worst = 0;
  bool any_nonzero = false;
  for (size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, static_cast<double>(std::fabs(a[i] - b[i])));
    any_nonzero = any_nonzero || b[i] != 0.f;
  }
  EXPECT_TRUE(any_nonzero);
  EXPECT_LE(worst, 4.0 * a1_scale) << "a1 scale " << a1_scale;
  EXPECT_GT(worst, 0.0);  // it is INT8, not a float copy
  // Softmax probabilities: close in relative L2.
  EXPECT_LT(strix::testing::relative_l2(out[0].f32(), ref[0].f32()), 0.02);
}

TEST(QuantizeGraph, KeepFloatAndFp16Rest) {
  Graph g = small_net();
  VectorDataset d(16, 77);
  CalibrationTable t = calibrated(g, d, CalibratorKind::kMinMax, 8);
  QuantizeOptions o;
  o.keep_float = {"conv2"};
  o.float_is_fp16 = true;
  Graph q = g;
  QuantizeReport r;
  ASSERT_TRUE(quantize_graph(q, t, o, &r).ok());
  EXPECT_EQ(r.int8_nodes, 6);
  EXPECT_EQ(r.nodes[2].node, "conv2");
  EXPECT_EQ(r.nodes[2].precision, "fp16");
  EXPECT_EQ(r.nodes[2].reason, "float: kept by option");
  // conv2 reads p1 through a Dequantize and a Cast: "p1#f32" -> "p1#f16"; the Add reads
  // conv2's f16 output through a Cast to "c2#f32" and a Quantize to "c2#i8".
  int p1h = find_tensor(q, "p1#f16");
  ASSERT_GE(p1h, 0);
  EXPECT_EQ(q.tensors[p1h].dtype, DType::kF16);
  EXPECT_EQ(q.nodes[find_node(q, "conv2")].inputs[0], p1h);
  EXPECT_EQ(q.tensors[find_tensor(q, "p1#f32")].dtype, DType::kF32);
  EXPECT_EQ(q.tensors[find_tensor(q, "c2")].dtype, DType::kF16);
  EXPECT_EQ(q.tensors[find_tensor(q, "c2#f32")].dtype, DType::kF32);
  EXPECT_EQ(q.tensors[find_tensor(q, "c2#i8")].dtype, DType::kI8);
  EXPECT_EQ(q.tensors[find_tensor(q, "w2")].dtype, DType::kF16);
  std::vector<float> x = random_floats(2 * kItem, 31, -1.5f, 2.f);
  auto ref = run(g, x, 2);
  auto out = run(q, x, 2);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_LT(strix::testing::relative_l2(out[1].f32(), ref[1].f32()), 0.05);
  // Unknown node names are an error.
  Graph q2 = g;
  o.keep_float = {"no_such_node"};
  Status s = quantize_graph(q2, t, o, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("no_such_node"), std::string::npos);
}

TEST(QuantizeGraph, MissingTableEntriesLeaveNodesFloat) {
  Graph g = small_net();
  VectorDataset d(8, 1);
  CalibrationTable t = calibrated(g, d, CalibratorKind::kMinMax, 8);
  t.tensors.erase("c2");
  Graph q = g;
  QuantizeReport r;
  ASSERT_TRUE(quantize_graph(q, t, QuantizeOptions{}, &r).ok());
  EXPECT_EQ(r.nodes[2].reason, "float: tensor 'c2' is not in the calibration table");
  EXPECT_EQ(r.nodes[3].reason, "float: tensor 'c2' is not in the calibration table");
  EXPECT_EQ(r.nodes[4].precision, "int8");  // gap quantizes a1 on entry
  EXPECT_EQ(q.tensors[find_tensor(q, "c2")].dtype, DType::kF32);
  EXPECT_EQ(q.tensors[find_tensor(q, "p1")].dtype, DType::kI8);
  EXPECT_GE(find_tensor(q, "p1#f32"), 0);
  EXPECT_GE(find_tensor(q, "a1#i8"), 0);
  EXPECT_FALSE(run(q, random_floats(kItem, 5, -1.f, 1.f), 1).empty());
}

// ---- calibration tables ------------------------------------------------------------------

TEST(QuantCalibTable, JsonRoundTripAndStaleChecks) {
  Graph g = small_net();
  VectorDataset d(8, 12);
  Metadata m;
  InputContract c;
  c.width = 9;
  c.height = 7;
  c.mean = {0.5f, 0.5f, 0.5f};
  c.std = {0.25f, 0.25f, 0.25f};
  m.inputs.push_back(c);
  CalibrateOptions o;
  o.calibrator.kind = CalibratorKind::kPercentile;
  Result<CalibrationTable> t = calibrate(g, m, d, o);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t.value().calibrator, "percentile:99.99");
  EXPECT_EQ(t.value().dataset_hash, d.fingerprint());
  std::string path = temp_path("table.json");
  ASSERT_TRUE(save_table(t.value(), path).ok());
  Result<CalibrationTable> back = load_table(path);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(table_to_json(back.value()), table_to_json(t.value()));
  EXPECT_EQ(back.value().tensors.at("c1").scale, t.value().tensors.at("c1").scale);
  std::string gh = graph_hash(g).value();
  std::string ph = preprocess_hash(m);
  EXPECT_TRUE(check_table(back.value(), gh, ph, path).ok());

  // Another weight value: another graph.
  Graph g2 = g;
  g2.tensors[find_tensor(g2, "w1")].floats[3] += 0.01f;
  Status s = check_table(back.value(), graph_hash(g2).value(), ph, path);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("graph_hash"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("strixc calibrate"), std::string::npos) << s.message();
  // Another mean: another input contract.
  Metadata m2 = m;
  m2.inputs[0].mean[1] = 0.45f;
  s = check_table(back.value(), gh, preprocess_hash(m2), path);
  EXPECT_NE(s.message().find("preprocess_hash"), std::string::npos) << s.message();
  // Metadata outside the contract does not matter.
  Metadata m3 = m;
  m3.created_utc = "2030-01-01T00:00:00Z";
  m3.description = "other";
  EXPECT_EQ(preprocess_hash(m3), ph);

  // Broken files.
  std::string text = table_to_json(t.value());
  auto expect_error = [&](const std::string& doc, const char* needle) {
    Result<CalibrationTable> r = table_from_json(doc, "t.json");
    ASSERT_FALSE(r.ok()) << needle;
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("t.json"), std::string::npos);
  };
  expect_error("{", "not valid JSON");
  std::string v2 = text;
  v2.replace(v2.find("\"version\": 1"), 12, "\"version\": 2");
  expect_error(v2, "version 2");
  std::string fmt = text;
  fmt.replace(fmt.find("strix-calibration"), 17, "something-else---");
  expect_error(fmt, "format");
  std::string neg = text;
  size_t sc = neg.find("\"scale\": ");
  neg.insert(sc + 9, "-");
  expect_error(neg, "scale");
  Result<CalibrationTable> missing = load_table(temp_path("does_not_exist.json"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace strix::quant
