#include "converter/quant/histogram.h"

#include <algorithm>
#include <cmath>

namespace strix::quant {

void TensorStats::add_range(const float* values, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    float v = values[i];
    if (std::isnan(v)) continue;
    if (count_ == 0) {
      min_ = max_ = v;
    } else {
      min_ = std::min(min_, v);
      max_ = std::max(max_, v);
    }
    ++count_;
  }
}

float TensorStats::amax() const {
  if (count_ == 0) return 0.f;
  return std::max(std::fabs(min_), std::fabs(max_));
}

void TensorStats::start_histogram() {
  histogram_.assign(kHistogramBins, 0);
  float a = amax();
  bin_width_ = std::isfinite(a) && a > 0.f ? static_cast<double>(a) / kHistogramBins : 0.0;
}

void TensorStats::add_histogram(const float* values, int64_t n) {
  if (histogram_.empty()) start_histogram();
  if (bin_width_ <= 0.0) {
    // All values are 0 (or the range is infinite): everything lands in bin 0.
    for (int64_t i = 0; i < n; ++i)
      if (!std::isnan(values[i])) ++histogram_[0];
    return;
  }
  const double inv = 1.0 / bin_width_;
  for (int64_t i = 0; i < n; ++i) {
    float v = values[i];
    if (std::isnan(v)) continue;
    double b = std::floor(std::fabs(static_cast<double>(v)) * inv);
    int64_t bin = b >= kHistogramBins ? kHistogramBins - 1 : static_cast<int64_t>(b);
    ++histogram_[static_cast<size_t>(bin)];
  }
}

}  // namespace strix::quant
