// ReduceSum, ReduceMean, ReduceMax, f32. See reduce.h.
#include "kernels/cpu/ref/reduce.h"

#include <cmath>

namespace strix::kernels::ref {

void reduce_f32(ReduceKind kind, const float* x, const Shape& in_shape, const bool* reduced,
                float* y) {
  const int rank = in_shape.rank();
  // Stride in y of each X dimension: 0 for a reduced one.
  int64_t out_stride[Shape::kMaxRank] = {};
  int64_t out_count = 1, reduced_count = 1;
  for (int d = rank - 1; d >= 0; --d) {
    if (reduced[d]) {
      reduced_count *= in_shape[d];
    } else {
      out_stride[d] = out_count;
      out_count *= in_shape[d];
    }
  }
  const float init = kind == ReduceKind::kMax ? -INFINITY : 0.f;
  for (int64_t o = 0; o < out_count; ++o) y[o] = init;

  // Walk X in memory order, keeping the matching y offset with an odometer.
  int64_t index[Shape::kMaxRank] = {};
  int64_t offset = 0;
  const int64_t total = in_shape.num_elements();
  for (int64_t i = 0; i < total; ++i) {
    const float v = x[i];
    if (kind == ReduceKind::kMax) {
      if (v > y[offset] || std::isnan(v)) y[offset] = v;
    } else {
      y[offset] += v;
    }
    for (int d = rank - 1; d >= 0; --d) {
      offset += out_stride[d];
      if (++index[d] < in_shape[d]) break;
      offset -= out_stride[d] * index[d];
      index[d] = 0;
    }
  }
  if (kind == ReduceKind::kMean) {
    const float count = static_cast<float>(reduced_count);
    for (int64_t o = 0; o < out_count; ++o) y[o] /= count;
  }
}

namespace {

class ReduceKernel : public Kernel {
 public:
  void eval(const EvalArgs& args) const override {
    reduce_f32(kind_, static_cast<const float*>(args.inputs[0]), in_shape_, reduced_,
               static_cast<float*>(args.outputs[0]));
  }
  ReduceKind kind_ = ReduceKind::kSum;
  Shape in_shape_;
  bool reduced_[Shape::kMaxRank] = {};
};

ReduceKind reduce_kind(fb::OpType op) {
  switch (op) {
    case fb::OpType::ReduceMean: return ReduceKind::kMean;
    case fb::OpType::ReduceMax: return ReduceKind::kMax;
    default: return ReduceKind::kSum;
  }
}

}  // namespace

// ReduceOptions may be absent: all axes, keep_dims true (the schema and ONNX defaults).
Result<std::unique_ptr<Kernel>> make_reduce(const PrepareArgs& args) {
  STRIX_RETURN_IF_ERROR(expect_arity(args, 1, 1, 1));
  STRIX_RETURN_IF_ERROR(expect_input(args, 0, DType::kF32));
  if (args.outputs[0]->dtype != DType::kF32)
    return node_error(args, StatusCode::kUnsupported, "output 0 '%s' is %s, expected f32",
                      args.outputs[0]->name.c_str(), dtype_name(args.outputs[0]->dtype));
  const Shape& xs = args.inputs[0]->shape;
  auto k = std::make_unique<ReduceKernel>();
  k->kind_ = reduce_kind(args.node->op());
  k->in_shape_ = xs;
  const fb::ReduceOptions* o = args.node->options_as_ReduceOptions();
  const bool keep_dims = o == nullptr || o->keep_dims();
  const flatbuffers::Vector<int32_t>* axes = o != nullptr ? o->axes() : nullptr;
  if (axes == nullptr || axes->size() == 0) {
    for (int d = 0; d < xs.rank(); ++d) k->reduced_[d] = true;
  } else {
    for (int32_t axis : *axes) {
      int a = 0;
      STRIX_RETURN_IF_ERROR(normalize_axis(args, axis, xs.rank(), &a));
      if (k->reduced_[a])
        return node_error(args, StatusCode::kCorruptModel,
                          "axes lists dimension %d twice (axis %d)", a, axis);
      k->reduced_[a] = true;
    }
  }
  Shape out;
  for (int d = 0; d < xs.rank(); ++d) {
    if (!k->reduced_[d]) {
      out.push_back(xs[d]);
    } else if (keep_dims) {
      out.push_back(1);
    }
  }
  STRIX_RETURN_IF_ERROR(set_output_shape(args, 0, out));
  static const char* const kNames[] = {"reduce_sum_f32", "reduce_mean_f32", "reduce_max_f32"};
  k->name = kNames[static_cast<int>(k->kind_)];
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::ref
