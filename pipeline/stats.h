// pipeline/stats.h — per-element latency and throughput statistics.
//
//   strix::gst::Stats stats;
//   stats.add_frame(now_ns);                       // every buffer
//   stats.add_inference(pre_ms, infer_ms, post_ms);  // every inference
//   double p99 = stats.latency_p99_ms();
//
// Latencies are kept for the last kWindow inferences (mean and p99 over that window);
// fps is frames over the wall time between the first and the last frame. Not thread safe:
// the elements guard a Stats with their object lock. add_* never allocate.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace strix::gst {

class Stats {
 public:
  static constexpr size_t kWindow = 1024;

  void reset() { *this = Stats(); }
  void add_frame(int64_t now_ns);
  void add_inference(double pre_ms, double infer_ms, double post_ms);

  uint64_t frames() const { return frames_; }
  uint64_t inferences() const { return inferences_; }
  double latency_mean_ms() const;  // pre + infer + post
  double latency_p99_ms() const;
  double preprocess_mean_ms() const;
  double inference_mean_ms() const;
  double fps() const;

 private:
  double mean(const std::array<double, kWindow>& v) const;
  uint64_t frames_ = 0, inferences_ = 0;
  int64_t first_ns_ = 0, last_ns_ = 0;
  std::array<double, kWindow> total_{}, pre_{}, infer_{};
};

}  // namespace strix::gst
