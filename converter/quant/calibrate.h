// converter/quant/calibrate.h — INT8 calibration: runs the fused FP32 graph with Strix's own
// runtime (CPU kernels, the arithmetic the device executes) over the first N items of a
// data set and turns each activation's statistics into a quantization.
//
//   quant::CalibrateOptions o;            // entropy, 500 items, batch 8
//   Result<quant::CalibrationTable> t = quant::calibrate(graph, metadata, *dataset, o);
//
// Two passes over the items (converter/quant/histogram.h): exact min/max, then a 2048-bin
// histogram of |x| over [0, amax], in integer counts: memory is O(tensors x bins) and the
// table does not depend on the batch size (batch 1 and batch 32 give identical tables).
// The tensors are quant::calibration_tensors(graph): everything an INT8-capable node reads
// or writes. Each is assumed to hold one row per item along dim 0 (as converted graphs do).
//
// Quantization: a tensor whose calibrated min >= 0 (e.g. after a fused ReLU) gets zero point
// -128 and scale = threshold / 255; any other is symmetric, zero point 0, scale =
// threshold / 127. A data movement op's or a max pool's output takes its input's entry (the
// kernels copy bytes). A tensor that was 0 on every item gets threshold 1.
#pragma once

#include <cstdint>
#include <string>

#include "converter/data/dataset.h"
#include "converter/ir/graph.h"
#include "converter/quant/calib_table.h"
#include "converter/quant/calibrator.h"
#include "strix/model.h"
#include "strix/status.h"

namespace strix::quant {

struct CalibrateOptions {
  CalibratorParams calibrator;  // entropy by default
  int64_t samples = 500;        // the first N items (all when fewer); 0 = all
  int batch = 8;                // items per run
  int threads = 0;              // EngineOptions::threads
  // The plain reference kernels instead of the optimized ones. The optimized FullyConnected
  // blocks its K loop differently when the batch has several rows, so its f32 results (and
  // then the table) may differ in the last bit between batch sizes; the reference kernels'
  // summation order never depends on the batch.
  bool reference_kernels = false;
  bool progress = false;  // progress line on stderr (a terminal only)
};

// `metadata` supplies the input contract (preprocess_hash); `data` must have been opened
// for this graph's input 0 (data::open_dataset). Fills every table field.
Result<CalibrationTable> calibrate(const ir::Graph& fused_fp32, const Metadata& metadata,
                                   const data::Dataset& data, const CalibrateOptions& options);

// Opens the data spec for the graph (exported with `metadata`) and calibrates.
Result<CalibrationTable> calibrate_spec(const ir::Graph& fused_fp32, const Metadata& metadata,
                                        const std::string& data_spec,
                                        const CalibrateOptions& options);

}  // namespace strix::quant
