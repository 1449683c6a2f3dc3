// strixc calibrate: INT8 calibration of an ONNX model on a data set, saved as a calibration
// table (converter/quant/calib_table.h) for `strixc convert --precision int8 --calib-table`.
// The model is imported and optimized exactly as `strixc convert` does with the same flags,
// so the table's graph_hash matches the graph convert quantizes.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "commands.h"
#include "convert_setup.h"
#include "converter/quant/calib_table.h"

namespace strix::strixc {
namespace {

void add_calibration_flags(CLI::App* c, ConvertOptions* o) {
  c->add_option("--calibrator", o->calibrator, "INT8 calibrator")
      ->check(CLI::IsMember({"entropy", "minmax", "percentile", "mse"}))
      ->capture_default_str();
  c->add_option("--calib-samples", o->calib_samples,
                "Calibrate on the first N items of the data (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  c->add_option("--calib-batch", o->calib_batch, "Items per calibration run")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  c->add_flag("--calib-reference-kernels", o->calib_reference_kernels,
              "Calibrate with the plain reference kernels: slower, but the table is then "
              "bit-identical for every --calib-batch");
  c->add_option("--percentile", o->percentile, "Percentile of |x| kept by --calibrator percentile")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
}

}  // namespace

void add_int8_options(CLI::App* c, ConvertOptions* o) {
  c->add_option("--calib-data", o->calib_data,
                "INT8: calibrate on this data spec (idx:IMAGES[,LABELS] | folder:DIR | npy:FILE)");
  c->add_option("--calib-table", o->calib_table,
                "INT8: apply this table from `strixc calibrate` instead of calibrating");
  add_calibration_flags(c, o);
  c->add_flag("-v,--verbose", o->verbose, "INT8: print each node's precision and why");
  c->add_flag(
      "--int8-io", o->int8_io,
      "INT8: graph inputs that only feed Quantize nodes become i8 inputs (the caller "
      "quantizes: q = round_half_even(x / scale) + zero_point, clamped), outputs written by a "
      "Dequantize become its i8 input; names unchanged, one line per input/output says which");
}

CLI::App* add_calibrate_subcommand(CLI::App* app, ConvertOptions* o) {
  CLI::App* c = app->add_subcommand(
      "calibrate", "INT8 calibration of an ONNX model on a data set, saved as a JSON table");
  c->add_option("input", o->input, "The .onnx model")->required();
  c->add_option("-o,--output", o->output, "The calibration table (.json) to write")->required();
  c->add_option("--calib-data", o->calib_data,
                "Data spec: idx:IMAGES[,LABELS] | folder:DIR | npy:FILE[,LABELS]")
      ->required();
  add_calibration_flags(c, o);
  // The input contract and graph flags: the same values as the `strixc convert` run that
  // applies the table (the table records their hashes).
  c->add_option("--input-shape", o->input_shapes,
                "NAME=1x3x224x224: fixes an input's shape (repeatable)");
  c->add_option("--labels", o->labels, "Text file with one class label per line");
  c->add_option("--mean", o->mean, "Per-channel mean in 0..1 units, e.g. 0.485,0.456,0.406");
  c->add_option("--std", o->std, "Per-channel std in 0..1 units, e.g. 0.229,0.224,0.225");
  c->add_option("--color", o->color, "Channel order the model expects")
      ->check(CLI::IsMember({"rgb", "bgr"}))
      ->capture_default_str();
  c->add_option("--resize", o->resize, "How frames are fitted to the input")
      ->check(CLI::IsMember({"stretch", "letterbox"}))
      ->capture_default_str();
  c->add_option("-O", o->opt_level, "Optimization level (as for convert)")
      ->check(CLI::Range(0, 2))
      ->capture_default_str();
  c->add_flag("-q,--quiet", o->quiet, "Print nothing on success");
  return c;
}

int calibrate_command(const ConvertOptions& given) {
  const char kCommand[] = "strixc calibrate";
  if (given.calib_data.empty())
    return report_error(kCommand, kExitUsage, "--calib-data SPEC is required");
  if (!given.calib_table.empty())
    return report_error(kCommand, kExitUsage, "--calib-table is an input of `strixc convert`");
  ConvertOptions o = given;
  o.precision = "int8";
  ConvertSetup setup;
  int rc = setup_convert(o, kCommand, &setup);
  if (rc != kExitOk) return rc;
  Result<onnx_frontend::PreparedGraph> prepared =
      onnx_frontend::prepare_onnx(setup.bytes.data(), setup.bytes.size(), setup.options);
  if (!prepared.ok()) return report_error(kCommand, kExitError, prepared.status().to_string());
  Result<quant::CalibrationTable> table =
      onnx_frontend::calibration_table(prepared.value(), setup.options);
  if (!table.ok()) return report_error(kCommand, kExitError, table.status().to_string());
  Status saved = quant::save_table(table.value(), o.output);
  if (!saved.ok()) return report_error(kCommand, kExitError, saved.to_string());
  if (!o.quiet) {
    const quant::CalibrationTable& t = table.value();
    std::printf("%s: %zu tensors, calibrator %s, %lld samples, graph %.12s, data %.12s\n",
                o.output.c_str(), t.tensors.size(), t.calibrator.c_str(),
                static_cast<long long>(t.samples), t.graph_hash.c_str(), t.dataset_hash.c_str());
  }
  return kExitOk;
}

}  // namespace strix::strixc
