// int8_gops — INT8 against FP32 on the optimized CPU backend, layer by layer: the same
// Conv2D, FullyConnected, MaxPool or Add built once with f32 tensors and once with int8
// (per-channel weights, i32 bias, fused ReLU), timed on EngineOptions::threads = T. A tool,
// not a test.
//
//   build/<dir>/tests/bench/int8_gops [--iters N] [--threads T] [--only SUBSTRING]
//   (default: T = 1 and 2, every layer; --only keeps the layers whose name contains it)
//
// GOPS = 2 * MACs / median seconds (MACs = M * C/group * kh * kw * OH * OW, batch 1; MaxPool
// counts window taps and Add elements as one operation each); ratio =
// INT8 GOPS / FP32 GOPS, from the medians and (on a shared, loaded machine the steadier
// measure) from the best runs. STRIX_CPU_ISA lowers the ISA as for the tests.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "converter/writer/model_builder.h"
#include "strix/engine.h"
#include "strix/model.h"
#include "strix_generated.h"

namespace {

using Clock = std::chrono::steady_clock;

enum class Op { kConv, kFc, kMaxPool, kAdd };

struct Layer {
  const char* name;
  int64_t c, h, w, m, k, stride, pad, group;
  Op op = Op::kConv;  // kFc: c -> m; kMaxPool: k x k, stride; kAdd: two [1, c, h, w]
};

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  uint32_t s = seed * 2654435761u + 1;
  for (float& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>(s >> 8) / 16777216.f - 0.5f;
  }
  return v;
}

std::vector<int8_t> random_i8(size_t n, uint32_t seed) {
  std::vector<float> f = random_floats(n, seed);
  std::vector<int8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<int8_t>(f[i] * 255.f);
  return v;
}

strix::Quantization per_tensor(float scale, int64_t zp) {
  strix::Quantization q;
  q.scales = {scale};
  q.zero_points = {zp};
  return q;
}

int64_t out_size(const Layer& l, int64_t in) {
  if (l.op == Op::kFc) return 1;
  if (l.op == Op::kAdd) return in;
  return (in + 2 * l.pad - l.k) / l.stride + 1;
}

// MaxPool or Add (same quantization in and out for MaxPool).
std::vector<uint8_t> simple_model(const Layer& l, bool int8) {
  using namespace strix;
  writer::ModelBuilder b;
  const DType dt = int8 ? DType::kI8 : DType::kF32;
  const std::vector<int64_t> shape = {1, l.c, l.h, l.w};
  int x = b.add_input("x", dt, shape);
  if (int8) b.set_quantization(x, per_tensor(0.02f, 3));
  int y = b.add_tensor("y", dt, {1, l.c, out_size(l, l.h), out_size(l, l.w)});
  if (int8) b.set_quantization(y, per_tensor(l.op == Op::kAdd ? 0.03f : 0.02f, 3));
  auto& fbb = b.fbb();
  if (l.op == Op::kMaxPool) {
    const int32_t k = static_cast<int32_t>(l.k), s = static_cast<int32_t>(l.stride),
                  p = static_cast<int32_t>(l.pad);
    auto opts = fb::CreatePool2DOptions(fbb, fbb.CreateVector<int32_t>({k, k}),
                                        fbb.CreateVector<int32_t>({s, s}), 0,
                                        fbb.CreateVector<int32_t>({p, p, p, p}));
    b.add_node("pool", fb::OpType::MaxPool, {x}, {y}, fb::OpOptions::Pool2DOptions, opts.Union());
  } else {
    const size_t n = static_cast<size_t>(l.c * l.h * l.w);
    int c;
    if (int8) {
      std::vector<int8_t> v = random_i8(n, 5);
      c = b.add_constant("c", DType::kI8, shape, v.data(), v.size());
      b.set_quantization(c, per_tensor(0.025f, -2));
    } else {
      c = b.add_constant_f32("c", shape, random_floats(n, 5));
    }
    auto opts = fb::CreateBinaryOptions(fbb, fb::CreateActivation(fbb, fb::ActivationKind::Relu));
    b.add_node("add", fb::OpType::Add, {x, c}, {y}, fb::OpOptions::BinaryOptions, opts.Union());
  }
  b.mark_output(y);
  return b.finish();
}

