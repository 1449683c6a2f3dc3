// strixc eval: top-1 / top-5 accuracy of a classification model over a labelled data set,
// run with Strix's own runtime (converter/data). Scores are output 0, one row of C class
// scores per item (probabilities or logits: the ranking is the same). An item counts for
// top-k when fewer than k classes rank above its label (a tie ranks the lower class id
// first, as vision::Classifier does); a NaN score for the label counts as a miss.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "converter/data/dataset.h"
#include "converter/data/dataset_runner.h"
#include "strix/engine.h"
#include "strix/model.h"

namespace strix::strixc {
namespace {

using nlohmann::json;

const char kCommand[] = "strixc eval";

struct Tally {
  int64_t classes = 0;  // scores per item
  int64_t count = 0, top1 = 0, top5 = 0;
  std::vector<int64_t> class_count, class_top1;  // by label
};

// Score i of a row of output `info` (f32, f16, or i8/u8 dequantized per tensor).
float score_at(const TensorInfo& info, const void* row, int64_t i) {
  switch (info.dtype) {
    case DType::kF32: return static_cast<const float*>(row)[i];
    case DType::kF16: return half_to_float(static_cast<const uint16_t*>(row)[i]);
    case DType::kI8:
    case DType::kU8: {
      const Quantization& q = info.quantization;
      const float scale = q.scales.empty() ? 1.f : q.scales[0];
      const float zero = q.zero_points.empty() ? 0.f : static_cast<float>(q.zero_points[0]);
      const float v = info.dtype == DType::kI8 ? static_cast<const int8_t*>(row)[i]
                                               : static_cast<const uint8_t*>(row)[i];
      return scale * (v - zero);
    }
    default: return NAN;
  }
}

// Classes ranked above `label` (ties: lower ids rank first); `classes` when its score is NaN.
int64_t rank_of(const TensorInfo& info, const void* row, int64_t classes, int64_t label) {
  const float s = score_at(info, row, label);
  if (std::isnan(s)) return classes;
  int64_t rank = 0;
  for (int64_t j = 0; j < classes; ++j) {
    const float v = score_at(info, row, j);
    if (v > s || (v == s && j < label)) ++rank;
  }
  return rank;
}

Status tally_batch(const data::Dataset& dataset, int64_t first, int count, const Engine& e,
                   Context& ctx, Tally* t) {
  const TensorInfo& out = e.output(0);
  const int64_t batch = e.input(0).shape[0];
  if (out.shape.rank() < 1 || out.shape[0] != batch || out.dtype == DType::kI32)
    return Status(StatusCode::kUnsupported,
                  "output '" + out.name + "' is " + out.shape.to_string() + " " +
                      dtype_name(out.dtype) +
                      ": eval needs class scores [N, C] (f32, f16, i8, u8)");
  const int64_t classes = out.shape.num_elements() / batch;
  if (classes < 2)
    return Status(StatusCode::kUnsupported, "output '" + out.name + "' is " +
                                                out.shape.to_string() +
                                                ": eval needs at least 2 class scores per item");
  if (t->classes == 0) {
    t->classes = classes;
    t->class_count.assign(classes, 0);
    t->class_top1.assign(classes, 0);
  }
  const uint8_t* base = static_cast<const uint8_t*>(ctx.output(0).data);
  const size_t row_bytes = static_cast<size_t>(classes) * dtype_size(out.dtype);
  for (int r = 0; r < count; ++r) {
    const int label = dataset.label(first + r);
    if (label < 0 || label >= classes)
      return Status(StatusCode::kInvalidArgument,
                    "data spec '" + dataset.spec() + "': item " + std::to_string(first + r) +
                        " has label " + std::to_string(label) + ", out of range of the model's " +
                        std::to_string(classes) + " classes");
    const int64_t rank = rank_of(out, base + row_bytes * r, classes, label);
    ++t->count;
    ++t->class_count[label];
    if (rank == 0) {
      ++t->top1;
      ++t->class_top1[label];
    }
    if (rank < 5) ++t->top5;
  }
  return Status::ok_status();
}

double ratio(int64_t a, int64_t b) { return b > 0 ? static_cast<double>(a) / b : 0.0; }

}  // namespace

int eval_command(const EvalOptions& o) {
  Result<Model> loaded = Model::load(o.model);
  if (!loaded.ok()) return report_error(kCommand, kExitError, loaded.status().to_string());
  const Model& model = loaded.value();
  if (model.num_inputs() != 1)
    return report_error(
        kCommand, kExitError,
        "the model has " + std::to_string(model.num_inputs()) + " inputs: eval needs exactly one");
  Result<std::unique_ptr<data::Dataset>> opened = data::open_dataset(o.data, model, model.input(0));
  if (!opened.ok()) return report_error(kCommand, kExitError, opened.status().to_string());
  const data::Dataset& dataset = *opened.value();
  if (!dataset.has_labels())
    return report_error(kCommand, kExitError,
                        "data spec '" + o.data + "' has no labels: eval needs them");

  data::RunOptions ro;
  ro.batch = o.batch;
  ro.threads = o.threads;
  ro.limit = o.limit;
  ro.device = o.device;
  ro.progress = true;
  ro.progress_label = "evaluating";
  Tally t;
  const auto start = std::chrono::steady_clock::now();
  Status s = data::run_dataset(model, dataset, ro,
                               [&](int64_t first, int count, const Engine& e, Context& ctx) {
                                 return tally_batch(dataset, first, count, e, ctx, &t);
                               });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!s.ok()) return report_error(kCommand, kExitError, s.to_string());

