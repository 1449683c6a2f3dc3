// preprocess_bench — 1920x1080 NV12 frame -> 224x224 model input (letterbox, ImageNet
// mean/std) on the CPU and, when libstrix has the CUDA backend and a GPU is present, on the
// GPU. A tool, not a test; prints one line per measurement (median of --iters).
//
//   preprocess_bench [--iters N] [--batch B]
//
// Rows (ms per frame):
//   cpu run            Preprocessor::run on this thread, into host memory
//   cpu run + ctx      the same into a CUDA Context's input + ctx.run() of y = x + 0
//                      (the 224x224 input travels to the device, y comes back)
//   gpu run_batch+ctx  Preprocessor::run_batch (raw frame staged + uploaded, one kernel)
//                      + ctx.run() of the same model
//   gpu kernel         Device::preprocess alone, frame already in device memory (events)
// and each for f32 NCHW and f16 NCHW (channels-last on the device).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "converter/writer/model_builder.h"
#include "strix/context.h"
#include "strix/engine.h"
#include "strix/vision.h"
#ifdef STRIX_HAVE_CUDA
#include "kernels/backend.h"
#include "kernels/device.h"
#include "sdk/vision/preprocess_internal.h"
#endif

namespace {

using namespace strix;
using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

template <typename F>
double time_ms(int iters, F&& f) {
  f();  // warm-up
  std::vector<double> t;
  for (int i = 0; i < iters; ++i) {
    const auto a = Clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
  }
  return median(t);
}

std::vector<uint8_t> model(int batch, DType dt) {
  writer::ModelBuilder b;
  const int x = b.add_input("image", dt, {batch, 3, 224, 224});
  int zero;
  if (dt == DType::kF16) {
    const uint16_t z = 0;
    zero = b.add_constant("zero", DType::kF16, {1}, &z, 2);
  } else {
    zero = b.add_constant_f32("zero", {1}, {0.f});
  }
  const int y = b.add_tensor("y", dt, {batch, 3, 224, 224});
  b.add_node("add", fb::OpType::Add, {x, zero}, {y});
  b.mark_output(y);
  return b.finish();
}

}  // namespace

int main(int argc, char** argv) {
  int iters = 200, batch = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--iters" && i + 1 < argc) {
      iters = std::atoi(argv[++i]);
    } else if (a == "--batch" && i + 1 < argc) {
      batch = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: preprocess_bench [--iters N] [--batch B]\n");
      return 2;
    }
  }
  if (iters < 1 || batch < 1) {
    std::fprintf(stderr, "preprocess_bench: --iters and --batch must be >= 1\n");
    return 2;
  }
  const int w = 1920, h = 1080;
  std::vector<uint8_t> nv12(vision::Image::packed_size(vision::PixelFormat::kNV12, w, h));
  std::mt19937 rng(7);
  for (uint8_t& b : nv12) b = static_cast<uint8_t>(rng() >> 24);
  const vision::Image frame = vision::Image::packed(vision::PixelFormat::kNV12, w, h, nv12.data());
  const std::vector<vision::Image> frames(batch, frame);
  InputContract contract;
  contract.resize = ResizeKind::kLetterbox;
  contract.mean = {0.485f, 0.456f, 0.406f};
  contract.std = {0.229f, 0.224f, 0.225f};
  std::printf("1920x1080 NV12 -> 224x224 letterbox, batch %d, median of %d (ms per batch)\n", batch,
              iters);

  for (DType dt : {DType::kF32, DType::kF16}) {
    for (const char* device : {"cpu", "cuda"}) {
      std::vector<uint8_t> file = model(batch, dt);
      Result<Model> m = Model::from_buffer(file.data(), file.size());
      EngineOptions options;
      options.device = device;
      auto engine =
          m.ok() ? Engine::create(m.value(), options) : Result<std::shared_ptr<Engine>>(m.status());
      if (!engine.ok()) {
        std::printf("%-4s %s: no engine (%s)\n", dtype_name(dt), device,
                    engine.status().to_string().c_str());
        continue;
      }
      Result<Context> ctx = engine.value()->create_context();
      if (!ctx.ok()) {
        std::printf("%s: %s\n", device, ctx.status().to_string().c_str());
        continue;
      }
      Context& c = ctx.value();
      Result<vision::Preprocessor> pre =
          vision::Preprocessor::create(contract, engine.value()->input(0));
      if (!pre.ok()) {
        std::printf("%s\n", pre.status().to_string().c_str());
        return 1;
      }
      const std::string tag = std::string(dtype_name(dt)) + " " + device;
      if (std::string(device) == "cpu") {
        std::vector<uint8_t> out(pre->item_bytes());
        std::printf("%-9s cpu run             %8.3f\n", tag.c_str(), time_ms(iters, [&] {
                      for (int k = 0; k < batch; ++k) (void)pre->run(frame, out.data());
                    }));
        continue;
      }
      auto* in = static_cast<uint8_t*>(c.input(0).data);
      std::printf("%-9s cpu run + ctx       %8.3f\n", tag.c_str(), time_ms(iters, [&] {
                    for (int k = 0; k < batch; ++k)
                      (void)pre->run(frame, in + k * pre->item_bytes());
                    c.run();
                  }));
      Status st;
      std::printf("%-9s gpu run_batch + ctx %8.3f\n", tag.c_str(), time_ms(iters, [&] {
                    st = pre->run_batch(c, 0, frames.data(), batch);
                    c.run();
                  }));
      if (!st.ok() || !c.last_error().ok()) {
        std::printf("run_batch: %s / %s\n", st.to_string().c_str(),
                    c.last_error().to_string().c_str());
        return 1;
      }
#ifdef STRIX_HAVE_CUDA
      // The kernel alone, timed with device events.
      auto backend = kernels::make_cuda_backend(0);
      if (!backend.ok()) continue;
      const kernels::Device* dev = backend.value()->device();
      void* stream = dev->create_stream().value();
      void* src = dev->allocate(nv12.size()).value();
      void* dst = dev->allocate(pre->item_bytes() * batch).value();
      (void)dev->upload(src, nv12.data(), nv12.size());
      std::vector<vision::Image> on_dev(batch, frame);
      for (vision::Image& im : on_dev) {
        im.planes[0] = static_cast<const uint8_t*>(src);
        im.planes[1] = static_cast<const uint8_t*>(src) + static_cast<size_t>(w) * h;
      }
      std::vector<kernels::PreprocessFrame> desc(batch);
      const kernels::PreprocessJob job = vision::PreprocessorAccess::job(
          pre.value(), on_dev.data(), batch, batch, dst, dt == DType::kF16, desc.data());
      void* e0 = dev->create_event().value();
      void* e1 = dev->create_event().value();
      std::vector<double> t;
      for (int i = 0; i <= iters; ++i) {
        dev->record_event(e0, stream);
        (void)dev->preprocess(job, stream);
        dev->record_event(e1, stream);
        (void)dev->synchronize(stream);
        if (i > 0) t.push_back(dev->elapsed_ms(e0, e1));
      }
      std::printf("%-9s gpu kernel          %8.3f   (%s)\n", tag.c_str(), median(t),
                  dev->description().c_str());
      dev->destroy_event(e0);
      dev->destroy_event(e1);
      dev->release(src);
      dev->release(dst);
      dev->destroy_stream(stream);
#endif
    }
  }
  return 0;
}
