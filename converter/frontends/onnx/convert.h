// converter/frontends/onnx/convert.h — ONNX bytes to verified .strix bytes, the whole
// pipeline `strixc convert` runs: import, integer narrowing, the graph optimizer
// (converter/passes/, at opt_level), optional FP16, writing, then verification
// (strix::Model::from_buffer and a CPU strix::Engine).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "converter/frontends/onnx/onnx_frontend.h"
#include "converter/passes/passes.h"
#include "strix/engine.h"
#include "strix/model.h"
#include "strix/status.h"

namespace strix::onnx_frontend {

struct ConvertOptions {
  ImportOptions import;
  int opt_level = 2;  // 0, 1 or 2: see passes::optimize
  bool fp16 = false;
  // Written as given; convert fills producer, producer_version and source_format if empty.
  Metadata metadata;
  // Called after import, before writing, to complete the metadata from the graph (e.g. the
  // input contract needs the input shape). May be empty.
  std::function<Status(const ir::Graph&, const ImportInfo&, Metadata*)> complete_metadata;
};

struct ConvertResult {
  std::vector<uint8_t> file;
  ImportInfo info;
  passes::OptimizeReport optimize;
  EngineReport report;  // of the verification Engine (CPU, batch 1 for a dynamic batch)
  int num_nodes = 0;
  int num_tensors = 0;
};

Result<ConvertResult> convert_onnx(const void* data, size_t size, const ConvertOptions& options);

}  // namespace strix::onnx_frontend
