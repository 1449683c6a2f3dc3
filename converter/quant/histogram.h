// converter/quant/histogram.h — streaming statistics of one activation tensor for
// calibration, in two passes over the calibration items:
//
//   quant::TensorStats s;
//   for (each batch) s.add_range(values, n);          // pass 1: exact min / max
//   s.start_histogram();                               // fixes the range [0, amax]
//   for (each batch) s.add_histogram(values, n);       // pass 2: 2048 bins of |x|
//
// The histogram counts |x| over [0, amax] with amax = max(|min|, |max|) from pass 1, in
// integer counts, so the result depends only on the multiset of values seen: the same items
// give the same histogram whatever the batch size or the order. Memory is O(bins).
#pragma once

#include <cstdint>
#include <vector>

namespace strix::quant {

constexpr int kHistogramBins = 2048;

class TensorStats {
 public:
  // Pass 1. NaN values are ignored; infinities count (and make amax infinite).
  void add_range(const float* values, int64_t n);
  // Ends pass 1: the histogram covers [0, amax()] in kHistogramBins equal bins.
  void start_histogram();
  // Pass 2: bin floor(|x| / amax * bins), clamped to the last bin (|x| == amax).
  void add_histogram(const float* values, int64_t n);

  bool seen() const { return count_ > 0; }
  int64_t count() const { return count_; }
  float min() const { return min_; }
  float max() const { return max_; }
  // max(|min|, |max|); 0 before any value.
  float amax() const;
  // Bin width of the histogram (amax / bins); 0 for an all-zero tensor.
  double bin_width() const { return bin_width_; }
  const std::vector<uint64_t>& histogram() const { return histogram_; }

 private:
  float min_ = 0, max_ = 0;
  int64_t count_ = 0;
  double bin_width_ = 0;
  std::vector<uint64_t> histogram_;
};

}  // namespace strix::quant
