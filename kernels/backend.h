// kernels/backend.h — a device's set of kernels, as the Engine sees it (internal).
//
// The Engine asks backends in order of preference. supports() is a cheap question about
// the op and its dtypes; prepare() makes the kernel and may still fail with a Status that
// names what is wrong with the node.
#pragma once

#include <memory>

#include "kernels/kernel.h"

namespace strix::kernels {

class Device;  // kernels/device.h

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  virtual bool is_cpu() const = 0;
  // The device whose memory this backend's kernels read and write; null for CPU backends
  // (kernels/device.h).
  virtual Device* device() const { return nullptr; }
  virtual bool supports(const PrepareArgs& args) const = 0;
  virtual Result<std::unique_ptr<Kernel>> prepare(const PrepareArgs& args) const = 0;
  // true: prepare() understands PrepareArgs::fused_residual (a Conv2D that also performs
  // the Add consuming its output). The Engine asks only such backends for that fusion.
  virtual bool fuses_residual_add() const { return false; }
};

// The reference CPU backend: plain kernels for the whole vocabulary. F16 tensors are
// stored as f16 and computed in f32.
std::unique_ptr<Backend> make_cpu_reference_backend();

// The optimized CPU backend "cpu" (kernels/cpu/backend.cc): SIMD kernels picked at run time
// (AVX-512 / AVX2+FMA), multithreaded through EvalArgs::pool, for f32 Conv2D, FullyConnected,
// MatMul (constant B), pooling and elementwise ops. Put it before the reference backend; a
// node it has no fast path for is left to the next backend (prepare returns kUnsupported).
std::unique_ptr<Backend> make_cpu_optimized_backend();

}  // namespace strix::kernels