  const std::vector<std::string>& labels = model.metadata().labels;
  const bool has_top5 = t.classes >= 5;
  const double per_second = seconds > 0 ? t.count / seconds : 0.0;
  if (o.json) {
    json j;
    j["model"] = o.model;
    j["data"] = o.data;
    j["data_sha256"] = dataset.fingerprint();
    j["count"] = t.count;
    j["classes"] = t.classes;
    j["top1"] = ratio(t.top1, t.count);
    j["top1_correct"] = t.top1;
    j["top5"] = has_top5 ? json(ratio(t.top5, t.count)) : json(nullptr);
    j["top5_correct"] = has_top5 ? json(t.top5) : json(nullptr);
    json per_class = json::array();
    for (int64_t c = 0; c < t.classes; ++c) {
      json pc;
      pc["class"] = c;
      pc["label"] = c < static_cast<int64_t>(labels.size()) ? labels[c] : std::string();
      pc["count"] = t.class_count[c];
      pc["top1_correct"] = t.class_top1[c];
      pc["top1"] =
          t.class_count[c] > 0 ? json(ratio(t.class_top1[c], t.class_count[c])) : json(nullptr);
      per_class.push_back(pc);
    }
    j["per_class"] = per_class;
    j["batch"] = o.batch;
    j["threads"] = o.threads;
    j["device"] = o.device;
    j["seconds"] = seconds;
    j["images_per_second"] = per_second;
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%s on %s: %lld items, %lld classes\n", o.model.c_str(), o.data.c_str(),
              static_cast<long long>(t.count), static_cast<long long>(t.classes));
  std::printf("  top-1  %6.2f %%  (%lld / %lld)\n", 100.0 * ratio(t.top1, t.count),
              static_cast<long long>(t.top1), static_cast<long long>(t.count));
  if (has_top5)
    std::printf("  top-5  %6.2f %%  (%lld / %lld)\n", 100.0 * ratio(t.top5, t.count),
                static_cast<long long>(t.top5), static_cast<long long>(t.count));
  const std::string threads = o.threads > 0 ? std::to_string(o.threads) : "all cores";
  std::printf("  %.1f images/s  (batch %d, %s, threads %s; reading, pre-processing, inference)\n",
              per_second, o.batch, o.device.c_str(), threads.c_str());
  return kExitOk;
}

}  // namespace strix::strixc
