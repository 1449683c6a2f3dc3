#include "bench_command.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "strix/context.h"

namespace strix::cli {
namespace {

const char kCommand[] = "strix bench";

// Deterministic data: floats uniform in [-1, 1), integers over their range (i32 in [0, 4)).
void fill_random(const TensorView& view, std::mt19937* rng) {
  const int64_t n = view.shape.num_elements();
  std::uniform_real_distribution<float> real(-1.f, 1.f);
  std::uniform_int_distribution<int> byte(0, 255);
  switch (view.dtype) {
    case DType::kF32:
      for (int64_t i = 0; i < n; ++i) view.as<float>()[i] = real(*rng);
      break;
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) view.as<uint16_t>()[i] = float_to_half(real(*rng));
      break;
    case DType::kI8:
    case DType::kU8:
      for (int64_t i = 0; i < n; ++i) view.as<uint8_t>()[i] = static_cast<uint8_t>(byte(*rng));
      break;
    case DType::kI32:
      for (int64_t i = 0; i < n; ++i) view.as<int32_t>()[i] = static_cast<int32_t>((*rng)() % 4);
      break;
  }
}

// Nearest-rank percentile of sorted values, q in (0, 1].
double percentile(const std::vector<double>& sorted, double q) {
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  if (rank < 1) rank = 1;
  return sorted[std::min(rank, sorted.size()) - 1];
}

long peak_rss_kb() {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) return -1;
  return usage.ru_maxrss;  // kilobytes on Linux
}

}  // namespace

int bench_command(const BenchOptions& options) {
  int rc = check_engine_options(kCommand, options.engine);
  if (rc != kExitOk) return rc;
  if (options.warmup < 0)
    return report_error(kCommand, kExitUsage,
                        "--warmup must be >= 0, got " + std::to_string(options.warmup));
  if (options.iterations < 1)
    return report_error(kCommand, kExitUsage,
                        "--iterations must be >= 1, got " + std::to_string(options.iterations));

  LoadedEngine loaded;
  rc = load_engine(kCommand, options.model, options.engine, &loaded);
  if (rc != kExitOk) return rc;
  const Engine& engine = *loaded.engine;
  Result<Context> context = engine.create_context();
  if (!context.ok()) return report_error(kCommand, kExitError, context.status().to_string());
  Context& ctx = context.value();

  std::mt19937 rng(options.seed);
  for (int i = 0; i < engine.num_inputs(); ++i) fill_random(ctx.input(i), &rng);

  using Clock = std::chrono::steady_clock;
  for (int i = 0; i < options.warmup; ++i) ctx.run();
  std::vector<double> ms(options.iterations);
  for (int i = 0; i < options.iterations; ++i) {
    Clock::time_point t0 = Clock::now();
    ctx.run();
    ms[i] = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  }
  double total_ms = 0;
  for (double v : ms) total_ms += v;
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());

  const int64_t batch = engine_batch(engine);
  const double inferences_per_s = total_ms > 0 ? options.iterations * 1000.0 / total_ms : 0;
  const double items_per_s = inferences_per_s * static_cast<double>(batch);
  const EngineReport& report = engine.report();
  const long rss_kb = peak_rss_kb();

  if (options.json) {
    nlohmann::json j;
    j["model"] = options.model;
    j["device"] = report.device.empty() ? options.engine.device : report.device;
    j["batch"] = batch;
    j["threads"] = options.engine.threads;
    j["warmup"] = options.warmup;
    j["iterations"] = options.iterations;
    j["load_ms"] = loaded.load_ms;
    j["build_ms"] = loaded.build_ms;
    j["arena_bytes"] = report.arena_bytes;
    j["weights_bytes"] = report.weights_bytes;
    j["packed_weights_bytes"] = report.packed_weights_bytes;
    j["num_fallbacks"] = report.num_fallbacks;
    j["latency_ms"] = {{"min", sorted.front()},
                       {"p50", percentile(sorted, 0.50)},
                       {"p90", percentile(sorted, 0.90)},
                       {"p99", percentile(sorted, 0.99)},
                       {"max", sorted.back()},
                       {"mean", total_ms / options.iterations}};
    j["throughput"] = {{"inferences_per_s", inferences_per_s}, {"items_per_s", items_per_s}};
    j["peak_rss_kb"] = rss_kb;
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }

  std::printf("model:        %s\n", options.model.c_str());
  std::printf("device:       %s (batch %lld, threads %d)\n",
              (report.device.empty() ? options.engine.device : report.device).c_str(),
              static_cast<long long>(batch), options.engine.threads);
  std::printf("load:         %.3f ms\n", loaded.load_ms);
  std::printf("build:        %.3f ms\n", loaded.build_ms);
  std::printf("arena:        %zu bytes (weights %zu, packed %zu)\n", report.arena_bytes,
              report.weights_bytes, report.packed_weights_bytes);
  std::printf("iterations:   %d (warmup %d)\n", options.iterations, options.warmup);
  std::printf("latency ms:   min %.4f  p50 %.4f  p90 %.4f  p99 %.4f  max %.4f  mean %.4f\n",
              sorted.front(), percentile(sorted, 0.50), percentile(sorted, 0.90),
              percentile(sorted, 0.99), sorted.back(), total_ms / options.iterations);
  std::printf("throughput:   %.2f inferences/s, %.2f items/s\n", inferences_per_s, items_per_s);
  std::printf("peak RSS:     %.1f MiB\n", rss_kb / 1024.0);
  return kExitOk;
}

}  // namespace strix::cli
