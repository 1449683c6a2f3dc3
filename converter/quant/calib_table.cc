#include "converter/quant/calib_table.h"

#include <openssl/evp.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "converter/ir/export.h"

namespace strix::quant {
namespace {

constexpr char kFormat[] = "strix-calibration";
constexpr int kVersion = 1;

Status bad(const std::string& source, const std::string& what) {
  return Status(StatusCode::kInvalidArgument, "calibration table '" + source + "': " + what);
}

std::string floats_text(const std::vector<float>& v) {
  std::string s;
  char buf[32];
  for (float x : v) {
    std::snprintf(buf, sizeof(buf), "%.9g,", static_cast<double>(x));
    s += buf;
  }
  return s;
}

}  // namespace

std::string sha256_hex(const void* data, size_t size) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data, size, md, &len, EVP_sha256(), nullptr) != 1) return "";
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned int i = 0; i < len; ++i) {
    s += hex[md[i] >> 4];
    s += hex[md[i] & 15];
  }
  return s;
}

Result<std::string> graph_hash(const ir::Graph& graph) {
  Result<std::vector<uint8_t>> bytes = ir::export_strix(graph, Metadata{});
  if (!bytes.ok()) return bytes.status();
  return sha256_hex(bytes.value().data(), bytes.value().size());
}

std::string preprocess_hash(const Metadata& metadata) {
  std::string text;
  char buf[160];
  for (const InputContract& c : metadata.inputs) {
    std::snprintf(
        buf, sizeof(buf), "input=%d;layout=%d;w=%d;h=%d;color=%d;unit=%d;resize=%d;pad=%.9g;",
        c.input_index, static_cast<int>(c.layout), c.width, c.height, static_cast<int>(c.color),
        c.unit_range ? 1 : 0, static_cast<int>(c.resize), static_cast<double>(c.pad_value));
    text += buf;
    text += "mean=" + floats_text(c.mean) + ";std=" + floats_text(c.std) + "\n";
  }
  return sha256_hex(text.data(), text.size());
}

std::string table_to_json(const CalibrationTable& t) {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["graph_hash"] = t.graph_hash;
  j["preprocess_hash"] = t.preprocess_hash;
  j["dataset_hash"] = t.dataset_hash;
  j["calibrator"] = t.calibrator;
  j["samples"] = t.samples;
  nlohmann::ordered_json tensors = nlohmann::ordered_json::object();
  for (const auto& [name, c] : t.tensors) {
    nlohmann::ordered_json e;
    e["min"] = c.min;
    e["max"] = c.max;
    e["threshold"] = c.threshold;
    e["scale"] = c.scale;
    e["zero_point"] = c.zero_point;
    tensors[name] = e;
  }
  j["tensors"] = tensors;
  return j.dump(1) + "\n";
}

Result<CalibrationTable> table_from_json(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    return bad(source, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) return bad(source, "not a JSON object");
  if (!j.contains("format") || j["format"] != kFormat)
    return bad(source, "\"format\" is not \"strix-calibration\"");
  if (!j.contains("version") || !j["version"].is_number_integer())
    return bad(source, "\"version\" is missing");
  if (j["version"].get<int64_t>() != kVersion)
    return bad(source, "version " + j["version"].dump() + " is not supported (expected " +
                           std::to_string(kVersion) + ")");
  CalibrationTable t;
  for (const char* key : {"graph_hash", "preprocess_hash", "dataset_hash", "calibrator"}) {
    if (!j.contains(key) || !j[key].is_string())
      return bad(source, std::string("\"") + key + "\" is missing or not a string");
  }
  t.graph_hash = j["graph_hash"].get<std::string>();
  t.preprocess_hash = j["preprocess_hash"].get<std::string>();
  t.dataset_hash = j["dataset_hash"].get<std::string>();
  t.calibrator = j["calibrator"].get<std::string>();
  if (!j.contains("samples") || !j["samples"].is_number_integer())
    return bad(source, "\"samples\" is missing or not an integer");
  t.samples = j["samples"].get<int64_t>();
  if (!j.contains("tensors") || !j["tensors"].is_object())
    return bad(source, "\"tensors\" is missing or not an object");
  for (const auto& [name, e] : j["tensors"].items()) {
    const std::string where = "tensor '" + name + "'";
    if (!e.is_object()) return bad(source, where + " is not an object");
    for (const char* key : {"min", "max", "threshold", "scale", "zero_point"}) {
      if (!e.contains(key) || !e[key].is_number())
        return bad(source, where + ": \"" + key + "\" is missing or not a number");
    }
    TensorCalibration c;
    c.min = e["min"].get<float>();
    c.max = e["max"].get<float>();
    c.threshold = e["threshold"].get<double>();
    c.scale = e["scale"].get<float>();
    if (!e["zero_point"].is_number_integer())
      return bad(source, where + ": \"zero_point\" is not an integer");
    int64_t zp = e["zero_point"].get<int64_t>();
    if (!(std::isfinite(c.scale) && c.scale > 0.f))
      return bad(source, where + ": scale " + e["scale"].dump() + " is not finite and > 0");
    if (zp < -128 || zp > 127)
      return bad(source, where + ": zero_point " + std::to_string(zp) + " is outside [-128, 127]");
    c.zero_point = static_cast<int32_t>(zp);
    t.tensors[name] = c;
  }
  return t;
}

Status save_table(const CalibrationTable& table, const std::string& path) {
  std::ofstream f(path, std::ios::binary);
  if (!f) return Status(StatusCode::kIoError, "cannot open '" + path + "' for writing");
  f << table_to_json(table);
  f.close();
  if (!f) return Status(StatusCode::kIoError, "cannot write '" + path + "'");
  return Status();
}

Result<CalibrationTable> load_table(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status(StatusCode::kNotFound, "cannot read calibration table '" + path + "'");
  std::ostringstream ss;
  ss << f.rdbuf();
  return table_from_json(ss.str(), path);
}

Status check_table(const CalibrationTable& table, const std::string& graph_hash,
                   const std::string& preprocess_hash, const std::string& source) {
  auto stale = [&](const char* key, const std::string& have, const std::string& want,
                   const char* what) {
    return Status(StatusCode::kInvalidArgument,
                  "calibration table '" + source + "' is stale: its " + key + " " +
                      have.substr(0, 12) + "... differs from " + what + " " + want.substr(0, 12) +
                      "...; re-run `strixc calibrate` for this model and input contract");
  };
  if (table.graph_hash != graph_hash)
    return stale("graph_hash", table.graph_hash, graph_hash, "this model's (after -O)");
  if (table.preprocess_hash != preprocess_hash)
    return stale("preprocess_hash", table.preprocess_hash, preprocess_hash,
                 "this input contract's (--mean/--std/--color/--resize)");
  return Status();
}

}  // namespace strix::quant
