// converter/quant/calib_table.h — calibration tables: the calibrated range and quantization
// of every activation tensor, saved as JSON by `strixc calibrate -o table.json` and applied
// by `strixc convert --precision int8 --calib-table table.json`.
//
//   {"format": "strix-calibration", "version": 1,
//    "graph_hash": sha256 of the fused FP32 graph (structure and weights),
//    "preprocess_hash": sha256 of the input contract (resize, colour, mean, std, ...),
//    "dataset_hash": data::Dataset::fingerprint() of the calibration data (recorded only),
//    "calibrator": "entropy", "samples": 500,
//    "tensors": {"conv1_out": {"min": -1.5, "max": 3.2, "threshold": 2.9,
//                              "scale": 0.0114, "zero_point": 0}, ...}}
//
// A table is bound to the graph and pre-processing it was computed for: check_table()
// rejects one whose graph_hash or preprocess_hash differs, naming the key.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "converter/ir/graph.h"
#include "strix/model.h"
#include "strix/status.h"

namespace strix::quant {

struct TensorCalibration {
  float min = 0, max = 0;  // observed over the calibration items
  double threshold = 0;    // the calibrator's clipping threshold of |x|
  float scale = 1;         // real = scale * (q - zero_point), q in [-128, 127]
  int32_t zero_point = 0;  // 0 (symmetric) or -128 (non-negative tensors)
};

struct CalibrationTable {
  std::string graph_hash;
  std::string preprocess_hash;
  std::string dataset_hash;
  std::string calibrator;
  int64_t samples = 0;
  std::map<std::string, TensorCalibration> tensors;  // by tensor name
};

// Lowercase hex SHA-256.
std::string sha256_hex(const void* data, size_t size);
// The graph's identity: SHA-256 of the graph written as a .strix file with empty metadata
// (so names, ops, options, shapes and weights count; timestamps and provenance do not).
Result<std::string> graph_hash(const ir::Graph& graph);
// SHA-256 of a canonical text of metadata.inputs (the input contracts); of "" when none.
std::string preprocess_hash(const Metadata& metadata);

std::string table_to_json(const CalibrationTable& table);
// Parses and validates the structure (format, version, field types, finite scales > 0,
// zero points in [-128, 127]). `source` names the text in messages (e.g. the file path).
Result<CalibrationTable> table_from_json(const std::string& text, const std::string& source);

Status save_table(const CalibrationTable& table, const std::string& path);
Result<CalibrationTable> load_table(const std::string& path);

// kInvalidArgument when the table was made for another graph or another input contract:
// "calibration table 'PATH' is stale: its graph_hash abc... differs from this model's
// def...; re-run `strixc calibrate`". `source` names the table in the message.
Status check_table(const CalibrationTable& table, const std::string& graph_hash,
                   const std::string& preprocess_hash, const std::string& source);

}  // namespace strix::quant
