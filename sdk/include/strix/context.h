// strix/context.h — per-stream execution state of an Engine.
//
//   strix::Context ctx = engine->create_context().value();
//   strix::TensorView in = ctx.input(0);          // [1x3x224x224] f32, inside the arena
//   fill(in.as<float>(), in.shape.num_elements());
//   ctx.run();
//   const float* scores = ctx.output(0).as<float>();
//
// A Context owns one activation arena (allocated when it is created) and, on devices, its
// stream. run() allocates nothing and validates nothing: inputs are written in place through
// input(i), or copied with set_input() which checks the size. Outputs stay valid until the
// next run(). A Context is used by one thread at a time; make one per thread or stream.
//
// On a device (EngineOptions::device "cuda"), input(i) and output(i) are still HOST
// pointers, into page-locked staging memory. run() copies the inputs to the device, runs
// the device kernels on the Context's own stream (and the nodes that fell back to the CPU
// on the calling thread), copies the outputs back and waits for the stream. The device work
// is captured into a CUDA graph on the first run() and replayed after that (unless
// EngineOptions::cuda_graph is false, or capture fails: then the kernels are launched one
// by one). run() stays void and blind; a device error (a failed launch or library call) is
// kept and returned by last_error(). On the CPU last_error() is always OK.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "strix/status.h"
#include "strix/tensor.h"

namespace strix {

class Engine;
struct ContextImpl;  // internal

// Device time of one run() by phase, in milliseconds (Context::last_timing).
struct DeviceTiming {
  double h2d_ms = 0;      // copies of the graph inputs to the device
  double compute_ms = 0;  // device kernels (and copies to and from CPU-fallback nodes)
  double d2h_ms = 0;      // copies of the graph outputs to the host
  // With enable_timing(true, true): per EngineReport::nodes entry, the device time of its
  // step (host time for CPU-fallback nodes), measured without a CUDA graph; empty otherwise.
  std::vector<double> node_ms;
};

class Context {
 public:
  Context();
  Context(Context&&) noexcept;
  Context& operator=(Context&&) noexcept;
  ~Context();

  // Views into the arena, valid for the Context's lifetime. Precondition: i in range.
  TensorView input(int i) const;
  TensorView output(int i) const;

  // Copies `bytes` into input i. kShapeMismatch when bytes differs from the input's size.
  Status set_input(int i, const void* data, size_t bytes);

  // Runs every kernel once. Inputs must have been written.
  void run();

  // The error of the last run() on a device, or OK (always OK on the CPU).
  Status last_error() const;

  // Zero-copy input: input i is read straight from `device_ptr` (device memory of the
  // Engine's device holding input(i).byte_size() bytes, owned by the caller and valid during
  // every later run()) instead of being copied from input(i). nullptr returns to the
  // staging copy. A new pointer makes the next run() capture its CUDA graph again: keep
  // the same buffer across runs. kUnsupported on the CPU or when no device node reads
  // input i; kInvalidArgument when i is out of range.
  Status set_device_input(int i, void* device_ptr);

  // Devices: measure each run() by phase with device events (the device work is then
  // captured as three graphs: input copies, compute, output copies). kUnsupported on the CPU.
  // per_node: also time every node (kernels are then launched one by one, not as a graph).
  Status enable_timing(bool on, bool per_node = false);
  // The phases of the last run() while timing was on; zeros otherwise.
  DeviceTiming last_timing() const;

  const Engine& engine() const;

 private:
  friend class Engine;
  friend struct ContextAccess;  // internal: device pre-processing (sdk/src/context_access.h)
  std::unique_ptr<ContextImpl> impl_;
};

}  // namespace strix
