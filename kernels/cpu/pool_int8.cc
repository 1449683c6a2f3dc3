// INT8 MaxPool and GlobalAveragePool for the optimized CPU backend.
// MaxPool: per (image, channel) plane, the plane padded with -128 into per-thread scratch
// (stride phases de-interleaved, the DwGeom layout of isa_int8.h), then a vector max over the
// window taps (the ISA's max_plane). Bytes identical to ref::max_pool_i8 (a tap in the
// padding never wins over a real one, and an all-padding window gives -128 in both).
// GlobalAveragePool: vector int32 sums per plane (plane_sums), then ref::pool_average_q, the
// reference's own output step. Other int8 pools run on the reference.
#include <algorithm>

#include "kernels/cpu/common.h"
#include "kernels/cpu/int8_common.h"
#include "kernels/cpu/ref/pool.h"

namespace strix::kernels::cpu {
namespace {

class MaxPoolI8Kernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const int8_t*>(args.inputs[0]);
    auto* y = static_cast<int8_t*>(args.outputs[0]);
    auto* scratch = static_cast<int8_t*>(args.scratch);
    const int64_t in_plane = h_ * w_, out_plane = int64_t{g_.oh} * g_.ow;
    parallel_for(args.pool, planes_, [&](int64_t plane, int thread) {
      isa_->max_plane(x + plane * in_plane, static_cast<int32_t>(h_), static_cast<int32_t>(w_), g_,
                      scratch + thread * buf_bytes_, y + plane * out_plane);
    });
  }

  const IsaInt8Kernels* isa_ = nullptr;
  DwGeom g_;
  int64_t planes_ = 0, h_ = 0, w_ = 0, buf_bytes_ = 0;
};

constexpr int64_t kPlanesPerTask = 64;

class GlobalAveragePoolI8Kernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    const auto* x = static_cast<const int8_t*>(args.inputs[0]);
    auto* y = static_cast<int8_t*>(args.outputs[0]);
    parallel_for(args.pool, ceil_div(planes_, kPlanesPerTask), [&](int64_t t, int) {
      const int64_t p0 = t * kPlanesPerTask, n = std::min(kPlanesPerTask, planes_ - p0);
      int32_t acc[kPlanesPerTask];
      isa_->plane_sums(x + p0 * spatial_, n, spatial_, q_.in_zp, acc);
      const ref::QuantizedMultiplier m =
          q_.same_scale ? ref::QuantizedMultiplier{} : q_.by_count[0];
      for (int64_t i = 0; i < n; ++i) y[p0 + i] = ref::pool_average_q(q_, acc[i], spatial_, m);
    });
  }

  const IsaInt8Kernels* isa_ = nullptr;
  ref::PoolQuantParams q_;
  int64_t planes_ = 0, spatial_ = 0;
};

}  // namespace

Result<std::unique_ptr<Kernel>> make_global_average_pool_i8(const PrepareArgs& args,
                                                            const IsaInt8Kernels& isa) {
  // Validation (window size included), messages and the output shape: the reference's.
  Result<std::unique_ptr<Kernel>> reference = ref::make_global_average_pool(args);
  if (!reference.ok()) return reference.status();
  if (args.inputs[0]->dtype != DType::kI8) return unsupported(args, "not int8");
  float in_scale = 0, out_scale = 0;
  int32_t in_zp = 0, out_zp = 0;
  STRIX_RETURN_IF_ERROR(ref::int8_tensor_quant(args, *args.inputs[0], &in_scale, &in_zp));
  STRIX_RETURN_IF_ERROR(ref::int8_tensor_quant(args, *args.outputs[0], &out_scale, &out_zp));
  const Shape& in = args.inputs[0]->shape;
  auto k = std::make_unique<GlobalAveragePoolI8Kernel>();
  k->isa_ = &isa;
  k->planes_ = in[0] * in[1];
  k->spatial_ = in.num_elements() / std::max<int64_t>(1, k->planes_);
  if (k->spatial_ == 0) return unsupported(args, "empty planes");
  // As ref::make_global_pool_i8: one multiplier, for n = spatial.
  k->q_ = ref::make_pool_quant(in_scale, in_zp, out_scale, out_zp, 0);
  if (!k->q_.same_scale)
    k->q_.by_count = {ref::quantize_multiplier(static_cast<double>(in_scale) /
                                               (static_cast<double>(out_scale) * k->spatial_))};
  k->name = std::string("global_average_pool_i8_") + isa.name;
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_max_pool_i8(const PrepareArgs& args,
                                                 const IsaInt8Kernels& isa) {
  // Validation (equal input and output quantization included), messages and the output
  // shape: exactly the reference's.
  Result<std::unique_ptr<Kernel>> reference = ref::make_max_pool(args);
  if (!reference.ok()) return reference.status();
  if (args.inputs[0]->dtype != DType::kI8) return unsupported(args, "not int8");
  const Shape& in = args.inputs[0]->shape;
  ref::Pool2DParams p;
  STRIX_RETURN_IF_ERROR(ref::make_pool2d_params(args, in, false, &p));
  auto k = std::make_unique<MaxPoolI8Kernel>();
  k->isa_ = &isa;
  k->planes_ = in[0] * in[1];
  k->h_ = in[2];
  k->w_ = in[3];
  DwGeom& g = k->g_;
  g.kh = p.kernel_h;
  g.kw = p.kernel_w;
  g.sh = p.stride_h;
  g.sw = p.stride_w;
  g.dh = p.dilation_h;
  g.dw = p.dilation_w;
  g.pt = p.pad_top;
  g.pl = p.pad_left;
  g.oh = static_cast<int32_t>(p.out_h);
  g.ow = static_cast<int32_t>(p.out_w);
  g.rows = static_cast<int32_t>((p.out_h - 1) * p.stride_h + (p.kernel_h - 1) * p.dilation_h + 1);
  // Whole blocks of 32 outputs past every tap's phase offset, and every input column.
  const int64_t need = ceil_div(p.out_w, 32) * 32 + (p.kernel_w - 1) * p.dilation_w / p.stride_w;
  g.pwq = ceil_div(std::max(need, ceil_div(p.pad_left + k->w_, p.stride_w)), 32) * 32;
  const int64_t bytes = static_cast<int64_t>(g.rows) * g.pwq * g.sw;
  if (bytes > INT32_MAX / 2) return unsupported(args, "pooling plane too large");
  k->buf_bytes_ = static_cast<int64_t>(align64(static_cast<size_t>(bytes)));
  k->scratch_bytes = static_cast<size_t>(k->buf_bytes_) * std::max(1, args.threads);
  k->name = std::string("max_pool_i8_") + isa.name;
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::cpu
