#include "converter/quant/mixed_precision.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <set>

#include "converter/data/dataset.h"
#include "converter/ir/export.h"
#include "converter/quant/compare.h"
#include "strix/engine.h"

namespace strix::quant {
namespace {

// The graph as a Model: FP32 as is (`table` null), else quantized with `q`.
Result<Model> build(const ir::Graph& fp32, const Metadata& metadata, const CalibrationTable* table,
                    const QuantizeOptions& q) {
  ir::Graph g = fp32;
  if (table != nullptr) STRIX_RETURN_IF_ERROR(quantize_graph(g, *table, q, nullptr));
  Result<std::vector<uint8_t>> file = ir::export_strix(g, metadata);
  if (!file.ok()) return file.status();
  return Model::from_buffer(file.value().data(), file.value().size());
}

// The lowest output SQNR of `r` (outputs only).
double output_sqnr(const CompareReport& r) {
  double s = std::numeric_limits<double>::infinity();
  for (const TensorDrift& d : r.tensors)
    if (d.is_output) s = std::min(s, d.sqnr_db);
  return s;
}

struct Evaluator {
  const Model& fp32;
  const data::Dataset& data;
  const MixedPrecisionOptions& o;

  Status run(const Model& m, int64_t limit, CompareReport* r) const {
    CompareOptions co;
    co.batch = o.batch;
    co.threads = o.threads;
    co.limit = limit;
    co.intermediates = false;
    co.progress = o.progress;
    return compare_models(m, fp32, data, co, r);
  }
};

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

std::string db(double v) { return std::isinf(v) ? (v > 0 ? "inf" : "-inf") : fmt("%.1f", v); }

}  // namespace

Result<QuantizeOptions> choose_precision(const ir::Graph& fused_fp32, const Metadata& metadata,
                                         const CalibrationTable& table,
                                         const MixedPrecisionOptions& o,
                                         MixedPrecisionReport* report) {
  *report = MixedPrecisionReport();
  if (o.val_data.empty())
    return Status(StatusCode::kInvalidArgument, "--precision best needs --val-data SPEC");
  if (!(o.accuracy_budget >= 0))
    return Status(StatusCode::kInvalidArgument, "the accuracy budget must be >= 0");
  const std::string float_name = o.float_is_fp16 ? "fp16" : "fp32";

  // Candidates: what quantize_graph makes INT8 when everything may be.
  QuantizeReport all;
  {
    ir::Graph g = fused_fp32;
    STRIX_RETURN_IF_ERROR(quantize_graph(g, table, QuantizeOptions{}, &all));
  }
  std::vector<std::string> candidates;
  std::map<std::string, std::string> op_of;
  for (const NodePrecision& p : all.nodes) {
    op_of[p.node] = p.op;
    bool view = false;
    for (const ir::Node& n : fused_fp32.nodes)
      if (n.name == p.node) view = is_int8_view_op(n.op);
    if (p.precision == "int8" && !view)
      candidates.push_back(p.node);
    else if (p.precision != "int8")
      report->others.push_back(p);
  }
  QuantizeOptions result;
  result.float_is_fp16 = o.float_is_fp16;
  if (candidates.empty()) return result;
  auto keep_all_but = [&](const std::set<std::string>& int8) {
    QuantizeOptions q;
    q.float_is_fp16 = o.float_is_fp16;
    for (const std::string& c : candidates)
      if (!int8.count(c)) q.keep_float.insert(c);
    return q;
  };
  const std::set<std::string> every(candidates.begin(), candidates.end());

  Result<Model> fp32 = build(fused_fp32, metadata, nullptr, QuantizeOptions{});
  if (!fp32.ok()) return fp32.status();
  EngineOptions probe_options;
  probe_options.batch = o.batch;
  Result<std::shared_ptr<Engine>> probe = Engine::create(fp32.value(), probe_options);
  if (!probe.ok()) return probe.status();
  Result<std::unique_ptr<data::Dataset>> val =
      data::open_dataset(o.val_data, fp32.value(), probe.value()->input(0));
  if (!val.ok()) return Status(val.status().code(), "--val-data: " + val.status().message());
  Evaluator eval{fp32.value(), *val.value(), o};

  // 1. Speed of each layer's INT8 and float kernels.
  Result<Model> int8_model = build(fused_fp32, metadata, &table, keep_all_but(every));
  if (!int8_model.ok()) return int8_model.status();
  Result<Model> float_model =
      o.float_is_fp16 ? build(fused_fp32, metadata, &table, keep_all_but({})) : fp32;
  if (!float_model.ok()) return float_model.status();
  Result<std::vector<NodeTime>> t8 = time_nodes(int8_model.value(), o.timing);
  if (!t8.ok()) return t8.status();
  Result<std::vector<NodeTime>> tf = time_nodes(float_model.value(), o.timing);
  if (!tf.ok()) return tf.status();
  std::map<std::string, double> ms8, msf;
  for (const NodeTime& n : t8.value()) ms8[n.name] += n.ms;
  for (const NodeTime& n : tf.value()) msf[n.name] += n.ms;

  // 2. Sensitivity: only that layer INT8.
  std::vector<LayerChoice>& layers = report->layers;
  for (const std::string& c : candidates) {
    LayerChoice l;
    l.node = c;
    l.op = op_of[c];
    l.int8_ms = ms8[c];
    l.float_ms = msf[c];
    Result<Model> m = build(fused_fp32, metadata, &table, keep_all_but({c}));
    if (!m.ok()) return m.status();
    CompareReport r;
    STRIX_RETURN_IF_ERROR(eval.run(m.value(), o.sensitivity_items, &r));
    l.sensitivity_db = output_sqnr(r);
    layers.push_back(l);
  }

  // 3. Greedy under the budget.
  std::set<std::string> int8;
  for (LayerChoice& l : layers) {
    if (o.require_speedup && !(l.int8_ms < l.float_ms)) {
      l.choice = float_name;
      l.reason = "int8 kernel not faster (" + fmt("%.3g", l.int8_ms) + " ms vs " +
                 fmt("%.3g", l.float_ms) + " ms " + float_name + ")";
    } else {
      int8.insert(l.node);
    }
  }
  auto measure = [&](const std::set<std::string>& chosen, double* metric, bool* ok) -> Status {
    Result<Model> m = build(fused_fp32, metadata, &table, keep_all_but(chosen));
    if (!m.ok()) return m.status();
    CompareReport r;
    STRIX_RETURN_IF_ERROR(eval.run(m.value(), o.val_items, &r));
    ++report->evaluations;
    report->val_items = r.items;
    report->classification = r.classification;
    report->labelled = r.labelled > 0;
    if (r.classification && r.labelled > 0) {
      report->fp32_top1 = 100.0 * r.reference_correct / r.labelled;
      report->final_top1 = 100.0 * r.model_correct / r.labelled;
      *metric = report->fp32_top1 - report->final_top1;
      *ok = *metric <= o.accuracy_budget + 1e-9;
    } else if (r.classification) {
      *metric = r.items > 0 ? 100.0 * (r.items - r.top1_agree) / r.items : 0;
      *ok = *metric <= o.accuracy_budget + 1e-9;
    } else {
      *metric = output_sqnr(r);
      *ok = *metric >= o.min_sqnr_db;
    }
    return Status();
  };
  double metric = 0;
  bool ok = false;
  STRIX_RETURN_IF_ERROR(measure(int8, &metric, &ok));
  report->all_int8_metric = metric;
  std::vector<LayerChoice*> by_sensitivity;
  for (LayerChoice& l : layers)
    if (int8.count(l.node)) by_sensitivity.push_back(&l);
  std::stable_sort(by_sensitivity.begin(), by_sensitivity.end(),
                   [](const LayerChoice* a, const LayerChoice* b) {
                     return a->sensitivity_db < b->sensitivity_db;
                   });
  const std::string what = report->classification ? "top-1 drop " : "output SQNR ";
  const std::string unit = report->classification ? " pt" : " dB";
  for (LayerChoice* l : by_sensitivity) {
    if (ok) break;
    int8.erase(l->node);
    l->choice = float_name;
    l->reason = "sensitive (" + db(l->sensitivity_db) + " dB): moved to float while " + what +
                fmt("%.2f", metric) + unit + " missed the budget";
    STRIX_RETURN_IF_ERROR(measure(int8, &metric, &ok));
  }
  report->final_metric = metric;
  report->met = ok;
  for (LayerChoice& l : layers) {
    if (!int8.count(l.node)) {
      result.keep_float.insert(l.node);
      continue;
    }
    l.choice = "int8";
    l.reason = "int8: within the budget";
    if (o.require_speedup) l.reason += ", faster";
  }
  return result;
}

std::string format_report(const MixedPrecisionReport& r, const MixedPrecisionOptions& o) {
  std::string s;
  size_t w = 4;
  for (const LayerChoice& l : r.layers) w = std::max(w, l.node.size());
  char line[512];
  std::snprintf(line, sizeof(line), "  %-*s  %-18s %8s %9s %9s  %-6s %s\n", static_cast<int>(w),
                "node", "op", "sens dB", "int8 ms", "float ms", "choice", "reason");
  s += line;
  for (const LayerChoice& l : r.layers) {
    std::snprintf(line, sizeof(line), "  %-*s  %-18s %8s %9.3g %9.3g  %-6s %s\n",
                  static_cast<int>(w), l.node.c_str(), l.op.c_str(), db(l.sensitivity_db).c_str(),
                  l.int8_ms, l.float_ms, l.choice.c_str(), l.reason.c_str());
    s += line;
  }
  for (const NodePrecision& p : r.others) {
    std::snprintf(line, sizeof(line), "  %-*s  %-18s %8s %9s %9s  %-6s %s\n", static_cast<int>(w),
                  p.node.c_str(), p.op.c_str(), "-", "-", "-", p.precision.c_str(),
                  p.reason.c_str());
    s += line;
  }
  if (r.classification && r.labelled)
    std::snprintf(line, sizeof(line),
                  "best: top-1 %.2f %% vs FP32 %.2f %% (drop %.2f pt, budget %.2f pt; start "
                  "%.2f pt) on %lld items, %d evaluations%s\n",
                  r.final_top1, r.fp32_top1, r.final_metric, o.accuracy_budget, r.all_int8_metric,
                  static_cast<long long>(r.val_items), r.evaluations,
                  r.met ? "" : " - budget NOT met");
  else if (r.classification)
    std::snprintf(line, sizeof(line),
                  "best: top-1 disagreement with FP32 %.2f pt (budget %.2f pt; start %.2f pt) "
                  "on %lld unlabelled items, %d evaluations%s\n",
                  r.final_metric, o.accuracy_budget, r.all_int8_metric,
                  static_cast<long long>(r.val_items), r.evaluations,
                  r.met ? "" : " - budget NOT met");
  else
    std::snprintf(line, sizeof(line),
                  "best: output SQNR %s dB (minimum %.1f dB; start %s dB) on %lld items, %d "
                  "evaluations%s\n",
                  db(r.final_metric).c_str(), o.min_sqnr_db, db(r.all_int8_metric).c_str(),
                  static_cast<long long>(r.val_items), r.evaluations,
                  r.met ? "" : " - budget NOT met");
  s += line;
  return s;
}

}  // namespace strix::quant
