// FullyConnected (Gemm) and MatMul with a constant 2-D B, f32, for the optimized CPU backend.
//
// Y[M, N] = act(A[M, K] x (alpha * B)[K, N] + beta * C). Here the weights are the vector
// side of the micro-kernel: B is packed once at prepare into panels of isa.nr columns
// ([panel][K][nr], alpha folded in), and A is packed per run into scratch in panels of isa.mr
// rows. beta * C, when C is constant and the same for every row ([N], [1, N], [1], [1, 1]),
// is a column bias added in the epilogue. Tasks: N panels (and M chunks when M is large).
// MatMul: A [..., M, K] flattened to rows, B [K, N] constant, no bias.
// Anything else (runtime B, per-row C, runtime C, 1-D MatMul operands): kUnsupported.
#include <algorithm>

#include "kernels/cpu/common.h"
#include "kernels/cpu/ref/fully_connected.h"
#include "kernels/cpu/ref/matmul.h"

namespace strix::kernels::cpu {
namespace {

constexpr int64_t kKc = 512;
// Read-ahead of B in k steps when M == 1 (GemmPanelArgs::b_ahead).
constexpr int kGemvAhead = 48;

class GemmKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* a = static_cast<const float*>(args.inputs[0]);
    auto* y = static_cast<float*>(args.outputs[0]);
    auto* ap = static_cast<float*>(args.scratch);
    const int mr = isa_->mr;
    // Pack op(A) into row panels (isa.h).
    parallel_for(args.pool, m_panels_, [&](int64_t panel, int) {
      float* dst = ap + panel * mr * k_;
      const int64_t m0 = rows_[panel];
      const int rows = rows_[panel + 1] - rows_[panel];
      if (!trans_a_) {
        for (int r = 0; r < rows; ++r) {
          const float* src = a + (m0 + r) * k_;
          for (int64_t kk = 0; kk < k_; ++kk) dst[kk * mr + r] = src[kk];
        }
      } else {
        for (int64_t kk = 0; kk < k_; ++kk) {
          const float* src = a + kk * m_ + m0;
          for (int r = 0; r < rows; ++r) dst[kk * mr + r] = src[r];
        }
      }
      for (int r = rows; r < mr; ++r)
        for (int64_t kk = 0; kk < k_; ++kk) dst[kk * mr + r] = 0.f;
    });
    parallel_for(args.pool, n_panels_ * m_chunks_, [&](int64_t task, int) {
      const int64_t mc = task % m_chunks_, np = task / m_chunks_;
      int64_t mp_begin, mp_end;
      split_range(m_panels_, m_chunks_, mc, &mp_begin, &mp_end);
      const int64_t n0 = np * isa_->nr;
      GemmPanelArgs g;
      g.p0 = mp_begin;
      g.p1 = mp_end;
      g.rows = rows_.data();
      g.a_panel_stride = mr * k_;
      g.c = y + n0;
      g.ldc = n_;
      g.nvalid = static_cast<int>(std::min<int64_t>(isa_->nr, n_ - n0));
      g.col_bias = has_bias_ ? bias_.data + n0 : nullptr;
      // One row (batch 1): B, the weights, streams from memory with only one FMA per element
      // per k step; read 48 k steps ahead (measured: FC 1280 -> 1000 in MobileNetV3 0.22 ->
      // 0.18 ms, ResNet-50's 2048 -> 1000 0.83 -> 0.67 ms; at batch 8 it did not help).
      g.b_ahead = m_ == 1 ? kGemvAhead * isa_->nr : 0;
      const float* bpanel = packed_.data + np * k_ * isa_->nr;
      for (int64_t k0 = 0; k0 < k_; k0 += kc_) {
        g.kc = static_cast<int>(std::min(kc_, k_ - k0));
        g.a = ap + k0 * mr;
        g.b = bpanel + k0 * isa_->nr;
        g.first = k0 == 0;
        g.act = k0 + g.kc == k_ ? act_.epilogue() : nullptr;
        isa_->gemm_panel(g);
      }
    });
  }

  const IsaKernels* isa_ = nullptr;
  FusedAct act_;
  bool trans_a_ = false, has_bias_ = false;
  AlignedFloats packed_, bias_;
  std::vector<int32_t> rows_;  // row panels of M
  int64_t m_ = 0, n_ = 0, k_ = 0, kc_ = 0;
  int64_t m_panels_ = 0, n_panels_ = 0, m_chunks_ = 1;
};

