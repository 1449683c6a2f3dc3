// converter/tools/strixc/commands.h — the `strixc` subcommands.
//
// Exit codes: 0 success, 1 conversion/model error, 2 usage error. Errors go to stderr as
// "strixc <command>: error: <message>" (an unsupported-op list keeps one node per line).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace strix::strixc {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

struct ConvertOptions {
  std::string input;
  std::string output;
  std::string precision = "fp32";         // fp32 | fp16 | int8
  std::vector<std::string> input_shapes;  // NAME=1x3x224x224
  std::string task = "generic";           // classify | detect | denoise | segment | generic
  std::string labels;                     // file, one label per line
  std::string mean, std;                  // "a,b,c"
  std::string color = "rgb";              // rgb | bgr
  std::string resize = "stretch";         // stretch | letterbox
  std::string description;
  bool quiet = false;
  int opt_level = 2;  // -O0 none, -O1 removal and folding, -O2 + fused activations
  // INT8 (converter/quant/); `strixc calibrate` uses these too, with `output` the table.
  std::string calib_data;          // data spec (converter/data/dataset.h)
  std::string calib_table;         // table from `strixc calibrate`
  std::string calibrator = "mse";  // mse | entropy | minmax | percentile
  int64_t calib_samples = 500;     // the first N items; 0 = all
  int calib_batch = 8;
  bool calib_reference_kernels = false;  // calibrate with the plain reference kernels
  double percentile = 99.99;
  bool verbose = false;  // per-node precision report
  bool int8_io = false;  // --int8-io: i8 graph inputs/outputs where they qualify (quant/int8_io.h)
  // --precision best (converter/quant/mixed_precision.h); calibration as for int8.
  std::string val_data;             // data spec: the accuracy budget is measured on it
  double accuracy_budget = 0.3;     // classification: largest top-1 drop vs FP32, in points
  double min_sqnr = 30;             // other tasks: lowest output SQNR vs FP32, dB
  int64_t val_samples = 0;          // validation items (0 = all); sensitivity uses <= 100
  std::string best_float = "fp32";  // fp32 | fp16: the precision of the layers left in float
  bool no_speed_check = false;      // INT8 even where its kernel is not faster
};

struct InspectOptions {
  std::string model;
  bool json = false;
};

// strixc compare MODEL.strix --reference REF.onnx|REF.strix --data SPEC (compare_command.cc).
struct CompareOptions {
  std::string model;
  std::string reference;
  std::string data;  // converter/data/dataset.h spec
  bool json = false;
  int batch = 8;
  int64_t limit = 0;   // first N items; 0 = all
  int opt_level = -1;  // for an ONNX reference; -1: the model's recorded -O (else 2)
  int threads = 0;
};

// strixc eval MODEL.strix --data SPEC: top-1/top-5 accuracy (eval_command.cc).
struct EvalOptions {
  std::string model;
  std::string data;  // converter/data/dataset.h spec, with labels
  int batch = 8;
  int threads = 0;    // 0: physical cores
  int64_t limit = 0;  // first N items; 0 = all
  std::string device = "cpu";
  bool json = false;
};
int eval_command(const EvalOptions& options);

int convert_command(const ConvertOptions& options);
int inspect_command(const InspectOptions& options);
int calibrate_command(const ConvertOptions& options);  // calibrate_command.cc
int compare_command(const CompareOptions& options);

// Prints "strixc <command>: error: <message>" on stderr; returns `exit_code`.
int report_error(const std::string& command, int exit_code, const std::string& message);

// Lowercase hex SHA-256 of `size` bytes (OpenSSL EVP).
std::string sha256_hex(const void* data, size_t size);

}  // namespace strix::strixc
