// sdk/tools/cli_common.h — helpers shared by the `strix` CLI commands.
//
// Exit codes: 0 success, 1 runtime/model/data error, 2 usage error. Every error is printed
// as ONE line on stderr ("strix <command>: error: ...").
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "strix/engine.h"
#include "strix/model.h"
#include "strix/status.h"
#include "strix/tensor.h"

namespace strix::cli {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

// Prints "strix <command>: error: <message>" (newlines folded into spaces) on stderr and
// returns `exit_code`.
int report_error(const std::string& command, int exit_code, const std::string& message);

// "[1x3x8x8] f32".
std::string describe(const Shape& shape, DType dtype);

// A file name for a tensor: characters other than [A-Za-z0-9._-] become '_', and names that
// would be empty, hidden or special ("", ".", "..", ".x") get a leading '_'.
std::string safe_file_name(const std::string& tensor_name);

// Checks the options shared by `run` and `bench`; returns kExitOk or reports a usage error.
int check_engine_options(const std::string& command, const EngineOptions& options);

// A model loaded and compiled, with the time each step took.
struct LoadedEngine {
  Model model;
  std::shared_ptr<Engine> engine;
  double load_ms = 0;
  double build_ms = 0;
};

// Loads `path` and builds its Engine; on failure reports the loader's/Engine's Status and
// returns kExitError.
int load_engine(const std::string& command, const std::string& path, const EngineOptions& options,
                LoadedEngine* out);

// Batch of the compiled engine: dim 0 of input 0 (1 for a scalar input or no inputs).
int64_t engine_batch(const Engine& engine);

}  // namespace strix::cli