// Packs B (b[k * ldk + n * ldn] is B[k, n]) scaled by alpha and sizes the kernel.
Status finish(const PrepareArgs& args, const IsaKernels& isa, GemmKernel* k, const float* b,
              int64_t ldk, int64_t ldn, float alpha) {
  const int nr = isa.nr;
  k->n_panels_ = ceil_div(k->n_, nr);
  if (!k->packed_.allocate(static_cast<size_t>(k->n_panels_ * k->k_ * nr)))
    return node_error(args, StatusCode::kOutOfMemory, "cannot allocate packed weights");
  for (int64_t n = 0; n < k->n_; ++n) {
    float* dst = k->packed_.data + (n / nr) * k->k_ * nr + n % nr;
    for (int64_t kk = 0; kk < k->k_; ++kk) dst[kk * nr] = alpha * b[kk * ldk + n * ldn];
  }
  k->packed_bytes = k->packed_.bytes() + k->bias_.bytes();
  k->rows_ = split_panels(k->m_, isa.mr);
  k->m_panels_ = static_cast<int64_t>(k->rows_.size()) - 1;
  // The same K blocking at every batch size: each output row is then computed by the same
  // sequence of operations whatever M is, so a batch of N items gives bit-identical results
  // to N runs of one item (calibration relies on it: converter/quant/calibrate.h).
  k->kc_ = ceil_div(k->k_, ceil_div(k->k_, kKc));
  const int threads = std::max(1, args.threads);
  if (threads > 1 && k->n_panels_ < 4 * threads)
    k->m_chunks_ = std::min(k->m_panels_, ceil_div(4 * threads, k->n_panels_));
  k->scratch_bytes = align64(static_cast<size_t>(k->m_panels_ * isa.mr * k->k_) * sizeof(float));
  k->isa_ = &isa;
  return Status();
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_fully_connected(const PrepareArgs& args,
                                                     const IsaKernels& isa) {
  Result<std::unique_ptr<Kernel>> reference = ref::make_fully_connected(args);
  if (!reference.ok()) return reference.status();
  if (args.inputs[0]->dtype != DType::kF32) return unsupported(args, "not f32");
  const KTensor& a = *args.inputs[0];
  const KTensor& b = *args.inputs[1];
  if (b.constant == nullptr) return unsupported(args, "B is computed at run time");
  const fb::FullyConnectedOptions* o = args.node->options_as_FullyConnectedOptions();
  const float alpha = o ? o->alpha() : 1.f, beta = o ? o->beta() : 1.f;
  const bool trans_a = o && o->trans_a(), trans_b = o && o->trans_b();
  auto k = std::make_unique<GemmKernel>();
  k->trans_a_ = trans_a;
  k->m_ = trans_a ? a.shape[1] : a.shape[0];
  k->k_ = trans_a ? a.shape[0] : a.shape[1];
  k->n_ = trans_b ? b.shape[0] : b.shape[1];
  const bool has_c = args.inputs.size() > 2 && args.inputs[2] != nullptr && beta != 0.f;
  if (has_c) {
    const KTensor& c = *args.inputs[2];
    if (c.constant == nullptr) return unsupported(args, "C is computed at run time");
    const Shape& cs = c.shape;
    const bool per_row = cs.rank() == 2 && cs[0] != 1;
    if (per_row) return unsupported(args, "C differs between rows");
    const int64_t cn = cs.num_elements();
    if (!k->bias_.allocate(static_cast<size_t>(k->n_)))
      return node_error(args, StatusCode::kOutOfMemory, "cannot allocate the bias");
    const auto* cv = static_cast<const float*>(c.constant);
    for (int64_t n = 0; n < k->n_; ++n) k->bias_.data[n] = beta * cv[cn == 1 ? 0 : n];
    k->has_bias_ = true;
  }
  ref::ActivationParams act = ref::activation_params(o ? o->activation() : nullptr);
  k->act_.init(act);
  const auto* bw = static_cast<const float*>(b.constant);
  // B[k, n] = trans_b ? b[n, k] : b[k, n]
  STRIX_RETURN_IF_ERROR(
      finish(args, isa, k.get(), bw, trans_b ? 1 : k->n_, trans_b ? k->k_ : 1, alpha));
  k->name = std::string("fully_connected_f32_") + isa_name(isa.isa);
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_matmul(const PrepareArgs& args, const IsaKernels& isa) {
  Result<std::unique_ptr<Kernel>> reference = ref::make_matmul(args);
  if (!reference.ok()) return reference.status();
  const KTensor& a = *args.inputs[0];
  const KTensor& b = *args.inputs[1];
  if (b.constant == nullptr) return unsupported(args, "B is computed at run time");
  if (a.shape.rank() < 2 || b.shape.rank() != 2)
    return unsupported(args, "MatMul needs A of rank >= 2 and B of rank 2");
  const fb::MatMulOptions* o = args.node->options_as_MatMulOptions();
  auto k = std::make_unique<GemmKernel>();
  k->k_ = a.shape[a.shape.rank() - 1];
  k->m_ = a.shape.num_elements() / std::max<int64_t>(1, k->k_);
  k->n_ = b.shape[1];
  k->act_.init(ref::activation_params(o ? o->activation() : nullptr));
  STRIX_RETURN_IF_ERROR(
      finish(args, isa, k.get(), static_cast<const float*>(b.constant), k->n_, 1, 1.f));
  k->name = std::string("matmul_f32_") + isa_name(isa.isa);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::cpu
