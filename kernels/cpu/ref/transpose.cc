// Transpose: TransposeOptions.perm (empty = reverse the dims), any dtype.
#include <cstring>

#include "kernels/cpu/ref/movement_util.h"
#include "kernels/cpu/ref/transpose_pad.h"

namespace strix::kernels::ref {

using namespace movement;  // NOLINT: this family's helpers (movement_util.h)

void transpose_bytes(const void* x, const Shape& in_shape, const int* perm, size_t elem_size,
                     void* y) {
  int rank = in_shape.rank();
  int64_t in_strides[Shape::kMaxRank];
  row_major_strides(in_shape, in_strides);
  Shape out_shape;
  int64_t stride[Shape::kMaxRank];  // input stride of each output dim
  for (int d = 0; d < rank; ++d) {
    out_shape.push_back(in_shape[perm[d]]);
    stride[d] = in_strides[perm[d]];
  }
  int64_t index[Shape::kMaxRank] = {};
  int64_t n = in_shape.num_elements();
  const auto* src = static_cast<const uint8_t*>(x);
  auto* dst = static_cast<uint8_t*>(y);
  for (int64_t e = 0; e < n; ++e) {
    int64_t offset = 0;
    for (int d = 0; d < rank; ++d) offset += index[d] * stride[d];
    std::memcpy(dst + e * elem_size, src + offset * static_cast<int64_t>(elem_size), elem_size);
    for (int d = rank - 1; d >= 0; --d) {
      if (++index[d] < out_shape[d]) break;
      index[d] = 0;
    }
  }
}

namespace {

class TransposeKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    transpose_bytes(args.inputs[0], in_shape_, perm_, elem_size_, args.outputs[0]);
  }
  Shape in_shape_;
  int perm_[Shape::kMaxRank] = {};
  size_t elem_size_ = 0;
};

}  // namespace

Result<std::unique_ptr<Kernel>> make_transpose(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 1, 1, 1));
  const KTensor& in = *args.inputs[0];
  STRIX_RETURN_IF_ERROR(expect_same_dtype_output(args, 0, in.dtype));
  int rank = in.shape.rank();
  auto k = std::make_unique<TransposeKernel>();
  const fb::TransposeOptions* o = args.node->options_as_TransposeOptions();
  if (o == nullptr || o->perm() == nullptr || o->perm()->size() == 0) {
    for (int d = 0; d < rank; ++d) k->perm_[d] = rank - 1 - d;
  } else {
    if (static_cast<int>(o->perm()->size()) != rank)
      return node_error(args, StatusCode::kCorruptModel, "perm has %u entries for rank %d",
                        o->perm()->size(), rank);
    bool used[Shape::kMaxRank] = {};
    for (int d = 0; d < rank; ++d) {
      int p = o->perm()->Get(d);
      if (p < 0 || p >= rank || used[p])
        return node_error(args, StatusCode::kCorruptModel,
                          "perm is not a permutation of 0..%d (entry %d is %d)", rank - 1, d, p);
      used[p] = true;
      k->perm_[d] = p;
    }
  }
  Shape out;
  for (int d = 0; d < rank; ++d) out.push_back(in.shape[k->perm_[d]]);
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, out));
  k->in_shape_ = in.shape;
  k->elem_size_ = dtype_size(in.dtype);
  k->name = "transpose";
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
