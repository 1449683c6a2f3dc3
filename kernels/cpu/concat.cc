// Concat, f32, for the optimized CPU backend (concat.h).
//
// The output is [outer, sum(row_bytes)] (outer: the product of the dims before the axis) and
// input i fills the column block of row_bytes[i] bytes at offset col[i] of every row. The copy
// is split into pieces (row o, input i, byte range) of at most kChunk bytes, spread over the
// threads; when there are too many small pieces (a concat along an inner axis), each task
// copies whole output rows instead.
#include "kernels/cpu/concat.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/cpu/ref/concat.h"

namespace strix::kernels::cpu {
namespace {

constexpr int64_t kChunk = 128 * 1024;
constexpr int64_t kMaxPieces = 4096;

class ConcatKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    auto* y = static_cast<uint8_t*>(args.outputs[0]);
    const int n = static_cast<int>(row_bytes_.size());
    if (use_pieces_) {
      parallel_for(args.pool, static_cast<int64_t>(pieces_.size()), [&](int64_t t, int) {
        const Piece& p = pieces_[t];
        const auto* src = static_cast<const uint8_t*>(args.inputs[p.input]);
        std::memcpy(y + p.row * out_row_ + col_[p.input] + p.begin,
                    src + p.row * row_bytes_[p.input] + p.begin, static_cast<size_t>(p.bytes));
      });
      return;
    }
    parallel_for(args.pool, row_tasks_, [&](int64_t t, int) {
      int64_t o0, o1;
      split_range(outer_, row_tasks_, t, &o0, &o1);
      for (int64_t o = o0; o < o1; ++o)
        for (int i = 0; i < n; ++i)
          if (row_bytes_[i] > 0)
            std::memcpy(y + o * out_row_ + col_[i],
                        static_cast<const uint8_t*>(args.inputs[i]) + o * row_bytes_[i],
                        static_cast<size_t>(row_bytes_[i]));
    });
  }

  struct Piece {
    int64_t row, begin, bytes;
    int input;
  };
  std::vector<int64_t> row_bytes_, col_;
  bool use_pieces_ = true;     // else row_tasks_ ranges of whole rows
  std::vector<Piece> pieces_;  // none for an empty output
  int64_t outer_ = 0, out_row_ = 0, row_tasks_ = 1;
};

}  // namespace

Result<std::unique_ptr<Kernel>> make_concat(const PrepareArgs& args, const IsaKernels& isa) {
  Result<std::unique_ptr<Kernel>> reference = ref::make_concat(args);
  if (!reference.ok()) return reference.status();
  for (const KTensor* t : args.inputs)
    if (t->dtype != DType::kF32) return unsupported(args, "not f32");
  const fb::ConcatOptions* o = args.node->options_as_ConcatOptions();
  const Shape& first = args.inputs[0]->shape;
  int axis = 0;
  STRIX_RETURN_IF_ERROR(normalize_axis(args, o->axis(), first.rank(), &axis));
  auto k = std::make_unique<ConcatKernel>();
  k->outer_ = 1;
  for (int d = 0; d < axis; ++d) k->outer_ *= first[d];
  int64_t inner = 1;
  for (int d = axis + 1; d < first.rank(); ++d) inner *= first[d];
  for (const KTensor* t : args.inputs) {
    k->col_.push_back(k->out_row_);
    k->row_bytes_.push_back(t->shape[axis] * inner * static_cast<int64_t>(sizeof(float)));
    k->out_row_ += k->row_bytes_.back();
  }
  int64_t pieces = 0;
  for (int64_t b : k->row_bytes_) pieces += k->outer_ * ceil_div(b, kChunk);
  if (pieces <= kMaxPieces) {
    for (int64_t r = 0; r < k->outer_; ++r)
      for (size_t i = 0; i < k->row_bytes_.size(); ++i)
        for (int64_t b = 0; b < k->row_bytes_[i]; b += kChunk)
          k->pieces_.push_back({r, b, std::min(kChunk, k->row_bytes_[i] - b), static_cast<int>(i)});
  } else {
    k->use_pieces_ = false;
    k->row_tasks_ = std::min<int64_t>(k->outer_, 16 * std::max(1, args.threads));
  }
  k->name = std::string("concat_f32_") + isa_name(isa.isa);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::cpu
