// strixc convert: ONNX -> .strix with metadata, verified before it is written.
#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "commands.h"
#include "convert_setup.h"
#include "converter/frontends/onnx/convert.h"
#include "converter/ir/export.h"
#include "converter/ir/passes.h"
#include "converter/passes/passes.h"
#include "converter/quant/mixed_precision.h"
#include "strix/version.h"

namespace strix::strixc {
namespace {

const char kCommand[] = "strixc convert";

// "1x3x224x224" -> dims; false on anything else.
bool parse_dims(const std::string& text, std::vector<int64_t>* dims) {
  dims->clear();
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, 'x')) {
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos) return false;
    dims->push_back(std::strtoll(part.c_str(), nullptr, 10));
  }
  return !dims->empty();
}

// "a,b,c" -> floats; false on anything else.
bool parse_floats(const std::string& text, std::vector<float>* out) {
  out->clear();
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    char* end = nullptr;
    errno = 0;
    float v = std::strtof(part.c_str(), &end);
    if (part.empty() || *end != '\0' || errno != 0) return false;
    out->push_back(v);
  }
  return !out->empty();
}

bool read_file(const std::string& path, std::string* bytes) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  *bytes = ss.str();
  return !f.bad();
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Task parse_task(const std::string& t) {
  if (t == "classify") return Task::kClassify;
  if (t == "detect") return Task::kDetect;
  if (t == "denoise") return Task::kDenoise;
  if (t == "segment") return Task::kSegment;
  return Task::kGeneric;
}

}  // namespace

void print_quantize_report(const quant::QuantizeReport& report) {
  for (const quant::NodePrecision& n : report.nodes)
    std::printf("  %-32s %-18s %-5s %s\n", n.node.c_str(), n.op.c_str(), n.precision.c_str(),
                n.reason.c_str());
}

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

int report_error(const std::string& command, int exit_code, const std::string& message) {
  std::fprintf(stderr, "%s: error: %s\n", command.c_str(), message.c_str());
  return exit_code;
}

