// sdk/tools/run_command.h — `strix run`: one inference on .npy inputs, outputs to .npy.
// Each file must have its input's shape and dtype; a quantized i8/u8 input (`strixc convert
// --int8-io`) takes the integers, and a quantized output is written as integers, its scale
// and zero point printed on its line.
#pragma once

#include <string>
#include <vector>

#include "strix/engine.h"

namespace strix::cli {

struct RunOptions {
  std::string model;
  // "NAME=FILE.npy", or "FILE.npy" when the model has exactly one input.
  std::vector<std::string> inputs;
  std::string output_dir;  // empty: print the outputs' shapes only
  EngineOptions engine;
};

// Returns the process exit code (see cli_common.h).
int run_command(const RunOptions& options);

}  // namespace strix::cli
