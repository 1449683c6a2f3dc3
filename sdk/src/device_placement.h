// sdk/src/device_placement.h — tensors between a device and the CPU (internal).
//
// After every node has a kernel (CompiledNode::on_device says whose), place_on_device():
//   - gives each tensor a home: graph inputs and constants live on the host, a node's
//     outputs where the node runs;
//   - where a node reads a tensor that lives elsewhere, adds a mirror tensor on the node's
//     side and rewrites the node's input; a non-constant mirror is filled by a copy step
//     (a CompiledNode with `copy` set, op "CopyToDevice"/"CopyToHost" in the report)
//     inserted just before the first node that needs it;
//   - constants read on the device are uploaded once into EngineImpl::device_weights (the
//     mirror's KTensor::constant then holds the DEVICE pointer);
//   - graph outputs produced on the device get a host mirror filled by a final copy step,
//     so that Context::output(i) stays a host pointer.
// Then the memory planner runs once per side (plan_per_device).
#pragma once

#include <vector>

#include "sdk/src/engine_impl.h"
#include "sdk/src/memory_planner.h"

namespace strix {

Status place_on_device(EngineImpl& e);

// Plans host buffers and device buffers in two arenas; returns the host arena size and
// stores the device arena size in *device_bytes.
size_t plan_per_device(std::vector<PlannedBuffer>& buffers, const std::vector<bool>& on_device,
                       size_t* device_bytes);

}  // namespace strix
