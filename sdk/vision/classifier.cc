// Scores -> top-k labelled classes (strix/vision.h).
#include <cmath>

#include "strix/vision.h"

namespace strix::vision {

Result<Classifier> Classifier::create(const Metadata& metadata, const TensorInfo& output,
                                      const ClassifierOptions& options) {
  const Shape& s = output.shape;
  if (s.rank() < 1 || s[s.rank() - 1] <= 0)
    return make_status(StatusCode::kUnsupported, "output '%s' is %s: no class dimension",
                       output.name.c_str(), s.to_string().c_str());
  if (options.top_k < 0)
    return make_status(StatusCode::kInvalidArgument, "top-k is %d, must be >= 0", options.top_k);
  if (std::isnan(options.threshold))
    return make_status(StatusCode::kInvalidArgument, "threshold is NaN");
  Classifier c;
  c.num_classes_ = static_cast<int>(s[s.rank() - 1]);
  c.dtype_ = output.dtype;
  switch (output.dtype) {
    case DType::kF32:
    case DType::kF16: break;
    case DType::kI8:
    case DType::kU8: {
      const Quantization& q = output.quantization;
      if (q.scales.size() != 1 || q.zero_points.size() > 1)
        return make_status(StatusCode::kUnsupported,
                           "output '%s' is %s with %zu scales: classification needs per-tensor "
                           "quantization",
                           output.name.c_str(), dtype_name(output.dtype), q.scales.size());
      c.q_scale_ = q.scales[0];
      c.q_zero_point_ = q.zero_points.empty() ? 0 : static_cast<int32_t>(q.zero_points[0]);
      break;
    }
    default:
      return make_status(StatusCode::kUnsupported,
                         "output '%s' is %s: scores must be f32, f16, "
                         "i8 or u8",
                         output.name.c_str(), dtype_name(output.dtype));
  }
  c.top_k_ = options.top_k > 0 ? options.top_k : metadata.postprocess.top_k;
  if (c.top_k_ <= 0) c.top_k_ = 5;
  if (c.top_k_ > c.num_classes_) c.top_k_ = c.num_classes_;
  c.threshold_ = options.threshold;
  c.softmax_ = options.softmax < 0 ? metadata.postprocess.apply_softmax : options.softmax != 0;
  c.labels_ = options.labels.empty() ? metadata.labels : options.labels;
  return c;
}

float Classifier::score_at(const void* scores, int i) const {
  switch (dtype_) {
    case DType::kF16: return half_to_float(static_cast<const uint16_t*>(scores)[i]);
    case DType::kI8:
      return q_scale_ * static_cast<float>(static_cast<const int8_t*>(scores)[i] - q_zero_point_);
    case DType::kU8:
      return q_scale_ * static_cast<float>(static_cast<const uint8_t*>(scores)[i] - q_zero_point_);
    default: return static_cast<const float*>(scores)[i];
  }
}

int Classifier::run(const void* scores, Classification* out, int capacity) const {
  const int k = capacity < top_k_ ? capacity : top_k_;
  if (k <= 0 || num_classes_ == 0) return 0;
  // Top-k by insertion into out[0..n), best first. Softmax is monotonic, so ranking the raw
  // scores gives the same order; probabilities are computed for the survivors only.
  int n = 0;
  float max_score = -INFINITY;
  for (int i = 0; i < num_classes_; ++i) {
    const float v = score_at(scores, i);
    if (v > max_score) max_score = v;
    if (n == k && !(v > out[n - 1].score)) continue;
    int pos = n < k ? n++ : k - 1;
    while (pos > 0 && v > out[pos - 1].score) {
      out[pos] = out[pos - 1];
      --pos;
    }
    out[pos].class_id = i;
    out[pos].score = v;
  }
  if (softmax_) {
    double sum = 0;
    for (int i = 0; i < num_classes_; ++i) sum += std::exp(double(score_at(scores, i)) - max_score);
    for (int r = 0; r < n; ++r)
      out[r].score = static_cast<float>(std::exp(double(out[r].score) - max_score) / sum);
  }
  int kept = 0;
  for (int r = 0; r < n; ++r)
    if (out[r].score >= threshold_) out[kept++] = out[r];
  return kept;
}

const char* Classifier::label(int class_id) const {
  if (class_id < 0 || class_id >= static_cast<int>(labels_.size())) return "";
  return labels_[class_id].c_str();
}

}  // namespace strix::vision
