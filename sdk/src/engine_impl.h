// sdk/src/engine_impl.h — a compiled model (internal).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kernels/backend.h"
#include "kernels/kernel.h"
#include "sdk/src/model_impl.h"
#include "strix/engine.h"

namespace strix {

// Where a tensor's bytes live at run time.
struct TensorPlacement {
  enum Kind { kNone, kArena, kConstant } kind = kNone;
  size_t offset = 0;              // kArena: offset in the Context's arena
  const void* constant = nullptr; // kConstant
  size_t bytes = 0;
};

struct CompiledNode {
  std::unique_ptr<kernels::Kernel> kernel;
  std::vector<int> inputs;    // tensor indices, -1 for omitted
  std::vector<int> outputs;
  bool skip = false;          // a view: its output aliases its input, nothing to run
  size_t scratch_offset = 0;  // in the arena
};

struct EngineImpl {
  Model model;
  std::vector<std::unique_ptr<kernels::Backend>> backends;
  std::vector<kernels::KTensor> tensors;     // compiled shapes and dtypes
  std::vector<TensorPlacement> placements;
  std::vector<CompiledNode> nodes;
  std::vector<int> input_tensors, output_tensors;
  std::vector<TensorInfo> input_infos, output_infos;
  size_t arena_bytes = 0;
  EngineReport report;
};

}  // namespace strix
