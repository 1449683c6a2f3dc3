// strixc compare: per-layer drift of a .strix model against a reference (an ONNX model
// converted in memory to FP32 at the same -O level, or a .strix file), over a data set.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.h"
#include "converter/data/dataset.h"
#include "converter/frontends/onnx/convert.h"
#include "converter/quant/compare.h"
#include "strix/engine.h"

namespace strix::strixc {
namespace {

const char kCommand[] = "strixc compare";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "-O" the model was converted with: its metadata's "opt_level", else 2.
int model_opt_level(const Model& model) {
  for (const auto& kv : model.metadata().extra)
    if (kv.first == "opt_level" && (kv.second == "0" || kv.second == "1" || kv.second == "2"))
      return kv.second[0] - '0';
  return 2;
}

// The reference: a .strix file as is, or an ONNX model converted to FP32 at `opt_level` with
// the model's input shape where it is static.
Result<Model> load_reference(const std::string& path, const Model& model, int opt_level) {
  if (!ends_with(path, ".onnx")) return Model::load(path);
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status(StatusCode::kNotFound, "cannot read reference '" + path + "'");
  std::ostringstream ss;
  ss << f.rdbuf();
  std::string bytes = ss.str();
  onnx_frontend::ConvertOptions options;
  options.opt_level = opt_level;
  options.import.model_name = std::filesystem::path(path).filename().string();
  for (int i = 0; i < model.num_inputs(); ++i) {
    TensorInfo in = model.input(i);
    bool fixed = true;
    for (int64_t d : in.shape) fixed = fixed && d > 0;
    if (fixed) options.import.input_shapes[in.name] = in.shape.to_vector();
  }
  Result<onnx_frontend::ConvertResult> converted =
      onnx_frontend::convert_onnx(bytes.data(), bytes.size(), options);
  if (!converted.ok())
    return Status(converted.status().code(),
                  "reference '" + path + "': " + converted.status().message());
  return Model::from_buffer(converted.value().file.data(), converted.value().file.size());
}

std::string fmt_db(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

nlohmann::json json_number(double v) {
  if (std::isfinite(v)) return v;
  return nullptr;  // +-inf and NaN have no JSON form
}

std::string node_text(const quant::TensorDrift& d) {
  return "'" + d.tensor + "' (node '" + d.node + "', " + d.op + ", " + d.precision + ")";
}

void print_text(const quant::CompareReport& r, const std::string& model,
                const std::string& reference) {
  std::printf("%s vs %s: %lld items, %zu tensors compared\n", model.c_str(), reference.c_str(),
              static_cast<long long>(r.items), r.tensors.size());
  size_t width = 6;
  for (const auto& d : r.tensors) width = std::max(width, d.tensor.size());
  size_t op_width = 2;
  for (const auto& d : r.tensors) op_width = std::max(op_width, d.op.size());
  std::printf("  %-*s  %-*s  %-4s  %10s  %10s  %9s  %9s  %9s\n", static_cast<int>(width), "tensor",
              static_cast<int>(op_width), "op", "prec", "max_abs", "rel_l2", "cosine", "SQNR dB",
              "added dB");
  for (size_t i = 0; i < r.tensors.size(); ++i) {
    const quant::TensorDrift& d = r.tensors[i];
    std::string mark;
    if (static_cast<int>(i) == r.worst) mark += "  <-- worst SQNR";
    if (static_cast<int>(i) == r.largest_drop) mark += "  <-- largest drop";
    if (d.non_finite > 0) mark += "  (" + std::to_string(d.non_finite) + " non-finite values)";
    std::printf("%c %-*s  %-*s  %-4s  %10.3g  %10.3g  %9.6f  %9s  %9s%s\n",
                mark.empty() ? ' ' : '*', static_cast<int>(width), d.tensor.c_str(),
                static_cast<int>(op_width), d.op.c_str(), d.precision.c_str(), d.max_abs, d.rel_l2,
                d.cosine, fmt_db(d.sqnr_db).c_str(), fmt_db(d.added_db).c_str(), mark.c_str());
  }
  if (r.worst >= 0)
    std::printf("worst SQNR: %s %s dB\n", node_text(r.tensors[r.worst]).c_str(),
                fmt_db(r.tensors[r.worst].sqnr_db).c_str());
  else
    std::printf("worst SQNR: none (every compared tensor is identical)\n");
  if (r.largest_drop >= 0)
    std::printf("largest drop: %s adds %s dB over its inputs\n",
                node_text(r.tensors[r.largest_drop]).c_str(),
                fmt_db(r.tensors[r.largest_drop].added_db).c_str());
  if (r.classification && r.items > 0) {
    std::printf("top-1 agreement: %lld / %lld (%.2f %%)", static_cast<long long>(r.top1_agree),
                static_cast<long long>(r.items), 100.0 * r.top1_agree / r.items);
    if (r.labelled > 0)
      std::printf("; accuracy: model %.2f %%, reference %.2f %% (%lld labelled)",
                  100.0 * r.model_correct / r.labelled, 100.0 * r.reference_correct / r.labelled,
                  static_cast<long long>(r.labelled));
    std::printf("\n");
  }
  for (const std::string& s : r.skipped) std::printf("skipped: %s\n", s.c_str());
}

void print_json(const quant::CompareReport& r, const std::string& model,
                const std::string& reference) {
  nlohmann::json j;
  j["model"] = model;
  j["reference"] = reference;
  j["items"] = r.items;
  nlohmann::json tensors = nlohmann::json::array();
  for (const quant::TensorDrift& d : r.tensors) {
    nlohmann::json t;
    t["tensor"] = d.tensor;
    t["node"] = d.node;
    t["op"] = d.op;
    t["precision"] = d.precision;
    t["is_output"] = d.is_output;
    t["shape"] = d.shape;
    t["count"] = d.count;
    t["max_abs"] = json_number(d.max_abs);
    t["rel_l2"] = json_number(d.rel_l2);
    t["cosine"] = json_number(d.cosine);
    t["sqnr_db"] = json_number(d.sqnr_db);  // null: identical (+inf)
    t["input_sqnr_db"] = json_number(d.input_sqnr_db);
    t["added_db"] = json_number(d.added_db);
    t["identical"] = std::isinf(d.sqnr_db) && d.sqnr_db > 0;
    t["non_finite"] = d.non_finite;
    tensors.push_back(t);
  }
  j["tensors"] = tensors;
  j["worst"] = r.worst >= 0 ? nlohmann::json(r.tensors[r.worst].tensor) : nlohmann::json();
  j["largest_drop"] =
      r.largest_drop >= 0 ? nlohmann::json(r.tensors[r.largest_drop].tensor) : nlohmann::json();
  j["skipped"] = r.skipped;
  if (r.classification) {
    nlohmann::json c;
    c["top1_agree"] = r.top1_agree;
    c["top1_agreement"] = r.items > 0 ? json_number(double(r.top1_agree) / r.items) : nullptr;
    c["labelled"] = r.labelled;
    c["model_correct"] = r.model_correct;
    c["reference_correct"] = r.reference_correct;
    j["classification"] = c;
  }
  std::printf("%s\n", j.dump(2).c_str());
}

}  // namespace

int compare_command(const CompareOptions& o) {
  Result<Model> model = Model::load(o.model);
  if (!model.ok()) return report_error(kCommand, kExitError, model.status().to_string());
  int opt_level = o.opt_level >= 0 ? o.opt_level : model_opt_level(model.value());
  Result<Model> reference = load_reference(o.reference, model.value(), opt_level);
  if (!reference.ok()) return report_error(kCommand, kExitError, reference.status().to_string());
  // The data is pre-processed for the model's compiled input 0.
  EngineOptions eo;
  eo.batch = o.batch;
  Result<std::shared_ptr<Engine>> engine = Engine::create(model.value(), eo);
  if (!engine.ok()) return report_error(kCommand, kExitError, engine.status().to_string());
  Result<std::unique_ptr<data::Dataset>> dataset =
      data::open_dataset(o.data, model.value(), engine.value()->input(0));
  if (!dataset.ok())
    return report_error(kCommand, kExitError, "--data: " + dataset.status().to_string());

  quant::CompareOptions options;
  options.batch = o.batch;
  options.limit = o.limit;
  options.threads = o.threads;
  options.progress = !o.json;
  quant::CompareReport report;
  Status s =
      quant::compare_models(model.value(), reference.value(), *dataset.value(), options, &report);
  if (!s.ok()) return report_error(kCommand, kExitError, s.to_string());
  std::string ref_label = o.reference;
  if (ends_with(o.reference, ".onnx")) ref_label += " (FP32, -O" + std::to_string(opt_level) + ")";
  if (o.json)
    print_json(report, o.model, ref_label);
  else
    print_text(report, o.model, ref_label);
  return kExitOk;
}

}  // namespace strix::strixc
