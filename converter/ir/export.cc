#include "converter/ir/export.h"

#include <limits>
#include <type_traits>

#include "converter/writer/model_builder.h"

namespace strix::ir {
namespace {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

Offset<fb::Activation> activation(FlatBufferBuilder& b, const Activation& a) {
  if (a.kind == fb::ActivationKind::None) return 0;
  return fb::CreateActivation(b, a.kind, a.alpha, a.beta);
}

template <typename T, size_t N>
Offset<flatbuffers::Vector<T>> vec(FlatBufferBuilder& b, const std::array<T, N>& a) {
  return b.CreateVector(a.data(), N);
}

// The options table of a node: its union type and offset.
std::pair<fb::OpOptions, Offset<void>> build_options(FlatBufferBuilder& b, const Options& o) {
  using T = fb::OpOptions;
  return std::visit(
      Overloaded{
          [](const std::monostate&) { return std::make_pair(T::NONE, Offset<void>()); },
          [&](const Conv2DOptions& x) {
            return std::make_pair(
                T::Conv2DOptions,
                fb::CreateConv2DOptions(b, vec(b, x.kernel), vec(b, x.strides), vec(b, x.dilations),
                                        vec(b, x.pads), x.padding, x.group,
                                        activation(b, x.activation))
                    .Union());
          },
          [&](const ConvTranspose2DOptions& x) {
            return std::make_pair(
                T::ConvTranspose2DOptions,
                fb::CreateConvTranspose2DOptions(
                    b, vec(b, x.kernel), vec(b, x.strides), vec(b, x.dilations), vec(b, x.pads),
                    vec(b, x.output_padding), x.group, activation(b, x.activation))
                    .Union());
          },
          [&](const FullyConnectedOptions& x) {
            return std::make_pair(
                T::FullyConnectedOptions,
                fb::CreateFullyConnectedOptions(b, x.alpha, x.beta, x.trans_a, x.trans_b,
                                                activation(b, x.activation))
                    .Union());
          },
          [&](const MatMulOptions& x) {
            return std::make_pair(T::MatMulOptions,
                                  fb::CreateMatMulOptions(b, activation(b, x.activation)).Union());
          },
          [&](const Pool2DOptions& x) {
            return std::make_pair(
                T::Pool2DOptions,
                fb::CreatePool2DOptions(b, vec(b, x.kernel), vec(b, x.strides), vec(b, x.dilations),
                                        vec(b, x.pads), x.padding, x.ceil_mode, x.count_include_pad)
                    .Union());
          },
          [&](const UnaryOptions& x) {
            return std::make_pair(T::UnaryOptions,
                                  fb::CreateUnaryOptions(b, x.alpha, x.beta).Union());
          },
          [&](const GeluOptions& x) {
            return std::make_pair(T::GeluOptions,
                                  fb::CreateGeluOptions(b, x.tanh_approximation).Union());
          },
          [&](const PowerOptions& x) {
            return std::make_pair(T::PowerOptions,
                                  fb::CreatePowerOptions(b, x.shift, x.scale, x.power).Union());
          },
          [&](const BinaryOptions& x) {
            return std::make_pair(T::BinaryOptions,
                                  fb::CreateBinaryOptions(b, activation(b, x.activation)).Union());
          },
          [&](const BatchNormOptions& x) {
            return std::make_pair(T::BatchNormOptions,
                                  fb::CreateBatchNormOptions(b, x.epsilon).Union());
          },
          [&](const LayerNormOptions& x) {
            return std::make_pair(T::LayerNormOptions,
                                  fb::CreateLayerNormOptions(b, x.axis, x.epsilon).Union());
          },
          [&](const NormOptions& x) {
            return std::make_pair(T::NormOptions,
                                  fb::CreateNormOptions(b, x.epsilon, x.num_groups).Union());
          },
          [&](const LRNOptions& x) {
            return std::make_pair(T::LRNOptions,
                                  fb::CreateLRNOptions(b, x.size, x.alpha, x.beta, x.bias).Union());
          },
          [&](const SoftmaxOptions& x) {
            return std::make_pair(T::SoftmaxOptions, fb::CreateSoftmaxOptions(b, x.axis).Union());
          },
          [&](const ConcatOptions& x) {
            return std::make_pair(T::ConcatOptions, fb::CreateConcatOptions(b, x.axis).Union());
          },
          [&](const SplitOptions& x) {
            return std::make_pair(
                T::SplitOptions,
                fb::CreateSplitOptions(b, x.axis, b.CreateVector(x.sizes)).Union());
          },
          [&](const SliceOptions& x) {
            return std::make_pair(
                T::SliceOptions,
                fb::CreateSliceOptions(b, b.CreateVector(x.starts), b.CreateVector(x.ends),
                                       b.CreateVector(x.axes), b.CreateVector(x.steps))
                    .Union());
          },
          [&](const GatherOptions& x) {
            return std::make_pair(T::GatherOptions, fb::CreateGatherOptions(b, x.axis).Union());
          },
          [&](const ReshapeOptions& x) {
            return std::make_pair(T::ReshapeOptions,
                                  fb::CreateReshapeOptions(b, b.CreateVector(x.shape)).Union());
          },
          [&](const FlattenOptions& x) {
            return std::make_pair(T::FlattenOptions, fb::CreateFlattenOptions(b, x.axis).Union());
          },
          [&](const TransposeOptions& x) {
            return std::make_pair(T::TransposeOptions,
                                  fb::CreateTransposeOptions(b, b.CreateVector(x.perm)).Union());
          },
          [&](const AxesOptions& x) {
            return std::make_pair(T::AxesOptions,
                                  fb::CreateAxesOptions(b, b.CreateVector(x.axes)).Union());
          },
          [&](const PadOptions& x) {
            return std::make_pair(
                T::PadOptions,
                fb::CreatePadOptions(b, b.CreateVector(x.pads), x.mode, x.value).Union());
          },
          [&](const ResizeOptions& x) {
            return std::make_pair(
                T::ResizeOptions,
                fb::CreateResizeOptions(b, x.mode, x.coordinate_mode, x.nearest_mode,
                                        b.CreateVector(x.scales), b.CreateVector(x.sizes))
                    .Union());
          },
          [&](const ReduceOptions& x) {
            return std::make_pair(
                T::ReduceOptions,
                fb::CreateReduceOptions(b, b.CreateVector(x.axes), x.keep_dims).Union());
          },
          [&](const CastOptions& x) {
            return std::make_pair(T::CastOptions, fb::CreateCastOptions(b, x.to).Union());
          },
      },
      o);
}

// Converts integer constant values to `T`, failing on values out of range.
template <typename T>
bool narrow_ints(const std::vector<int64_t>& in, std::vector<T>* out) {
  out->reserve(in.size());
  for (int64_t v : in) {
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) return false;
    out->push_back(static_cast<T>(v));
  }
  return true;
}

class Exporter {
 public:
  Exporter(const Graph& g, const Metadata& m) : g_(g) { b_.metadata() = m; }

