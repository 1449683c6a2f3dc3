// `strixc`: the model converter.
//
//   strixc convert IN.onnx -o OUT.strix [--precision fp32|fp16] [--input-shape NAME=1x3x224x224]
//          [--task classify|detect|denoise|segment|generic] [--labels FILE] [--mean a,b,c]
//          [--std a,b,c] [--color rgb|bgr] [--resize stretch|letterbox] [-O0|-O1|-O2]
//   strixc inspect MODEL [--json]
//
// Built with exceptions (CLI11, protobuf); none escapes main().
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "commands.h"
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
  c->add_option("--precision", convert.precision, "fp32 or fp16 (weights and activations)")
      ->check(CLI::IsMember({"fp32", "fp16"}))
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

  InspectOptions inspect;
  CLI::App* i = app.add_subcommand("inspect", "Describe a .strix model");
  i->add_option("model", inspect.model, "The .strix model")->required();
  i->add_flag("--json", inspect.json, "Print one JSON object");

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
