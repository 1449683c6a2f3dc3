#include "bench_command.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>
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

  if (options.contexts < 1)
    return report_error(kCommand, kExitUsage,
                        "--contexts must be >= 1, got " + std::to_string(options.contexts));
  const bool on_device = engine.report().device != "cpu";

  // Several input sets, rotated between runs so that no run reads what the last one did
  // (written into the Context's staging memory before the clock starts).
  constexpr int kInputSets = 4;
  std::mt19937 rng(options.seed);
  std::vector<std::vector<std::vector<uint8_t>>> sets(kInputSets);
  for (auto& set : sets) {
    for (int i = 0; i < engine.num_inputs(); ++i) {
      fill_random(ctx.input(i), &rng);
      const TensorView v = ctx.input(i);
      const uint8_t* p = static_cast<const uint8_t*>(v.data);
      set.emplace_back(p, p + v.byte_size());
    }
  }
  auto load_set = [&](Context& c, int run) {
    const auto& set = sets[run % kInputSets];
    for (int i = 0; i < engine.num_inputs(); ++i) c.set_input(i, set[i].data(), set[i].size());
  };

  using Clock = std::chrono::steady_clock;
  for (int i = 0; i < options.warmup; ++i) {
    load_set(ctx, i);
    ctx.run();
  }
  if (on_device && !ctx.last_error().ok())
    return report_error(kCommand, kExitError, ctx.last_error().to_string());
  std::vector<double> ms(options.iterations);
  for (int i = 0; i < options.iterations; ++i) {
    load_set(ctx, i);
    Clock::time_point t0 = Clock::now();
    ctx.run();
    ms[i] = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  }
  if (on_device && !ctx.last_error().ok())
    return report_error(kCommand, kExitError, ctx.last_error().to_string());

  // Devices: the device time of each phase (events; a second pass, so that the latency
  // above is that of one graph per run).
  double h2d_ms = 0, compute_ms = 0, d2h_ms = 0;
  if (on_device && ctx.enable_timing(true).ok()) {
    const int n = std::min(options.iterations, 50);
    std::vector<double> h2d, compute, d2h;
    for (int i = 0; i < n + 3; ++i) {
      load_set(ctx, i);
      ctx.run();
      if (i < 3) continue;  // graph capture
      DeviceTiming t = ctx.last_timing();
      h2d.push_back(t.h2d_ms);
      compute.push_back(t.compute_ms);
      d2h.push_back(t.d2h_ms);
    }
    ctx.enable_timing(false);
    for (auto* v : {&h2d, &compute, &d2h}) std::sort(v->begin(), v->end());
    h2d_ms = percentile(h2d, 0.5);
    compute_ms = percentile(compute, 0.5);
    d2h_ms = percentile(d2h, 0.5);
  }

  // Devices: per-node device time, median of 5 runs.
  struct NodeTime {
    int node;
    double ms;
  };
  std::vector<NodeTime> slowest;
  double profiled_total = 0;
  if (on_device && options.profile > 0 && ctx.enable_timing(true, true).ok()) {
    std::vector<std::vector<double>> runs;
    for (int i = 0; i < 6; ++i) {
      load_set(ctx, i);
      ctx.run();
      if (i > 0) runs.push_back(ctx.last_timing().node_ms);
    }
    ctx.enable_timing(false);
    for (size_t n = 0; !runs.empty() && n < runs[0].size(); ++n) {
      std::vector<double> v;
      for (const auto& r : runs) v.push_back(r[n]);
      std::sort(v.begin(), v.end());
      slowest.push_back(NodeTime{static_cast<int>(n), v[v.size() / 2]});
      profiled_total += v[v.size() / 2];
    }
    std::sort(slowest.begin(), slowest.end(),
              [](const NodeTime& a, const NodeTime& b) { return a.ms > b.ms; });
    if (static_cast<int>(slowest.size()) > options.profile) slowest.resize(options.profile);
  }

  // Several Contexts, one thread each, all running at once.
  double multi_items_per_s = 0;
  if (options.contexts > 1) {
    std::vector<Context> contexts;
    for (int c = 0; c < options.contexts; ++c) {
      Result<Context> more = engine.create_context();
      if (!more.ok()) return report_error(kCommand, kExitError, more.status().to_string());
      contexts.push_back(std::move(more).value());
      for (int i = 0; i < options.warmup; ++i) {
        load_set(contexts.back(), i);
        contexts.back().run();
      }
    }
    Clock::time_point t0 = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < options.contexts; ++c)
      threads.emplace_back([&, c]() {
        for (int i = 0; i < options.iterations; ++i) contexts[c].run();
      });
    for (std::thread& t : threads) t.join();
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    multi_items_per_s = s > 0 ? options.contexts * options.iterations *
                                    static_cast<double>(engine_batch(engine)) / s
                              : 0;
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
    if (on_device) {
      j["cuda_graph"] = options.engine.cuda_graph;
      j["device_ms"] = {{"h2d", h2d_ms}, {"compute", compute_ms}, {"d2h", d2h_ms}};
    }
    if (options.contexts > 1)
      j["contexts"] = {{"count", options.contexts}, {"items_per_s", multi_items_per_s}};
    if (!slowest.empty()) {
      nlohmann::json p = nlohmann::json::array();
      for (const NodeTime& t : slowest) {
        const NodeReport& n = report.nodes[t.node];
        p.push_back({{"node", n.name}, {"op", n.op}, {"kernel", n.kernel}, {"ms", t.ms}});
      }
      j["profile"] = {{"total_ms", profiled_total}, {"slowest", p}};
    }
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
  if (on_device) {
    std::printf("device ms:    H2D %.4f  compute %.4f  D2H %.4f (median; CUDA graph %s)\n", h2d_ms,
                compute_ms, d2h_ms, options.engine.cuda_graph ? "on" : "off");
    std::printf("fallbacks:    %d node(s) on the CPU\n", report.num_fallbacks);
  }
  if (options.contexts > 1)
    std::printf("contexts:     %d concurrent: %.2f items/s in all\n", options.contexts,
                multi_items_per_s);
  if (!slowest.empty()) {
    std::printf("profile:      %.4f ms in all nodes (no CUDA graph); slowest:\n", profiled_total);
    for (const NodeTime& t : slowest) {
      const NodeReport& n = report.nodes[t.node];
      std::printf("  %9.4f ms  %-18s %-24s %s\n", t.ms, n.op.c_str(), n.name.c_str(),
                  n.kernel.c_str());
    }
  }
  std::printf("peak RSS:     %.1f MiB\n", rss_kb / 1024.0);
  return kExitOk;
}

}  // namespace strix::cli
