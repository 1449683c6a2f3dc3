// converter/data/dataset_runner.h — runs a model over a Dataset in batches with Strix's own
// runtime (the kernels the device runs), for calibration, evaluation and comparison.
//
//   data::RunOptions o;
//   o.batch = 8;
//   o.extra_outputs = {"conv1_out"};   // intermediate tensors to read (EngineOptions)
//   STRIX_RETURN_IF_ERROR(data::run_dataset(model, *dataset, o,
//       [&](int64_t first, int count, const Engine& e, Context& ctx) -> Status {
//         // items first .. first+count-1 are in rows 0 .. count-1 of every output
//         return Status();
//       }));
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "converter/data/dataset.h"
#include "strix/context.h"
#include "strix/engine.h"
#include "strix/model.h"
#include "strix/status.h"

namespace strix::data {

struct RunOptions {
  int batch = 1;      // items per run (the Engine is built with this batch)
  int threads = 0;    // EngineOptions::threads
  int64_t limit = 0;  // first `limit` items only; 0 = all
  std::string device = "cpu";
  bool reference_kernels = false;
  std::vector<std::string> extra_outputs;  // EngineOptions::extra_outputs
  bool progress = false;       // a progress line on stderr (only when stderr is a terminal)
  std::string progress_label;  // e.g. "calibrating"
};

// Called after each run: items first .. first+count-1 are in rows 0 .. count-1 of every
// output of `engine` (Context::output(i)); the Dataset gives their labels (label()).
using Visit = std::function<Status(int64_t first, int count, const Engine& engine, Context& ctx)>;

// Builds one Engine (batch `options.batch`, the model's input 0 fed from `data`) and one
// Context, reads the items in order and calls `visit` after each run. Items are f32 and are
// stored as the input's dtype (f16, or i8/u8 through its per-tensor quantization). The last
// batch may be partial: its unused rows are zero and their outputs must be ignored. Only
// models with one input are supported (kUnsupported otherwise). An item whose size differs
// from the input's is kShapeMismatch. A read, device or visit error stops the run and is
// returned; no exception escapes.
Status run_dataset(const Model& model, const Dataset& data, const RunOptions& options,
                   const Visit& visit);

}  // namespace strix::data
