// sdk/tools/bench_command.h — `strix bench`: latency and throughput of Context::run().
#pragma once

#include <cstdint>
#include <string>

#include "strix/engine.h"

namespace strix::cli {

struct BenchOptions {
  std::string model;
  EngineOptions engine;
  int warmup = 10;       // untimed runs before measuring
  int iterations = 100;  // timed runs, >= 1
  uint32_t seed = 0;     // of the random input data
  bool json = false;     // print one JSON object instead of text
  // Devices: Contexts run concurrently, one per thread, each `iterations` times; the
  // aggregate throughput is reported (1: the single-Context latency figures only).
  int contexts = 1;
  // Devices: print the `profile` slowest nodes (device time per node, kernels launched one
  // by one); 0: none.
  int profile = 0;
};

// Returns the process exit code (see cli_common.h).
int bench_command(const BenchOptions& options);

}  // namespace strix::cli
