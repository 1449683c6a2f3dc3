// converter/tools/strixc/convert_setup.h — what `strixc convert` and `strixc calibrate`
// share: the command-line options turned into the pipeline's options (input shapes, the
// input contract, metadata, INT8 settings) and the ONNX bytes.
#pragma once

#include <string>
#include <vector>

#include "commands.h"
#include "converter/frontends/onnx/convert.h"
#include "converter/quant/quantize_graph.h"

namespace CLI {
class App;
}

namespace strix::strixc {

struct ConvertSetup {
  onnx_frontend::ConvertOptions options;  // its complete_metadata refers to this object
  std::string bytes;                      // the ONNX file
  std::vector<float> mean, std_dev;
};

// Validates `o` and fills `setup` (which must outlive its use: the metadata callback reads
// it and `o`). Errors are reported as "<command>: error: ..." and returned as exit codes;
// kExitOk on success.
int setup_convert(const ConvertOptions& o, const std::string& command, ConvertSetup* setup);

// The INT8 flags of `strixc convert` (--calib-data, --calib-table, --calibrator,
// --calib-samples, --calib-batch, --percentile, -v).
void add_int8_options(CLI::App* convert, ConvertOptions* o);
// `strixc calibrate MODEL.onnx --calib-data SPEC -o table.json` with convert's contract flags.
CLI::App* add_calibrate_subcommand(CLI::App* app, ConvertOptions* o);

// One line per node: name, op, precision, reason.
void print_quantize_report(const quant::QuantizeReport& report);

}  // namespace strix::strixc
