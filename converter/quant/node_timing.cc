#include "converter/quant/node_timing.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <random>

#include "kernels/cpu/thread_pool.h"
#include "sdk/src/engine_impl.h"
#include "strix/engine.h"

namespace strix::quant {

Result<std::vector<NodeTime>> time_nodes(const Model& model, const TimingOptions& options) {
  if (options.iterations < 1)
    return Status(StatusCode::kInvalidArgument, "time_nodes: iterations must be >= 1");
  EngineOptions eo;
  eo.batch = options.batch;
  eo.threads = options.threads;
  Result<std::shared_ptr<Engine>> engine = Engine::create(model, eo);
  if (!engine.ok()) return engine.status();
  const EngineImpl& e = *engine.value()->impl();
  const EngineReport& report = engine.value()->report();
  if (e.device != nullptr || e.nodes.size() != report.nodes.size())
    return Status(StatusCode::kInternal, "time_nodes: expected a CPU engine");

  std::vector<uint8_t> storage(e.arena_bytes + 64);
  uint8_t* arena = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(storage.data()) + 63) &
                                              ~uintptr_t(63));
  auto address = [&](int t) -> void* {
    if (t < 0) return nullptr;
    const TensorPlacement& p = e.placements[t];
    if (p.kind == TensorPlacement::kConstant) return const_cast<void*>(p.constant);
    if (p.kind == TensorPlacement::kArena) return arena + p.offset;
    return nullptr;
  };
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  for (int t : e.input_tensors) {
    void* p = address(t);
    int64_t n = e.tensors[t].shape.num_elements();
    if (e.tensors[t].dtype == DType::kF32) {
      for (int64_t i = 0; i < n; ++i) static_cast<float*>(p)[i] = dist(rng);
    } else if (e.tensors[t].dtype == DType::kF16) {
      for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(p)[i] = float_to_half(dist(rng));
    } else {
      for (size_t i = 0; i < e.tensors[t].shape.num_elements() * dtype_size(e.tensors[t].dtype);
           ++i)
        static_cast<uint8_t*>(p)[i] = static_cast<uint8_t>(rng());
    }
  }
  std::unique_ptr<kernels::ThreadPool> pool;
  if (e.threads > 1) pool = std::make_unique<kernels::ThreadPool>(e.threads);

  struct Step {
    size_t node;
    std::vector<const void*> in;
    std::vector<void*> out;
    kernels::EvalArgs args;
    std::vector<double> ms;
  };
  std::vector<Step> steps;
  for (size_t n = 0; n < e.nodes.size(); ++n) {
    const CompiledNode& cn = e.nodes[n];
    if (cn.skip || cn.kernel == nullptr) continue;
    Step s;
    s.node = n;
    for (int t : cn.inputs) s.in.push_back(address(t));
    for (int t : cn.outputs) s.out.push_back(address(t));
    steps.push_back(std::move(s));
  }
  for (Step& s : steps) {
    const CompiledNode& cn = e.nodes[s.node];
    s.args.inputs = s.in.data();
    s.args.outputs = s.out.data();
    s.args.scratch = cn.kernel->scratch_bytes ? arena + cn.scratch_offset : nullptr;
    s.args.pool = pool.get();
  }
  const bool cpu_time = e.threads == 1;
  auto now_ms = [cpu_time] {
    if (cpu_time) {
      timespec ts;
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
      return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
    }
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  for (int it = 0; it < options.iterations + 2; ++it) {
    for (Step& s : steps) {
      double t0 = now_ms();
      e.nodes[s.node].kernel->eval(s.args);
      double ms = now_ms() - t0;
      if (it >= 2) s.ms.push_back(ms);
    }
  }
  std::vector<NodeTime> result(e.nodes.size());
  for (size_t n = 0; n < e.nodes.size(); ++n) {
    result[n].name = report.nodes[n].name;
    result[n].op = report.nodes[n].op;
    result[n].kernel = report.nodes[n].kernel;
  }
  for (Step& s : steps) {
    std::sort(s.ms.begin(), s.ms.end());
    result[s.node].ms = s.ms[s.ms.size() / 2];
  }
  return result;
}

}  // namespace strix::quant
