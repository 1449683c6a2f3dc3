#include "converter/writer/model_builder.h"

#include <cstdio>
#include <cstring>

#include "strix/version.h"

namespace strix::writer {
namespace {

size_t align64(size_t n) { return (n + 63) & ~size_t(63); }

fb::Task to_fb(Task t) { return static_cast<fb::Task>(static_cast<int>(t)); }

}  // namespace

ModelBuilder::ModelBuilder() : schema_version_(kSchemaVersion) {}

int ModelBuilder::push_tensor(const std::string& name, DType dtype,
                              const std::vector<int64_t>& shape) {
  tensors_.push_back(PendingTensor{name, dtype, shape, 0, {}});
  return static_cast<int>(tensors_.size()) - 1;
}

int ModelBuilder::add_input(const std::string& name, DType dtype,
                            const std::vector<int64_t>& shape) {
  int t = push_tensor(name, dtype, shape);
  inputs_.push_back(t);
  return t;
}

int ModelBuilder::add_tensor(const std::string& name, DType dtype,
                             const std::vector<int64_t>& shape) {
  return push_tensor(name, dtype, shape);
}

int ModelBuilder::add_constant(const std::string& name, DType dtype,
                               const std::vector<int64_t>& shape, const void* data, size_t bytes) {
  int t = push_tensor(name, dtype, shape);
  size_t offset = align64(data_.size());
  data_.resize(offset + bytes, 0);
  if (bytes) std::memcpy(data_.data() + offset, data, bytes);
  buffers_.emplace_back(offset, bytes);
  tensors_[t].buffer = static_cast<uint32_t>(buffers_.size());
  return t;
}

int ModelBuilder::add_constant_f32(const std::string& name, const std::vector<int64_t>& shape,
                                   const std::vector<float>& values) {
  return add_constant(name, DType::kF32, shape, values.data(), values.size() * sizeof(float));
}

int ModelBuilder::add_constant_i32(const std::string& name, const std::vector<int64_t>& shape,
                                   const std::vector<int32_t>& values) {
  return add_constant(name, DType::kI32, shape, values.data(), values.size() * sizeof(int32_t));
}

void ModelBuilder::set_quantization(int tensor, const Quantization& q) {
  tensors_[tensor].quant = q;
}

int ModelBuilder::add_node(const std::string& name, fb::OpType op, const std::vector<int>& inputs,
                           const std::vector<int>& outputs, fb::OpOptions options_type,
                           flatbuffers::Offset<void> options,
                           const std::vector<std::string>& source_nodes) {
  nodes_.push_back(PendingNode{name, op, inputs, outputs, options_type, options, source_nodes});
  return static_cast<int>(nodes_.size()) - 1;
}

void ModelBuilder::mark_output(int tensor) { outputs_.push_back(tensor); }

std::vector<uint8_t> ModelBuilder::finish() {
  auto& b = fbb_;
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  for (const PendingTensor& t : tensors_) {
    flatbuffers::Offset<fb::Quantization> q = 0;
    if (!t.quant.empty())
      q = fb::CreateQuantization(b, b.CreateVector(t.quant.scales),
                                 b.CreateVector(t.quant.zero_points), t.quant.axis);
    tensors.push_back(fb::CreateTensor(b, b.CreateString(t.name), static_cast<fb::DType>(t.dtype),
                                       b.CreateVector(t.shape), t.buffer, q));
  }
  std::vector<flatbuffers::Offset<fb::Node>> nodes;
  for (const PendingNode& n : nodes_) {
    flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> sources = 0;
    if (!n.source_nodes.empty()) sources = b.CreateVectorOfStrings(n.source_nodes);
    nodes.push_back(fb::CreateNode(b, b.CreateString(n.name), n.op, n.options_type, n.options,
                                   b.CreateVector(n.inputs), b.CreateVector(n.outputs), 0,
                                   sources));
  }
  auto graph = fb::CreateGraph(b, b.CreateVector(tensors), b.CreateVector(nodes),
                               b.CreateVector(inputs_), b.CreateVector(outputs_));

  const Metadata& m = metadata_;
  std::vector<flatbuffers::Offset<fb::InputContract>> contracts;
  for (const InputContract& c : m.inputs) {
    contracts.push_back(fb::CreateInputContract(
        b, c.input_index, static_cast<fb::Layout>(c.layout), c.width, c.height,
        static_cast<fb::ColorOrder>(c.color), b.CreateVector(c.mean), b.CreateVector(c.std),
        c.unit_range, static_cast<fb::ResizeKind>(c.resize), c.pad_value));
  }
  const PostProcess& p = m.postprocess;
  auto post = fb::CreatePostProcess(b, static_cast<fb::DecoderKind>(p.decoder), p.score_threshold,
                                    p.nms_iou_threshold, p.max_detections, p.top_k,
                                    b.CreateVector(p.anchors), p.apply_softmax);
  auto provenance = fb::CreateProvenance(
      b, b.CreateString(m.source_file), b.CreateString(m.source_sha256),
      b.CreateString(m.source_format), b.CreateString(m.created_utc), b.CreateString(m.calibrator),
      b.CreateString(m.calibration_data_sha256), b.CreateString(m.target));
  std::vector<flatbuffers::Offset<fb::KeyValue>> extra;
  for (const auto& kv : m.extra)
    extra.push_back(fb::CreateKeyValue(b, b.CreateString(kv.first), b.CreateString(kv.second)));
  auto metadata =
      fb::CreateMetadata(b, to_fb(m.task), b.CreateVector(contracts),
                         b.CreateVectorOfStrings(m.labels), post, b.CreateString(m.producer),
                         b.CreateString(m.producer_version), provenance, b.CreateVector(extra));
  auto model = fb::CreateModel(b, schema_version_, graph, b.CreateVectorOfStructs(buffers_),
                               metadata, b.CreateString(m.description));
  fb::FinishSizePrefixedModelBuffer(b, model);

  std::vector<uint8_t> file(align64(b.GetSize()), 0);
  std::memcpy(file.data(), b.GetBufferPointer(), b.GetSize());
  file.insert(file.end(), data_.begin(), data_.end());
  return file;
}

Status ModelBuilder::write(const std::string& path) {
  std::vector<uint8_t> bytes = finish();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr)
    return make_status(StatusCode::kIoError, "cannot open '%s' for writing", path.c_str());
  size_t n = std::fwrite(bytes.data(), 1, bytes.size(), f);
  bool ok = n == bytes.size() && std::fclose(f) == 0;
  if (!ok) return make_status(StatusCode::kIoError, "cannot write '%s'", path.c_str());
  return Status();
}

}  // namespace strix::writer
