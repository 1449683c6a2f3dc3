// converter/quant/calibrator.h — the clipping threshold of one activation tensor from its
// histogram of |x| (converter/quant/histogram.h). The threshold t becomes the quantization
// range: scale = t / 127 (symmetric) or t / 255 (non-negative tensors, zero point -128).
//
//   minmax      t = amax (no clipping).
//   percentile  t = the upper edge of the first bin at which the cumulative count reaches
//               P % of all values (P = 99.99 by default).
//   entropy     TensorRT's KL-divergence search (as NVIDIA's pytorch-quantization): bin 0
//               first takes bin 1's count (the spike of exact zeros says nothing about the
//               range); then for every i in [T, bins], the reference distribution P is bins
//               [0, i) with the counts beyond folded into bin i-1; Q merges bins [0, i) into
//               T groups (the last group takes the remainder) and spreads each group's count
//               evenly over its non-empty bins; t = i * width for the i minimizing
//               KL(P || Q) (both normalized; ties go to the larger i). T = 128 target bins,
//               256 for a non-negative tensor (its 255 steps cover [0, t]).
//   mse         t = i * width minimizing the expected squared error over the histogram
//               (bin centres c): c <= t costs step^2 / 12 (rounding, step = t / levels),
//               c > t costs (c - t)^2 (clipping), levels = 127 or 255.
// Every calibrator returns amax for a histogram with fewer than 2 non-empty bins.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "strix/status.h"

namespace strix::quant {

enum class CalibratorKind { kEntropy, kMinMax, kPercentile, kMse };

const char* calibrator_name(CalibratorKind kind);
// "entropy", "minmax", "percentile", "mse"; false for anything else.
bool parse_calibrator(const std::string& name, CalibratorKind* kind);

struct CalibratorParams {
  CalibratorKind kind = CalibratorKind::kEntropy;
  double percentile = 99.99;  // kPercentile, in (0, 100]
  int target_bins = 128;      // kEntropy, signed tensors (twice that for non-negative ones)
};

// The threshold for a histogram `counts` of |x| with bins of width `bin_width` covering
// [0, counts.size() * bin_width]; `non_negative`: the tensor has no negative values (its
// quantization has 255 steps over [0, t] instead of 127).
double compute_threshold(const std::vector<uint64_t>& counts, double bin_width, bool non_negative,
                         const CalibratorParams& params);

}  // namespace strix::quant