int setup_convert(const ConvertOptions& o, const std::string& command, ConvertSetup* setup) {
  onnx_frontend::ConvertOptions& options = setup->options;
  std::vector<float>& mean = setup->mean;
  std::vector<float>& std_dev = setup->std_dev;
  options.fp16 = o.precision == "fp16";
  options.int8 = o.precision == "int8" || o.precision == "best";
  for (const std::string& spec : o.input_shapes) {
    size_t eq = spec.rfind('=');
    std::vector<int64_t> dims;
    if (eq == std::string::npos || eq == 0 || !parse_dims(spec.substr(eq + 1), &dims))
      return report_error(
          command, kExitUsage,
          "--input-shape '" + spec + "': expected NAME=DxDx... (e.g. input=1x3x224x224)");
    options.import.input_shapes[spec.substr(0, eq)] = dims;
  }
  if (!o.mean.empty() && !parse_floats(o.mean, &mean))
    return report_error(command, kExitUsage, "--mean '" + o.mean + "': expected numbers a,b,c");
  if (!o.std.empty() && !parse_floats(o.std, &std_dev))
    return report_error(command, kExitUsage, "--std '" + o.std + "': expected numbers a,b,c");
  for (float s : std_dev)
    if (s == 0.f) return report_error(command, kExitUsage, "--std values must not be 0");

  Metadata& m = options.metadata;
  m.task = parse_task(o.task);
  m.description = o.description;
  if (!o.labels.empty()) {
    std::string text;
    if (!read_file(o.labels, &text))
      return report_error(command, kExitError, "cannot read labels file '" + o.labels + "'");
    std::stringstream ss(text);
    std::string line;
    while (std::getline(ss, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      m.labels.push_back(line);
    }
    while (!m.labels.empty() && m.labels.back().empty()) m.labels.pop_back();
  }
  if (m.task == Task::kClassify) m.postprocess.decoder = 1;  // strix.fb.DecoderKind.Softmax

  std::string& bytes = setup->bytes;
  if (!read_file(o.input, &bytes))
    return report_error(command, kExitError, "cannot read '" + o.input + "'");
  std::string base = std::filesystem::path(o.input).filename().string();
  options.import.model_name = base;
  m.source_file = base;
  m.source_sha256 = sha256_hex(bytes.data(), bytes.size());
  m.created_utc = utc_now();

  // The input contract describes input 0 when it is an image (NCHW, 1 or 3 channels); it
  // needs the input shape, known once the model is imported.
  options.complete_metadata = [&o, &mean, &std_dev](const ir::Graph& g,
                                                    const onnx_frontend::ImportInfo& info,
                                                    Metadata* md) -> Status {
    md->extra.push_back({"onnx_opset", std::to_string(info.opset)});
    md->extra.push_back({"opt_level", std::to_string(o.opt_level)});
    if (!info.producer_name.empty())
      md->extra.push_back({"onnx_producer", info.producer_name + " " + info.producer_version});
    if (g.inputs.empty()) return Status();
    const ir::Tensor& in = g.tensors[g.inputs[0]];
    if (in.rank() != 4 || (in.shape[1] != 1 && in.shape[1] != 3)) {
      if (!mean.empty() || !std_dev.empty())
        return Status(StatusCode::kInvalidArgument,
                      "--mean/--std need an image input (NCHW with 1 or 3 channels); input '" +
                          in.name + "' is not one");
      return Status();
    }
    InputContract c;
    c.input_index = 0;
    c.layout = Layout::kNCHW;
    c.height = static_cast<int>(in.shape[2]);
    c.width = static_cast<int>(in.shape[3]);
    c.color = in.shape[1] == 1 ? ColorOrder::kGray
                               : (o.color == "bgr" ? ColorOrder::kBGR : ColorOrder::kRGB);
    c.resize = o.resize == "letterbox" ? ResizeKind::kLetterbox : ResizeKind::kStretch;
    size_t channels = static_cast<size_t>(in.shape[1]);
    if ((!mean.empty() && mean.size() != channels) ||
        (!std_dev.empty() && std_dev.size() != channels))
      return Status(StatusCode::kInvalidArgument, "--mean/--std need " + std::to_string(channels) +
                                                      " values (input '" + in.name + "' has " +
                                                      std::to_string(channels) + " channels)");
    c.mean = mean.empty() ? std::vector<float>(channels, 0.f) : mean;
    c.std = std_dev.empty() ? std::vector<float>(channels, 1.f) : std_dev;
    md->inputs.push_back(c);
    return Status();
  };

  options.opt_level = o.opt_level;

  // INT8 (converter/quant/).
  onnx_frontend::Int8Options& q = options.int8_options;
  q.calib_data = o.calib_data;
  q.calib_table = o.calib_table;
  if (!quant::parse_calibrator(o.calibrator, &q.calibrate.calibrator.kind))
    return report_error(
        command, kExitUsage,
        "--calibrator '" + o.calibrator + "': expected entropy, minmax, percentile or mse");
  if (!(o.percentile > 0 && o.percentile <= 100))
    return report_error(command, kExitUsage, "--percentile must be in (0, 100]");
  q.calibrate.calibrator.percentile = o.percentile;
  q.calibrate.samples = o.calib_samples;
  q.calibrate.batch = o.calib_batch;
  q.calibrate.reference_kernels = o.calib_reference_kernels;
  q.calibrate.progress = !o.quiet;
  if (options.int8 && o.calib_data.empty() && o.calib_table.empty() &&
      !onnx_frontend::has_qdq_nodes(bytes.data(), bytes.size()))  // QDQ: no calibration
    return report_error(command, kExitUsage,
                        "--precision int8 needs --calib-data SPEC (calibrate now) or --calib-table "
                        "FILE (from `strixc calibrate`)");
  if (!o.calib_data.empty() && !o.calib_table.empty())
    return report_error(command, kExitUsage, "give --calib-data or --calib-table, not both");
  if (!options.int8 && (!o.calib_data.empty() || !o.calib_table.empty()))
    return report_error(
        command, kExitUsage,
        "--calib-data/--calib-table need --precision int8 (the precision is " + o.precision + ")");
  if (o.int8_io && !options.int8)
    return report_error(
        command, kExitUsage,
        "--int8-io needs --precision int8 (or best); the precision is " + o.precision);
  q.int8_io = o.int8_io;
  if (!o.calib_table.empty() && !std::filesystem::exists(o.calib_table))
    return report_error(command, kExitError,
                        "calibration table '" + o.calib_table + "' does not exist");

  // --precision best: per-layer INT8 or float (converter/quant/mixed_precision.h).
  if (o.precision != "best" && !o.val_data.empty())
    return report_error(command, kExitUsage, "--val-data needs --precision best");
  if (o.precision == "best") {
    if (o.val_data.empty())
      return report_error(command, kExitUsage, "--precision best needs --val-data SPEC");
    quant::MixedPrecisionOptions mp;
    mp.val_data = o.val_data;
    mp.accuracy_budget = o.accuracy_budget;
    mp.min_sqnr_db = o.min_sqnr;
    mp.val_items = o.val_samples;
    mp.sensitivity_items = o.val_samples > 0 ? std::min<int64_t>(100, o.val_samples) : 100;
    mp.float_is_fp16 = o.best_float == "fp16";
    options.fp16 = mp.float_is_fp16;  // the float rest (quantize_graph's float_is_fp16)
    mp.require_speedup = !o.no_speed_check;
    mp.progress = !o.quiet;
    const bool quiet = o.quiet;
    q.choose_precision = [mp, quiet](const ir::Graph& g, const Metadata& md,
                                     const quant::CalibrationTable& t,
                                     quant::QuantizeOptions* qo) -> Status {
      quant::MixedPrecisionReport r;
      Result<quant::QuantizeOptions> chosen = quant::choose_precision(g, md, t, mp, &r);
      if (!chosen.ok()) return chosen.status();
      *qo = chosen.value();
      if (!quiet) std::printf("%s", quant::format_report(r, mp).c_str());
      return Status();
    };
  }
  return kExitOk;
}

int convert_command(const ConvertOptions& o) {
  ConvertSetup setup;
  int rc = setup_convert(o, kCommand, &setup);
  if (rc != kExitOk) return rc;
  const onnx_frontend::ConvertOptions& options = setup.options;
  const std::string& bytes = setup.bytes;
  Result<onnx_frontend::ConvertResult> converted =
      onnx_frontend::convert_onnx(bytes.data(), bytes.size(), options);
  if (!converted.ok()) return report_error(kCommand, kExitError, converted.status().to_string());
  const onnx_frontend::ConvertResult& r = converted.value();
  const passes::OptimizeReport& opt = r.optimize;

  FILE* f = std::fopen(o.output.c_str(), "wb");
  if (f == nullptr)
    return report_error(kCommand, kExitError,
                        "cannot open '" + o.output + "' for writing: " + std::strerror(errno));
  bool ok = std::fwrite(r.file.data(), 1, r.file.size(), f) == r.file.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) return report_error(kCommand, kExitError, "cannot write '" + o.output + "'");
  if (!o.quiet) {
    std::string precision = options.fp16 ? "fp16" : "fp32";
    if (options.int8) {
      precision = "int8: " + std::to_string(r.quantize.int8_nodes) + " of " +
                  std::to_string(r.quantize.nodes.size()) + " nodes (" +
                  std::to_string(r.quantize.quantize_nodes - r.int8_io.quantize_removed) +
                  " quantize, " +
                  std::to_string(r.quantize.dequantize_nodes - r.int8_io.dequantize_removed) +
                  " dequantize; rest " + precision + "; calibrator " + r.table.calibrator + ", " +
                  std::to_string(r.table.samples) + " samples)";
    }
    std::printf(
        "%s: %d ONNX nodes (opset %d, %d folded) -> %d nodes -> %d kernels (-O%d), %s, weights "
        "%zu bytes, activation arena %zu bytes\n",
        o.output.c_str(), r.info.num_onnx_nodes, r.info.opset, r.info.num_folded_nodes,
        opt.nodes_before, r.num_nodes, o.opt_level, precision.c_str(), r.report.weights_bytes,
        r.report.arena_bytes);
    if (options.int8 && o.verbose) print_quantize_report(r.quantize);
    for (const quant::Int8IoEntry& e : r.int8_io.entries)
      std::printf("%s\n", quant::format_entry(e).c_str());
  }
  return kExitOk;
}

}  // namespace strix::strixc
