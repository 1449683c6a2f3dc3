// NodeContext (what each op importer uses) and ONNX tensor/type helpers.
#include <cstdio>
#include <cstring>

#include "converter/frontends/onnx/importer.h"
#include "strix/tensor.h"

namespace strix::onnx_frontend {

bool onnx_dtype(int elem_type, ir::DType* out) {
  using T = onnx::TensorProto;
  switch (elem_type) {
    case T::FLOAT: *out = ir::DType::kF32; return true;
    case T::FLOAT16: *out = ir::DType::kF16; return true;
    case T::DOUBLE: *out = ir::DType::kF64; return true;
    case T::INT8: *out = ir::DType::kI8; return true;
    case T::UINT8: *out = ir::DType::kU8; return true;
    case T::INT16:
    case T::UINT16:
    case T::INT32: *out = ir::DType::kI32; return true;
    case T::UINT32:
    case T::UINT64:
    case T::INT64: *out = ir::DType::kI64; return true;
    case T::BOOL: *out = ir::DType::kBool; return true;
    default: return false;
  }
}

const char* onnx_type_name(int elem_type) {
  return onnx::TensorProto::DataType_IsValid(elem_type)
             ? onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(elem_type))
                   .c_str()
             : "UNKNOWN";
}

namespace {

template <typename T>
void read_raw(const std::string& raw, size_t n, std::vector<T>* out) {
  out->resize(n);
  if (n) std::memcpy(out->data(), raw.data(), n * sizeof(T));
}

}  // namespace

Status tensor_from_proto(const onnx::TensorProto& p, ir::Tensor* out) {
  using T = onnx::TensorProto;
  if (p.data_location() == T::EXTERNAL)
    return Status(StatusCode::kUnsupported, "external data is not supported");
  ir::DType dtype;
  if (!onnx_dtype(p.data_type(), &dtype))
    return Status(
        StatusCode::kUnsupported,
        std::string("element type ") + onnx_type_name(p.data_type()) + " is not supported");
  out->name = p.name();
  out->dtype = dtype;
  out->shape.assign(p.dims().begin(), p.dims().end());
  out->is_constant = true;
  int64_t n = 1;
  for (int64_t d : p.dims()) {
    if (d < 0) return Status(StatusCode::kCorruptModel, "negative dimension");
    n *= d;
    if (n > (int64_t(1) << 34)) return Status(StatusCode::kCorruptModel, "too large");
  }
  const size_t count = static_cast<size_t>(n);
  const bool raw = p.has_raw_data();
  auto size_error = [&](size_t have) {
    return Status(StatusCode::kCorruptModel, "holds " + std::to_string(have) + " values for " +
                                                 std::to_string(count) + " elements");
  };
  auto check_raw = [&](size_t elem) { return p.raw_data().size() == count * elem; };
  switch (p.data_type()) {
    case T::FLOAT:
      if (raw) {
        if (!check_raw(4)) return size_error(p.raw_data().size() / 4);
        read_raw(p.raw_data(), count, &out->floats);
      } else {
        if (static_cast<size_t>(p.float_data_size()) != count)
          return size_error(p.float_data_size());
        out->floats.assign(p.float_data().begin(), p.float_data().end());
      }
      return Status();
    case T::DOUBLE: {
      std::vector<double> d;
      if (raw) {
        if (!check_raw(8)) return size_error(p.raw_data().size() / 8);
        read_raw(p.raw_data(), count, &d);
      } else {
        if (static_cast<size_t>(p.double_data_size()) != count)
          return size_error(p.double_data_size());
        d.assign(p.double_data().begin(), p.double_data().end());
      }
      out->floats.assign(d.begin(), d.end());
      return Status();
    }
    case T::FLOAT16: {
      std::vector<uint16_t> h;
      if (raw) {
        if (!check_raw(2)) return size_error(p.raw_data().size() / 2);
        read_raw(p.raw_data(), count, &h);
      } else {
        if (static_cast<size_t>(p.int32_data_size()) != count)
          return size_error(p.int32_data_size());
        for (int32_t v : p.int32_data()) h.push_back(static_cast<uint16_t>(v));
      }
      for (uint16_t v : h) out->floats.push_back(half_to_float(v));
      return Status();
    }
    case T::INT64:
    case T::UINT64:
    case T::UINT32: {
      if (raw) {
        size_t elem = p.data_type() == T::UINT32 ? 4 : 8;
        if (!check_raw(elem)) return size_error(p.raw_data().size() / elem);
        if (elem == 4) {
          std::vector<uint32_t> v;
          read_raw(p.raw_data(), count, &v);
          out->ints.assign(v.begin(), v.end());
        } else {
          read_raw(p.raw_data(), count, &out->ints);
        }
      } else if (p.data_type() == T::INT64) {
        if (static_cast<size_t>(p.int64_data_size()) != count)
          return size_error(p.int64_data_size());
        out->ints.assign(p.int64_data().begin(), p.int64_data().end());
      } else {
        if (static_cast<size_t>(p.uint64_data_size()) != count)
          return size_error(p.uint64_data_size());
        for (uint64_t v : p.uint64_data()) out->ints.push_back(static_cast<int64_t>(v));
      }
      return Status();
    }
    default: {
      // INT32, INT16, UINT16, INT8, UINT8, BOOL: int32_data, or raw of their own width.
      if (raw) {
        size_t elem = 1;
        if (p.data_type() == T::INT32) elem = 4;
        if (p.data_type() == T::INT16 || p.data_type() == T::UINT16) elem = 2;
        if (!check_raw(elem)) return size_error(p.raw_data().size() / elem);
        const char* bytes = p.raw_data().data();
        for (size_t i = 0; i < count; ++i) {
          int64_t v = 0;
          switch (p.data_type()) {
            case T::INT32: {
              int32_t x;
              std::memcpy(&x, bytes + 4 * i, 4);
              v = x;
              break;
            }
            case T::INT16: {
              int16_t x;
              std::memcpy(&x, bytes + 2 * i, 2);
              v = x;
              break;
            }
            case T::UINT16: {
              uint16_t x;
              std::memcpy(&x, bytes + 2 * i, 2);
              v = x;
              break;
            }
            case T::INT8: v = static_cast<int8_t>(bytes[i]); break;
            default: v = static_cast<uint8_t>(bytes[i]); break;
          }
          out->ints.push_back(v);
        }
      } else {
        if (static_cast<size_t>(p.int32_data_size()) != count)
          return size_error(p.int32_data_size());
        out->ints.assign(p.int32_data().begin(), p.int32_data().end());
      }
      return Status();
    }
  }
}

