// kernels/f16_adapter.h — f16 storage, f32 compute (internal).
//
// A node whose float tensors are stored as f16 runs an f32 kernel: f16 weights are converted
// once at prepare, f16 activations are converted into f32 scratch around eval, results are
// converted back. Shared by the CPU backends, so every f32 kernel also serves f16 models.
#pragma once

#include <functional>
#include <memory>

#include "kernels/kernel.h"

namespace strix::kernels {

using F32Factory = std::function<Result<std::unique_ptr<Kernel>>(const PrepareArgs&)>;

// True when any input or output of the node is f16.
bool has_f16(const PrepareArgs& args);

// Prepares `f32_factory` on f32 copies of the node's tensors and wraps the kernel.
Result<std::unique_ptr<Kernel>> prepare_with_f16_storage(const PrepareArgs& args,
                                                         const F32Factory& f32_factory);

}  // namespace strix::kernels
