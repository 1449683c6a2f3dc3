// Loading never trusts the file: the FlatBuffers verifier first, then semantic checks.
// Every failure names the file and the tensor or node at fault.
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <limits>

#include "sdk/src/model_impl.h"
#include "sdk/src/op_options.h"
#include "strix/version.h"

namespace strix {
namespace {

constexpr size_t kPrefix = sizeof(flatbuffers::uoffset_t);
constexpr int64_t kMaxDim = int64_t(1) << 40;
constexpr uint64_t kMaxTensorBytes = uint64_t(1) << 46;

size_t align64(size_t n) { return (n + 63) & ~size_t(63); }

// The FlatBuffers verifier checks a vector's 4-byte length field, not the alignment of
// 8-byte elements; a corrupt file can misplace them, and reading them would be undefined.
template <typename V>
bool misaligned(const V* v) {
  return v != nullptr && v->size() != 0 && reinterpret_cast<uintptr_t>(v->Data()) % 8 != 0;
}

// Options tables with 64-bit vectors (see misaligned()).
bool has_misaligned_vector(const fb::Node* node) {
  switch (node->options_type()) {
    case fb::OpOptions::SplitOptions: return misaligned(node->options_as_SplitOptions()->sizes());
    case fb::OpOptions::SliceOptions: {
      const fb::SliceOptions* o = node->options_as_SliceOptions();
      return misaligned(o->starts()) || misaligned(o->ends()) || misaligned(o->axes()) ||
             misaligned(o->steps());
    }
    case fb::OpOptions::ReshapeOptions:
      return misaligned(node->options_as_ReshapeOptions()->shape());
    case fb::OpOptions::PadOptions: return misaligned(node->options_as_PadOptions()->pads());
    case fb::OpOptions::ResizeOptions: return misaligned(node->options_as_ResizeOptions()->sizes());
    default: return false;
  }
}

class Checker {
 public:
  explicit Checker(ModelImpl& m) : m_(m) {}

  Status corrupt(const char* format, ...) __attribute__((format(printf, 2, 3))) {
    char buffer[1024];
    va_list ap;
    va_start(ap, format);
    std::vsnprintf(buffer, sizeof(buffer), format, ap);
    va_end(ap);
    return Status(StatusCode::kCorruptModel, "model '" + m_.origin + "': " + buffer);
  }

  Status check_header() {
    const uint8_t* p = m_.bytes->data();
    size_t size = m_.bytes->size();
    if (size < kPrefix + 8)
      return corrupt("file is %zu bytes, too short to be a .strix model", size);
    if (std::memcmp(p + kPrefix + 4, fb::ModelIdentifier(), 4) != 0) {
      char id[5] = {};
      for (int i = 0; i < 4; ++i) {
        char c = static_cast<char>(p[kPrefix + 4 + i]);
        id[i] = (c >= 32 && c < 127) ? c : '?';
      }
      return corrupt("not a .strix model (file identifier '%s', expected 'STRX')", id);
    }
    uint32_t fb_size = flatbuffers::ReadScalar<uint32_t>(p);
    if (fb_size > size - kPrefix)
      return corrupt("truncated: the header says %u bytes of graph, the file has %zu", fb_size,
                     size - kPrefix);
    flatbuffers::Verifier verifier(p, kPrefix + fb_size, /*max_depth=*/64,
                                   /*max_tables=*/10000000);
    if (!fb::VerifySizePrefixedModelBuffer(verifier))
      return corrupt("the FlatBuffer fails verification (corrupt or truncated graph section)");
    m_.fb = fb::GetSizePrefixedModel(p);
    if (m_.fb->schema_version() > kSchemaVersion)
      return Status(StatusCode::kVersionMismatch,
                    "model '" + m_.origin + "' was written with schema version " +
                        std::to_string(m_.fb->schema_version()) + "; this libstrix reads up to " +
                        std::to_string(kSchemaVersion) + ": upgrade libstrix");
    if (m_.fb->schema_version() == 0) return corrupt("schema_version is missing (0)");
    size_t data_start = align64(kPrefix + fb_size);
    m_.data_segment = p + (data_start < size ? data_start : size);
    m_.data_segment_size = data_start < size ? size - data_start : 0;
    m_.graph = m_.fb->graph();
    if (m_.graph == nullptr) return corrupt("the model has no graph");
    if (!m_.graph->tensors() || !m_.graph->nodes() || !m_.graph->inputs() || !m_.graph->outputs())
      return corrupt("the graph lacks its tensors, nodes, inputs or outputs list");
    return Status();
  }

