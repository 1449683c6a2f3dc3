#include "converter/quant/calibrator.h"

#include <cmath>
#include <limits>

namespace strix::quant {
namespace {

double percentile_threshold(const std::vector<uint64_t>& h, double width, double p) {
  uint64_t total = 0;
  for (uint64_t c : h) total += c;
  // Smallest i whose cumulative count reaches p % of the total (exact integer comparison
  // where possible: cum * 100 >= p * total).
  long double target = static_cast<long double>(p) * static_cast<long double>(total) / 100.0L;
  uint64_t cum = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    cum += h[i];
    if (static_cast<long double>(cum) >= target) return static_cast<double>(i + 1) * width;
  }
  return static_cast<double>(h.size()) * width;
}

// KL(P || Q) of two unnormalized distributions of equal length; +inf where P > 0 = Q.
double kl_divergence(const std::vector<double>& p, const std::vector<double>& q) {
  double sp = 0, sq = 0;
  for (double v : p) sp += v;
  for (double v : q) sq += v;
  if (sp <= 0 || sq <= 0) return std::numeric_limits<double>::infinity();
  double kl = 0;
  for (size_t k = 0; k < p.size(); ++k) {
    if (p[k] <= 0) continue;
    if (q[k] <= 0) return std::numeric_limits<double>::infinity();
    double pn = p[k] / sp, qn = q[k] / sq;
    kl += pn * std::log(pn / qn);
  }
  return kl;
}

double entropy_threshold(const std::vector<uint64_t>& counts, double width, int target) {
  // The spike of exact zeros (ReLU outputs, padding) says nothing about the range: bin 0
  // takes bin 1's count, as NVIDIA's pytorch-quantization does.
  std::vector<uint64_t> h = counts;
  if (h.size() > 1) h[0] = h[1];
  const int bins = static_cast<int>(h.size());
  if (bins <= target) return bins * width;
  double best = std::numeric_limits<double>::infinity();
  int best_i = bins;
  std::vector<double> p, q;
  for (int i = target; i <= bins; ++i) {
    p.assign(h.begin(), h.begin() + i);
    double outliers = 0;
    for (int k = i; k < bins; ++k) outliers += static_cast<double>(h[k]);
    p[i - 1] += outliers;
    q.assign(i, 0.0);
    const int merged = i / target;
    for (int j = 0; j < target; ++j) {
      int start = j * merged;
      int stop = j == target - 1 ? i : start + merged;
      double sum = 0;
      int nonzero = 0;
      for (int k = start; k < stop; ++k) {
        sum += static_cast<double>(h[k]);
        if (h[k] != 0) ++nonzero;
      }
      if (nonzero == 0) continue;
      for (int k = start; k < stop; ++k)
        if (h[k] != 0) q[k] = sum / nonzero;
    }
    double kl = kl_divergence(p, q);
    if (kl <= best) {  // ties: the larger threshold
      best = kl;
      best_i = i;
    }
  }
  return best_i * width;
}

double mse_threshold(const std::vector<uint64_t>& h, double width, int levels) {
  const int bins = static_cast<int>(h.size());
  double best = std::numeric_limits<double>::infinity();
  int best_i = bins;
  for (int i = 1; i <= bins; ++i) {
    double t = i * width;
    double step = t / levels;
    double rounding = step * step / 12.0;
    double err = 0;
    for (int k = 0; k < bins; ++k) {
      if (h[k] == 0) continue;
      double c = (k + 0.5) * width;
      double e = c <= t ? rounding : (c - t) * (c - t);
      err += static_cast<double>(h[k]) * e;
    }
    if (err < best) {  // ties: the smaller threshold
      best = err;
      best_i = i;
    }
  }
  return best_i * width;
}

}  // namespace

const char* calibrator_name(CalibratorKind kind) {
  switch (kind) {
    case CalibratorKind::kEntropy: return "entropy";
    case CalibratorKind::kMinMax: return "minmax";
    case CalibratorKind::kPercentile: return "percentile";
    case CalibratorKind::kMse: return "mse";
  }
  return "?";
}

bool parse_calibrator(const std::string& name, CalibratorKind* kind) {
  for (CalibratorKind k : {CalibratorKind::kEntropy, CalibratorKind::kMinMax,
                           CalibratorKind::kPercentile, CalibratorKind::kMse}) {
    if (name == calibrator_name(k)) {
      *kind = k;
      return true;
    }
  }
  return false;
}

double compute_threshold(const std::vector<uint64_t>& counts, double bin_width, bool non_negative,
                         const CalibratorParams& params) {
  const double amax = static_cast<double>(counts.size()) * bin_width;
  int nonempty = 0;
  for (uint64_t c : counts) nonempty += c != 0 ? 1 : 0;
  if (nonempty < 2 || bin_width <= 0) return amax;
  switch (params.kind) {
    case CalibratorKind::kMinMax: return amax;
    case CalibratorKind::kPercentile:
      return percentile_threshold(counts, bin_width, params.percentile);
    case CalibratorKind::kEntropy:
      return entropy_threshold(counts, bin_width,
                               non_negative ? 2 * params.target_bins : params.target_bins);
    case CalibratorKind::kMse: return mse_threshold(counts, bin_width, non_negative ? 255 : 127);
  }
  return amax;
}

}  // namespace strix::quant
