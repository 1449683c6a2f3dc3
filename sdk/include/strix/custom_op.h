// strix/custom_op.h — user layers: the plugin API for ops Strix does not know.
//
//   class MyClamp : public strix::CustomKernel {
//    public:
//     strix::Status prepare(const std::vector<strix::TensorInfo>& in,
//                           std::vector<strix::TensorInfo>& out,
//                           const uint8_t* data, size_t size) override {
//       out[0].shape = in[0].shape;   // dtypes come from the file
//       return {};
//     }
//     void eval(const strix::TensorView* in, int n_in, strix::TensorView* out, int n_out) override;
//   };
//   strix::CustomOpRegistry ops;
//   ops.add("MyClamp", [] { return std::unique_ptr<strix::CustomKernel>(new MyClamp); });
//   strix::EngineOptions options;
//   options.custom_ops = &ops;
//
// A Custom node in a .strix file names its kernel (CustomOptions.name) and carries opaque
// bytes (CustomOptions.data) that are handed to prepare(). The registry must outlive every
// Engine built with it. One kernel instance is made per node when the Engine is built;
// eval() may be called from several Contexts at once, so it must not mutate the kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "strix/status.h"
#include "strix/tensor.h"

namespace strix {

class CustomKernel {
 public:
  virtual ~CustomKernel() = default;
  // Validates the inputs and sets each output's shape (outputs arrive with the dtype and
  // shape stored in the file). `data` is CustomOptions.data. Called once, at Engine build.
  virtual Status prepare(const std::vector<TensorInfo>& inputs, std::vector<TensorInfo>& outputs,
                         const uint8_t* data, size_t size) = 0;
  // Computes outputs from inputs. Runs blind: no validation, no allocation.
  virtual void eval(const TensorView* inputs, int num_inputs, TensorView* outputs,
                    int num_outputs) const = 0;
};

using CustomKernelFactory = std::function<std::unique_ptr<CustomKernel>()>;

class CustomOpRegistry {
 public:
  // Registers `name`; a later add() of the same name replaces the earlier one.
  void add(const std::string& name, CustomKernelFactory factory);
  // nullptr when `name` is not registered.
  const CustomKernelFactory* find(const std::string& name) const;

 private:
  std::vector<std::pair<std::string, CustomKernelFactory>> entries_;
};

}  // namespace strix
