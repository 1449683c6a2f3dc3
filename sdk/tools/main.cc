// `strix`: the runtime command line.
//
//   strix run MODEL --input NAME=FILE.npy ... [--output-dir DIR] [--device cpu] [--batch B]
//   strix bench MODEL [--device D] [--threads N] [--batch B] [--warmup N] [--iterations N] [--json]
//
// Exit codes: 0 success, 1 runtime/model/data error, 2 usage error; every error is one line on
// stderr. This target alone is built with exceptions (CLI11 needs them); none escapes main().
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "bench_command.h"
#include "cli_common.h"
#include "run_command.h"
#include "strix/version.h"

namespace {

using strix::cli::kExitError;
using strix::cli::kExitUsage;

void add_engine_options(CLI::App* app, strix::EngineOptions* options) {
  app->add_option("--device", options->device, "Device: cpu, cuda, cuda:N")->capture_default_str();
  app->add_option("--batch", options->batch,
                  "Batch size (dim 0 of every input); 0 keeps the model's")
      ->capture_default_str();
  app->add_option("--threads", options->threads, "CPU worker threads; 0 = all cores")
      ->capture_default_str();
}

int run_main(int argc, char** argv) {
  CLI::App app("Strix runtime: run and benchmark .strix models", "strix");
  app.set_version_flag("--version", std::string("strix ") + strix::version_string());
  app.require_subcommand(1);

  strix::cli::RunOptions run;
  CLI::App* run_app = app.add_subcommand("run", "Run a model once on .npy inputs");
  run_app->add_option("model", run.model, "The .strix model")->required();
  run_app
      ->add_option("-i,--input", run.inputs,
                   "NAME=FILE.npy for each graph input (FILE.npy alone for a one-input model)")
      ->allow_extra_args(false);
  run_app->add_option("-o,--output-dir", run.output_dir,
                      "Directory for <output name>.npy files (created if needed)");
  add_engine_options(run_app, &run.engine);

  strix::cli::BenchOptions bench;
  CLI::App* bench_app = app.add_subcommand("bench", "Measure latency and throughput");
  bench_app->add_option("model", bench.model, "The .strix model")->required();
  add_engine_options(bench_app, &bench.engine);
  bench_app->add_option("--warmup", bench.warmup, "Untimed runs first")->capture_default_str();
  bench_app->add_option("--iterations", bench.iterations, "Timed runs")->capture_default_str();
  bench_app->add_option("--seed", bench.seed, "Seed of the random input data")
      ->capture_default_str();
  bench_app->add_flag("--json", bench.json, "Print one JSON object");
  bool no_cuda_graph = false;
  bench_app->add_flag("--no-cuda-graph", no_cuda_graph,
                      "Devices: launch kernels one by one instead of replaying a CUDA graph");
  bench_app
      ->add_option("--contexts", bench.contexts,
                   "Contexts run concurrently from as many threads (throughput scaling)")
      ->capture_default_str();
  bench_app->add_option("--profile", bench.profile,
                        "Devices: list the N slowest nodes (device time, no CUDA graph)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    for (char& c : what)
      if (c == '\n') c = ' ';
    std::fprintf(stderr, "strix: error: %s (see strix --help)\n", what.c_str());
    return kExitUsage;
  }
  if (run_app->parsed()) return strix::cli::run_command(run);
  if (bench_app->parsed()) {
    bench.engine.cuda_graph = !no_cuda_graph;
    return strix::cli::bench_command(bench);
  }
  std::fprintf(stderr, "strix: error: no command (see strix --help)\n");
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "strix: error: internal: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "strix: error: internal: unknown exception\n");
  }
  return kExitError;
}
