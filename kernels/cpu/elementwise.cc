// Elementwise f32 ops of the optimized CPU backend.
//
// Unary: Relu, Clip, LeakyRelu, HardSigmoid, HardSwish, Sigmoid, SiLU in vector registers
//   (Sigmoid/SiLU through a polynomial exp of about 1 ulp); other activations: kUnsupported.
// Binary Add, Sub, Mul, Div (+ fused activation) with numpy broadcasting: the reference's
//   broadcast plan is collapsed (adjacent dims merged where both inputs stay contiguous)
//   into rows x inner, where each input either walks the inner dim or repeats one value;
//   an input that is strided in the inner dim (a transpose-like broadcast): kUnsupported.
// Work is split into chunks of >= kChunk elements over the thread pool.
#include <algorithm>

#include "kernels/cpu/common.h"
#include "kernels/cpu/ref/binary.h"
#include "kernels/cpu/ref/unary.h"

namespace strix::kernels::cpu {
namespace {

constexpr int64_t kChunk = 16384;

int64_t chunks_for(int64_t n, int threads) {
  if (threads <= 1 || n < 2 * kChunk) return 1;
  return std::min<int64_t>(ceil_div(n, kChunk), 4 * threads);
}

class UnaryKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    parallel_for(args.pool, chunks_, [&](int64_t t, int) {
      int64_t begin, end;
      split_range(n_, chunks_, t, &begin, &end);
      isa_->activation(act_.act, x + begin, y + begin, end - begin);
    });
  }
  const IsaKernels* isa_ = nullptr;
  FusedAct act_;
  int64_t n_ = 0, chunks_ = 1;
};

// rows x inner; row r of input a starts at a_row[r] = sum over outer dims of index * stride.
class BinaryKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* a = static_cast<const float*>(args.inputs[0]);
    const auto* b = static_cast<const float*>(args.inputs[1]);
    auto* y = static_cast<float*>(args.outputs[0]);
    if (rows_ == 1) {
      parallel_for(args.pool, chunks_, [&](int64_t t, int) {
        int64_t begin, end;
        split_range(inner_, chunks_, t, &begin, &end);
        isa_->binary(op_, a + begin * a_step_, a_step_, b + begin * b_step_, b_step_, y + begin,
                     end - begin, act_.act);
      });
      return;
    }
    parallel_for(args.pool, chunks_, [&](int64_t t, int) {
      int64_t begin, end;
      split_range(rows_, chunks_, t, &begin, &end);
      // Odometer over the outer dims, started at row `begin`.
      int64_t idx[Shape::kMaxRank] = {0};
      int64_t ao = 0, bo = 0, rest = begin;
      for (int d = outer_rank_ - 1; d >= 0; --d) {
        idx[d] = rest % dims_[d];
        rest /= dims_[d];
        ao += idx[d] * a_strides_[d];
        bo += idx[d] * b_strides_[d];
      }
      for (int64_t r = begin; r < end; ++r) {
        isa_->binary(op_, a + ao, a_step_, b + bo, b_step_, y + r * inner_, inner_, act_.act);
        for (int d = outer_rank_ - 1; d >= 0; --d) {
          ao += a_strides_[d];
          bo += b_strides_[d];
          if (++idx[d] < dims_[d]) break;
          ao -= a_strides_[d] * dims_[d];
          bo -= b_strides_[d] * dims_[d];
          idx[d] = 0;
        }
      }
    });
  }
  const IsaKernels* isa_ = nullptr;
  FusedAct act_;
  int op_ = 0;
  int outer_rank_ = 0;
  int64_t dims_[Shape::kMaxRank] = {};
  int64_t a_strides_[Shape::kMaxRank] = {};
  int64_t b_strides_[Shape::kMaxRank] = {};
  int64_t rows_ = 1, inner_ = 0, chunks_ = 1;
  int a_step_ = 1, b_step_ = 1;
};