  Status check_tensors() {
    const auto* tensors = m_.graph->tensors();
    const auto* buffers = m_.fb->buffers();
    uint32_t num_buffers = buffers ? buffers->size() : 0;
    if (tensors->size() > (1u << 28)) return corrupt("too many tensors (%u)", tensors->size());
    m_.tensors.resize(tensors->size());
    m_.constants.assign(tensors->size(), nullptr);
    for (uint32_t i = 0; i < tensors->size(); ++i) {
      const fb::Tensor* t = tensors->Get(i);
      TensorInfo& info = m_.tensors[i];
      info.name = t->name() ? t->name()->str() : std::string();
      std::string label = tensor_label(m_, static_cast<int>(i));
      int dtype = static_cast<int>(t->dtype());
      if (dtype < 0 || dtype > static_cast<int>(fb::DType::MAX))
        return corrupt("%s has an unknown dtype %d", label.c_str(), dtype);
      info.dtype = static_cast<DType>(dtype);
      const auto* shape = t->shape();
      if (misaligned(shape) || (t->quantization() && misaligned(t->quantization()->zero_point())))
        return corrupt("%s: a 64-bit vector is misaligned", label.c_str());
      if (shape && shape->size() > static_cast<uint32_t>(Shape::kMaxRank))
        return corrupt("%s has rank %u; at most %d is supported", label.c_str(), shape->size(),
                       Shape::kMaxRank);
      uint64_t elements = 1;
      bool dynamic = false;
      for (uint32_t d = 0; shape && d < shape->size(); ++d) {
        int64_t v = shape->Get(d);
        if (v == -1 && d == 0) {
          dynamic = true;
        } else if (v < 0 || v > kMaxDim) {
          return corrupt("%s has an invalid dimension %lld at index %u", label.c_str(),
                         static_cast<long long>(v), d);
        }
        info.shape.push_back(v);
        if (v > 0) elements *= static_cast<uint64_t>(v);
        if (elements > kMaxTensorBytes)
          return corrupt("%s is too large (%s)", label.c_str(), info.shape.to_string().c_str());
      }
      if (elements * dtype_size(info.dtype) > kMaxTensorBytes)
        return corrupt("%s is too large (%s)", label.c_str(), info.shape.to_string().c_str());
      STRIX_RETURN_IF_ERROR(check_quantization(t, info, label));
      if (t->buffer() != 0) {
        if (t->buffer() > num_buffers)
          return corrupt("%s refers to buffer %u, the model has %u", label.c_str(), t->buffer(),
                         num_buffers);
        if (dynamic) return corrupt("%s is a constant with a dynamic dimension", label.c_str());
        const fb::Buffer* b = buffers->Get(t->buffer() - 1);
        uint64_t need = elements * dtype_size(info.dtype);
        if (b->size() != need)
          return corrupt("%s: buffer %u holds %llu bytes, dtype %s x shape %s needs %llu",
                         label.c_str(), t->buffer(), static_cast<unsigned long long>(b->size()),
                         dtype_name(info.dtype), info.shape.to_string().c_str(),
                         static_cast<unsigned long long>(need));
        m_.constants[i] = m_.data_segment + b->offset();
        m_.weights_bytes += need;
      }
    }
    return Status();
  }