std::vector<uint8_t> layer_model(const Layer& l, bool int8) {
  using namespace strix;
  if (l.op == Op::kMaxPool || l.op == Op::kAdd) return simple_model(l, int8);
  writer::ModelBuilder b;
  const int64_t oh = out_size(l, l.h), ow = out_size(l, l.w);
  const int64_t cg = l.c / l.group;
  const DType dt = int8 ? DType::kI8 : DType::kF32;
  const std::vector<int64_t> x_shape =
      l.op == Op::kFc ? std::vector<int64_t>{1, l.c} : std::vector<int64_t>{1, l.c, l.h, l.w};
  const std::vector<int64_t> w_shape =
      l.op == Op::kFc ? std::vector<int64_t>{l.m, l.c} : std::vector<int64_t>{l.m, cg, l.k, l.k};
  const std::vector<int64_t> y_shape =
      l.op == Op::kFc ? std::vector<int64_t>{1, l.m} : std::vector<int64_t>{1, l.m, oh, ow};
  const int64_t wn = l.m * cg * std::max<int64_t>(1, l.k * l.k);
  int x = b.add_input("x", dt, x_shape);
  int w, bias;
  if (int8) {
    std::vector<int8_t> wq = random_i8(wn, 1);
    w = b.add_constant("w", DType::kI8, w_shape, wq.data(), wq.size());
    Quantization wqnt;
    wqnt.scales = std::vector<float>(l.m, 0.01f);
    wqnt.zero_points = std::vector<int64_t>(l.m, 0);
    wqnt.axis = 0;
    b.set_quantization(w, wqnt);
    std::vector<int32_t> bq(l.m, 100);
    bias = b.add_constant_i32("b", {l.m}, bq);
    b.set_quantization(x, per_tensor(0.02f, 3));
  } else {
    w = b.add_constant_f32("w", w_shape, random_floats(wn, 1));
    bias = b.add_constant_f32("b", {l.m}, random_floats(l.m, 2));
  }
  int y = b.add_tensor("y", dt, y_shape);
  if (int8) b.set_quantization(y, per_tensor(0.5f, -10));
  auto& fbb = b.fbb();
  auto act = fb::CreateActivation(fbb, fb::ActivationKind::Relu);
  if (l.op == Op::kFc) {
    auto opts = fb::CreateFullyConnectedOptions(fbb, 1, 1, false, true, act);
    b.add_node("fc", fb::OpType::FullyConnected, {x, w, bias}, {y},
               fb::OpOptions::FullyConnectedOptions, opts.Union());
  } else {
    const int32_t k = static_cast<int32_t>(l.k), s = static_cast<int32_t>(l.stride),
                  p = static_cast<int32_t>(l.pad);
    auto opts = fb::CreateConv2DOptions(
        fbb, fbb.CreateVector<int32_t>({k, k}), fbb.CreateVector<int32_t>({s, s}), 0,
        fbb.CreateVector<int32_t>({p, p, p, p}), fb::PaddingMode::Explicit,
        static_cast<int32_t>(l.group), act);
    b.add_node("conv", fb::OpType::Conv2D, {x, w, bias}, {y}, fb::OpOptions::Conv2DOptions,
               opts.Union());
  }
  b.mark_output(y);
  return b.finish();
}

