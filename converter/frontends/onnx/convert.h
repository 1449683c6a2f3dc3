// converter/frontends/onnx/convert.h — ONNX bytes to verified .strix bytes, the whole
// pipeline `strixc convert` runs: import, integer narrowing, the graph optimizer
// (converter/passes/, at opt_level), then the precision step — optional FP16, or INT8
// (calibrate on a data set or load a calibration table, then quant::quantize_graph) —
// writing, and verification (strix::Model::from_buffer and a CPU strix::Engine).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "converter/frontends/onnx/onnx_frontend.h"
#include "converter/passes/passes.h"
#include "converter/quant/calibrate.h"
#include "converter/quant/int8_io.h"
#include "converter/quant/quantize_graph.h"
#include "strix/engine.h"
#include "strix/model.h"
#include "strix/status.h"

namespace strix::onnx_frontend {

// INT8 (converter/quant/): the table comes from `calib_table` (a file written by `strixc
// calibrate`, checked against this graph and input contract) or, when that is empty, from
// calibrating on `calib_data` (a data spec, converter/data/dataset.h). One of them is needed.
struct Int8Options {
  std::string calib_data;
  std::string calib_table;
  quant::CalibrateOptions calibrate;
  quant::QuantizeOptions quantize;  // quantize.float_is_fp16 is set from ConvertOptions::fp16
  // Mixed precision (--precision best, converter/quant/mixed_precision.h): called with the
  // fused FP32 graph, its metadata and the table before quantize_graph; may change the
  // QuantizeOptions it gets (keep_float, float_is_fp16). May be empty.
  std::function<Status(const ir::Graph&, const Metadata&, const quant::CalibrationTable&,
                       quant::QuantizeOptions*)>
      choose_precision;
  // INT8 graph inputs and outputs where they qualify (converter/quant/int8_io.h), after
  // quantize_graph and apply_qdq.
  bool int8_io = false;
};

struct ConvertOptions {
  ImportOptions import;
  int opt_level = 2;  // 0, 1 or 2: see passes::optimize
  bool fp16 = false;  // FP16 weights and activations (with int8: the nodes left in float)
  bool int8 = false;  // INT8 where a node has an int8 kernel (see Int8Options)
  Int8Options int8_options;
  // Written as given; convert fills producer, producer_version and source_format if empty.
  Metadata metadata;
  // Called after import, before writing, to complete the metadata from the graph (e.g. the
  // input contract needs the input shape). May be empty.
  std::function<Status(const ir::Graph&, const ImportInfo&, Metadata*)> complete_metadata;
};

// The graph after import, narrowing and the optimizer (the fused FP32 graph that INT8
// calibration runs), with the completed metadata.
struct PreparedGraph {
  ir::Graph graph;
  Metadata metadata;
  ImportInfo info;
  passes::OptimizeReport optimize;
};

Result<PreparedGraph> prepare_onnx(const void* data, size_t size, const ConvertOptions& options);

// INT8 only: the calibration table `options.int8_options` gives for `prepared` (loaded and
// checked, or calibrated).
Result<quant::CalibrationTable> calibration_table(const PreparedGraph& prepared,
                                                  const ConvertOptions& options);

struct ConvertResult {
  std::vector<uint8_t> file;
  ImportInfo info;
  passes::OptimizeReport optimize;
  EngineReport report;  // of the verification Engine (CPU, batch 1 for a dynamic batch)
  // INT8 only: the per-node precision report and the calibration table that was applied.
  quant::QuantizeReport quantize;
  quant::CalibrationTable table;
  quant::Int8IoReport int8_io;  // with Int8Options::int8_io: what each input/output became
  int num_nodes = 0;
  int num_tensors = 0;
};

Result<ConvertResult> convert_onnx(const void* data, size_t size, const ConvertOptions& options);

}  // namespace strix::onnx_frontend
