// Split: outputs().length parts of input 0 along SplitOptions.axis, any dtype.
#include <cstring>
#include <vector>

#include "kernels/cpu/ref/concat.h"
#include "kernels/cpu/ref/movement_util.h"

namespace strix::kernels::ref {

using namespace movement;  // NOLINT: this family's helpers (movement_util.h)

void split_bytes(const void* x, const int64_t* row_bytes, int n, int64_t outer, void* const* y) {
  const auto* src = static_cast<const uint8_t*>(x);
  for (int64_t o = 0; o < outer; ++o) {
    for (int i = 0; i < n; ++i) {
      auto* dst = static_cast<uint8_t*>(y[i]) + o * row_bytes[i];
      std::memcpy(dst, src, static_cast<size_t>(row_bytes[i]));
      src += row_bytes[i];
    }
  }
}

namespace {

class SplitKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    split_bytes(args.inputs[0], row_bytes_.data(), static_cast<int>(row_bytes_.size()), outer_,
                args.outputs);
  }
  std::vector<int64_t> row_bytes_;
  int64_t outer_ = 0;
};

}  // namespace

Result<std::unique_ptr<Kernel>> make_split(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 1, 1, -1));
  int n = static_cast<int>(args.outputs.size());
  if (n == 0) return node_error(args, StatusCode::kCorruptModel, "needs at least one output");
  const fb::SplitOptions* o = args.node->options_as_SplitOptions();
  if (o == nullptr) return node_error(args, StatusCode::kCorruptModel, "needs SplitOptions");
  const KTensor& in = *args.inputs[0];
  int rank = in.shape.rank();
  int axis = 0;
  STRIX_RETURN_IF_ERROR(normalize_axis(args, o->axis(), rank, &axis));
  int64_t dim = in.shape[axis];
  std::vector<int64_t> sizes = to_int64_vector(o->sizes());
  if (sizes.empty()) {
    if (dim % n != 0)
      return node_error(args, StatusCode::kShapeMismatch,
                        "axis %d of size %lld does not split into %d equal parts", axis,
                        static_cast<long long>(dim), n);
    sizes.assign(static_cast<size_t>(n), dim / n);
  } else {
    if (static_cast<int>(sizes.size()) != n)
      return node_error(args, StatusCode::kCorruptModel, "has %zu sizes for %d outputs",
                        sizes.size(), n);
    int64_t sum = 0;
    for (int64_t s : sizes) {
      if (s < 0)
        return node_error(args, StatusCode::kCorruptModel, "split size %lld is negative",
                          static_cast<long long>(s));
      sum += s;
    }
    if (sum != dim)
      return node_error(args, StatusCode::kShapeMismatch,
                        "split sizes add up to %lld but axis %d has size %lld",
                        static_cast<long long>(sum), axis, static_cast<long long>(dim));
  }
  auto k = std::make_unique<SplitKernel>();
  int64_t inner =
      dims_product(in.shape, axis + 1, rank) * static_cast<int64_t>(dtype_size(in.dtype));
  k->outer_ = dims_product(in.shape, 0, axis);
  for (int i = 0; i < n; ++i) {
    STRIX_RETURN_IF_ERROR(expect_same_dtype_output(args, i, in.dtype));
    Shape s = in.shape;
    s[axis] = sizes[i];
    STRIX_RETURN_IF_ERROR(set_output_shape(args, i, s));
    k->row_bytes_.push_back(sizes[i] * inner);
  }
  k->name = "split";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
