// Factories of the elementwise, pooling, softmax, concat and view kernels (the device code
// is in *.cu; see launch.h).
#include <algorithm>
#include <array>
#include <cstring>

#include "kernels/cpu/ref/binary.h"
#include "kernels/cpu/ref/layer_util.h"
#include "kernels/cpu/ref/pool.h"
#include "kernels/cuda/cuda_common.h"
#include "kernels/device.h"

namespace strix::kernels::cuda {
namespace {

bool is_half(const PrepareArgs& args) { return args.inputs[0]->dtype == DType::kF16; }

// A rank-4 shape in the order its device tensor is stored: [N, H, W, C] when channels-last.
Shape stored_shape(const KTensor& t) {
  const Shape& s = t.shape;
  if (!device_channels_last(t)) return s;
  return Shape{s[0], s[2], s[3], s[1]};
}
// The axis of stored_shape() that holds logical axis `a` of a rank-4 tensor.
int stored_axis(const KTensor& t, int a) {
  if (!device_channels_last(t)) return a;
  static const int kToNhwc[4] = {0, 3, 1, 2};
  return kToNhwc[a];
}

class UnaryKernel : public Kernel {
 public:
  void eval(const EvalArgs& a) const override {
    launch_unary(act_, a.inputs[0], a.outputs[0], n_, half_, stream_of(a)->stream);
  }
  DevActivation act_;
  int64_t n_ = 0;
  bool half_ = false;
};

class BinaryKernel : public Kernel {
 public:
  void eval(const EvalArgs& a) const override {
    launch_binary(op_, act_, plan_, a.inputs[0], a.inputs[1], a.outputs[0], half_,
                  stream_of(a)->stream);
  }
  BinaryOp op_ = kAdd;
  DevActivation act_;
  DevBroadcast plan_;
  bool half_ = false;
};

class PoolKernel : public Kernel {
 public:
  void eval(const EvalArgs& a) const override {
    if (global_)
      launch_global_pool(average_, a.inputs[0], a.outputs[0], p_.planes, spatial_, p_.channels,
                         p_.channels_last, half_, stream_of(a)->stream);
    else
      launch_pool2d(average_, p_, a.inputs[0], a.outputs[0], half_, stream_of(a)->stream);
  }
  DevPool p_{};
  int64_t spatial_ = 0;
  bool global_ = false, average_ = false, half_ = false;
};

class SoftmaxKernel : public Kernel {
 public:
  void eval(const EvalArgs& a) const override {
    launch_softmax(log_, a.inputs[0], a.outputs[0], outer_, axis_, inner_, half_,
                   stream_of(a)->stream);
  }
  int64_t outer_ = 1, axis_ = 1, inner_ = 1;
  bool log_ = false, half_ = false;
};

// Concat as one 2-D copy per input: rows = product of the dims before the axis.
class ConcatKernel : public Kernel {
 public:
  void eval(const EvalArgs& a) const override {
    CudaStream* cs = stream_of(a);
    for (size_t i = 0; i < row_bytes_.size(); ++i) {
      if (row_bytes_[i] == 0 || rows_ == 0) continue;
      cs->record(
          cuda_status(cudaMemcpy2DAsync(static_cast<uint8_t*>(a.outputs[0]) + offset_[i],
                                        out_row_bytes_, a.inputs[i], row_bytes_[i], row_bytes_[i],
                                        rows_, cudaMemcpyDeviceToDevice, cs->stream),
                      "cudaMemcpy2DAsync"));
    }
  }
  std::vector<size_t> row_bytes_, offset_;
  size_t out_row_bytes_ = 0, rows_ = 0;
};

// Reshape, Flatten, Squeeze, Unsqueeze: the planner aliases the output; when it cannot,
// eval copies.
class ViewKernel : public Kernel {
 public:
  void eval(const EvalArgs& a) const override {
    CudaStream* cs = stream_of(a);
    if (convert_) {
      launch_convert_layout(a.outputs[0], a.inputs[0], n_, c_, hw_, es_, to_channels_last_,
                            cs->stream);
      return;
    }
    if (bytes_ && a.outputs[0] != a.inputs[0])
      cs->record(cuda_status(
          cudaMemcpyAsync(a.outputs[0], a.inputs[0], bytes_, cudaMemcpyDeviceToDevice, cs->stream),
          "cudaMemcpyAsync"));
  }
  size_t bytes_ = 0;
  // The element order changes (channels-last rank-4 on one side only): converting copy.
  bool convert_ = false, to_channels_last_ = false;
  int64_t n_ = 0, c_ = 0, hw_ = 0;
  size_t es_ = 0;
};

fb::ActivationKind unary_kind(fb::OpType op) {
  using O = fb::OpType;
  using A = fb::ActivationKind;
  switch (op) {
    case O::Relu: return A::Relu;
    case O::Clip: return A::Clip;
    case O::LeakyRelu: return A::LeakyRelu;
    case O::Elu: return A::Elu;
    case O::Sigmoid: return A::Sigmoid;
    case O::Tanh: return A::Tanh;
    case O::HardSigmoid: return A::HardSigmoid;
    case O::HardSwish: return A::HardSwish;
    case O::SiLU: return A::SiLU;
    case O::Gelu: return A::Gelu;
    case O::Mish: return A::Mish;
    case O::Softplus: return A::Softplus;
    default: return A::None;
  }
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_unary(const CudaBackendContext& b, const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(b.validate(args));
  auto k = std::make_unique<UnaryKernel>();
  ref::ActivationParams p;
  p.kind = unary_kind(args.node->op());
  if (const fb::UnaryOptions* o = args.node->options_as_UnaryOptions()) {
    p.alpha = o->alpha();
    p.beta = o->beta();
  }
  if (args.node->op() == fb::OpType::Gelu) {
    const fb::GeluOptions* g = args.node->options_as_GeluOptions();
    if (g != nullptr && g->tanh_approximation()) p.kind = fb::ActivationKind::GeluTanh;
  }
  k->act_ = dev_activation(p);
  k->n_ = args.inputs[0]->shape.num_elements();
  k->half_ = is_half(args);
  k->supports_in_place = true;
  k->name = k->half_ ? "cuda_unary_f16" : "cuda_unary_f32";
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_binary(const CudaBackendContext& b, const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(b.validate(args));
  auto k = std::make_unique<BinaryKernel>();
  using O = fb::OpType;
  switch (args.node->op()) {
    case O::Add: k->op_ = kAdd; break;
    case O::Sub: k->op_ = kSub; break;
    case O::Mul: k->op_ = kMul; break;
    case O::Div: k->op_ = kDiv; break;
    case O::Max: k->op_ = kMax; break;
    case O::Min: k->op_ = kMin; break;
    default: k->op_ = kPow; break;
  }
  const fb::BinaryOptions* o = args.node->options_as_BinaryOptions();
  ref::ActivationParams act;
  STRIX_RETURN_IF_ERROR(ref::fused_activation(args, o ? o->activation() : nullptr, &act));
  k->act_ = dev_activation(act);
  const Shape& as = args.inputs[0]->shape;
  const Shape& bs = args.inputs[1]->shape;
  const Shape& ys = args.outputs[0]->shape;
  ref::BroadcastPlan plan = ref::make_broadcast_plan(as, bs, ys);
  DevBroadcast& d = k->plan_;
  if (device_channels_last(*args.outputs[0])) {
    // Iterate the output in its stored order [N, H, W, C]. A rank-4 operand is stored
    // channels-last too; a lower-rank one keeps row-major order over its dims right-aligned
    // to [N, C, H, W], so its strides are computed there and then permuted.
    const int64_t out[4] = {ys[0], ys[2], ys[3], ys[1]};
    auto strides = [&](const KTensor& t, int64_t* st) {
      const Shape& s = t.shape;
      int64_t e[4] = {1, 1, 1, 1};
      for (int i = 0; i < s.rank(); ++i) e[4 - s.rank() + i] = s[i];
      int64_t dims[4], order[4];
      if (s.rank() == 4) {  // stored [N, H, W, C]
        const int64_t stored[4] = {e[0], e[2], e[3], e[1]};
        std::copy(stored, stored + 4, dims);
        int64_t r = 1;
        for (int i = 3; i >= 0; --i) {
          order[i] = r;
          r *= dims[i];
        }
      } else {  // row-major over e = [N, C, H, W], permuted to [N, H, W, C]
        int64_t rs[4], r = 1;
        for (int i = 3; i >= 0; --i) {
          rs[i] = r;
          r *= e[i];
        }
        const int64_t stored[4] = {e[0], e[2], e[3], e[1]};
        std::copy(stored, stored + 4, dims);
        order[0] = rs[0];
        order[1] = rs[2];
        order[2] = rs[3];
        order[3] = rs[1];
      }
      for (int i = 0; i < 4; ++i) st[i] = dims[i] == 1 ? 0 : order[i];
    };
    d.rank = 4;
    for (int i = 0; i < 4; ++i) d.dims[i] = out[i];
    strides(*args.inputs[0], d.a_strides);
    strides(*args.inputs[1], d.b_strides);
    d.count = ys.num_elements();
    d.same_shape = as.rank() == 4 && bs.rank() == 4 && as.num_elements() == d.count &&
                   bs.num_elements() == d.count;
  } else {
    d.rank = plan.rank;
    for (int i = 0; i < plan.rank; ++i) {
      d.dims[i] = plan.dims[i];
      d.a_strides[i] = plan.a_strides[i];
      d.b_strides[i] = plan.b_strides[i];
    }
    d.count = plan.count;
    d.same_shape = as.num_elements() == d.count && bs.num_elements() == d.count;
  }
  k->half_ = is_half(args);
  k->supports_in_place = true;
  k->name = k->half_ ? "cuda_binary_f16" : "cuda_binary_f32";
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_pool(const CudaBackendContext& b, const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(b.validate(args));
  auto k = std::make_unique<PoolKernel>();
  using O = fb::OpType;
  const O op = args.node->op();
  const Shape& x = args.inputs[0]->shape;
  k->average_ = op == O::AveragePool || op == O::GlobalAveragePool;
  k->global_ = op == O::GlobalAveragePool || op == O::GlobalMaxPool;
  k->half_ = is_half(args);
  k->p_.planes = x[0] * x[1];
  k->p_.channels = x[1];
  k->p_.channels_last = device_channels_last(*args.inputs[0]);
  if (k->global_) {
    k->spatial_ = x.num_elements() / (k->p_.planes ? k->p_.planes : 1);
  } else {
    ref::Pool2DParams p;
    STRIX_RETURN_IF_ERROR(ref::make_pool2d_params(args, x, k->average_, &p));
    k->p_ = DevPool{p.kernel_h,
                    p.kernel_w,
                    p.stride_h,
                    p.stride_w,
                    p.dilation_h,
                    p.dilation_w,
                    p.pad_top,
                    p.pad_left,
                    p.pad_bottom,
                    p.pad_right,
                    p.count_include_pad,
                    x[0] * x[1],
                    x[2],
                    x[3],
                    p.out_h,
                    p.out_w,
                    x[1],
                    k->p_.channels_last};
  }
  k->name = std::string("cuda_") + fb::EnumNameOpType(op) + (k->half_ ? "_f16" : "_f32");
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_softmax(const CudaBackendContext& b, const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(b.validate(args));
  auto k = std::make_unique<SoftmaxKernel>();
  const Shape& x = args.inputs[0]->shape;
  int64_t axis = -1;
  if (const fb::SoftmaxOptions* o = args.node->options_as_SoftmaxOptions()) axis = o->axis();
  int a = 0;
  STRIX_RETURN_IF_ERROR(normalize_axis(args, axis, x.rank(), &a));
  const Shape xs = stored_shape(*args.inputs[0]);
  a = stored_axis(*args.inputs[0], a);
  for (int d = 0; d < a; ++d) k->outer_ *= xs[d];
  k->axis_ = xs[a];
  for (int d = a + 1; d < xs.rank(); ++d) k->inner_ *= xs[d];
  k->log_ = args.node->op() == fb::OpType::LogSoftmax;
  k->half_ = is_half(args);
  k->name =
      std::string(k->log_ ? "cuda_log_softmax" : "cuda_softmax") + (k->half_ ? "_f16" : "_f32");
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_concat(const CudaBackendContext& b, const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(b.validate(args));
  auto k = std::make_unique<ConcatKernel>();
  const Shape y = stored_shape(*args.outputs[0]);
  const size_t es = dtype_size(args.outputs[0]->dtype);
  const fb::ConcatOptions* o = args.node->options_as_ConcatOptions();
  int a = 0;
  STRIX_RETURN_IF_ERROR(normalize_axis(args, o ? o->axis() : 0, y.rank(), &a));
  a = stored_axis(*args.outputs[0], a);
  int64_t rows = 1, inner = 1;
  for (int d = 0; d < a; ++d) rows *= y[d];
  for (int d = a + 1; d < y.rank(); ++d) inner *= y[d];
  k->rows_ = static_cast<size_t>(rows);
  k->out_row_bytes_ = static_cast<size_t>(y[a] * inner) * es;
  size_t offset = 0;
  for (const KTensor* t : args.inputs) {
    size_t row = static_cast<size_t>(stored_shape(*t)[a] * inner) * es;
    k->row_bytes_.push_back(row);
    k->offset_.push_back(offset);
    offset += row;
  }
  k->name = "cuda_concat";
  return std::unique_ptr<Kernel>(std::move(k));
}

Result<std::unique_ptr<Kernel>> make_view(const CudaBackendContext& b, const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(b.validate(args));
  // A reshape keeps the row-major order of the logical NCHW tensor; a channels-last rank-4
  // tensor has that order only when its C or its H*W is 1.
  auto same_order = [](const KTensor& t) {
    return !device_channels_last(t) || t.shape[1] == 1 || t.shape[2] * t.shape[3] == 1;
  };
  const bool in_same = same_order(*args.inputs[0]), out_same = same_order(*args.outputs[0]);
  if (!in_same && !out_same)
    return node_error(args, StatusCode::kUnsupported,
                      "reshaping between two channels-last shapes with C > 1 and H*W > 1");
  auto k = std::make_unique<ViewKernel>();
  k->bytes_ = args.outputs[0]->shape.num_elements() * dtype_size(args.outputs[0]->dtype);
  k->is_view = in_same && out_same;
  k->name = "cuda_view";
  if (!k->is_view) {  // e.g. Flatten of a channels-last [N, C, H, W]: NHWC -> NCHW order
    const Shape& s = in_same ? args.outputs[0]->shape : args.inputs[0]->shape;
    k->convert_ = true;
    k->to_channels_last_ = in_same;
    k->n_ = s[0];
    k->c_ = s[1];
    k->hw_ = s[2] * s[3];
    k->es_ = dtype_size(args.outputs[0]->dtype);
    k->name = "cuda_view_convert_layout";
  }
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::cuda
