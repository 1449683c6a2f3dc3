// strix_profile — per-node CPU time of a .strix model: which backend and kernel each node
// got, and its median time over the runs. A tool, not a test.
//
//   strix_profile MODEL.strix [--batch N] [--threads T] [--iters N] [--reference] [--top K]
//                 [--repeat R]
//
// Builds the Engine as the runtime does (EngineOptions), then runs the compiled kernels one
// by one against an arena laid out exactly like a Context's (internal EngineImpl), timing
// each. Prints the nodes sorted by median time (with each node's best run, a better
// estimate on a shared machine), and median totals per op and per backend. With one thread
// the per-node times are the thread's CPU time, not wall time.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/thread_pool.h"
#include "sdk/src/engine_impl.h"
#include "strix/engine.h"
#include "strix/model.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: strix_profile MODEL.strix [--batch N] [--threads T] [--iters N] "
                 "[--reference] [--top K]\n");
    return 2;
  }
  strix::EngineOptions options;
  int iters = 20, top = 25, repeat = 1;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--batch" && i + 1 < argc)
      options.batch = std::atoll(argv[++i]);
    else if (a == "--threads" && i + 1 < argc)
      options.threads = std::atoi(argv[++i]);
    else if (a == "--iters" && i + 1 < argc)
      iters = std::atoi(argv[++i]);
    else if (a == "--top" && i + 1 < argc)
      top = std::atoi(argv[++i]);
    else if (a == "--repeat" && i + 1 < argc)
      repeat = std::atoi(argv[++i]);
    else if (a == "--reference")
      options.reference_kernels = true;
  }
  strix::Result<strix::Model> model = strix::Model::load(argv[1]);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().to_string().c_str());
    return 1;
  }
  strix::Result<std::shared_ptr<strix::Engine>> engine =
      strix::Engine::create(model.value(), options);
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().to_string().c_str());
    return 1;
  }
  const strix::EngineImpl& e = *engine.value()->impl();
  const strix::EngineReport& report = engine.value()->report();
  std::vector<uint8_t> arena_storage(e.arena_bytes + 64);
  uint8_t* arena = reinterpret_cast<uint8_t*>(
      (reinterpret_cast<uintptr_t>(arena_storage.data()) + 63) & ~uintptr_t(63));
  auto address = [&](int t) -> void* {
    if (t < 0) return nullptr;
    const strix::TensorPlacement& p = e.placements[t];
    if (p.kind == strix::TensorPlacement::kConstant) return const_cast<void*>(p.constant);
    if (p.kind == strix::TensorPlacement::kArena) return arena + p.offset;
    return nullptr;
  };
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  for (int t : e.input_tensors) {
    if (e.tensors[t].dtype != strix::DType::kF32) continue;
    float* p = static_cast<float*>(address(t));
    for (int64_t i = 0; i < e.tensors[t].shape.num_elements(); ++i) p[i] = dist(rng);
  }
  std::unique_ptr<strix::kernels::ThreadPool> pool;
  if (e.threads > 1) pool = std::make_unique<strix::kernels::ThreadPool>(e.threads);

  struct Step {
    size_t node;
    std::vector<const void*> in;
    std::vector<void*> out;
    strix::kernels::EvalArgs args;
    std::vector<double> ms;
  };
  std::vector<Step> steps;
  for (size_t n = 0; n < e.nodes.size(); ++n) {
    const strix::CompiledNode& cn = e.nodes[n];
    if (cn.skip || cn.kernel == nullptr) continue;
    Step s;
    s.node = n;
    for (int t : cn.inputs) s.in.push_back(address(t));
    for (int t : cn.outputs) s.out.push_back(address(t));
    steps.push_back(std::move(s));
  }
  for (Step& s : steps) {
    const strix::CompiledNode& cn = e.nodes[s.node];
    s.args.inputs = s.in.data();
    s.args.outputs = s.out.data();
    s.args.scratch = cn.kernel->scratch_bytes ? arena + cn.scratch_offset : nullptr;
    s.args.pool = pool.get();
  }
  using Clock = std::chrono::steady_clock;
  auto thread_ms = [] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
  };
  // Threads 1: per-node times are the thread's CPU time (steadier on a shared machine).
  const bool cpu_nodes = e.threads == 1;
  std::vector<double> totals, cpu_totals;
  for (int it = 0; it < iters + 2; ++it) {
    double total = 0;
    const double cpu0 = thread_ms();
    for (Step& s : steps) {
      // --repeat R: R - 1 untimed runs of the node first (its weights then come from cache).
      for (int r = 1; r < repeat; ++r) e.nodes[s.node].kernel->eval(s.args);
      auto t0 = Clock::now();
      const double c0 = cpu_nodes ? thread_ms() : 0;
      e.nodes[s.node].kernel->eval(s.args);
      double ms = cpu_nodes ? thread_ms() - c0
                            : std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      total += ms;
      if (it >= 2) s.ms.push_back(ms);
    }
    if (it >= 2) {
      totals.push_back(total);
      cpu_totals.push_back(thread_ms() - cpu0);
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::vector<std::pair<double, size_t>> order;
  std::map<std::string, double> by_op, by_backend;
  double sum = 0, sum_best = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    double m = median(steps[i].ms);
    order.push_back({m, i});
    const strix::NodeReport& r = report.nodes[steps[i].node];
    by_op[r.op] += m;
    by_backend[r.backend] += m;
    sum += m;
    sum_best += *std::min_element(steps[i].ms.begin(), steps[i].ms.end());
  }
  std::sort(order.rbegin(), order.rend());
  std::printf(
      "%s: %zu kernels, threads %d, median total %.3f ms (sum of node medians %.3f, of node "
      "bests %.3f)\n",
      argv[1], steps.size(), e.threads, median(totals), sum, sum_best);
  // On a shared machine the calling thread's CPU time is a steadier measure (threads 1 only:
  // with more, the workers' time is not in it).
  std::printf("calling thread CPU time per run: median %.3f ms, min %.3f ms\n", median(cpu_totals),
              *std::min_element(cpu_totals.begin(), cpu_totals.end()));
  std::printf("%8s %8s %6s  %-14s %-9s %-34s %s\n", "ms", "best", "%", "op", "backend", "kernel",
              "node / output shape");
  for (int i = 0; i < static_cast<int>(order.size()) && i < top; ++i) {
    const Step& s = steps[order[i].second];
    const strix::NodeReport& r = report.nodes[s.node];
    const strix::CompiledNode& cn = e.nodes[s.node];
    std::string shape = cn.outputs.empty() ? "" : e.tensors[cn.outputs[0]].shape.to_string();
    std::printf("%8.3f %8.3f %5.1f%%  %-14s %-9s %-34s %s %s\n", order[i].first,
                *std::min_element(s.ms.begin(), s.ms.end()), 100.0 * order[i].first / sum,
                r.op.c_str(), r.backend.c_str(), r.kernel.c_str(), r.name.c_str(), shape.c_str());
  }
  std::printf("by op:");
  for (const auto& [op, ms] : by_op) std::printf("  %s %.3f", op.c_str(), ms);
  std::printf("\nby backend:");
  for (const auto& [b, ms] : by_backend) std::printf("  %s %.3f", b.c_str(), ms);
  std::printf("\n");
  return 0;
}
