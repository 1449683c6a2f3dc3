#include "kernels/cpu/ref/custom.h"

#include <string>
#include <vector>

namespace strix::kernels::ref {
namespace {

// TensorViews are built on the stack in eval (no allocation), so the counts are bounded.
constexpr int kMaxTensors = 32;

class CustomOpKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    TensorView in[kMaxTensors];
    TensorView out[kMaxTensors];
    for (size_t i = 0; i < in_dtypes_.size(); ++i) {
      in[i].data = const_cast<void*>(args.inputs[i]);
      in[i].dtype = in_dtypes_[i];
      in[i].shape = in_shapes_[i];
    }
    for (size_t i = 0; i < out_dtypes_.size(); ++i) {
      out[i].data = args.outputs[i];
      out[i].dtype = out_dtypes_[i];
      out[i].shape = out_shapes_[i];
    }
    user_->eval(in, static_cast<int>(in_dtypes_.size()), out, static_cast<int>(out_dtypes_.size()));
  }

  std::unique_ptr<CustomKernel> user_;
  std::vector<DType> in_dtypes_, out_dtypes_;
  std::vector<Shape> in_shapes_, out_shapes_;
};

TensorInfo info_of(const KTensor* t) {
  TensorInfo info;
  if (t == nullptr) return info;  // an omitted optional input: empty name, rank 0
  info.name = t->name;
  info.dtype = t->dtype;
  info.shape = t->shape;
  if (t->quant != nullptr) info.quantization = *t->quant;
  return info;
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_custom(const PrepareArgs& args) {
  const fb::CustomOptions* o = args.node->options_as_CustomOptions();
  if (o == nullptr || o->name() == nullptr)
    return node_error(args, StatusCode::kCorruptModel, "needs CustomOptions with a name");
  std::string name = o->name()->str();
  const CustomKernelFactory* factory =
      args.custom_ops != nullptr ? args.custom_ops->find(name) : nullptr;
  if (factory == nullptr || !*factory)
    return node_error(args, StatusCode::kNotFound,
                      "custom op '%s' is not registered (register it in a CustomOpRegistry "
                      "passed as EngineOptions::custom_ops)",
                      name.c_str());
  int n_in = static_cast<int>(args.inputs.size());
  int n_out = static_cast<int>(args.outputs.size());
  if (n_in > kMaxTensors || n_out > kMaxTensors)
    return node_error(args, StatusCode::kUnsupported,
                      "custom op '%s' has %d inputs and %d outputs, at most %d each are supported",
                      name.c_str(), n_in, n_out, kMaxTensors);

  auto k = std::make_unique<CustomOpKernel>();
  k->user_ = (*factory)();
  if (k->user_ == nullptr)
    return node_error(args, StatusCode::kInvalidArgument,
                      "the factory of custom op '%s' returned no kernel", name.c_str());
  std::vector<TensorInfo> inputs, outputs;
  for (const KTensor* t : args.inputs) inputs.push_back(info_of(t));
  for (const KTensor* t : args.outputs) outputs.push_back(info_of(t));
  const uint8_t* data = o->data() != nullptr ? o->data()->data() : nullptr;
  size_t size = o->data() != nullptr ? o->data()->size() : 0;
  Status status = k->user_->prepare(inputs, outputs, data, size);
  if (!status.ok())
    return node_error(args, status.code(), "custom op '%s': %s", name.c_str(),
                      status.message().c_str());
  if (static_cast<int>(outputs.size()) != n_out)
    return node_error(args, StatusCode::kInvalidArgument,
                      "custom op '%s' prepare() left %zu outputs, the node has %d", name.c_str(),
                      outputs.size(), n_out);
  for (int i = 0; i < n_out; ++i) {
    if (outputs[i].dtype != args.outputs[i]->dtype)
      return node_error(args, StatusCode::kInvalidArgument,
                        "custom op '%s' prepare() changed output %d from %s to %s", name.c_str(), i,
                        dtype_name(args.outputs[i]->dtype), dtype_name(outputs[i].dtype));
    STRIX_RETURN_IF_ERROR(set_output_shape(args, i, outputs[i].shape));
  }
  for (const KTensor* t : args.inputs) {
    k->in_dtypes_.push_back(t != nullptr ? t->dtype : DType::kF32);
    k->in_shapes_.push_back(t != nullptr ? t->shape : Shape());
  }
  for (const KTensor* t : args.outputs) {
    k->out_dtypes_.push_back(t->dtype);
    k->out_shapes_.push_back(t->shape);
  }
  k->name = "custom:" + name;
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
