// converter/tools/strixc/commands.h — the `strixc` subcommands.
//
// Exit codes: 0 success, 1 conversion/model error, 2 usage error. Errors go to stderr as
// "strixc <command>: error: <message>" (an unsupported-op list keeps one node per line).
#pragma once

#include <string>
#include <vector>

namespace strix::strixc {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

struct ConvertOptions {
  std::string input;
  std::string output;
  std::string precision = "fp32";         // fp32 | fp16
  std::vector<std::string> input_shapes;  // NAME=1x3x224x224
  std::string task = "generic";           // classify | detect | denoise | segment | generic
  std::string labels;                     // file, one label per line
  std::string mean, std;                  // "a,b,c"
  std::string color = "rgb";              // rgb | bgr
  std::string resize = "stretch";         // stretch | letterbox
  std::string description;
  bool quiet = false;
  int opt_level = 2;  // -O0 none, -O1 removal and folding, -O2 + fused activations
};

struct InspectOptions {
  std::string model;
  bool json = false;
};

int convert_command(const ConvertOptions& options);
int inspect_command(const InspectOptions& options);

// Prints "strixc <command>: error: <message>" on stderr; returns `exit_code`.
int report_error(const std::string& command, int exit_code, const std::string& message);

// Lowercase hex SHA-256 of `size` bytes (OpenSSL EVP).
std::string sha256_hex(const void* data, size_t size);

}  // namespace strix::strixc
