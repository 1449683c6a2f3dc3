// external_app — a program built against an INSTALLED Strix SDK (find_package or pkg-config).
//
//   external_app MODEL.strix
//
// Runs the model once on CPU with every f32 input filled with the ramp (i % 17) / 17 and
// prints, for each output, its shape and the sum of its elements (f32 outputs only).
#include <cstdio>
#include <memory>

#include "strix/context.h"
#include "strix/engine.h"
#include "strix/model.h"
#include "strix/version.h"

namespace {

int fail(const strix::Status& status) {
  std::fprintf(stderr, "external_app: %s\n", status.to_string().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: external_app MODEL.strix\n");
    return 2;
  }
  std::printf("strix %s (schema %u)\n", strix::version_string(), strix::kSchemaVersion);
  strix::Result<strix::Model> model = strix::Model::load(argv[1]);
  if (!model.ok()) return fail(model.status());
  strix::Result<std::shared_ptr<strix::Engine>> engine =
      strix::Engine::create(model.value(), strix::EngineOptions());
  if (!engine.ok()) return fail(engine.status());
  strix::Result<strix::Context> context = engine.value()->create_context();
  if (!context.ok()) return fail(context.status());
  strix::Context& ctx = context.value();

  for (int i = 0; i < engine.value()->num_inputs(); ++i) {
    const strix::TensorView in = ctx.input(i);
    if (in.dtype != strix::DType::kF32) continue;
    for (int64_t k = 0; k < in.shape.num_elements(); ++k) in.as<float>()[k] = (k % 17) / 17.0f;
  }
  ctx.run();
  for (int i = 0; i < engine.value()->num_outputs(); ++i) {
    const strix::TensorView out = ctx.output(i);
    std::printf("output %d: %s %s", i, out.shape.to_string().c_str(), strix::dtype_name(out.dtype));
    if (out.dtype == strix::DType::kF32) {
      double sum = 0;
      for (int64_t k = 0; k < out.shape.num_elements(); ++k) sum += out.as<float>()[k];
      std::printf(" sum %.4f", sum);
    }
    std::printf("\n");
  }
  return 0;
}
