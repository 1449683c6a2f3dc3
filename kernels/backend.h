// kernels/backend.h — a device's set of kernels, as the Engine sees it (internal).
//
// The Engine asks backends in order of preference. supports() is a cheap question about
// the op and its dtypes; prepare() makes the kernel and may still fail with a Status that
// names what is wrong with the node.
#pragma once

#include <memory>

#include "kernels/kernel.h"

namespace strix::kernels {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  virtual bool is_cpu() const = 0;
  virtual bool supports(const PrepareArgs& args) const = 0;
  virtual Result<std::unique_ptr<Kernel>> prepare(const PrepareArgs& args) const = 0;
};

// The reference CPU backend: plain kernels for the whole vocabulary. F16 tensors are
// stored as f16 and computed in f32.
std::unique_ptr<Backend> make_cpu_reference_backend();

}  // namespace strix::kernels
