// strix/engine.h — a Model compiled for a device.
//
//   strix::EngineOptions options;            // device "cpu", batch from the file
//   strix::Result<std::shared_ptr<strix::Engine>> engine = strix::Engine::create(model, options);
//   if (!engine.ok()) return report(engine.status());
//   std::printf("peak activations: %zu bytes\n", engine.value()->report().arena_bytes);
//   strix::Result<strix::Context> ctx = engine.value()->create_context();
//
// Building an Engine asks each backend, in order of preference, whether it supports each
// node (op, dtypes, layout); the first that does prepares the node's kernel (validation,
// shape inference, weight packing — all done once, here). Then a liveness-based memory plan
// puts every activation in one arena, in place where that is legal. Nodes the preferred
// device cannot run fall back to the CPU, and report() lists them.
//
// Thread safety: an Engine is immutable once built. Any number of Contexts, each used by
// one thread at a time, may run it concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strix/context.h"
#include "strix/custom_op.h"
#include "strix/model.h"
#include "strix/status.h"
#include "strix/tensor.h"

namespace strix {

struct EngineOptions {
  // "cpu"; "cuda" or "cuda:N" where libstrix was built with CUDA.
  std::string device = "cpu";
  // Replaces the batch dimension (dim 0) of every graph input; 0 keeps the file's value
  // (a dynamic batch in the file then becomes 1).
  int64_t batch = 0;
  // Worker threads for CPU kernels that use them; 0 = number of physical cores (distinct
  // core ids in /sys/devices/system/cpu/*/topology within the process's affinity mask).
  // Each Context owns one pool of this many threads (the calling thread included).
  int threads = 0;
  // true: CPU nodes use only the plain reference kernels (backend "cpu-ref"), never the
  // optimized SIMD ones (backend "cpu"). For tests that compare both, and for debugging.
  bool reference_kernels = false;
  // User kernels for Custom nodes; must outlive the Engine. May be null.
  const CustomOpRegistry* custom_ops = nullptr;
  // Devices only: each Context captures its device work into a CUDA graph on its first
  // run() and replays it (false: plain kernel launches every run).
  bool cuda_graph = true;
  // Activation tensors (by name) to expose as extra outputs, appended after the model's own
  // outputs in the given order (names already among the model's outputs are not repeated).
  // They live to the end of the run and are never computed in place, so a marked tensor
  // keeps the value its producer wrote; fusion inside the file is unchanged. Calibration,
  // `strixc compare` and debugging read intermediate results this way. Each name must be
  // a tensor a node produces (not a constant, not a graph input): kInvalidArgument otherwise.
  std::vector<std::string> extra_outputs;
};

// How one node was compiled.
struct NodeReport {
  std::string name;
  std::string op;
  std::string backend;    // "cpu-ref", ...
  std::string kernel;     // e.g. "conv2d_f32", "relu_f16(f32 compute)"
  bool fallback = false;  // runs on the CPU although another device was asked for
  bool in_place = false;  // output shares its input's memory
};

struct EngineReport {
  std::string device;
  size_t arena_bytes = 0;                 // one Context's activation arena (peak, after planning)
  size_t activation_bytes_unplanned = 0;  // sum of all activation and scratch sizes
  size_t weights_bytes = 0;               // constants used in place from the model
  size_t packed_weights_bytes = 0;        // copies made for kernels (packing, dtype conversion)
  std::vector<NodeReport> nodes;
  int num_fallbacks = 0;
  // Devices only: one Context's device activation arena, and the weights uploaded once per
  // Engine. Tensors that cross between the device and the CPU get copy steps, listed in
  // `nodes` with op "CopyToDevice" / "CopyToHost" (their name is the tensor's).
  size_t device_arena_bytes = 0;
  size_t device_weights_bytes = 0;
};

struct EngineImpl;  // internal

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  static Result<std::shared_ptr<Engine>> create(const Model& model, const EngineOptions& options);
  ~Engine();

  const Model& model() const;
  const EngineReport& report() const;
  // Compiled shapes of graph inputs/outputs (batch applied).
  int num_inputs() const;
  int num_outputs() const;
  const TensorInfo& input(int i) const;
  const TensorInfo& output(int i) const;
  // Index of the graph input/output called `name`, or -1.
  int find_input(const std::string& name) const;
  int find_output(const std::string& name) const;

  // A new execution state with its own arena. The Context keeps the Engine alive.
  Result<Context> create_context() const;

  const EngineImpl* impl() const { return impl_.get(); }

 private:
  explicit Engine(std::unique_ptr<EngineImpl> impl);
  std::unique_ptr<EngineImpl> impl_;
};

}  // namespace strix