Status tensor_to_proto(const ir::Tensor& t, const std::string& name, onnx::TensorProto* out) {
  using T = onnx::TensorProto;
  out->set_name(name);
  for (int64_t d : t.shape) out->add_dims(d);
  switch (t.dtype) {
    case ir::DType::kF32:
    case ir::DType::kF16:  // folded values are float; inference only needs the shape
      out->set_data_type(t.dtype == ir::DType::kF32 ? T::FLOAT : T::FLOAT16);
      if (t.dtype == ir::DType::kF32) {
        for (float v : t.floats) out->add_float_data(v);
      } else {
        for (float v : t.floats) out->add_int32_data(float_to_half(v));
      }
      return Status();
    case ir::DType::kF64:
      out->set_data_type(T::DOUBLE);
      for (float v : t.floats) out->add_double_data(v);
      return Status();
    case ir::DType::kI64:
      out->set_data_type(T::INT64);
      for (int64_t v : t.ints) out->add_int64_data(v);
      return Status();
    case ir::DType::kI32:
    case ir::DType::kI8:
    case ir::DType::kU8:
    case ir::DType::kBool:
      out->set_data_type(t.dtype == ir::DType::kI32  ? T::INT32
                         : t.dtype == ir::DType::kI8 ? T::INT8
                         : t.dtype == ir::DType::kU8 ? T::UINT8
                                                     : T::BOOL);
      for (int64_t v : t.ints) out->add_int32_data(static_cast<int32_t>(v));
      return Status();
  }
  return Status(StatusCode::kInternal, "unknown dtype");
}

std::string onnx_node_label(const onnx::NodeProto& node, int index, int opset) {
  return "node " + std::to_string(index) + " '" + node.name() + "' (" + node.op_type() +
         ", opset " + std::to_string(opset) + ")";
}

// ---- NodeContext -------------------------------------------------------------------------

std::string NodeContext::label() const { return onnx_node_label(node, index, opset); }

Status NodeContext::error(StatusCode code, const char* format, ...) const {
  char buf[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof(buf), format, args);
  va_end(args);
  return Status(code, label() + ": " + buf);
}