  Status check_quantization(const fb::Tensor* t, TensorInfo& info, const std::string& label) {
    const fb::Quantization* q = t->quantization();
    if (q == nullptr) return Status();
    if (!q->scale() || q->scale()->size() == 0) return Status();  // an empty table: not quantized
    uint32_t n = q->scale()->size();
    if (q->zero_point() && q->zero_point()->size() != 0 && q->zero_point()->size() != n)
      return corrupt("%s has %u scales but %u zero points", label.c_str(), n,
                     q->zero_point()->size());
    if (n > 1) {
      int rank = info.shape.rank();
      if (q->axis() < 0 || q->axis() >= rank)
        return corrupt("%s: quantization axis %d is out of range for rank %d", label.c_str(),
                       q->axis(), rank);
      if (info.shape[q->axis()] != static_cast<int64_t>(n))
        return corrupt("%s: %u per-channel scales for dimension %lld of axis %d", label.c_str(), n,
                       static_cast<long long>(info.shape[q->axis()]), q->axis());
    }
    for (uint32_t i = 0; i < n; ++i) {
      float s = q->scale()->Get(i);
      if (!(s > 0.f) || !std::isfinite(s))
        return corrupt("%s: quantization scale %u is %g (must be positive and finite)",
                       label.c_str(), i, s);
      info.quantization.scales.push_back(s);
      int64_t zp = (q->zero_point() && q->zero_point()->size()) ? q->zero_point()->Get(i) : 0;
      if (zp < -2147483647 || zp > 2147483647)
        return corrupt("%s: zero point %lld is out of range", label.c_str(),
                       static_cast<long long>(zp));
      info.quantization.zero_points.push_back(zp);
    }
    info.quantization.axis = q->axis();
    return Status();
  }

  Status check_buffers() {
    const auto* buffers = m_.fb->buffers();
    if (buffers == nullptr) return Status();
    if (misaligned(buffers)) return corrupt("the buffer table is misaligned");
    for (uint32_t i = 0; i < buffers->size(); ++i) {
      const fb::Buffer* b = buffers->Get(i);
      if (b->offset() % 64 != 0)
        return corrupt("buffer %u starts at offset %llu, which is not 64-byte aligned", i + 1,
                       static_cast<unsigned long long>(b->offset()));
      if (b->offset() > m_.data_segment_size || b->size() > m_.data_segment_size - b->offset())
        return corrupt(
            "truncated: buffer %u spans bytes %llu..%llu of the data segment, which has %zu", i + 1,
            static_cast<unsigned long long>(b->offset()),
            static_cast<unsigned long long>(b->offset() + b->size()), m_.data_segment_size);
    }
    return Status();
  }

  // Indices in range, each tensor produced once, options matching the op, and every input
  // produced before use (which, with nodes in order, also proves the graph acyclic).
  Status check_nodes() {
    int num_tensors = m_.num_tensors();
    // producer[t]: -2 = graph input or constant, -1 = not produced yet, else node index.
    std::vector<int> producer(num_tensors, -1);
    for (int t = 0; t < num_tensors; ++t)
      if (m_.constants[t]) producer[t] = -2;
    const auto* inputs = m_.graph->inputs();
    for (uint32_t i = 0; i < inputs->size(); ++i) {
      int t = inputs->Get(i);
      if (t < 0 || t >= num_tensors)
        return corrupt("graph input %u refers to tensor %d, the model has %d", i, t, num_tensors);
      if (m_.constants[t])
        return corrupt("graph input %u (%s) is a constant", i, tensor_label(m_, t).c_str());
      if (producer[t] == -2)
        return corrupt("%s is listed twice as a graph input", tensor_label(m_, t).c_str());
      producer[t] = -2;
    }
    // First pass: who produces what (to tell "cycle" from "never produced").
    const auto* nodes = m_.graph->nodes();
    std::vector<int> final_producer = producer;
    for (uint32_t n = 0; n < nodes->size(); ++n) {
      const fb::Node* node = nodes->Get(n);
      std::string label = node_label(node, static_cast<int>(n));
      int op = static_cast<int>(node->op());
      if (op < 0 || op > static_cast<int>(fb::OpType::MAX))
        return corrupt("node %u has an unknown op %d (written by a newer Strix?)", n, op);
      if (!node->outputs() || node->outputs()->size() == 0)
        return corrupt("%s has no outputs", label.c_str());
      for (uint32_t o = 0; o < node->outputs()->size(); ++o) {
        int t = node->outputs()->Get(o);
        if (t < 0 || t >= num_tensors)
          return corrupt("%s: output %u refers to tensor %d, the model has %d", label.c_str(), o, t,
                         num_tensors);
        if (final_producer[t] == -2)
          return corrupt("%s writes %s, which is a graph input or a constant", label.c_str(),
                         tensor_label(m_, t).c_str());
        if (final_producer[t] >= 0)
          return corrupt("%s writes %s, which node %d also writes", label.c_str(),
                         tensor_label(m_, t).c_str(), final_producer[t]);
        final_producer[t] = static_cast<int>(n);
      }
    }
    for (uint32_t n = 0; n < nodes->size(); ++n) {
      const fb::Node* node = nodes->Get(n);
      std::string label = node_label(node, static_cast<int>(n));
      STRIX_RETURN_IF_ERROR(check_options(node, label));
      const auto* node_inputs = node->inputs();
      for (uint32_t i = 0; node_inputs && i < node_inputs->size(); ++i) {
        int t = node_inputs->Get(i);
        if (t == -1) continue;  // omitted optional input
        if (t < -1 || t >= num_tensors)
          return corrupt("%s: input %u refers to tensor %d, the model has %d", label.c_str(), i, t,
                         num_tensors);
        if (producer[t] == -1) {
          if (final_producer[t] >= static_cast<int>(n))
            return corrupt(
                "%s reads %s before node %d produces it: the graph has a cycle or is "
                "not in topological order",
                label.c_str(), tensor_label(m_, t).c_str(), final_producer[t]);
          return corrupt(
              "%s reads %s, which no node produces and which is neither a graph input "
              "nor a constant",
              label.c_str(), tensor_label(m_, t).c_str());
        }
      }
      for (uint32_t o = 0; o < node->outputs()->size(); ++o) producer[node->outputs()->Get(o)] = n;
    }
    const auto* outputs = m_.graph->outputs();
    if (outputs->size() == 0) return corrupt("the graph has no outputs");
    for (uint32_t i = 0; i < outputs->size(); ++i) {
      int t = outputs->Get(i);
      if (t < 0 || t >= num_tensors)
        return corrupt("graph output %u refers to tensor %d, the model has %d", i, t, num_tensors);
      if (m_.constants[t])
        return corrupt("graph output %u (%s) is a constant; outputs must be computed", i,
                       tensor_label(m_, t).c_str());
      if (producer[t] == -1)
        return corrupt("graph output %u (%s) is never produced", i, tensor_label(m_, t).c_str());
    }
    return Status();
  }

