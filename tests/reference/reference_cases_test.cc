// Runs every case written by tests/reference/generate_cases.py through the runtime
// (Model::load, Engine on the CPU, Context::run) and compares with the independently
// computed expected outputs.
//
// Case directory (one per case, under $STRIX_REFERENCE_CASES):
//   model.strix, input_<i>.npy (graph input order), expected_<i>.npy (graph output order),
//   case.json {"op", "name", "rtol_l2", "atol" (optional), "batch" (optional)}.
// Float outputs (f32, f16) pass when relative L2 <= rtol_l2 and, if atol is given,
// max |out - expected| <= atol; integer outputs must be equal element for element.
// STRIX_REFERENCE_FILTER=substring runs only the cases whose name contains it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "strix/context.h"
#include "strix/engine.h"
#include "strix/model.h"
#include "strix/npy.h"
#include "strix/status.h"
#include "strix/tensor.h"

namespace strix {
namespace {

namespace fs = std::filesystem;

struct CaseInfo {
  std::string dir;
  std::string name;
  std::string op;
  double rtol_l2 = 0;
  double atol = -1;  // < 0: not checked
  int64_t batch = 0;
  nlohmann::json metadata;  // expected Model::metadata() fields, or null
};

struct Outcome {
  bool ok = true;
  std::string message;  // why it failed, or the error numbers when it passed
};

bool is_float(DType t) { return t == DType::kF32 || t == DType::kF16; }

// Element i of a tensor's bytes as double.
double element(DType t, const uint8_t* data, int64_t i) {
  switch (t) {
    case DType::kF32: {
      float v;
      std::memcpy(&v, data + i * 4, 4);
      return v;
    }
    case DType::kF16: {
      uint16_t h;
      std::memcpy(&h, data + i * 2, 2);
      return half_to_float(h);
    }
    case DType::kI8: return static_cast<int8_t>(data[i]);
    case DType::kU8: return data[i];
    case DType::kI32: {
      int32_t v;
      std::memcpy(&v, data + i * 4, 4);
      return v;
    }
  }
  return NAN;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool load_case_info(const std::string& dir, CaseInfo* info, std::string* error) {
  info->dir = dir;
  info->name = fs::path(dir).filename().string();
  nlohmann::json j = nlohmann::json::parse(read_text(dir + "/case.json"), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *error = "case.json is missing or not a JSON object";
    return false;
  }
  info->op = j.value("op", std::string("?"));
  info->name = j.value("name", info->name);
  info->rtol_l2 = j.value("rtol_l2", 0.0);
  if (j.contains("atol") && j["atol"].is_number()) info->atol = j["atol"].get<double>();
  info->batch = j.value("batch", int64_t{0});
  if (j.contains("metadata")) info->metadata = j["metadata"];
  return true;
}

// Compares the fields listed in case.json "metadata" with what the loader read.
std::string check_metadata(const nlohmann::json& want, const Metadata& m) {
  std::string why;
  auto expect = [&why](bool ok, const std::string& what) {
    if (!ok) why += "metadata " + what + " differs; ";
  };
  if (want.contains("task")) expect(static_cast<int>(m.task) == want["task"].get<int>(), "task");
  if (want.contains("labels"))
    expect(m.labels == want["labels"].get<std::vector<std::string>>(), "labels");
  if (want.contains("producer"))
    expect(m.producer == want["producer"].get<std::string>(), "producer");
  if (want.contains("producer_version"))
    expect(m.producer_version == want["producer_version"].get<std::string>(), "producer_version");
  if (want.contains("description"))
    expect(m.description == want["description"].get<std::string>(), "description");
  if (want.contains("source_format"))
    expect(m.source_format == want["source_format"].get<std::string>(), "source_format");
  if (want.contains("extra")) {
    std::vector<std::pair<std::string, std::string>> extra;
    for (const auto& kv : want["extra"].items())
      extra.emplace_back(kv.key(), kv.value().get<std::string>());
    expect(m.extra == extra, "extra");
  }
  if (want.contains("inputs")) {
    const nlohmann::json& inputs = want["inputs"];
    expect(m.inputs.size() == inputs.size(), "input contract count");
    for (size_t i = 0; i < m.inputs.size() && i < inputs.size(); ++i) {
      const InputContract& c = m.inputs[i];
      const nlohmann::json& w = inputs[i];
      expect(c.width == w.value("width", 0) && c.height == w.value("height", 0), "input size");
      expect(c.mean == w.value("mean", std::vector<float>{}), "input mean");
      expect(c.std == w.value("std", std::vector<float>{}), "input std");
      expect(c.unit_range == w.value("unit_range", true), "input unit_range");
      expect(c.pad_value == w.value("pad_value", 0.f), "input pad_value");
      expect(static_cast<int>(c.color) == w.value("color", 0), "input color");
      expect(static_cast<int>(c.resize) == w.value("resize", 0), "input resize");
    }
  }
  return why;
}

// Compares one output with its expected array; appends the numbers to `detail`.
bool compare(const CaseInfo& c, int index, const TensorView& out, const NpyArray& expected,
             std::string* detail) {
  char buf[512];
  if (out.dtype != expected.dtype || out.shape != expected.shape) {
    std::snprintf(buf, sizeof(buf), "output %d is %s %s, expected %s %s", index,
                  out.shape.to_string().c_str(), dtype_name(out.dtype),
                  expected.shape.to_string().c_str(), dtype_name(expected.dtype));
    *detail += buf;
    return false;
  }
  const auto* got = static_cast<const uint8_t*>(out.data);
  const uint8_t* want = expected.data.data();
  const int64_t n = out.shape.num_elements();
  if (!is_float(out.dtype)) {
    int64_t mismatches = 0, first = -1;
    double max_diff = 0;
    for (int64_t i = 0; i < n; ++i) {
      double a = element(out.dtype, got, i), b = element(out.dtype, want, i);
      if (a != b) {
        if (first < 0) first = i;
        ++mismatches;
        max_diff = std::max(max_diff, std::fabs(a - b));
      }
    }
    if (mismatches == 0) {
      std::snprintf(buf, sizeof(buf), "out%d exact (%lld values) ", index,
                    static_cast<long long>(n));
      *detail += buf;
      return true;
    }
    std::snprintf(buf, sizeof(buf),
                  "output %d (%s): %lld of %lld values differ, max |diff| %g, first at flat "
                  "index %lld: got %g expected %g",
                  index, dtype_name(out.dtype), static_cast<long long>(mismatches),
                  static_cast<long long>(n), max_diff, static_cast<long long>(first),
                  element(out.dtype, got, first), element(out.dtype, want, first));
    *detail += buf;
    return false;
  }
  double num = 0, den = 0, max_abs = 0;
  int64_t worst = 0, non_finite = 0;
  for (int64_t i = 0; i < n; ++i) {
    double a = element(out.dtype, got, i), b = element(out.dtype, want, i);
    if (std::isfinite(b) && !std::isfinite(a)) ++non_finite;
    if (std::isinf(a) && std::isinf(b) && (a > 0) == (b > 0)) continue;  // equal infinities
    double d = a - b;
    num += d * d;
    den += b * b;
    if (!(std::fabs(d) <= max_abs)) {
      max_abs = std::isnan(d) ? INFINITY : std::fabs(d);
      worst = i;
    }
  }
  double rel = std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
  if (num == 0) rel = 0;
  bool ok = non_finite == 0 && rel <= c.rtol_l2 && (c.atol < 0 || max_abs <= c.atol);
  std::snprintf(buf, sizeof(buf),
                "out%d rel_l2 %.3g (<= %.3g) max_abs %.3g (<= %s) worst at flat index %lld: "
                "got %.8g expected %.8g%s ",
                index, rel, c.rtol_l2, max_abs, c.atol < 0 ? "-" : std::to_string(c.atol).c_str(),
                static_cast<long long>(worst), n ? element(out.dtype, got, worst) : 0.0,
                n ? element(out.dtype, want, worst) : 0.0, non_finite ? " NON-FINITE VALUES" : "");
  *detail += buf;
  return ok;
}

Outcome run_case(const CaseInfo& c) {
  Outcome r;
  auto fail = [&r](const std::string& why) {
    r.ok = false;
    r.message = why;
    return r;
  };
  Result<Model> model = Model::load(c.dir + "/model.strix");
  if (!model.ok()) return fail("Model::load: " + model.status().to_string());
  if (!c.metadata.is_null()) {
    std::string why = check_metadata(c.metadata, model.value().metadata());
    if (!why.empty()) return fail(why);
  }
  EngineOptions options;
  options.device = "cpu";
  options.batch = c.batch;
  options.threads = 1;
  Result<std::shared_ptr<Engine>> engine = Engine::create(model.value(), options);
  if (!engine.ok()) return fail("Engine::create: " + engine.status().to_string());
  const Engine& e = *engine.value();
  Result<Context> context = e.create_context();
  if (!context.ok()) return fail("create_context: " + context.status().to_string());
  Context& ctx = context.value();

  // Poison the outputs so that values a kernel never writes show. First, because an output
  // may legitimately share memory with an input (a Reshape of a graph input is a view).
  for (int i = 0; i < e.num_outputs(); ++i) {
    TensorView out = ctx.output(i);
    std::memset(out.data, 0xA5, out.byte_size());
  }
  for (int i = 0; i < e.num_inputs(); ++i) {
    std::string path = c.dir + "/input_" + std::to_string(i) + ".npy";
    Result<NpyArray> in = read_npy(path);
    if (!in.ok()) return fail("read_npy: " + in.status().to_string());
    const TensorInfo& info = e.input(i);
    if (in.value().dtype != info.dtype || in.value().shape != info.shape)
      return fail("input " + std::to_string(i) + " '" + info.name + "': the case gives " +
                  in.value().shape.to_string() + " " + dtype_name(in.value().dtype) +
                  ", the engine expects " + info.shape.to_string() + " " + dtype_name(info.dtype));
    Status s = ctx.set_input(i, in.value().data.data(), in.value().data.size());
    if (!s.ok()) return fail("set_input: " + s.to_string());
  }
  if (fs::exists(c.dir + "/input_" + std::to_string(e.num_inputs()) + ".npy"))
    return fail("the case has more input files than the model's " + std::to_string(e.num_inputs()) +
                " inputs");
  ctx.run();

  bool ok = true;
  std::string detail;
  for (int i = 0; i < e.num_outputs(); ++i) {
    std::string path = c.dir + "/expected_" + std::to_string(i) + ".npy";
    Result<NpyArray> expected = read_npy(path);
    if (!expected.ok()) return fail("read_npy: " + expected.status().to_string());
    ok = compare(c, i, ctx.output(i), expected.value(), &detail) && ok;
  }
  if (fs::exists(c.dir + "/expected_" + std::to_string(e.num_outputs()) + ".npy"))
    return fail("the case has more expected files than the model's " +
                std::to_string(e.num_outputs()) + " outputs");

  // A second run on the same Context, inputs untouched, must give the same bytes: run()
  // must neither clobber its graph inputs nor depend on what the previous run left behind.
  if (ok) {
    std::vector<std::vector<uint8_t>> first(e.num_outputs());
    for (int i = 0; i < e.num_outputs(); ++i) {
      TensorView out = ctx.output(i);
      const auto* p = static_cast<const uint8_t*>(out.data);
      first[i].assign(p, p + out.byte_size());
    }
    ctx.run();
    for (int i = 0; i < e.num_outputs(); ++i) {
      TensorView out = ctx.output(i);
      if (out.byte_size() != first[i].size() ||
          std::memcmp(out.data, first[i].data(), first[i].size()) != 0) {
        ok = false;
        detail += "output " + std::to_string(i) +
                  " differs on a second run() of the same Context with the same inputs; ";
      }
    }
  }
  r.ok = ok;
  r.message = detail;
  return r;
}

std::vector<std::string> case_dirs(const std::string& root) {
  std::vector<std::string> dirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / "case.json"))
      dirs.push_back(entry.path().string());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

TEST(ReferenceCases, AllMatchTheIndependentImplementation) {
  const char* root = std::getenv("STRIX_REFERENCE_CASES");
  if (root == nullptr || *root == '\0')
    GTEST_SKIP() << "STRIX_REFERENCE_CASES is not set: run the ctest reference_cases_test (its "
                    "fixture reference_cases_generate writes the cases) or set it to a directory "
                    "written by tests/reference/generate_cases.py";
  std::vector<std::string> dirs = case_dirs(root);
  if (dirs.empty())
    GTEST_SKIP() << "STRIX_REFERENCE_CASES=" << root << " holds no case directories";
  const char* filter = std::getenv("STRIX_REFERENCE_FILTER");
  const bool verbose = std::getenv("STRIX_REFERENCE_VERBOSE") != nullptr;

  int passed = 0, failed = 0;
  std::vector<std::string> failures;
  for (const std::string& dir : dirs) {
    CaseInfo c;
    std::string error;
    if (!load_case_info(dir, &c, &error)) {
      ++failed;
      failures.push_back(fs::path(dir).filename().string() + ": " + error);
      continue;
    }
    if (filter != nullptr && c.name.find(filter) == std::string::npos) continue;
    Outcome o = run_case(c);
    if (o.ok) {
      ++passed;
      if (verbose)
        std::printf("[  PASS  ] %s (%s): %s\n", c.name.c_str(), c.op.c_str(), o.message.c_str());
    } else {
      ++failed;
      failures.push_back(c.name + " (" + c.op + "): " + o.message);
      std::printf("[  FAIL  ] %s (%s): %s\n", c.name.c_str(), c.op.c_str(), o.message.c_str());
    }
  }
  std::printf("reference cases: %d passed, %d failed\n", passed, failed);
  std::fflush(stdout);
  std::string summary;
  for (const std::string& f : failures) summary += "  " + f + "\n";
  EXPECT_EQ(failed, 0) << passed << " passed, " << failed << " failed:\n" << summary;
  EXPECT_GT(passed + failed, 0) << "no case matched STRIX_REFERENCE_FILTER";
}

}  // namespace
}  // namespace strix