bool all_f32(const PrepareArgs& args) {
  for (const KTensor* t : args.inputs)
    if (t != nullptr && t->dtype != DType::kF32) return false;
  for (const KTensor* t : args.outputs)
    if (t->dtype != DType::kF32) return false;
  return true;
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_unary(const PrepareArgs& args, const IsaKernels& isa) {
  Result<std::unique_ptr<Kernel>> reference = ref::make_unary(args);
  if (!reference.ok()) return reference.status();
  if (!all_f32(args)) return unsupported(args, "not f32");
  auto k = std::make_unique<UnaryKernel>();
  // The reference kernel resolved the op's activation; rebuild it the same way.
  ref::ActivationParams p;
  switch (args.node->op()) {
    case fb::OpType::Relu: p.kind = fb::ActivationKind::Relu; break;
    case fb::OpType::Clip: p.kind = fb::ActivationKind::Clip; break;
    case fb::OpType::LeakyRelu: p.kind = fb::ActivationKind::LeakyRelu; break;
    case fb::OpType::HardSigmoid: p.kind = fb::ActivationKind::HardSigmoid; break;
    case fb::OpType::HardSwish: p.kind = fb::ActivationKind::HardSwish; break;
    case fb::OpType::Sigmoid: p.kind = fb::ActivationKind::Sigmoid; break;
    case fb::OpType::SiLU: p.kind = fb::ActivationKind::SiLU; break;
    default: return unsupported(args, "activation without a vector form");
  }
  if (const fb::UnaryOptions* o = args.node->options_as_UnaryOptions()) {
    p.alpha = o->alpha();
    p.beta = o->beta();
  }
  k->act_.init(p);
  k->isa_ = &isa;
  k->n_ = args.inputs[0]->shape.num_elements();
  k->chunks_ = chunks_for(k->n_, args.threads);
  k->supports_in_place = true;
  k->name = std::string("unary_f32_") + isa_name(isa.isa);
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_binary(const PrepareArgs& args, const IsaKernels& isa) {
  Result<std::unique_ptr<Kernel>> reference = ref::make_binary(args);
  if (!reference.ok()) return reference.status();
  if (!all_f32(args)) return unsupported(args, "not f32");
  auto k = std::make_unique<BinaryKernel>();
  switch (args.node->op()) {
    case fb::OpType::Add: k->op_ = 0; break;
    case fb::OpType::Sub: k->op_ = 1; break;
    case fb::OpType::Mul: k->op_ = 2; break;
    case fb::OpType::Div: k->op_ = 3; break;
    default: return unsupported(args, "binary op without a vector form");
  }
  const Shape& a = args.inputs[0]->shape;
  const Shape& b = args.inputs[1]->shape;
  const Shape& out = args.outputs[0]->shape;  // set by the reference factory
  ref::BroadcastPlan plan = ref::make_broadcast_plan(a, b, out);
  // Merge dim d into d + 1 where both inputs are contiguous across the pair.
  int64_t dims[Shape::kMaxRank], as[Shape::kMaxRank], bs[Shape::kMaxRank];
  int rank = 0;
  for (int d = 0; d < plan.rank; ++d) {
    if (plan.dims[d] == 1) continue;  // size-1 dims carry nothing
    if (rank > 0 && as[rank - 1] == plan.a_strides[d] * plan.dims[d] &&
        bs[rank - 1] == plan.b_strides[d] * plan.dims[d]) {
      dims[rank - 1] *= plan.dims[d];
      as[rank - 1] = plan.a_strides[d];
      bs[rank - 1] = plan.b_strides[d];
      continue;
    }
    dims[rank] = plan.dims[d];
    as[rank] = plan.a_strides[d];
    bs[rank] = plan.b_strides[d];
    ++rank;
  }
  if (rank == 0) {  // a single element
    dims[0] = 1;
    as[0] = bs[0] = 0;
    rank = 1;
  }
  if (as[rank - 1] > 1 || bs[rank - 1] > 1)
    return unsupported(args, "an input is strided in the innermost dimension");
  k->isa_ = &isa;
  k->a_step_ = static_cast<int>(as[rank - 1]);
  k->b_step_ = static_cast<int>(bs[rank - 1]);
  k->inner_ = dims[rank - 1];
  k->outer_rank_ = rank - 1;
  k->rows_ = 1;
  for (int d = 0; d < rank - 1; ++d) {
    k->dims_[d] = dims[d];
    k->a_strides_[d] = as[d];
    k->b_strides_[d] = bs[d];
    k->rows_ *= dims[d];
  }
  const fb::BinaryOptions* o = args.node->options_as_BinaryOptions();
  k->act_.init(ref::activation_params(o != nullptr ? o->activation() : nullptr));
  const int64_t total = k->rows_ * k->inner_;
  const int64_t chunks = chunks_for(total, args.threads);
  k->chunks_ = k->rows_ == 1 ? chunks : std::min(chunks, k->rows_);
  k->supports_in_place = out == a;
  k->name = std::string("binary_f32_") + isa_name(isa.isa);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::cpu
