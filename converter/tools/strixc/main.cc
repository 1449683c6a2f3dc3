// `strixc`: the model converter.
//
//   strixc convert IN.onnx -o OUT.strix [--precision fp32|fp16] [--input-shape NAME=1x3x224x224]
//          [--task classify|detect|denoise|segment|generic] [--labels FILE] [--mean a,b,c]
//          [--std a,b,c] [--color rgb|bgr] [--resize stretch|letterbox] [-O0|-O1|-O2]
//          [--precision int8 --calib-data SPEC | --calib-table FILE] [--calibrator
//          mse|entropy|minmax| percentile] [--calib-samples N] [--calib-batch N] [--percentile P]
//          [-v] [--int8-io]
//          [--precision best --val-data SPEC [--accuracy-budget PT] [--min-sqnr DB]
//          [--val-samples N] [--best-float fp32|fp16] [--no-speed-check]]
//   strixc calibrate IN.onnx --calib-data SPEC -o table.json [contract flags as convert]
//   strixc inspect MODEL [--json]
//   strixc eval MODEL.strix --data SPEC [--batch N] [--threads T] [--limit N] [--device cpu]
//          [--json]
//   strixc compare MODEL.strix --reference REF.onnx|REF.strix --data SPEC [--json] [--batch N]
//          [--limit N] [-O N]
//
// Built with exceptions (CLI11, protobuf); none escapes main().
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "commands.h"
#include "convert_setup.h"
#include "strix/version.h"

namespace {

using namespace strix::strixc;

int run_main(int argc, char** argv) {
  CLI::App app("Strix converter: ONNX to .strix, and model inspection", "strixc");
  app.set_version_flag("--version", std::string("strixc ") + strix::version_string());
  app.require_subcommand(1);

  ConvertOptions convert;
  CLI::App* c = app.add_subcommand("convert", "Convert an ONNX model to a .strix file");
  c->add_option("input", convert.input, "The .onnx model")->required();
  c->add_option("-o,--output", convert.output, "The .strix file to write")->required();
  c->add_option(
       "--precision", convert.precision,
       "fp32, fp16 (weights and activations), int8 (needs --calib-data or --calib-table, or a "
       "QDQ model) or best (per-layer INT8 or float; needs --val-data too)")
      ->check(CLI::IsMember({"fp32", "fp16", "int8", "best"}))
      ->capture_default_str();
  c->add_option("--input-shape", convert.input_shapes,
                "NAME=1x3x224x224: fixes an input's shape (repeatable)");
  c->add_option("--task", convert.task, "What the model does")
      ->check(CLI::IsMember({"classify", "detect", "denoise", "segment", "generic"}))
      ->capture_default_str();
  c->add_option("--labels", convert.labels, "Text file with one class label per line");
  c->add_option("--mean", convert.mean, "Per-channel mean in 0..1 units, e.g. 0.485,0.456,0.406");
  c->add_option("--std", convert.std, "Per-channel std in 0..1 units, e.g. 0.229,0.224,0.225");
  c->add_option("--color", convert.color, "Channel order the model expects")
      ->check(CLI::IsMember({"rgb", "bgr"}))
      ->capture_default_str();
  c->add_option("--resize", convert.resize, "How frames are fitted to the input")
      ->check(CLI::IsMember({"stretch", "letterbox"}))
      ->capture_default_str();
  c->add_option("--description", convert.description, "Free text stored in the file");
  c->add_option("-O", convert.opt_level,
                "Optimization level: 0 none, 1 remove no-ops and fold BatchNorm/Pad/reshape "
                "chains, 2 also fuse activations into Conv/FC/MatMul/Add")
      ->check(CLI::Range(0, 2))
      ->capture_default_str();
  c->add_flag("-q,--quiet", convert.quiet, "Print nothing on success");
  add_int8_options(c, &convert);
  c->add_option("--val-data", convert.val_data,
                "--precision best: validation data spec the accuracy budget is measured on");
  c->add_option("--accuracy-budget", convert.accuracy_budget,
                "--precision best: largest top-1 drop vs FP32, in points (classifiers)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  c->add_option("--min-sqnr", convert.min_sqnr,
                "--precision best: lowest output SQNR vs FP32 in dB (other tasks)")
      ->capture_default_str();
  c->add_option("--val-samples", convert.val_samples, "--precision best: validation items (0: all)")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--best-float", convert.best_float,
                "--precision best: fp32, or fp16 for devices that compute FP16 natively")
      ->check(CLI::IsMember({"fp32", "fp16"}))
      ->capture_default_str();
  c->add_flag("--no-speed-check", convert.no_speed_check,
              "--precision best: INT8 even where its kernel is not faster than the float one");

  ConvertOptions calibrate;
  CLI::App* cal = add_calibrate_subcommand(&app, &calibrate);

  InspectOptions inspect;
  CLI::App* i = app.add_subcommand("inspect", "Describe a .strix model");
  i->add_option("model", inspect.model, "The .strix model")->required();
  i->add_flag("--json", inspect.json, "Print one JSON object");

  CompareOptions compare;
  CLI::App* cmp = app.add_subcommand(
      "compare", "Per-layer drift of a .strix model against a reference over a data set");
  cmp->add_option("model", compare.model, "The .strix model")->required();
  cmp->add_option("--reference", compare.reference,
                  "REF.onnx (converted to FP32 at the model's -O) or REF.strix")
      ->required();
  cmp->add_option("--data", compare.data, "Data spec: idx:IMAGES[,LABELS] | folder:DIR | npy:FILE")
      ->required();
  cmp->add_flag("--json", compare.json, "Print one JSON object");
  cmp->add_option("--batch", compare.batch, "Items per run")->check(CLI::Range(1, 4096));
  cmp->add_option("--limit", compare.limit, "Compare the first N items only (0: all)")
      ->check(CLI::NonNegativeNumber);
  cmp->add_option("-O", compare.opt_level,
                  "-O level for an ONNX reference (default: the model's recorded level, else 2)")
      ->check(CLI::Range(0, 2));
  cmp->add_option("--threads", compare.threads, "CPU threads (0: physical cores)")
      ->check(CLI::NonNegativeNumber);

  EvalOptions eval;
  CLI::App* ev = app.add_subcommand("eval", "Top-1/top-5 accuracy of a classifier over a data set");
  ev->add_option("model", eval.model, "The .strix model")->required();
  ev->add_option("--data", eval.data,
                 "Labelled data spec: idx:IMAGES,LABELS | folder:DIR | npy:FILE,LABELS")
      ->required();
  ev->add_option("--batch", eval.batch, "Items per run")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  ev->add_option("--threads", eval.threads, "CPU threads (0: physical cores)")
      ->check(CLI::NonNegativeNumber);
  ev->add_option("--limit", eval.limit, "Evaluate the first N items only (0: all)")
      ->check(CLI::NonNegativeNumber);
  ev->add_option("--device", eval.device, "cpu, or cuda[:N] where built with CUDA")
      ->capture_default_str();
  ev->add_flag("--json", eval.json, "Print one JSON object (with per-class accuracy)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "strixc: error: %s (see strixc --help)\n", e.what());
    return kExitUsage;
  }
  if (c->parsed()) return convert_command(convert);
  if (i->parsed()) return inspect_command(inspect);
  if (ev->parsed()) return eval_command(eval);
  if (cal->parsed()) return calibrate_command(calibrate);
  if (cmp->parsed()) return compare_command(compare);
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "strixc: error: internal: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "strixc: error: internal: unknown exception\n");
  }
  return kExitError;
}
