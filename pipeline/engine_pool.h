// pipeline/engine_pool.h — Engines shared by model-instance-id across elements and streams.
//
//   strix::Result<std::shared_ptr<const strix::gst::SharedEngine>> e =
//       strix::gst::acquire_engine("faces", "/models/faces.strix", "auto", 2);
//   strix::Result<strix::Context> ctx = e.value()->engine->create_context();
//
// Elements that pass the same non-empty id get the same Engine (one copy of the weights);
// each makes its own Context. The pool holds weak references: the Engine is freed when the
// last element releases it. An empty id always builds a private Engine. Thread safe.
#pragma once

#include <memory>
#include <string>

#include "strix/engine.h"
#include "strix/model.h"
#include "strix/status.h"

namespace strix::gst {

struct SharedEngine {
  std::string path;
  std::string device_asked;  // "cpu", "cuda" or "auto"
  int threads = 0;
  Model model;
  std::shared_ptr<Engine> engine;
  std::string device;  // what the Engine runs on
};

// device: "cpu", "cuda" (an error when CUDA is unavailable) or "auto" (CUDA when it can
// build the Engine, else the CPU). An id already holding a different path, device or
// thread count is kInvalidArgument.
Result<std::shared_ptr<const SharedEngine>> acquire_engine(const std::string& id,
                                                           const std::string& path,
                                                           const std::string& device, int threads);

// Number of ids whose Engine is alive (for tests).
int live_shared_engines();

}  // namespace strix::gst
