// Slice (ONNX opset 13): starts/ends/axes/steps from SliceOptions, any dtype.
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/cpu/ref/movement_util.h"
#include "kernels/cpu/ref/slice_gather.h"

namespace strix::kernels::ref {

using namespace movement;  // NOLINT: this family's helpers (movement_util.h)

int64_t slice_axis(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t* first) {
  *first = 0;
  if (dim <= 0) return 0;
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = start < 0 ? 0 : (start > dim ? dim : start);
    end = end < 0 ? 0 : (end > dim ? dim : end);
    *first = start;
    return end > start ? 1 + (end - start - 1) / step : 0;
  }
  start = start < 0 ? 0 : (start > dim - 1 ? dim - 1 : start);
  end = end < -1 ? -1 : (end > dim - 1 ? dim - 1 : end);
  *first = start;
  int64_t magnitude =
      step == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -step;
  return start > end ? 1 + (start - end - 1) / magnitude : 0;
}

void slice_bytes(const void* x, const Shape& in_shape, const int64_t* first, const int64_t* step,
                 const Shape& out_shape, size_t elem_size, void* y) {
  int rank = in_shape.rank();
  int64_t in_strides[Shape::kMaxRank];
  row_major_strides(in_shape, in_strides);
  int64_t index[Shape::kMaxRank] = {};
  int64_t n = out_shape.num_elements();
  const auto* src = static_cast<const uint8_t*>(x);
  auto* dst = static_cast<uint8_t*>(y);
  for (int64_t e = 0; e < n; ++e) {
    int64_t offset = 0;
    for (int d = 0; d < rank; ++d) offset += (first[d] + index[d] * step[d]) * in_strides[d];
    std::memcpy(dst + e * elem_size, src + offset * static_cast<int64_t>(elem_size), elem_size);
    for (int d = rank - 1; d >= 0; --d) {
      if (++index[d] < out_shape[d]) break;
      index[d] = 0;
    }
  }
}

namespace {

class SliceKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    slice_bytes(args.inputs[0], in_shape_, first_, step_, out_shape_, elem_size_, args.outputs[0]);
  }
  Shape in_shape_, out_shape_;
  int64_t first_[Shape::kMaxRank] = {};
  int64_t step_[Shape::kMaxRank] = {};
  size_t elem_size_ = 0;
};

}  // namespace

Result<std::unique_ptr<Kernel>> make_slice(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 1, 1, 1));
  const fb::SliceOptions* o = args.node->options_as_SliceOptions();
  if (o == nullptr) return node_error(args, StatusCode::kCorruptModel, "needs SliceOptions");
  const KTensor& in = *args.inputs[0];
  STRIX_RETURN_IF_ERROR(expect_same_dtype_output(args, 0, in.dtype));
  int rank = in.shape.rank();
  std::vector<int64_t> starts = to_int64_vector(o->starts());
  std::vector<int64_t> ends = to_int64_vector(o->ends());
  std::vector<int64_t> axes = to_int64_vector(o->axes());
  std::vector<int64_t> steps = to_int64_vector(o->steps());
  size_t n = starts.size();
  if (ends.size() != n)
    return node_error(args, StatusCode::kCorruptModel, "has %zu starts but %zu ends", n,
                      ends.size());
  if (n > static_cast<size_t>(rank))
    return node_error(args, StatusCode::kCorruptModel, "has %zu starts for an input of rank %d", n,
                      rank);
  if (!axes.empty() && axes.size() != n)
    return node_error(args, StatusCode::kCorruptModel, "has %zu axes for %zu starts", axes.size(),
                      n);
  if (!steps.empty() && steps.size() != n)
    return node_error(args, StatusCode::kCorruptModel, "has %zu steps for %zu starts", steps.size(),
                      n);

  auto k = std::make_unique<SliceKernel>();
  Shape out = in.shape;
  bool seen[Shape::kMaxRank] = {};
  for (int d = 0; d < rank; ++d) k->step_[d] = 1;  // untouched axes: whole range
  for (size_t i = 0; i < n; ++i) {
    int axis = static_cast<int>(i);
    if (!axes.empty()) STRIX_RETURN_IF_ERROR(normalize_axis(args, axes[i], rank, &axis));
    if (seen[axis])
      return node_error(args, StatusCode::kCorruptModel, "axis %d is sliced twice", axis);
    seen[axis] = true;
    int64_t step = steps.empty() ? 1 : steps[i];
    if (step == 0) return node_error(args, StatusCode::kCorruptModel, "step of axis %d is 0", axis);
    out[axis] = slice_axis(in.shape[axis], starts[i], ends[i], step, &k->first_[axis]);
    k->step_[axis] = step;
  }
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, out));
  k->in_shape_ = in.shape;
  k->out_shape_ = out;
  k->elem_size_ = dtype_size(in.dtype);
  k->name = "slice";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