  Result<std::vector<uint8_t>> run() {
    std::vector<bool> used(g_.tensors.size(), false);
    for (int t : g_.inputs) used[t] = true;
    for (int t : g_.outputs) used[t] = true;
    for (const Node& n : g_.nodes) {
      for (int t : n.inputs)
        if (t >= 0) used[t] = true;
      for (int t : n.outputs) used[t] = true;
    }
    file_index_.assign(g_.tensors.size(), -1);
    // Graph inputs first, in order, so that the file's tensor order starts with them.
    for (int t : g_.inputs) {
      STRIX_RETURN_IF_ERROR(check_tensor(t));
      file_index_[t] = b_.add_input(g_.tensors[t].name, dtype(t), g_.tensors[t].shape);
      if (!g_.tensors[t].quant.empty()) b_.set_quantization(file_index_[t], g_.tensors[t].quant);
    }
    for (size_t t = 0; t < g_.tensors.size(); ++t) {
      if (!used[t] || file_index_[t] >= 0) continue;
      STRIX_RETURN_IF_ERROR(add_tensor(static_cast<int>(t)));
      if (!g_.tensors[t].quant.empty()) b_.set_quantization(file_index_[t], g_.tensors[t].quant);
    }
    for (size_t n = 0; n < g_.nodes.size(); ++n) {
      const Node& node = g_.nodes[n];
      std::vector<int> inputs, outputs;
      for (int t : node.inputs) inputs.push_back(t < 0 ? -1 : file_index_[t]);
      for (int t : node.outputs) outputs.push_back(file_index_[t]);
      auto [type, options] = build_options(b_.fbb(), node.options);
      b_.add_node(node.name, node.op, inputs, outputs, type, options, node.source_nodes);
    }
    for (int t : g_.outputs) b_.mark_output(file_index_[t]);
    return b_.finish();
  }

