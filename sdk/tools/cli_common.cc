#include "cli_common.h"

#include <chrono>
#include <cstdio>

namespace strix::cli {

int report_error(const std::string& command, int exit_code, const std::string& message) {
  std::string line = message;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  std::fprintf(stderr, "%s: error: %s\n", command.c_str(), line.c_str());
  return exit_code;
}

std::string describe(const Shape& shape, DType dtype) {
  return shape.to_string() + " " + dtype_name(dtype);
}

std::string safe_file_name(const std::string& tensor_name) {
  std::string name;
  for (char c : tensor_name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    name.push_back(ok ? c : '_');
  }
  if (name.empty() || name[0] == '.') name.insert(name.begin(), '_');
  return name;
}

int check_engine_options(const std::string& command, const EngineOptions& options) {
  if (options.batch < 0)
    return report_error(
        command, kExitUsage,
        "--batch must be >= 0 (0 keeps the model's batch), got " + std::to_string(options.batch));
  if (options.threads < 0)
    return report_error(
        command, kExitUsage,
        "--threads must be >= 0 (0 = all cores), got " + std::to_string(options.threads));
  if (options.device.empty()) return report_error(command, kExitUsage, "--device is empty");
  return kExitOk;
}

int load_engine(const std::string& command, const std::string& path, const EngineOptions& options,
                LoadedEngine* out) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point t0 = Clock::now();
  Result<Model> model = Model::load(path);
  Clock::time_point t1 = Clock::now();
  if (!model.ok()) return report_error(command, kExitError, model.status().to_string());
  out->model = std::move(model).value();
  Result<std::shared_ptr<Engine>> engine = Engine::create(out->model, options);
  Clock::time_point t2 = Clock::now();
  if (!engine.ok()) return report_error(command, kExitError, engine.status().to_string());
  out->engine = std::move(engine).value();
  out->load_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  out->build_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
  return kExitOk;
}

int64_t engine_batch(const Engine& engine) {
  if (engine.num_inputs() == 0 || engine.input(0).shape.rank() == 0) return 1;
  return engine.input(0).shape[0];
}

}  // namespace strix::cli
