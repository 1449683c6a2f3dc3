// kernels/cpu/ref/custom.h — the Custom op: runs a user CustomKernel (strix/custom_op.h)
// found by CustomOptions.name in PrepareArgs::custom_ops. Any dtype.
#pragma once

#include <memory>

#include "kernels/kernel.h"

namespace strix::kernels::ref {

// Makes the user's kernel, calls its prepare() with TensorInfo copies of the node's tensors
// (outputs carry their stored dtype and shape) and CustomOptions.data, and takes the output
// shapes it sets. eval() wraps the buffers in TensorViews and calls the user's eval().
Result<std::unique_ptr<Kernel>> make_custom(const PrepareArgs& args);

}  // namespace strix::kernels::ref