 private:
  std::string tensor_label(int t) const {
    std::string label = "tensor '" + g_.tensors[t].name + "'";
    int p = g_.producer(t);
    if (p >= 0) label += " (output of " + g_.node_label(p) + ")";
    return label;
  }

  strix::DType dtype(int t) const {
    fb::DType d = fb::DType::F32;
    to_file_dtype(g_.tensors[t].dtype, &d);
    return static_cast<strix::DType>(d);
  }

  Status check_tensor(int t) const {
    const Tensor& tensor = g_.tensors[t];
    fb::DType d;
    if (!to_file_dtype(tensor.dtype, &d))
      return Status(StatusCode::kUnsupported, tensor_label(t) + " has dtype " +
                                                  ir::dtype_name(tensor.dtype) +
                                                  ", which a .strix file cannot hold");
    for (size_t i = 0; i < tensor.shape.size(); ++i) {
      if (tensor.shape[i] < 0 && (i != 0 || tensor.is_constant))
        return Status(StatusCode::kInternal,
                      tensor_label(t) + " has an unknown dimension " + std::to_string(i));
    }
    return Status();
  }

  Status add_tensor(int t) {
    STRIX_RETURN_IF_ERROR(check_tensor(t));
    const Tensor& tensor = g_.tensors[t];
    if (!tensor.is_constant) {
      file_index_[t] = b_.add_tensor(tensor.name, dtype(t), tensor.shape);
      return Status();
    }
    int64_t n = tensor.num_elements();
    size_t have = is_float(tensor.dtype) ? tensor.floats.size() : tensor.ints.size();
    if (n < 0 || static_cast<size_t>(n) != have)
      return Status(StatusCode::kInternal, tensor_label(t) + " holds " + std::to_string(have) +
                                               " values for " + std::to_string(n) + " elements");
    auto add = [&](const void* data, size_t bytes) {
      file_index_[t] = b_.add_constant(tensor.name, dtype(t), tensor.shape, data, bytes);
      return Status();
    };
    Status range_error(
        StatusCode::kUnsupported,
        tensor_label(t) + " has values out of the range of " + ir::dtype_name(tensor.dtype));
    switch (tensor.dtype) {
      case DType::kF32: return add(tensor.floats.data(), tensor.floats.size() * sizeof(float));
      case DType::kF16: {
        std::vector<uint16_t> h;
        h.reserve(tensor.floats.size());
        for (float v : tensor.floats) h.push_back(float_to_half(v));
        return add(h.data(), h.size() * sizeof(uint16_t));
      }
      case DType::kI32: {
        std::vector<int32_t> v;
        if (!narrow_ints(tensor.ints, &v)) return range_error;
        return add(v.data(), v.size() * sizeof(int32_t));
      }
      case DType::kI8: {
        std::vector<int8_t> v;
        if (!narrow_ints(tensor.ints, &v)) return range_error;
        return add(v.data(), v.size());
      }
      case DType::kU8: {
        std::vector<uint8_t> v;
        if (!narrow_ints(tensor.ints, &v)) return range_error;
        return add(v.data(), v.size());
      }
      default: return Status(StatusCode::kInternal, tensor_label(t) + ": unexpected dtype");
    }
  }

  const Graph& g_;
  writer::ModelBuilder b_;
  std::vector<int> file_index_;
};

}  // namespace

Result<std::vector<uint8_t>> export_strix(const Graph& graph, const Metadata& metadata) {
  return Exporter(graph, metadata).run();
}

}  // namespace strix::ir