  Status check_options(const fb::Node* node, const std::string& label) {
    OptionsRule rule = options_rule(node->op());
    fb::OpOptions type = node->options_type();
    int type_value = static_cast<int>(type);
    if (type_value < 0 || type_value > static_cast<int>(fb::OpOptions::MAX))
      return corrupt("%s has an unknown options type %d", label.c_str(), type_value);
    if (type == fb::OpOptions::NONE) {
      if (rule.required)
        return corrupt("%s needs %s", label.c_str(), fb::EnumNameOpOptions(rule.type));
      return Status();
    }
    if (type == rule.type && has_misaligned_vector(node))
      return corrupt("%s: a 64-bit vector of its options is misaligned", label.c_str());
    if (type != rule.type)
      return corrupt(
          "%s carries %s, but %s takes %s", label.c_str(), fb::EnumNameOpOptions(type),
          fb::EnumNameOpType(node->op()),
          rule.type == fb::OpOptions::NONE ? "no options" : fb::EnumNameOpOptions(rule.type));
    if (node->options() == nullptr) return corrupt("%s: options table is missing", label.c_str());
    if (node->op() == fb::OpType::Custom) {
      const fb::CustomOptions* c = node->options_as_CustomOptions();
      if (c->name() == nullptr || c->name()->size() == 0)
        return corrupt("%s: a Custom node must name its kernel", label.c_str());
    }
    return Status();
  }

