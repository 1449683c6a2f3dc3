#include "kernels/cpu/ref/shape_ops.h"

#include <algorithm>
#include <string>

#include "kernels/cpu/ref/movement_util.h"

namespace strix::kernels::ref {

using namespace movement;  // NOLINT: this family's helpers (movement_util.h)
namespace {

// Output 0 = input 0's bytes. Normally aliased by the planner (is_view); eval copies.
class ViewKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    copy_bytes(args.inputs[0], args.outputs[0], bytes_);
  }
  size_t bytes_ = 0;
};

// Common checks of the four ops: one input, one output of the same dtype.
Status check_view_node(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 1, 1, 1));
  return expect_same_dtype_output(args, 0, args.inputs[0]->dtype);
}

Result<std::unique_ptr<Kernel>> finish_view(const PrepareArgs& args, const Shape& out,
                                            const char* name) {
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, out));
  auto k = std::make_unique<ViewKernel>();
  const KTensor& in = *args.inputs[0];
  k->bytes_ = static_cast<size_t>(in.shape.num_elements()) * dtype_size(in.dtype);
  k->name = name;
  k->is_view = true;
  k->supports_in_place = true;
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace

bool reshape_shape(const Shape& in, const std::vector<int64_t>& spec, Shape* out,
                   std::string* error) {
  if (static_cast<int>(spec.size()) > Shape::kMaxRank) {
    *error = "shape has " + std::to_string(spec.size()) + " dims, at most " +
             std::to_string(Shape::kMaxRank) + " are supported";
    return false;
  }
  Shape s;
  int inferred = -1;
  int64_t known = 1;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == 0) {
      if (static_cast<int>(i) >= in.rank()) {
        *error = "shape[" + std::to_string(i) + "] is 0 (copy) but the input has rank " +
                 std::to_string(in.rank());
        return false;
      }
      d = in[static_cast<int>(i)];
    } else if (d == -1) {
      if (inferred >= 0) {
        *error = "shape has more than one -1";
        return false;
      }
      inferred = static_cast<int>(i);
      s.push_back(1);
      continue;
    } else if (d < 0) {
      *error = "shape[" + std::to_string(i) + "] is " + std::to_string(d);
      return false;
    }
    s.push_back(d);
    known *= d;
  }
  int64_t total = in.num_elements();
  if (inferred >= 0) {
    if (known == 0 || total % known != 0) {
      *error = "cannot infer the -1 dimension: " + std::to_string(total) +
               " elements do not divide by " + std::to_string(known);
      return false;
    }
    s[inferred] = total / known;
  } else if (known != total) {
    *error = "the input " + in.to_string() + " has " + std::to_string(total) +
             " elements, the new shape " + s.to_string() + " has " + std::to_string(known);
    return false;
  }
  *out = s;
  return true;
}

Result<std::unique_ptr<Kernel>> make_reshape(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(check_view_node(args));
  const fb::ReshapeOptions* o = args.node->options_as_ReshapeOptions();
  if (o == nullptr || o->shape() == nullptr)
    return node_error(args, StatusCode::kCorruptModel, "needs ReshapeOptions with a shape");
  Shape out;
  std::string error;
  if (!reshape_shape(args.inputs[0]->shape, to_int64_vector(o->shape()), &out, &error))
    return node_error(args, StatusCode::kShapeMismatch, "%s", error.c_str());
  return finish_view(args, out, "reshape");
}

// ONNX Flatten: [prod(dims[:axis]), prod(dims[axis:])], axis in [-rank, rank].
Result<std::unique_ptr<Kernel>> make_flatten(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(check_view_node(args));
  const fb::FlattenOptions* o = args.node->options_as_FlattenOptions();
  const Shape& in = args.inputs[0]->shape;
  int64_t axis = o != nullptr ? o->axis() : 1;
  if (axis < 0) axis += in.rank();
  if (axis < 0 || axis > in.rank())
    return node_error(args, StatusCode::kCorruptModel, "axis %d is out of range for rank %d",
                      o != nullptr ? o->axis() : 1, in.rank());
  int a = static_cast<int>(axis);
  return finish_view(args, Shape{dims_product(in, 0, a), dims_product(in, a, in.rank())},
                     "flatten");
}

// Squeeze: removes the listed size-1 dims, or every size-1 dim when axes is empty.
Result<std::unique_ptr<Kernel>> make_squeeze(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(check_view_node(args));
  const fb::AxesOptions* o = args.node->options_as_AxesOptions();
  const Shape& in = args.inputs[0]->shape;
  bool remove[Shape::kMaxRank] = {};
  if (o == nullptr || o->axes() == nullptr || o->axes()->size() == 0) {
    for (int d = 0; d < in.rank(); ++d) remove[d] = in[d] == 1;
  } else {
    for (int32_t axis : *o->axes()) {
      int a = 0;
      STRIX_RETURN_IF_ERROR(normalize_axis(args, axis, in.rank(), &a));
      if (remove[a])
        return node_error(args, StatusCode::kCorruptModel, "axis %d is listed twice", axis);
      if (in[a] != 1)
        return node_error(args, StatusCode::kShapeMismatch,
                          "cannot squeeze axis %d of %s: its size is %lld, not 1", axis,
                          in.to_string().c_str(), static_cast<long long>(in[a]));
      remove[a] = true;
    }
  }
  Shape out;
  for (int d = 0; d < in.rank(); ++d)
    if (!remove[d]) out.push_back(in[d]);
  return finish_view(args, out, "squeeze");
}

// Unsqueeze: inserts size-1 dims at `axes`, which index the OUTPUT (rank + len(axes)).
Result<std::unique_ptr<Kernel>> make_unsqueeze(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(check_view_node(args));
  const fb::AxesOptions* o = args.node->options_as_AxesOptions();
  if (o == nullptr || o->axes() == nullptr || o->axes()->size() == 0)
    return node_error(args, StatusCode::kCorruptModel, "needs AxesOptions with at least one axis");
  const Shape& in = args.inputs[0]->shape;
  int out_rank = in.rank() + static_cast<int>(o->axes()->size());
  if (out_rank > Shape::kMaxRank)
    return node_error(args, StatusCode::kUnsupported, "output rank %d exceeds the maximum %d",
                      out_rank, Shape::kMaxRank);
  bool insert[Shape::kMaxRank] = {};
  for (int32_t axis : *o->axes()) {
    int a = 0;
    STRIX_RETURN_IF_ERROR(normalize_axis(args, axis, out_rank, &a));
    if (insert[a])
      return node_error(args, StatusCode::kCorruptModel, "axis %d is listed twice", axis);
    insert[a] = true;
  }
  Shape out;
  int next = 0;
  for (int d = 0; d < out_rank; ++d) out.push_back(insert[d] ? 1 : in[next++]);
  return finish_view(args, out, "unsqueeze");
}

}  // namespace strix::kernels::ref
