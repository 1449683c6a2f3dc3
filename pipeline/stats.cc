// Latency and throughput statistics (stats.h).
#include "pipeline/stats.h"

#include <algorithm>
#include <cmath>

namespace strix::gst {

void Stats::add_frame(int64_t now_ns) {
  if (frames_ == 0) first_ns_ = now_ns;
  last_ns_ = now_ns;
  ++frames_;
}

void Stats::add_inference(double pre_ms, double infer_ms, double post_ms) {
  const size_t i = inferences_ % kWindow;
  total_[i] = pre_ms + infer_ms + post_ms;
  pre_[i] = pre_ms;
  infer_[i] = infer_ms;
  ++inferences_;
}

double Stats::mean(const std::array<double, kWindow>& v) const {
  const size_t n = std::min<uint64_t>(inferences_, kWindow);
  if (n == 0) return 0;
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += v[i];
  return sum / n;
}

double Stats::latency_mean_ms() const { return mean(total_); }
double Stats::preprocess_mean_ms() const { return mean(pre_); }
double Stats::inference_mean_ms() const { return mean(infer_); }

double Stats::latency_p99_ms() const {
  const size_t n = std::min<uint64_t>(inferences_, kWindow);
  if (n == 0) return 0;
  std::array<double, kWindow> sorted = total_;
  // Nearest rank: the ceil(0.99 n)-th smallest value.
  const size_t rank = static_cast<size_t>(std::ceil(0.99 * n)) - 1;
  std::nth_element(sorted.begin(), sorted.begin() + rank, sorted.begin() + n);
  return sorted[rank];
}

double Stats::fps() const {
  if (frames_ < 2 || last_ns_ <= first_ns_) return 0;
  return (frames_ - 1) * 1e9 / static_cast<double>(last_ns_ - first_ns_);
}

}  // namespace strix::gst
