// converter/quant/compare.h — per-layer numerical drift of a model against a reference
// (`strixc compare`, mixed-precision search): both run over the same data with Strix's own
// kernels, and every activation the two share is compared at fused-kernel boundaries.
//
//   quant::CompareOptions o;
//   o.batch = 8;
//   quant::CompareReport r;
//   STRIX_RETURN_IF_ERROR(quant::compare_models(int8_model, fp32_model, *dataset, o, &r));
//   for (const quant::TensorDrift& d : r.tensors) printf("%s %.1f dB\n", d.tensor.c_str(),
//   d.sqnr_db);
//
// Matching: a tensor is identified by its name with any '#...' suffix removed (an i8 tensor
// keeps the name of the float tensor it represents; a Quantize output of T is "T#i8", a
// Dequantize output "T#f32"). Of several tensors with one key in a model, the one without a
// suffix is taken, else the first produced. Only tensors some node produces are compared,
// and only when their shapes agree (dim 0 -1 matches any batch). The tensors are read as
// extra outputs (EngineOptions::extra_outputs), so fusion is what the files hold; i8/u8 are
// dequantized with their own quantization, f16 is read as f32.
//
// Metrics, a = model, b = reference, accumulated over every element of every item (sums, no
// stored tensors): max |a - b|, relative L2 ||a - b|| / ||b||, cosine a.b / (||a|| ||b||),
// SQNR 10 log10(||b||^2 / ||a - b||^2) dB (+inf when a == b).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "converter/data/dataset.h"
#include "strix/model.h"
#include "strix/status.h"
#include "strix/tensor.h"

namespace strix::quant {

// Streamed drift statistics of one tensor. add() may be called any number of times.
class DriftStats {
 public:
  void add(const float* a, const float* b, int64_t n);
  int64_t count() const { return count_; }
  double max_abs() const { return max_abs_; }
  double rel_l2() const;   // 0 when ||b|| == 0 and a == b; +inf when only ||b|| == 0
  double cosine() const;   // 1 when both are all zeros, 0 when only one is
  double sqnr_db() const;  // +inf when a == b; -inf when ||b|| == 0 but a != b
  // Non-finite values seen in a (NaN or Inf): metrics are then meaningless.
  int64_t non_finite() const { return non_finite_; }

 private:
  int64_t count_ = 0, non_finite_ = 0;
  double max_abs_ = 0, diff2_ = 0, b2_ = 0, a2_ = 0, ab_ = 0;
};

// Reads `n` elements of a tensor of dtype `info.dtype` starting at element `offset` as
// floats: f32 as is, f16 widened, i8/u8/i32 dequantized with info.quantization (per tensor
// or per channel along its axis; no quantization: the raw integers). False for a dtype or
// quantization it cannot read.
bool read_as_float(const TensorInfo& info, const void* data, int64_t offset, int64_t n, float* out);

struct CompareOptions {
  int batch = 8;      // items per run
  int64_t limit = 0;  // first `limit` items; 0 = all
  int threads = 0;    // EngineOptions::threads
  bool reference_kernels = false;
  // false: compare the graph outputs only (no intermediate tensors: fastest, full fusion).
  bool intermediates = true;
  bool progress = false;
};

struct TensorDrift {
  std::string tensor;          // the shared key (suffix stripped)
  std::string node;            // the model's node that computes it (through Cast/Quantize/...)
  std::string op;              // that node's op
  std::string precision;       // "f32", "f16", "i8", ...: the dtype that node writes
  bool is_output = false;      // a graph output of the model
  std::vector<int64_t> shape;  // the model's tensor, dim 0 = batch as compiled
  int64_t count = 0;
  double max_abs = 0, rel_l2 = 0, cosine = 1;
  double sqnr_db = std::numeric_limits<double>::infinity();
  // Lowest SQNR among the compared tensors this node reads (+inf when it reads only graph
  // inputs or constants), and input_sqnr_db - sqnr_db: the drift this node adds.
  double input_sqnr_db = std::numeric_limits<double>::infinity();
  double added_db = 0;
  int64_t non_finite = 0;
};

struct CompareReport {
  int64_t items = 0;
  std::vector<TensorDrift> tensors;  // in the model's node order
  int worst = -1;                    // index into tensors of the lowest finite SQNR (-1: none)
  int largest_drop = -1;  // index of the largest added_db (first on ties): where drift starts
  // Tensors of one key that could not be compared: "name: reason".
  std::vector<std::string> skipped;
  // Classification (Task::kClassify, or output 0 of shape [N, C] with C >= 2): argmax of
  // output 0 per item.
  bool classification = false;
  int64_t top1_agree = 0;                            // items where both argmaxes agree
  int64_t labelled = 0;                              // items with a label
  int64_t model_correct = 0, reference_correct = 0;  // argmax == label, over labelled items
};

// Runs `model` and `reference` over `data` (input 0 of both fed with the same values) and
// fills `report`. Both must have one input of the same shape. Errors: kInvalidArgument (no
// common output, input shapes differ), and whatever building or running the engines returns.
Status compare_models(const Model& model, const Model& reference, const data::Dataset& data,
                      const CompareOptions& options, CompareReport* report);

// "conv1#i8" -> "conv1"; a name without '#' is returned as is.
std::string strip_suffix(const std::string& name);

}  // namespace strix::quant
