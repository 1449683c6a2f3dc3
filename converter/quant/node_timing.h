// converter/quant/node_timing.h — CPU time of each compiled kernel of a model, run one by one
// (the mixed-precision search compares a node's INT8 and FP32 kernels on the target).
//
//   quant::TimingOptions o;                 // 1 thread, batch 1, 20 timed runs
//   Result<std::vector<quant::NodeTime>> t = quant::time_nodes(model, o);
//   for (const quant::NodeTime& n : t.value()) printf("%s %.3f ms\n", n.name.c_str(), n.ms);
//
// Builds a CPU Engine (EngineOptions: batch, threads) and runs its kernels against an arena
// laid out exactly as a Context's (internal EngineImpl, as tests/bench/strix_profile.cc), on
// inputs of uniform random values in [-1, 1) (i8 inputs: uniform integers). Each node's time is
// the median over the timed runs (after 2 untimed ones) of the calling thread's CPU time with
// one thread (steady on a shared machine), or of wall time with more.
#pragma once

#include <string>
#include <vector>

#include "strix/model.h"
#include "strix/status.h"

namespace strix::quant {

struct TimingOptions {
  int iterations = 20;  // timed runs of the whole kernel list
  int threads = 1;      // EngineOptions::threads
  int64_t batch = 1;    // EngineOptions::batch
};

struct NodeTime {
  std::string name;    // the model's node name
  std::string op;      // e.g. "Conv2D"
  std::string kernel;  // EngineReport kernel, e.g. "conv2d_i8_avx2"
  double ms = 0;       // median; 0 for views that run nothing
};

// One entry per model node, in the model's order.
Result<std::vector<NodeTime>> time_nodes(const Model& model, const TimingOptions& options);

}  // namespace strix::quant
