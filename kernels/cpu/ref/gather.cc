// Gather: data (any dtype) and i32 indices; output = data[:axis] + indices + data[axis+1:].
#include <cstring>

#include "kernels/cpu/ref/movement_util.h"
#include "kernels/cpu/ref/slice_gather.h"

namespace strix::kernels::ref {

using namespace movement;  // NOLINT: this family's helpers (movement_util.h)

void gather_bytes(const void* data, int64_t outer, int64_t axis_dim, int64_t inner_bytes,
                  const int32_t* indices, int64_t n_indices, void* y) {
  const auto* src = static_cast<const uint8_t*>(data);
  auto* dst = static_cast<uint8_t*>(y);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < n_indices; ++j) {
      int64_t index = indices[j];
      if (index < 0) index += axis_dim;
      // Run-time indices out of range are clamped (constant ones were rejected at prepare).
      index = index < 0 ? 0 : (index >= axis_dim ? axis_dim - 1 : index);
      std::memcpy(dst, src + (o * axis_dim + index) * inner_bytes,
                  static_cast<size_t>(inner_bytes));
      dst += inner_bytes;
    }
  }
}

namespace {

class GatherKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    gather_bytes(args.inputs[0], outer_, axis_dim_, inner_bytes_,
                 static_cast<const int32_t*>(args.inputs[1]), n_indices_, args.outputs[0]);
  }
  int64_t outer_ = 0, axis_dim_ = 0, inner_bytes_ = 0, n_indices_ = 0;
};

}  // namespace

Result<std::unique_ptr<Kernel>> make_gather(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 2, 2, 1));
  STRIX_RETURN_IF_ERROR(expect_input(args, 1, DType::kI32));
  const KTensor& data = *args.inputs[0];
  const KTensor& indices = *args.inputs[1];
  STRIX_RETURN_IF_ERROR(expect_same_dtype_output(args, 0, data.dtype));
  const fb::GatherOptions* o = args.node->options_as_GatherOptions();
  int rank = data.shape.rank();
  if (rank == 0) return node_error(args, StatusCode::kShapeMismatch, "cannot gather from a scalar");
  int axis = 0;
  STRIX_RETURN_IF_ERROR(normalize_axis(args, o != nullptr ? o->axis() : 0, rank, &axis));
  int out_rank = rank - 1 + indices.shape.rank();
  if (out_rank > Shape::kMaxRank)
    return node_error(args, StatusCode::kUnsupported, "output rank %d exceeds the maximum %d",
                      out_rank, Shape::kMaxRank);
  int64_t dim = data.shape[axis];
  int64_t n_indices = indices.shape.num_elements();
  if (dim == 0 && n_indices > 0)
    return node_error(args, StatusCode::kShapeMismatch, "gathers from axis %d of size 0", axis);
  if (indices.constant != nullptr) {
    const auto* idx = static_cast<const int32_t*>(indices.constant);
    for (int64_t j = 0; j < n_indices; ++j) {
      if (idx[j] < -dim || idx[j] >= dim)
        return node_error(args, StatusCode::kCorruptModel,
                          "index %d (position %lld of '%s') is out of range for axis %d of size "
                          "%lld",
                          idx[j], static_cast<long long>(j), indices.name.c_str(), axis,
                          static_cast<long long>(dim));
    }
  }
  Shape out;
  for (int d = 0; d < axis; ++d) out.push_back(data.shape[d]);
  for (int64_t d : indices.shape) out.push_back(d);
  for (int d = axis + 1; d < rank; ++d) out.push_back(data.shape[d]);
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, out));

  auto k = std::make_unique<GatherKernel>();
  k->outer_ = dims_product(data.shape, 0, axis);
  k->axis_dim_ = dim;
  k->inner_bytes_ =
      dims_product(data.shape, axis + 1, rank) * static_cast<int64_t>(dtype_size(data.dtype));
  k->n_indices_ = n_indices;
  k->name = "gather";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
