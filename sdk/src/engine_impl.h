// sdk/src/engine_impl.h — a compiled model (internal).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kernels/backend.h"
#include "kernels/device.h"
#include "kernels/kernel.h"
#include "sdk/src/model_impl.h"
#include "strix/engine.h"

namespace strix {

// Where a tensor's bytes live at run time.
struct TensorPlacement {
  // kDeviceArena: offset in the Context's device arena. kConstant: a host pointer, or a
  // device pointer into the Engine's device weights for tensors in device memory.
  enum Kind { kNone, kArena, kConstant, kDeviceArena } kind = kNone;
  size_t offset = 0;               // kArena: offset in the Context's arena
  const void* constant = nullptr;  // kConstant
  size_t bytes = 0;
};

struct CompiledNode {
  std::unique_ptr<kernels::Kernel> kernel;
  std::vector<int> inputs;  // tensor indices, -1 for omitted
  std::vector<int> outputs;
  bool skip = false;          // a view: its output aliases its input, nothing to run
  size_t scratch_offset = 0;  // in the arena (the device arena for device nodes)
  bool on_device = false;     // the kernel comes from the device backend
  // A copy step between host and device memory (kernel is null): inputs[0] -> outputs[0].
  enum Copy { kNoCopy, kToDevice, kToHost } copy = kNoCopy;
  // The device side is channels-last (kernels/device.h): the copy goes through scratch
  // (a device buffer of the tensor's size) and converts the layout there.
  bool convert_layout = false;
};

struct EngineImpl {
  Model model;
  std::vector<std::unique_ptr<kernels::Backend>> backends;
  std::vector<kernels::KTensor> tensors;  // compiled shapes and dtypes
  std::vector<TensorPlacement> placements;
  std::vector<CompiledNode> nodes;
  std::vector<int> input_tensors, output_tensors;
  std::vector<TensorInfo> input_infos, output_infos;
  size_t arena_bytes = 0;
  EngineReport report;
  int threads = 1;  // CPU worker threads of each Context (EngineOptions::threads resolved)

  // Devices (kernels/device.h); all null/empty for a CPU Engine.
  kernels::Device* device = nullptr;   // owned by backends[0]
  std::vector<bool> tensor_on_device;  // per tensor: lives in device memory
  std::vector<int> device_mirror_of;   // per tensor: the tensor it copies, or -1
  void* device_weights = nullptr;      // constants used by device nodes
  size_t device_arena_bytes = 0;
  bool cuda_graph = true;

  EngineImpl() = default;
  EngineImpl(const EngineImpl&) = delete;
  EngineImpl& operator=(const EngineImpl&) = delete;
  ~EngineImpl() {
    nodes.clear();  // device kernels release their memory before the device goes
    if (device) device->release(device_weights);
  }
};

}  // namespace strix
