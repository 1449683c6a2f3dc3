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
};

// Returns the process exit code (see cli_common.h).
int bench_command(const BenchOptions& options);

}  // namespace strix::cli