  Status check_metadata() {
    const fb::Metadata* md = m_.fb->metadata();
    Metadata& out = m_.metadata;
    if (m_.fb->description()) out.description = m_.fb->description()->str();
    if (md == nullptr) return Status();
    int task = static_cast<int>(md->task());
    if (task < 0 || task > static_cast<int>(fb::Task::MAX))
      return corrupt("metadata: unknown task %d", task);
    out.task = static_cast<Task>(task);
    uint32_t num_inputs = m_.graph->inputs()->size();
    if (md->inputs()) {
      for (uint32_t i = 0; i < md->inputs()->size(); ++i) {
        const fb::InputContract* c = md->inputs()->Get(i);
        InputContract ic;
        if (c->tensor() < 0 || static_cast<uint32_t>(c->tensor()) >= num_inputs)
          return corrupt("metadata: input contract %u names graph input %d, the graph has %u", i,
                         c->tensor(), num_inputs);
        ic.input_index = c->tensor();
        ic.layout = static_cast<Layout>(static_cast<int>(c->layout()) & 1);
        ic.width = c->width();
        ic.height = c->height();
        if (ic.width < 0 || ic.height < 0)
          return corrupt("metadata: input contract %u has a negative size", i);
        int color = static_cast<int>(c->color());
        if (color < 0 || color > static_cast<int>(fb::ColorOrder::MAX))
          return corrupt("metadata: input contract %u has an unknown colour order %d", i, color);
        ic.color = static_cast<ColorOrder>(color);
        if (c->mean()) ic.mean.assign(c->mean()->begin(), c->mean()->end());
        if (c->std()) ic.std.assign(c->std()->begin(), c->std()->end());
        for (float s : ic.std)
          if (!(s != 0.f) || !std::isfinite(s))
            return corrupt("metadata: input contract %u has a std of %g", i, s);
        ic.unit_range = c->unit_range();
        int resize = static_cast<int>(c->resize());
        if (resize < 0 || resize > static_cast<int>(fb::ResizeKind::MAX))
          return corrupt("metadata: input contract %u has an unknown resize kind %d", i, resize);
        ic.resize = static_cast<ResizeKind>(resize);
        ic.pad_value = c->pad_value();
        out.inputs.push_back(std::move(ic));
      }
    }
    if (md->labels())
      for (const auto* s : *md->labels()) out.labels.push_back(s ? s->str() : std::string());
    if (const fb::PostProcess* p = md->postprocess()) {
      out.postprocess.decoder = static_cast<int>(p->decoder());
      out.postprocess.score_threshold = p->score_threshold();
      out.postprocess.nms_iou_threshold = p->nms_iou_threshold();
      out.postprocess.max_detections = p->max_detections();
      out.postprocess.top_k = p->top_k();
      if (p->anchors()) out.postprocess.anchors.assign(p->anchors()->begin(), p->anchors()->end());
      out.postprocess.apply_softmax = p->apply_softmax();
    }
    auto str = [](const flatbuffers::String* s) { return s ? s->str() : std::string(); };
    out.producer = str(md->producer());
    out.producer_version = str(md->producer_version());
    if (const fb::Provenance* p = md->provenance()) {
      out.source_file = str(p->source_file());
      out.source_sha256 = str(p->source_sha256());
      out.source_format = str(p->source_format());
      out.created_utc = str(p->created_utc());
      out.calibrator = str(p->calibrator());
      out.calibration_data_sha256 = str(p->calibration_data_sha256());
      out.target = str(p->target());
    }
    if (md->extra())
      for (const auto* kv : *md->extra()) out.extra.emplace_back(str(kv->key()), str(kv->value()));
    return Status();
  }

 private:
  ModelImpl& m_;
};

}  // namespace

std::string node_label(const fb::Node* node, int index) {
  std::string s = "node " + std::to_string(index);
  if (node->name() && node->name()->size()) s += " '" + node->name()->str() + "'";
  int op = static_cast<int>(node->op());
  if (op >= 0 && op <= static_cast<int>(fb::OpType::MAX))
    s += std::string(" (") + fb::EnumNameOpType(node->op()) + ")";
  return s;
}

std::string tensor_label(const ModelImpl& m, int index) {
  std::string s = "tensor " + std::to_string(index);
  if (index >= 0 && index < m.num_tensors() && !m.tensors[index].name.empty())
    s += " '" + m.tensors[index].name + "'";
  return s;
}

Result<std::shared_ptr<const ModelImpl>> load_model(std::unique_ptr<ModelBytes> bytes,
                                                    const std::string& origin) {
  auto impl = std::make_shared<ModelImpl>();
  impl->bytes = std::move(bytes);
  impl->origin = origin;
  Checker checker(*impl);
  STRIX_RETURN_IF_ERROR(checker.check_header());
  STRIX_RETURN_IF_ERROR(checker.check_buffers());
  STRIX_RETURN_IF_ERROR(checker.check_tensors());
  STRIX_RETURN_IF_ERROR(checker.check_nodes());
  STRIX_RETURN_IF_ERROR(checker.check_metadata());
  return std::shared_ptr<const ModelImpl>(std::move(impl));
}

}  // namespace strix
