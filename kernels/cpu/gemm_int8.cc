// FullyConnected INT8 for the optimized CPU backend (contract: ref/fully_connected.h,
// ref/int8_params.h; leaf routines: isa_int8.h). Output bytes are identical to
// ref::fully_connected_i8.
//
// Y[M, N] = requant(A[M, K] x B[K, N] + offset[N]): the weights B are the vector side of the
// tile routine, packed once at prepare into panels of nr columns [panel][k4][nr][4] (K padded
// to a multiple of 4 with zeros; 128 * column sums and the input zero point folded with the
// bias into offset, int8_common.h). A is packed per run into scratch as row panels
// [panel][k4][mr][4] (activations ^ act_xor, zero-filled). Tasks: (N panel, M chunk).
#include <algorithm>

#include "kernels/cpu/common.h"
#include "kernels/cpu/int8_common.h"
#include "kernels/cpu/ref/fully_connected.h"

namespace strix::kernels::cpu {
namespace {

class FullyConnectedI8Kernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* a = static_cast<const int8_t*>(args.inputs[0]);
    auto* y = static_cast<int8_t*>(args.outputs[0]);
    auto* ap = static_cast<uint8_t*>(args.scratch);
    const int mr = isa_->mr, nr = isa_->nr;
    const uint8_t xr = isa_->act_xor;
    parallel_for(args.pool, m_panels_, [&](int64_t panel, int) {
      uint8_t* dst = ap + panel * k4_ * mr * 4;
      const int64_t m0 = rows_[panel];
      const int rows = rows_[panel + 1] - rows_[panel];
      for (int r = 0; r < mr; ++r) {
        const int8_t* src = a + (m0 + std::min(r, rows - 1)) * k_;
        for (int64_t kk = 0; kk < k4_ * 4; ++kk) {
          const uint8_t v = r < rows && kk < k_ ? static_cast<uint8_t>(src[kk]) ^ xr : 0;
          dst[((kk / 4) * mr + r) * 4 + kk % 4] = v;
        }
      }
    });
    parallel_for(args.pool, n_panels_ * m_chunks_, [&](int64_t task, int) {
      const int64_t mc = task % m_chunks_, np = task / m_chunks_;
      int64_t mp_begin, mp_end;
      split_range(m_panels_, m_chunks_, mc, &mp_begin, &mp_end);
      const int64_t n0 = np * nr;
      Int8TileArgs t;
      t.k4 = static_cast<int>(k4_);
      t.b = packed_.data() + np * k4_ * nr * 4;
      t.b_kstride = static_cast<int64_t>(nr) * 4;
      t.nvalid = static_cast<int>(std::min<int64_t>(nr, n_ - n0));
      t.weights_in_a = false;
      t.rq = ch_.at(n0);
      t.ldc = n_;
      for (int64_t mp = mp_begin; mp < mp_end; ++mp) {
        t.rows = rows_[mp + 1] - rows_[mp];
        t.a = ap + mp * k4_ * mr * 4;
        t.c = y + rows_[mp] * n_ + n0;
        isa_->tile(t);
      }
    });
  }

  const IsaInt8Kernels* isa_ = nullptr;
  Int8Channels ch_;
  std::vector<uint8_t> packed_;  // [n panel][k4][nr][4]
  std::vector<int32_t> rows_;    // row panels of M
  int64_t m_ = 0, n_ = 0, k_ = 0, k4_ = 0;
  int64_t m_panels_ = 0, n_panels_ = 0, m_chunks_ = 1;
};

}  // namespace

Result<std::unique_ptr<Kernel>> make_fully_connected_i8(const PrepareArgs& args,
                                                        const IsaInt8Kernels& isa) {
  // Validation, messages and the output shape: exactly the reference's.
  Result<std::unique_ptr<Kernel>> reference = ref::make_fully_connected(args);
  if (!reference.ok()) return reference.status();
  if (args.inputs[0]->dtype != DType::kI8) return unsupported(args, "not int8");
  const fb::FullyConnectedOptions* o = args.node->options_as_FullyConnectedOptions();
  ref::FullyConnectedParams p;
  p.trans_b = o != nullptr && o->trans_b();
  int64_t kb = 0;
  STRIX_RETURN_IF_ERROR(ref::fully_connected_shapes(args, &p, &kb));
  const bool has_bias = args.inputs.size() > 2 && args.inputs[2] != nullptr;
  ref::QuantParams q;
  STRIX_RETURN_IF_ERROR(ref::int8_quant_params(args, 1, p.trans_b ? 0 : 1, p.n, has_bias ? 2 : -1,
                                               o ? o->activation() : nullptr, &q));
  const auto* w = static_cast<const int8_t*>(args.inputs[1]->constant);
  const auto* bias = has_bias ? static_cast<const int32_t*>(args.inputs[2]->constant) : nullptr;

  auto k = std::make_unique<FullyConnectedI8Kernel>();
  k->isa_ = &isa;
  k->m_ = p.m;
  k->n_ = p.n;
  k->k_ = p.k;
  k->k4_ = ceil_div(p.k, 4);
  const int mr = isa.mr, nr = isa.nr;
  k->n_panels_ = ceil_div(p.n, nr);
  // B[k, j] = trans_b ? w[j * K + k] : w[k * N + j].
  k->packed_.assign(static_cast<size_t>(k->n_panels_ * k->k4_ * nr * 4), 0);
  std::vector<int64_t> wsum(static_cast<size_t>(p.n), 0);
  for (int64_t j = 0; j < p.n; ++j) {
    uint8_t* dst = k->packed_.data() + (j / nr) * k->k4_ * nr * 4 + (j % nr) * 4;
    for (int64_t kk = 0; kk < p.k; ++kk) {
      const int8_t v = p.trans_b ? w[j * p.k + kk] : w[kk * p.n + j];
      wsum[j] += v;
      dst[(kk / 4) * nr * 4 + kk % 4] = static_cast<uint8_t>(v);
    }
  }
  k->ch_.init(q, p.n, k->n_panels_ * nr, bias, wsum, effective_zero_point(isa, q.x_zero_point));
  k->rows_ = split_panels(p.m, mr);
  k->m_panels_ = static_cast<int64_t>(k->rows_.size()) - 1;
  const int threads = std::max(1, args.threads);
  if (threads > 1 && k->n_panels_ < 4 * threads)
    k->m_chunks_ = std::min(k->m_panels_, ceil_div(4 * threads, k->n_panels_));
  k->scratch_bytes = align64(static_cast<size_t>(k->m_panels_ * k->k4_ * mr * 4));
  k->packed_bytes = k->packed_.size() + 4 * k->ch_.offset.size() * 4;
  k->name = std::string("fully_connected_i8_") + isa.name;
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::cpu