const onnx::AttributeProto* NodeContext::attr(const char* name) const {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

int64_t NodeContext::attr_int(const char* name, int64_t fallback) const {
  const onnx::AttributeProto* a = attr(name);
  return a ? a->i() : fallback;
}

float NodeContext::attr_float(const char* name, float fallback) const {
  const onnx::AttributeProto* a = attr(name);
  return a ? a->f() : fallback;
}

std::string NodeContext::attr_string(const char* name, const std::string& fallback) const {
  const onnx::AttributeProto* a = attr(name);
  return a ? a->s() : fallback;
}

std::vector<int64_t> NodeContext::attr_ints(const char* name) const {
  const onnx::AttributeProto* a = attr(name);
  if (a == nullptr) return {};
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::vector<float> NodeContext::attr_floats(const char* name) const {
  const onnx::AttributeProto* a = attr(name);
  if (a == nullptr) return {};
  return std::vector<float>(a->floats().begin(), a->floats().end());
}

Result<int> NodeContext::input(int i) {
  if (!has_input(i)) return error(StatusCode::kCorruptModel, "input %d is missing", i);
  return imp.tensor(node.input(i), label());
}

std::vector<int64_t> NodeContext::shape(int i) const {
  if (!has_input(i)) return {};
  return imp.merged_dims(node.input(i));
}

ir::DType NodeContext::dtype(int i) const {
  const TypeInfo* t = has_input(i) ? imp.type(node.input(i), 0) : nullptr;
  if (t != nullptr && t->known_dtype) return t->dtype;
  Value v = has_input(i) ? imp.value(node.input(i), 0) : nullptr;
  return v ? v->dtype : ir::DType::kF32;
}

bool NodeContext::is_constant(int i) const {
  return has_input(i) && imp.is_static_value(node.input(i));
}

Result<ir::Tensor> NodeContext::constant(int i, const char* what) const {
  if (!has_input(i)) return error(StatusCode::kCorruptModel, "%s (input %d) is missing", what, i);
  if (!imp.value(node.input(i), 0))
    return error(StatusCode::kUnsupported,
                 "%s (input %d '%s') must be known at conversion time, but it is computed at run "
                 "time",
                 what, i, node.input(i).c_str());
  if (!imp.is_static_value(node.input(i)))
    return error(StatusCode::kUnsupported,
                 "%s (input %d '%s') depends on the batch size; fix the batch with --input-shape",
                 what, i, node.input(i).c_str());
  return *imp.value(node.input(i), 0);
}

Result<std::vector<int64_t>> NodeContext::ints(int i, const char* what) const {
  Result<ir::Tensor> t = constant(i, what);
  if (!t.ok()) return t.status();
  if (ir::is_float(t.value().dtype))
    return error(StatusCode::kCorruptModel, "%s (input %d) must be an integer tensor", what, i);
  return t.value().ints;
}

Result<std::vector<float>> NodeContext::floats(int i, const char* what) const {
  Result<ir::Tensor> t = constant(i, what);
  if (!t.ok()) return t.status();
  const ir::Tensor& v = t.value();
  if (ir::is_float(v.dtype)) return v.floats;
  return std::vector<float>(v.ints.begin(), v.ints.end());
}

bool NodeContext::output_used(int i) const {
  return i < node.output_size() && !node.output(i).empty() && imp.use_count(node.output(i)) > 0;
}

const TypeInfo* NodeContext::output_type(int i, int world) const {
  return i < node.output_size() ? imp.type(node.output(i), world) : nullptr;
}

int NodeContext::num_worlds() const { return imp.num_worlds(); }

std::vector<int64_t> NodeContext::output_shape(int i) const {
  if (i >= node.output_size()) return {};
  return imp.merged_dims(node.output(i));
}

Result<int> NodeContext::output(int i) {
  if (i >= node.output_size() || node.output(i).empty())
    return error(StatusCode::kCorruptModel, "output %d is missing", i);
  const std::string& name = node.output(i);
  if (imp.has_tensor(name)) return imp.tensor(name, label());
  const TypeInfo* t0 = imp.type(name, 0);
  if (t0 == nullptr || !t0->has_shape || !t0->known_dtype)
    return error(StatusCode::kUnsupported,
                 "ONNX shape inference gave no dtype or shape for output '%s'", name.c_str());
  std::vector<int64_t> dims = t0->dims;
  for (size_t d = 0; d < dims.size(); ++d)
    if (dims[d] < 0)
      return error(StatusCode::kUnsupported,
                   "ONNX shape inference left dim %zu of output '%s' unknown", d, name.c_str());
  // The file stores -1 for a batch-dependent dim 0; other batch-dependent dims keep their
  // batch-1 value (the Engine re-infers every shape when the batch is not the file's).
  std::vector<int64_t> merged = imp.merged_dims(name);
  if (!merged.empty() && !dims.empty() && merged[0] < 0) dims[0] = -1;
  int id = imp.ir().add_tensor(ir::Tensor::activation(name, t0->dtype, dims));
  imp.set_tensor(name, id);
  return id;
}

void NodeContext::alias_output(int i, int tensor) { imp.set_tensor(node.output(i), tensor); }

void NodeContext::add(fb::OpType op, ir::Options options, std::vector<int> inputs,
                      std::vector<int> outputs, const std::string& suffix) {
  ir::Node n;
  n.name =
      (node.name().empty() ? node.op_type() + "_" + std::to_string(index) : node.name()) + suffix;
  n.op = op;
  n.options = std::move(options);
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.source_nodes.push_back(node.name());
  for (const std::string& s : extra_sources) n.source_nodes.push_back(s);
  imp.ir().add_node(std::move(n));
}

int NodeContext::add_tensor(ir::DType dtype, std::vector<int64_t> shape,
                            const std::string& suffix) {
  std::string base = node.output_size() > 0 ? node.output(0) : node.name();
  return imp.ir().add_tensor(ir::Tensor::activation(base + suffix, dtype, std::move(shape)));
}

int NodeContext::add_constant(ir::Tensor tensor) { return imp.ir().add_tensor(std::move(tensor)); }

}  // namespace strix::onnx_frontend
