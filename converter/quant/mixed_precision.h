// converter/quant/mixed_precision.h — `strixc convert --precision best`: INT8 where it keeps
// the accuracy and is faster, float elsewhere.
//
//   quant::MixedPrecisionOptions o;
//   o.val_data = "idx:images.gz,labels.gz";
//   o.accuracy_budget = 0.3;                      // top-1 points
//   quant::MixedPrecisionReport r;
//   Result<quant::QuantizeOptions> q = quant::choose_precision(fused, metadata, table, o, &r);
//   quant::quantize_graph(fused, table, q.value(), nullptr);
//
// Layers: the compute nodes quantize_graph makes INT8 with every node allowed (data movement
// ops follow their producer and are not chosen on their own).
//   1. Speed: each layer's INT8 kernel and float kernel are timed on this CPU
//      (converter/quant/node_timing.h; the all-INT8 model against the float one). With
//      require_speedup, a layer whose INT8 kernel is not faster stays float.
//   2. Sensitivity: the output SQNR (dB, lowest over the graph outputs) against FP32 with only
//      that layer in INT8, over the first `sensitivity_items` validation items. Lower = more
//      sensitive.
//   3. Greedy: every remaining layer starts INT8; the model is measured on the validation
//      items against FP32 (converter/quant/compare.h): classification (Task::kClassify or
//      output 0 of shape [N, C]) with labels: top-1 drop = FP32 accuracy - accuracy, in
//      points; without labels: top-1 disagreement with FP32, in points; other tasks: the
//      lowest output SQNR. While the drop exceeds accuracy_budget (or the SQNR is below
//      min_sqnr_db), the most sensitive INT8 layer moves to float and the model is measured
//      again.
// Float is FP32, or FP16 with float_is_fp16 (for devices that compute FP16 natively; on the
// CPU FP16 is storage only, so FP32 is the right float there).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "converter/ir/graph.h"
#include "converter/quant/calib_table.h"
#include "converter/quant/node_timing.h"
#include "converter/quant/quantize_graph.h"
#include "strix/model.h"
#include "strix/status.h"

namespace strix::quant {

struct MixedPrecisionOptions {
  std::string val_data;          // data spec (converter/data/dataset.h), required
  double accuracy_budget = 0.3;  // classification: largest allowed top-1 drop, in points
  double min_sqnr_db = 30;       // other tasks: lowest allowed output SQNR vs FP32
  int64_t sensitivity_items = 100;
  int64_t val_items = 0;  // validation items for the budget; 0 = all
  bool float_is_fp16 = false;
  bool require_speedup = true;  // keep float where the INT8 kernel is not faster
  TimingOptions timing;
  int batch = 8;    // items per run
  int threads = 0;  // EngineOptions::threads of the accuracy runs
  bool progress = false;
};

struct LayerChoice {
  std::string node;
  std::string op;
  double sensitivity_db = 0;  // output SQNR with only this layer INT8
  double int8_ms = 0, float_ms = 0;
  std::string choice;  // "int8", "fp32" or "fp16"
  std::string reason;
};

struct MixedPrecisionReport {
  std::vector<LayerChoice> layers;    // the candidate layers, in graph order
  std::vector<NodePrecision> others;  // nodes that cannot be INT8 (quantize_graph's reasons)
  bool classification = false;
  bool labelled = false;
  int64_t val_items = 0;
  // The metric (top-1 drop in points, or output SQNR in dB) at the start of the greedy phase
  // (every layer INT8 that passed the speed check) and of the final choice, and whether the
  // final choice meets the budget.
  double all_int8_metric = 0, final_metric = 0;
  double fp32_top1 = 0, final_top1 = 0;  // classification with labels: accuracy in percent
  bool met = false;
  int evaluations = 0;  // validation runs of the greedy phase
};

// Chooses the precision of each layer of `fused_fp32` (the optimized FP32 graph; `metadata`
// carries the input contract the validation data is pre-processed with). Returns the
// QuantizeOptions (keep_float, float_is_fp16) to give quantize_graph with `table`.
Result<QuantizeOptions> choose_precision(const ir::Graph& fused_fp32, const Metadata& metadata,
                                         const CalibrationTable& table,
                                         const MixedPrecisionOptions& options,
                                         MixedPrecisionReport* report);

// The per-layer table and the outcome, for `strixc convert -v` and logs.
std::string format_report(const MixedPrecisionReport& report, const MixedPrecisionOptions& options);

}  // namespace strix::quant
