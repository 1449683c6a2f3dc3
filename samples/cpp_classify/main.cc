// cpp_classify — the C++ API end to end: load a classifier, fill its input, run, print the
// top-5 classes with the labels stored in the model's metadata.
//
//   cpp_classify MODEL.strix [INPUT.npy]
//
// Without INPUT.npy the input is filled with deterministic random values in [0, 1).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "strix/context.h"
#include "strix/engine.h"
#include "strix/model.h"
#include "strix/npy.h"

namespace {

int fail(const strix::Status& status) {
  std::fprintf(stderr, "cpp_classify: %s\n", status.to_string().c_str());
  return 1;
}

// Writes deterministic data into an input: floats in [0, 1), random bytes otherwise.
void fill_random(const strix::TensorView& in) {
  std::mt19937 rng(42);
  const int64_t n = in.shape.num_elements();
  if (in.dtype == strix::DType::kF32) {
    std::uniform_real_distribution<float> dist(0.f, 1.f);
    for (int64_t i = 0; i < n; ++i) in.as<float>()[i] = dist(rng);
  } else {
    uint8_t* bytes = in.as<uint8_t>();
    for (size_t i = 0; i < in.byte_size(); ++i) bytes[i] = static_cast<uint8_t>(rng());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: cpp_classify MODEL.strix [INPUT.npy]\n");
    return 2;
  }
  strix::Result<strix::Model> model = strix::Model::load(argv[1]);
  if (!model.ok()) return fail(model.status());
  strix::Result<std::shared_ptr<strix::Engine>> engine =
      strix::Engine::create(model.value(), strix::EngineOptions());
  if (!engine.ok()) return fail(engine.status());
  const strix::Engine& e = *engine.value();
  if (e.num_inputs() != 1 || e.num_outputs() < 1) {
    std::fprintf(stderr, "cpp_classify: expected one input and at least one output, got %d, %d\n",
                 e.num_inputs(), e.num_outputs());
    return 1;
  }
  strix::Result<strix::Context> context = e.create_context();
  if (!context.ok()) return fail(context.status());
  strix::Context& ctx = context.value();

  const strix::TensorInfo& in = e.input(0);
  if (argc == 3) {
    strix::Result<strix::NpyArray> array = strix::read_npy(argv[2]);
    if (!array.ok()) return fail(array.status());
    if (array->shape != in.shape || array->dtype != in.dtype) {
      std::fprintf(stderr, "cpp_classify: %s is %s %s, the model expects %s %s\n", argv[2],
                   array->shape.to_string().c_str(), strix::dtype_name(array->dtype),
                   in.shape.to_string().c_str(), strix::dtype_name(in.dtype));
      return 1;
    }
    strix::Status s = ctx.set_input(0, array->data.data(), array->data.size());
    if (!s.ok()) return fail(s);
  } else {
    fill_random(ctx.input(0));
  }

  ctx.run();

  const strix::TensorView out = ctx.output(0);
  if (out.dtype != strix::DType::kF32 || out.shape.rank() < 1) {
    std::fprintf(stderr, "cpp_classify: output 0 is %s %s, expected f32 scores\n",
                 out.shape.to_string().c_str(), strix::dtype_name(out.dtype));
    return 1;
  }
  // Scores of the first batch item.
  const int64_t batch = out.shape.rank() > 1 ? out.shape[0] : 1;
  const int64_t classes = out.shape.num_elements() / std::max<int64_t>(batch, 1);
  std::vector<float> scores(out.as<float>(), out.as<float>() + classes);
  const strix::Metadata& meta = model->metadata();
  if (meta.postprocess.apply_softmax && !scores.empty()) {
    float max = *std::max_element(scores.begin(), scores.end());
    float sum = 0;
    for (float& s : scores) sum += (s = std::exp(s - max));
    for (float& s : scores) s /= sum;
  }
  std::vector<int> order(scores.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  const size_t k = std::min<size_t>(5, order.size());
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&scores](int a, int b) { return scores[a] > scores[b]; });

  std::printf("model: %s (%s, input %s %s)\n", argv[1], strix::task_name(meta.task),
              in.shape.to_string().c_str(), strix::dtype_name(in.dtype));
  std::printf("top-%zu:\n", k);
  for (size_t r = 0; r < k; ++r) {
    int c = order[r];
    std::string label =
        c < static_cast<int>(meta.labels.size()) ? meta.labels[c] : "class " + std::to_string(c);
    std::printf("  %zu. %-20s %.6f\n", r + 1, label.c_str(), scores[c]);
  }
  return 0;
}
