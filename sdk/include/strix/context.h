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
#pragma once

#include <cstddef>
#include <memory>

#include "strix/status.h"
#include "strix/tensor.h"

namespace strix {

class Engine;
struct ContextImpl;  // internal

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

  const Engine& engine() const;

 private:
  friend class Engine;
  std::unique_ptr<ContextImpl> impl_;
};

}  // namespace strix
