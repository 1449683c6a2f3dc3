// conv_gflops — achieved GFLOP/s of the optimized CPU Conv2D on the largest ResNet-50 conv
// layers, against this machine's measured FMA peak. A tool, not a test.
//
//   build/<dir>/tests/bench/conv_gflops [--iters N] [--threads T]  (default: T = 1 and 2)
//
// Peak: a register-only loop of independent FMAs (12 accumulators, no memory traffic) in
// the widest vector ISA the CPU has (AVX-512: 16 floats, AVX2: 8), run on T threads at
// once; FLOP = 2 per lane per FMA. Layers (batch 1, stride 1, "same" padding; FLOP =
// 2 * M * C * kh * kw * OH * OW):
//   res4 3x3 256->256 at 14x14, res4 1x1 1024->256 at 14x14, res2 3x3 64->64 at 56x56,
//   and for reference the stem 7x7/2 3->64 at 224x224, res5 3x3 512->512 at 7x7 and res3
//   3x3 128->128 at 28x28.
// Each layer is one Conv2D node with bias and ReLU, built with EngineOptions::threads = T;
// the median and the best of `iters` runs after warm-up are reported (GFLOP/s from each).
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "converter/writer/model_builder.h"
#include "kernels/cpu/isa.h"
#include "strix/engine.h"
#include "strix/model.h"
#include "strix_generated.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Layer {
  const char* name;
  int64_t c, h, w, m, k, stride, pad;
};

// 12 independent FMA chains (enough to cover 4-cycle latency on 2 FMA ports), all in
// registers; the compiler may not reorder or fold them (no fast-math).
#define STRIX_FMA_LOOP(VT, SET1, FMA, ADD, REDUCE)                          \
  VT a0 = SET1(1.0f), a1 = SET1(1.1f), a2 = SET1(1.2f), a3 = SET1(1.3f);    \
  VT a4 = SET1(1.4f), a5 = SET1(1.5f), a6 = SET1(1.6f), a7 = SET1(1.7f);    \
  VT a8 = SET1(1.8f), a9 = SET1(1.9f), a10 = SET1(2.0f), a11 = SET1(2.1f);  \
  const VT m = SET1(0.999999f), c = SET1(1e-7f);                            \
  for (int64_t it = 0; it < iters; ++it) {                                  \
    a0 = FMA(a0, m, c);                                                     \
    a1 = FMA(a1, m, c);                                                     \
    a2 = FMA(a2, m, c);                                                     \
    a3 = FMA(a3, m, c);                                                     \
    a4 = FMA(a4, m, c);                                                     \
    a5 = FMA(a5, m, c);                                                     \
    a6 = FMA(a6, m, c);                                                     \
    a7 = FMA(a7, m, c);                                                     \
    a8 = FMA(a8, m, c);                                                     \
    a9 = FMA(a9, m, c);                                                     \
    a10 = FMA(a10, m, c);                                                   \
    a11 = FMA(a11, m, c);                                                   \
  }                                                                         \
  VT s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7))); \
  s = ADD(s, ADD(ADD(a8, a9), ADD(a10, a11)));                              \
  return REDUCE(s);

__attribute__((target("avx512f"))) double fma_loop_avx512(int64_t iters) {
  STRIX_FMA_LOOP(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_reduce_add_ps)
}

__attribute__((target("avx2,fma"))) inline float reduce256(__m256 v) {
  alignas(32) float x[8];
  _mm256_store_ps(x, v);
  return x[0] + x[1] + x[2] + x[3] + x[4] + x[5] + x[6] + x[7];
}

__attribute__((target("avx2,fma"))) double fma_loop_avx2(int64_t iters) {
  STRIX_FMA_LOOP(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, reduce256)
}

// GFLOP/s of `threads` threads running the FMA loop at once (the best of 7 short runs: the
// machine may be shared).
double fma_peak_once(int threads, bool avx512);
double fma_peak(int threads, bool avx512) {
  double best = 0;
  for (int i = 0; i < 7; ++i) best = std::max(best, fma_peak_once(threads, avx512));
  return best;
}

double fma_peak_once(int threads, bool avx512) {
  const int64_t iters = 50000000 / 12;
  const int lanes = avx512 ? 16 : 8;
  std::vector<std::thread> pool;
  std::vector<double> sinks(threads);
  auto t0 = Clock::now();
  for (int t = 0; t < threads; ++t)
    pool.emplace_back(
        [&, t] { sinks[t] = avx512 ? fma_loop_avx512(iters) : fma_loop_avx2(iters); });
  for (std::thread& th : pool) th.join();
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  double flop = 2.0 * lanes * 12.0 * static_cast<double>(iters) * threads;
  if (sinks[0] == 12345.f) std::printf(" ");
  return flop / s * 1e-9;
}

std::vector<float> random_values(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  uint32_t s = seed * 2654435761u + 1;
  for (float& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<float>(s >> 8) / 16777216.f - 0.5f;
  }
  return v;
}

