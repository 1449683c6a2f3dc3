#include "run_command.h"

#include <cstdio>
#include <filesystem>
#include <set>
#include <system_error>

#include "cli_common.h"
#include "strix/context.h"
#include "strix/npy.h"

namespace strix::cli {
namespace {

const char kCommand[] = "strix run";

bool file_exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

// " (scale 0.0187, zero point -14)" for a per-tensor quantized tensor; "" else.
std::string quant_text(const TensorInfo& t) {
  const Quantization& q = t.quantization;
  if (q.scales.size() != 1) return "";
  char buf[80];
  std::snprintf(buf, sizeof(buf), " (scale %g, zero point %lld)", q.scales[0],
                static_cast<long long>(q.zero_points.empty() ? 0 : q.zero_points[0]));
  return buf;
}

// Resolves each --input argument to a graph input index. Returns kExitOk or a usage error.
int assign_inputs(const Engine& engine, const std::vector<std::string>& args,
                  std::vector<std::string>* files) {
  const int n = engine.num_inputs();
  files->assign(n, std::string());
  std::vector<bool> given(n, false);
  for (const std::string& arg : args) {
    int index = -1;
    std::string file;
    size_t eq = arg.find('=');
    if (eq != std::string::npos && eq > 0 && engine.find_input(arg.substr(0, eq)) >= 0) {
      index = engine.find_input(arg.substr(0, eq));
      file = arg.substr(eq + 1);
    } else if (eq != std::string::npos && eq > 0 && !file_exists(arg)) {
      std::string names;
      for (int i = 0; i < n; ++i) names += (i ? ", '" : "'") + engine.input(i).name + "'";
      return report_error(kCommand, kExitUsage,
                          "unknown input name '" + arg.substr(0, eq) +
                              "' (the model's inputs: " + (names.empty() ? "none" : names) + ")");
    } else {
      if (n != 1)
        return report_error(kCommand, kExitUsage,
                            "--input " + arg + ": the model has " + std::to_string(n) +
                                " inputs; name each one with --input NAME=FILE.npy");
      index = 0;
      file = arg;
    }
    if (file.empty())
      return report_error(kCommand, kExitUsage, "--input " + arg + ": no file after '='");
    if (given[index])
      return report_error(kCommand, kExitUsage,
                          "input '" + engine.input(index).name + "' is given more than once");
    given[index] = true;
    (*files)[index] = file;
  }
  for (int i = 0; i < n; ++i) {
    if (!given[i])
      return report_error(kCommand, kExitUsage,
                          "missing input '" + engine.input(i).name + "' (" +
                              describe(engine.input(i).shape, engine.input(i).dtype) +
                              "): give --input " + engine.input(i).name + "=FILE.npy");
  }
  return kExitOk;
}

}  // namespace

int run_command(const RunOptions& options) {
  int rc = check_engine_options(kCommand, options.engine);
  if (rc != kExitOk) return rc;
  LoadedEngine loaded;
  rc = load_engine(kCommand, options.model, options.engine, &loaded);
  if (rc != kExitOk) return rc;
  const Engine& engine = *loaded.engine;

  std::vector<std::string> files;
  rc = assign_inputs(engine, options.inputs, &files);
  if (rc != kExitOk) return rc;

  Result<Context> context = engine.create_context();
  if (!context.ok()) return report_error(kCommand, kExitError, context.status().to_string());
  Context& ctx = context.value();

  for (int i = 0; i < engine.num_inputs(); ++i) {
    const TensorInfo& want = engine.input(i);
    Result<NpyArray> array = read_npy(files[i]);
    if (!array.ok())
      return report_error(kCommand, kExitError,
                          "input '" + want.name + "': " + array.status().message());
    if (array->shape != want.shape || array->dtype != want.dtype) {
      // A quantized (i8/u8) input takes integers the caller quantized with its parameters.
      std::string hint;
      if (!quant_text(want).empty() && array->dtype != want.dtype)
        hint = std::string("; the input is quantized") + quant_text(want) +
               ": give q = round_half_even(x / scale) + zero point, clamped to " +
               (want.dtype == DType::kU8 ? "[0, 255]" : "[-128, 127]");
      return report_error(kCommand, kExitError,
                          "input '" + want.name + "': " + files[i] + " is " +
                              describe(array->shape, array->dtype) + ", the model expects " +
                              describe(want.shape, want.dtype) + hint);
    }
    Status s = ctx.set_input(i, array->data.data(), array->data.size());
    if (!s.ok()) return report_error(kCommand, kExitError, s.to_string());
  }

  ctx.run();

  if (!options.output_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.output_dir, ec);
    if (ec)
      return report_error(kCommand, kExitError,
                          "cannot create --output-dir " + options.output_dir + ": " + ec.message());
  }
  std::set<std::string> used;
  for (int i = 0; i < engine.num_outputs(); ++i) {
    const TensorInfo& info = engine.output(i);
    TensorView view = ctx.output(i);
    // A quantized output is written as its integers: real = scale * (q - zero point).
    std::string line =
        "output '" + info.name + "': " + describe(view.shape, view.dtype) + quant_text(info);
    if (!options.output_dir.empty()) {
      std::string base = safe_file_name(info.name);
      std::string name = base;
      for (int k = 1; used.count(name); ++k) name = base + "_" + std::to_string(k);
      used.insert(name);
      std::string path = (std::filesystem::path(options.output_dir) / (name + ".npy")).string();
      Status s = write_npy(path, view.dtype, view.shape, view.data);
      if (!s.ok()) return report_error(kCommand, kExitError, s.to_string());
      line += " -> " + path;
    }
    std::printf("%s\n", line.c_str());
  }
  return kExitOk;
}

}  // namespace strix::cli