// Median seconds per run; also the best and the kernel name.
double time_layer(const Layer& l, bool int8, int threads, int iters, std::string* kernel,
                  double* best) {
  std::vector<uint8_t> file = layer_model(l, int8);
  strix::Model model = strix::Model::from_buffer(file.data(), file.size()).value();
  strix::EngineOptions options;
  options.threads = threads;
  auto engine = strix::Engine::create(model, options);
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().to_string().c_str());
    std::exit(1);
  }
  const auto& node = engine.value()->report().nodes[0];
  *kernel = node.backend + "/" + node.kernel;
  strix::Context ctx = engine.value()->create_context().value();
  const size_t n = static_cast<size_t>(l.c * (l.op == Op::kFc ? 1 : l.h * l.w));
  std::vector<float> in_f = random_floats(n, 3);
  std::vector<int8_t> in_q = random_i8(n, 3);
  const bool ok = int8 ? ctx.set_input(0, in_q.data(), in_q.size()).ok()
                       : ctx.set_input(0, in_f.data(), in_f.size() * sizeof(float)).ok();
  if (!ok) std::abort();
  for (int i = 0; i < 3; ++i) ctx.run();
  std::vector<double> times;
  for (int i = 0; i < iters; ++i) {
    auto t0 = Clock::now();
    ctx.run();
    times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  *best = times[0];
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int iters = 30;
  std::vector<int> thread_counts = {1, 2};
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--iters") == 0) iters = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--threads") == 0) thread_counts = {std::atoi(argv[i + 1])};
    if (std::strcmp(argv[i], "--only") == 0) only = argv[i + 1];
  }
  const Layer layers[] = {
      {"res2 3x3 64->64 @56", 64, 56, 56, 64, 3, 1, 1, 1},
      {"res4 1x1 256->1024 @14", 256, 14, 14, 1024, 1, 1, 0, 1},
      {"res5 3x3 512->512 @7", 512, 7, 7, 512, 3, 1, 1, 1},
      {"stem 7x7/2 3->64 @224", 3, 224, 224, 64, 7, 2, 3, 1},
      {"res3 3x3/2 128->128 @56", 128, 56, 56, 128, 3, 2, 1, 1},
      {"res3 1x1/2 256->512 @56", 256, 56, 56, 512, 1, 2, 0, 1},
      {"mbv2 1x1 96->24 @56", 96, 56, 56, 24, 1, 1, 0, 1},
      {"mbv2 1x1 24->144 @56", 24, 56, 56, 144, 1, 1, 0, 1},
      {"dw 3x3 96 @112", 96, 112, 112, 96, 3, 1, 1, 96},
      {"dw 3x3/2 144 @56", 144, 56, 56, 144, 3, 2, 1, 144},
      {"fc 2048->1000", 2048, 1, 1, 1000, 0, 1, 0, 1, Op::kFc},
      {"maxpool 3x3/2 64 @112", 64, 112, 112, 64, 3, 2, 1, 1, Op::kMaxPool},
      {"add+relu 256 @14", 256, 14, 14, 256, 1, 1, 0, 1, Op::kAdd},
      {"add+relu 64 @56", 64, 56, 56, 64, 1, 1, 0, 1, Op::kAdd},
  };
  for (int threads : thread_counts) {
    std::printf("\nthreads %d\n", threads);
    std::printf("  %-26s %9s %9s %9s %9s %6s %6s  %s | %s\n", "layer", "f32 ms", "f32 GOPS",
                "int8 ms", "int8 GOPS", "ratio", "best", "f32 kernel", "int8 kernel");
    for (const Layer& l : layers) {
      if (std::string(l.name).find(only) == std::string::npos) continue;
      // Operations: 2 per MAC (conv, FC), 1 per window tap (MaxPool), 1 per element (Add).
      const double outs = static_cast<double>(l.m) * out_size(l, l.h) * out_size(l, l.w);
      const double ops = l.op == Op::kAdd ? outs
                         : l.op == Op::kMaxPool
                             ? outs * l.k * l.k
                             : 2 * outs * (l.c / l.group) * std::max<int64_t>(1, l.k * l.k);
      std::string kf, kq;
      double bf = 0, bq = 0;
      const double tf = time_layer(l, false, threads, iters, &kf, &bf);
      const double tq = time_layer(l, true, threads, iters, &kq, &bq);
      std::printf("  %-26s %9.3f %9.1f %9.3f %9.1f %6.2f %6.2f  %s | %s\n", l.name, tf * 1e3,
                  ops / tf * 1e-9, tq * 1e3, ops / tq * 1e-9, tf / tq, bf / bq, kf.c_str(),
                  kq.c_str());
    }
  }
  return 0;
}