std::vector<uint8_t> conv_model(const Layer& l) {
  strix::writer::ModelBuilder b;
  const int64_t oh = (l.h + 2 * l.pad - l.k) / l.stride + 1;
  const int64_t ow = (l.w + 2 * l.pad - l.k) / l.stride + 1;
  int x = b.add_input("x", strix::DType::kF32, {1, l.c, l.h, l.w});
  int w = b.add_constant_f32("w", {l.m, l.c, l.k, l.k}, random_values(l.m * l.c * l.k * l.k, 1));
  int bias = b.add_constant_f32("b", {l.m}, random_values(l.m, 2));
  int y = b.add_tensor("y", strix::DType::kF32, {1, l.m, oh, ow});
  auto& fbb = b.fbb();
  auto act = strix::fb::CreateActivation(fbb, strix::fb::ActivationKind::Relu);
  auto opts = strix::fb::CreateConv2DOptions(
      fbb, fbb.CreateVector<int32_t>({int32_t(l.k), int32_t(l.k)}),
      fbb.CreateVector<int32_t>({int32_t(l.stride), int32_t(l.stride)}), 0,
      fbb.CreateVector<int32_t>({int32_t(l.pad), int32_t(l.pad), int32_t(l.pad), int32_t(l.pad)}),
      strix::fb::PaddingMode::Explicit, 1, act);
  b.add_node("conv", strix::fb::OpType::Conv2D, {x, w, bias}, {y},
             strix::fb::OpOptions::Conv2DOptions, opts.Union());
  b.mark_output(y);
  return b.finish();
}

// Median and minimum seconds per run; also the kernel name.
double time_layer(const Layer& l, int threads, int iters, std::string* kernel, double* best) {
  std::vector<uint8_t> file = conv_model(l);
  strix::Model model = strix::Model::from_buffer(file.data(), file.size()).value();
  strix::EngineOptions options;
  options.threads = threads;
  std::shared_ptr<strix::Engine> engine = strix::Engine::create(model, options).value();
  *kernel = engine->report().nodes[0].backend + "/" + engine->report().nodes[0].kernel;
  strix::Context ctx = engine->create_context().value();
  std::vector<float> in = random_values(l.c * l.h * l.w, 3);
  if (!ctx.set_input(0, in.data(), in.size() * sizeof(float)).ok()) std::abort();
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
  int iters = 50;
  std::vector<int> thread_counts = {1, 2};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--iters") == 0) iters = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--threads") == 0) thread_counts = {std::atoi(argv[i + 1])};
  }
  using strix::kernels::cpu::Isa;
  const Isa isa = strix::kernels::cpu::selected_isa();
  const bool avx512 = isa == Isa::kAvx512;
  if (isa == Isa::kScalar) {
    std::printf("no AVX2/AVX-512 on this CPU: nothing to measure\n");
    return 0;
  }
  const Layer layers[] = {
      {"res4 3x3 256->256 @14x14", 256, 14, 14, 256, 3, 1, 1},
      {"res4 1x1 1024->256 @14x14", 1024, 14, 14, 256, 1, 1, 0},
      {"res2 3x3 64->64 @56x56", 64, 56, 56, 64, 3, 1, 1},
      {"stem 7x7/2 3->64 @224x224", 3, 224, 224, 64, 7, 2, 3},
      {"res5 3x3 512->512 @7x7", 512, 7, 7, 512, 3, 1, 1},
      {"res3 3x3 128->128 @28x28", 128, 28, 28, 128, 3, 1, 1},
  };
  std::printf("ISA: %s\n", strix::kernels::cpu::isa_name(isa));
  for (int threads : thread_counts) {
    const double peak = fma_peak(threads, avx512);
    std::printf("\nthreads %d: measured FMA peak %.1f GFLOP/s (%s)\n", threads, peak,
                avx512 ? "zmm" : "ymm");
    std::printf("  %-28s %9s %9s %8s %9s %8s  %s\n", "layer", "median ms", "GFLOP/s", "of peak",
                "best ms", "of peak", "kernel");
    for (const Layer& l : layers) {
      const int64_t oh = (l.h + 2 * l.pad - l.k) / l.stride + 1;
      const int64_t ow = (l.w + 2 * l.pad - l.k) / l.stride + 1;
      const double flop = 2.0 * l.m * l.c * l.k * l.k * oh * ow;
      std::string kernel;
      double best = 0;
      const double s = time_layer(l, threads, iters, &kernel, &best);
      const double gflops = flop / s * 1e-9, best_gflops = flop / best * 1e-9;
      std::printf("  %-28s %9.3f %9.1f %7.1f%% %9.3f %7.1f%%  %s\n", l.name, s * 1e3, gflops,
                  100.0 * gflops / peak, best * 1e3, 100.0 * best_gflops / peak, kernel.c_str());
    }
  }
  return 0;
}
