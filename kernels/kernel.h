// kernels/kernel.h — the contract between the Engine and every kernel (internal).
//
// A kernel has two phases, as in TFLite Micro:
//   prepare (a KernelFactory): validates the node against its input shapes and dtypes,
//     computes output shapes, packs or converts weights, asks for scratch memory, and picks
//     its variant. Every user-input error is found here and returned as a Status that names
//     the node. Allocation is allowed.
//   eval (Kernel::eval): runs blind. No checks, no allocation, no exceptions.
//
// Adding an op touches: its reference kernel file, its test, one line in
// kernels/cpu/ref/registry.cc, and (later) one importer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strix/custom_op.h"
#include "strix/status.h"
#include "strix/tensor.h"
#include "strix_generated.h"

namespace strix::kernels {

class ThreadPool;  // kernels/cpu/thread_pool.h

// A tensor as a kernel sees it while being prepared.
struct KTensor {
  std::string name;
  DType dtype = DType::kF32;
  // Inputs: known. Outputs: arrive with the shape stored in the file (dim 0 may be -1);
  // the factory must set the inferred shape.
  Shape shape;
  const Quantization* quant = nullptr;  // null when the tensor is not quantized
  // Non-null for constants (weights): valid for the Engine's lifetime, read-only.
  const void* constant = nullptr;
};

// What a factory gets. inputs[i] is null for an omitted optional input (-1 in the file).
struct PrepareArgs {
  const fb::Node* node = nullptr;  // op, options; verified by the loader
  std::string node_label;          // "node 12 'conv1' (Conv2D)", for messages
  std::vector<const KTensor*> inputs;
  std::vector<KTensor*> outputs;
  const CustomOpRegistry* custom_ops = nullptr;
  int threads = 1;  // >= 1: the Context's pool size (per-thread scratch may be sized by it)
  // Build-time fusion of a Conv2D with the Add that alone consumes its output (only asked of
  // backends whose fuses_residual_add() is true): y = act(conv(x, w) + bias + residual),
  // where inputs[3] is the residual (the Add's other input, same shape and dtype as y), the
  // conv's own activation is None, `residual_activation` is the Add's fused activation and
  // outputs[0] is the Add's output. A kernel that cannot do it returns kUnsupported and the
  // Engine compiles the two nodes separately.
  bool fused_residual = false;
  const fb::Activation* residual_activation = nullptr;
  // With fused_residual: the conv's own output tensor (never materialized; its quantization
  // is what an INT8 conv requantizes to before the Add's arithmetic).
  const KTensor* fused_conv_output = nullptr;
};

// What eval gets: one pointer per input (null for an omitted optional input, which the
// kernel knew at prepare) and per output, plus scratch of the size asked for.
struct EvalArgs {
  const void* const* inputs = nullptr;
  void* const* outputs = nullptr;
  void* scratch = nullptr;
  // Device backends only: the Context's execution state on that device (kernels/device.h;
  // for CUDA a kernels::cuda::CudaStream*). Null for CPU kernels.
  void* device = nullptr;
  // CPU kernels: the Context's worker pool (kernels/cpu/thread_pool.h), or null to run on the
  // calling thread only. Its size() never exceeds PrepareArgs::threads of the prepare.
  ThreadPool* pool = nullptr;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual void eval(const EvalArgs& args) const = 0;

  // Set by the factory; read by the Engine's memory planner.
  std::string name;          // "conv2d_f32"
  size_t scratch_bytes = 0;  // arena scratch valid only during eval
  size_t packed_bytes = 0;   // bytes the kernel owns for packed/converted weights
  // eval() is correct when outputs[0] == inputs[0] (same byte size). The planner decides
  // whether it actually happens.
  bool supports_in_place = false;
  // Output 0 is input 0's bytes reinterpreted (Reshape, Flatten, Squeeze, Unsqueeze):
  // the planner makes it a view and eval() is never called.
  bool is_view = false;
};

using KernelFactory = Result<std::unique_ptr<Kernel>> (*)(const PrepareArgs& args);

// Helpers shared by factories. All messages start with args.node_label.
Status node_error(const PrepareArgs& args, StatusCode code, const char* format, ...)
    __attribute__((format(printf, 3, 4)));
// Checks input/output counts; min_inputs counts required inputs.
Status expect_arity(const PrepareArgs& args, int min_inputs, int max_inputs, int outputs);
// Checks that input i is present with the given dtype.
Status expect_input(const PrepareArgs& args, int i, DType dtype);
// Checks that input i is a constant (weights) of the given dtype.
Status expect_constant(const PrepareArgs& args, int i, DType dtype);
// Sets output i's shape, checking it against the stored shape in the file where the stored
// dims are known (>= 0). Fails with kShapeMismatch naming the tensor.
Status set_output_shape(const PrepareArgs& args, int i, const Shape& shape);
// Normalizes a possibly negative axis for `rank`; fails when out of range.
Status normalize_axis(const PrepareArgs& args, int64_t axis, int rank, int* out);

}  // namespace strix::kernels
