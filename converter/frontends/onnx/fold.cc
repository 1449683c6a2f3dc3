// Constant folding: evaluates ONNX nodes whose inputs are known at conversion time (shape
// subgraphs as PyTorch exports them, Constant, ConstantOfShape, Range, ...). Values are
// ir::Tensor: float dtypes in `floats`, integer and bool dtypes in `ints` (int64 exact).
#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "converter/frontends/onnx/importer.h"

namespace strix::onnx_frontend {
namespace {

using Dims = std::vector<int64_t>;

int64_t count(const Dims& d) {
  int64_t n = 1;
  for (int64_t v : d) n *= v;
  return n;
}

Dims strides_of(const Dims& d) {
  Dims s(d.size(), 1);
  for (size_t i = d.size(); i-- > 1;) s[i - 1] = s[i] * d[i];
  return s;
}

Value make_value(ir::DType dtype, Dims shape) {
  auto t = std::make_shared<ir::Tensor>();
  t->dtype = dtype;
  t->shape = std::move(shape);
  t->is_constant = true;
  return t;
}

// numpy broadcast of several shapes; false when incompatible.
bool broadcast(const std::vector<Dims>& shapes, Dims* out) {
  size_t rank = 0;
  for (const Dims& s : shapes) rank = std::max(rank, s.size());
  out->assign(rank, 1);
  for (const Dims& s : shapes) {
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& o = (*out)[rank - s.size() + i];
      if (s[i] == o || s[i] == 1) continue;
      if (o != 1) return false;
      o = s[i];
    }
  }
  return true;
}

// Flat index into a tensor of shape `s` (right-aligned, broadcast) for output index `idx`.
int64_t broadcast_index(const Dims& out_idx, const Dims& s) {
  int64_t flat = 0, stride = 1;
  size_t off = out_idx.size() - s.size();
  for (size_t i = s.size(); i-- > 0;) {
    int64_t v = s[i] == 1 ? 0 : out_idx[off + i];
    flat += v * stride;
    stride *= s[i];
  }
  return flat;
}

void unravel(int64_t flat, const Dims& shape, Dims* idx) {
  idx->resize(shape.size());
  for (size_t i = shape.size(); i-- > 0;) {
    (*idx)[i] = shape[i] ? flat % shape[i] : 0;
    flat = shape[i] ? flat / shape[i] : 0;
  }
}

double get(const ir::Tensor& t, int64_t i) {
  return ir::is_float(t.dtype) ? static_cast<double>(t.floats[i]) : static_cast<double>(t.ints[i]);
}

// Copies element `from` of `src` to the end of `dst` (same storage kind).
void push(const ir::Tensor& src, int64_t from, ir::Tensor* dst) {
  if (ir::is_float(src.dtype))
    dst->floats.push_back(src.floats[from]);
  else
    dst->ints.push_back(src.ints[from]);
}

int64_t normalize(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const char* name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

int64_t attr_int(const onnx::NodeProto& n, const char* name, int64_t fallback) {
  const auto* a = find_attr(n, name);
  return a ? a->i() : fallback;
}

Dims attr_ints(const onnx::NodeProto& n, const char* name, bool* present = nullptr) {
  const auto* a = find_attr(n, name);
  if (present) *present = a != nullptr;
  return a ? Dims(a->ints().begin(), a->ints().end()) : Dims();
}

class Folder {
 public:
  Folder(const onnx::NodeProto& node, int opset, const std::vector<Value>& in,
         const std::vector<const TypeInfo*>& types, const std::string& label)
      : n_(node), opset_(opset), in_(in), types_(types), label_(label) {}

  // Returns a Status on invalid input; sets out_ when folded.
  Status run(std::vector<Value>* out) {
    const std::string& op = n_.op_type();
    if (op == "Constant") return constant(out);
    if (op == "Shape" || op == "Size") return shape(out);
    for (size_t i = 0; i < in_.size(); ++i)
      if (!n_.input(i).empty() && !in_[i]) return Status();  // not all inputs known
    if (op == "Identity") return done(out, in_[0]);
    if (op == "Gather") return gather(out);
    if (op == "Concat") return concat(out);
    if (op == "Unsqueeze" || op == "Squeeze") return squeeze(out);
    if (op == "Slice") return slice(out);
    if (op == "Cast") return cast(out);
    if (op == "Reshape") return reshape(out);
    if (op == "Expand") return expand(out);
    if (op == "ConstantOfShape") return constant_of_shape(out);
    if (op == "Range") return range(out);
    if (op == "Transpose") return transpose(out);
    if (op == "Where") return where(out);
    if (op == "QuantizeLinear" || op == "DequantizeLinear")
      return fold_qdq(n_, opset_, in_, label_, out);  // import_qdq.cc
    return elementwise(out);
  }

 private:
  Status fail(const std::string& msg) const {
    return Status(StatusCode::kCorruptModel, label_ + ": " + msg);
  }
  Status done(std::vector<Value>* out, Value v) {
    out->assign(1, std::move(v));
    return Status();
  }
  Dims input_ints(int i) const { return in_[i]->ints; }

  Status constant(std::vector<Value>* out) {
    if (n_.attribute_size() != 1) return fail("Constant needs exactly one attribute");
    const onnx::AttributeProto& a = n_.attribute(0);
    const std::string& name = a.name();
    if (name == "value") {
      auto t = std::make_shared<ir::Tensor>();
      Status s = tensor_from_proto(a.t(), t.get());
      if (!s.ok()) return Status(s.code(), label_ + ": " + s.message());
      return done(out, t);
    }
    if (name == "value_float" || name == "value_floats") {
      Value v = make_value(ir::DType::kF32, name == "value_float" ? Dims{} : Dims{a.floats_size()});
      auto* t = const_cast<ir::Tensor*>(v.get());
      if (name == "value_float")
        t->floats = {a.f()};
      else
        t->floats.assign(a.floats().begin(), a.floats().end());
      return done(out, v);
    }
    if (name == "value_int" || name == "value_ints") {
      Value v = make_value(ir::DType::kI64, name == "value_int" ? Dims{} : Dims{a.ints_size()});
      auto* t = const_cast<ir::Tensor*>(v.get());
      if (name == "value_int")
        t->ints = {a.i()};
      else
        t->ints.assign(a.ints().begin(), a.ints().end());
      return done(out, v);
    }
    return Status(StatusCode::kUnsupported,
                  label_ + ": Constant with attribute '" + name + "' is not supported");
  }

  Status shape(std::vector<Value>* out) {
    const TypeInfo* t = types_.empty() ? nullptr : types_[0];
    if (t == nullptr || !t->has_shape) return Status();
    for (int64_t d : t->dims)
      if (d < 0) return Status();
    if (n_.op_type() == "Size") {
      Value v = make_value(ir::DType::kI64, {});
      const_cast<ir::Tensor*>(v.get())->ints = {count(t->dims)};
      return done(out, v);
    }
    int64_t rank = static_cast<int64_t>(t->dims.size());
    int64_t start = std::clamp(normalize(attr_int(n_, "start", 0), rank), int64_t(0), rank);
    int64_t end = std::clamp(normalize(attr_int(n_, "end", rank), rank), int64_t(0), rank);
    Dims dims(t->dims.begin() + start, t->dims.begin() + std::max(start, end));
    Value v = make_value(ir::DType::kI64, {static_cast<int64_t>(dims.size())});
    const_cast<ir::Tensor*>(v.get())->ints = dims;
    return done(out, v);
  }

  Status gather(std::vector<Value>* out) {
    const ir::Tensor& data = *in_[0];
    const ir::Tensor& idx = *in_[1];
    int64_t rank = data.rank();
    int64_t axis = normalize(attr_int(n_, "axis", 0), rank);
    if (axis < 0 || axis >= rank) return fail("Gather axis out of range");
    if (ir::is_float(idx.dtype)) return fail("Gather indices must be integers");
    Dims shape(data.shape.begin(), data.shape.begin() + axis);
    shape.insert(shape.end(), idx.shape.begin(), idx.shape.end());
    shape.insert(shape.end(), data.shape.begin() + axis + 1, data.shape.end());
    int64_t outer = count(Dims(data.shape.begin(), data.shape.begin() + axis));
    int64_t dim = data.shape[axis];
    int64_t inner = count(Dims(data.shape.begin() + axis + 1, data.shape.end()));
    Value v = make_value(data.dtype, shape);
    auto* t = const_cast<ir::Tensor*>(v.get());
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t j : idx.ints) {
        int64_t k = j < 0 ? j + dim : j;
        if (k < 0 || k >= dim) return fail("Gather index " + std::to_string(j) + " out of range");
        for (int64_t i = 0; i < inner; ++i) push(data, (o * dim + k) * inner + i, t);
      }
    }
    return done(out, v);
  }

  Status concat(std::vector<Value>* out) {
    const ir::Tensor& first = *in_[0];
    int64_t rank = first.rank();
    int64_t axis = normalize(attr_int(n_, "axis", 0), rank);
    if (axis < 0 || axis >= rank) return fail("Concat axis out of range");
    Dims shape = first.shape;
    shape[axis] = 0;
    for (const Value& x : in_) {
      if (x->rank() != rank || ir::is_float(x->dtype) != ir::is_float(first.dtype))
        return fail("Concat inputs differ in rank or type");
      shape[axis] += x->shape[axis];
    }
    int64_t outer = count(Dims(shape.begin(), shape.begin() + axis));
    Value v = make_value(first.dtype, shape);
    auto* t = const_cast<ir::Tensor*>(v.get());
    for (int64_t o = 0; o < outer; ++o) {
      for (const Value& x : in_) {
        int64_t row = count(Dims(x->shape.begin() + axis, x->shape.end()));
        for (int64_t i = 0; i < row; ++i) push(*x, o * row + i, t);
      }
    }
    return done(out, v);
  }

  Status squeeze(std::vector<Value>* out) {
    const ir::Tensor& x = *in_[0];
    bool unsqueeze = n_.op_type() == "Unsqueeze";
    Dims axes =
        opset_ >= 13 ? (in_.size() > 1 && in_[1] ? in_[1]->ints : Dims()) : attr_ints(n_, "axes");
    Dims shape;
    if (unsqueeze) {
      int64_t out_rank = x.rank() + static_cast<int64_t>(axes.size());
      std::set<int64_t> at;
      for (int64_t a : axes) at.insert(normalize(a, out_rank));
      size_t next = 0;
      for (int64_t d = 0; d < out_rank; ++d) shape.push_back(at.count(d) ? 1 : x.shape[next++]);
    } else {
      std::set<int64_t> at;
      for (int64_t a : axes) at.insert(normalize(a, x.rank()));
      for (int64_t d = 0; d < x.rank(); ++d) {
        bool remove = axes.empty() ? x.shape[d] == 1 : at.count(d) != 0;
        if (!remove) shape.push_back(x.shape[d]);
      }
    }
    if (count(shape) != count(x.shape)) return fail("Squeeze of a dim that is not 1");
    auto t = std::make_shared<ir::Tensor>(x);
    t->shape = shape;
    return done(out, t);
  }

  Status slice(std::vector<Value>* out) {
    const ir::Tensor& x = *in_[0];
    Dims starts, ends, axes, steps;
    if (opset_ < 10) {
      starts = attr_ints(n_, "starts");
      ends = attr_ints(n_, "ends");
      axes = attr_ints(n_, "axes");
    } else {
      starts = input_ints(1);
      ends = input_ints(2);
      if (in_.size() > 3 && in_[3]) axes = input_ints(3);
      if (in_.size() > 4 && in_[4]) steps = input_ints(4);
    }
    int64_t rank = x.rank();
    if (axes.empty())
      for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() ||
        steps.size() != starts.size())
      return fail("Slice starts/ends/axes/steps differ in length");
    Dims first(rank, 0), step(rank, 1), shape = x.shape;
    for (size_t i = 0; i < starts.size(); ++i) {
      int64_t a = normalize(axes[i], rank);
      if (a < 0 || a >= rank || steps[i] == 0) return fail("Slice axis or step invalid");
      int64_t dim = x.shape[a], s = starts[i], e = ends[i], st = steps[i];
      if (s < 0) s += dim;
      if (e < 0) e += dim;
      if (st > 0) {
        s = std::clamp(s, int64_t(0), dim);
        e = std::clamp(e, int64_t(0), dim);
        shape[a] = e > s ? (e - s + st - 1) / st : 0;
      } else {
        s = std::clamp(s, int64_t(0), dim - 1);
        e = std::clamp(e, int64_t(-1), dim - 1);
        shape[a] = s > e ? (s - e - st - 1) / -st : 0;
      }
      first[a] = s;
      step[a] = st;
    }
    Value v = make_value(x.dtype, shape);
    auto* t = const_cast<ir::Tensor*>(v.get());
    Dims xs = strides_of(x.shape), idx;
    for (int64_t o = 0; o < count(shape); ++o) {
      unravel(o, shape, &idx);
      int64_t flat = 0;
      for (int64_t d = 0; d < rank; ++d) flat += (first[d] + idx[d] * step[d]) * xs[d];
      push(x, flat, t);
    }
    return done(out, v);
  }

  Status cast(std::vector<Value>* out) {
    const ir::Tensor& x = *in_[0];
    ir::DType to;
    if (!onnx_dtype(static_cast<int>(attr_int(n_, "to", 0)), &to))
      return Status(StatusCode::kUnsupported, label_ + ": Cast to an unsupported type");
    Value v = make_value(to, x.shape);
    auto* t = const_cast<ir::Tensor*>(v.get());
    int64_t n = count(x.shape);
    for (int64_t i = 0; i < n; ++i) {
      double d = get(x, i);
      if (ir::is_float(to))
        t->floats.push_back(static_cast<float>(d));
      else if (to == ir::DType::kBool)
        t->ints.push_back(d != 0);
      else if (ir::is_float(x.dtype))
        t->ints.push_back(static_cast<int64_t>(std::clamp(std::trunc(d), -9.2e18, 9.2e18)));
      else
        t->ints.push_back(x.ints[i]);
    }
    return done(out, v);
  }

  Status reshape(std::vector<Value>* out) {
    const ir::Tensor& x = *in_[0];
    Dims spec = opset_ >= 5 ? input_ints(1) : attr_ints(n_, "shape");
    bool allowzero = attr_int(n_, "allowzero", 0) != 0;
    Dims shape;
    int infer = -1;
    int64_t known = 1;
    for (size_t i = 0; i < spec.size(); ++i) {
      int64_t d = spec[i];
      if (d == 0 && !allowzero) {
        if (i >= x.shape.size()) return fail("Reshape copies a dim the input lacks");
        d = x.shape[i];
      }
      if (d == -1) {
        if (infer >= 0) return fail("Reshape has two -1 dims");
        infer = static_cast<int>(i);
        d = 1;
      } else if (d < 0) {
        return fail("Reshape has a negative dim");
      }
      known *= d;
      shape.push_back(d);
    }
    if (infer >= 0) shape[infer] = known ? count(x.shape) / known : 0;
    if (count(shape) != count(x.shape)) return fail("Reshape changes the element count");
    auto t = std::make_shared<ir::Tensor>(x);
    t->shape = shape;
    return done(out, t);
  }

  // Writes f(out_index, input flat indices) for a broadcast over `inputs`.
  Status broadcast_map(const std::vector<const ir::Tensor*>& inputs, ir::DType dtype,
                       const std::function<void(ir::Tensor*, const Dims&)>& f,
                       std::vector<Value>* out, const Dims* target = nullptr) {
    std::vector<Dims> shapes;
    for (const ir::Tensor* t : inputs) shapes.push_back(t->shape);
    if (target) shapes.push_back(*target);
    Dims shape;
    if (!broadcast(shapes, &shape)) return fail("inputs do not broadcast");
    Value v = make_value(dtype, shape);
    auto* t = const_cast<ir::Tensor*>(v.get());
    Dims idx, flat(inputs.size());
    for (int64_t o = 0; o < count(shape); ++o) {
      unravel(o, shape, &idx);
      for (size_t k = 0; k < inputs.size(); ++k) flat[k] = broadcast_index(idx, inputs[k]->shape);
      f(t, flat);
    }
    return done(out, v);
  }

  Status expand(std::vector<Value>* out) {
    const ir::Tensor& x = *in_[0];
    Dims target = input_ints(1);
    return broadcast_map(
        {&x}, x.dtype, [&](ir::Tensor* t, const Dims& f) { push(x, f[0], t); }, out, &target);
  }

  Status where(std::vector<Value>* out) {
    const ir::Tensor &c = *in_[0], &a = *in_[1], &b = *in_[2];
    if (ir::is_float(a.dtype) != ir::is_float(b.dtype)) return fail("Where inputs differ in type");
    return broadcast_map(
        {&c, &a, &b}, a.dtype,
        [&](ir::Tensor* t, const Dims& f) {
          push(c.ints[f[0]] ? a : b, c.ints[f[0]] ? f[1] : f[2], t);
        },
        out);
  }

  Status constant_of_shape(std::vector<Value>* out) {
    Dims shape = input_ints(0);
    for (int64_t d : shape)
      if (d < 0) return fail("ConstantOfShape with a negative dim");
    ir::Tensor fill = *make_value(ir::DType::kF32, {1});
    fill.floats = {0.f};
    if (const auto* a = find_attr(n_, "value")) {
      Status s = tensor_from_proto(a->t(), &fill);
      if (!s.ok()) return Status(s.code(), label_ + ": " + s.message());
    }
    Value v = make_value(fill.dtype, shape);
    auto* t = const_cast<ir::Tensor*>(v.get());
    for (int64_t i = 0; i < count(shape); ++i) push(fill, 0, t);
    return done(out, v);
  }

  Status range(std::vector<Value>* out) {
    const ir::Tensor& s = *in_[0];
    double start = get(s, 0), limit = get(*in_[1], 0), delta = get(*in_[2], 0);
    if (delta == 0) return fail("Range with delta 0");
    int64_t n = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((limit - start) / delta)));
    Value v = make_value(s.dtype, {n});
    auto* t = const_cast<ir::Tensor*>(v.get());
    for (int64_t i = 0; i < n; ++i) {
      if (ir::is_float(s.dtype))
        t->floats.push_back(static_cast<float>(start + i * delta));
      else
        t->ints.push_back(s.ints[0] + i * in_[2]->ints[0]);
    }
    return done(out, v);
  }

  Status transpose(std::vector<Value>* out) {
    const ir::Tensor& x = *in_[0];
    int64_t rank = x.rank();
    Dims perm = attr_ints(n_, "perm");
    if (perm.empty())
      for (int64_t d = rank; d-- > 0;) perm.push_back(d);
    if (static_cast<int64_t>(perm.size()) != rank) return fail("Transpose perm has the wrong size");
    Dims shape(rank);
    for (int64_t d = 0; d < rank; ++d) shape[d] = x.shape[perm[d]];
    Value v = make_value(x.dtype, shape);
    auto* t = const_cast<ir::Tensor*>(v.get());
    Dims xs = strides_of(x.shape), idx;
    for (int64_t o = 0; o < count(shape); ++o) {
      unravel(o, shape, &idx);
      int64_t flat = 0;
      for (int64_t d = 0; d < rank; ++d) flat += idx[d] * xs[perm[d]];
      push(x, flat, t);
    }
    return done(out, v);
  }

  Status elementwise(std::vector<Value>* out) {
    const std::string& op = n_.op_type();
    std::vector<const ir::Tensor*> inputs;
    for (const Value& v : in_) inputs.push_back(v.get());
    bool is_float = ir::is_float(inputs[0]->dtype);
    static const std::set<std::string> kCompare = {
        "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or"};
    ir::DType dtype = kCompare.count(op) ? ir::DType::kBool : inputs[0]->dtype;
    if (inputs.size() == 1) {
      return broadcast_map(
          inputs, dtype,
          [&](ir::Tensor* t, const Dims& f) {
            double x = get(*inputs[0], f[0]);
            double y = 0;
            if (op == "Neg")
              y = -x;
            else if (op == "Abs")
              y = std::fabs(x);
            else if (op == "Sqrt")
              y = std::sqrt(x);
            else if (op == "Floor")
              y = std::floor(x);
            else if (op == "Ceil")
              y = std::ceil(x);
            else if (op == "Reciprocal")
              y = 1.0 / x;
            else if (op == "Not")
              y = x == 0;
            if (is_float)
              t->floats.push_back(static_cast<float>(y));
            else if (op == "Neg")
              t->ints.push_back(-inputs[0]->ints[f[0]]);
            else if (op == "Abs")
              t->ints.push_back(std::abs(inputs[0]->ints[f[0]]));
            else
              t->ints.push_back(static_cast<int64_t>(y));
          },
          out);
    }
    if (inputs.size() != 2) return fail(op + " folding takes two inputs");
    if (ir::is_float(inputs[1]->dtype) != is_float) return fail(op + " inputs differ in type");
    return broadcast_map(
        inputs, dtype,
        [&](ir::Tensor* t, const Dims& f) {
          if (is_float || dtype == ir::DType::kBool) {
            double a = get(*inputs[0], f[0]), b = get(*inputs[1], f[1]);
            double y = 0;
            if (op == "Add")
              y = a + b;
            else if (op == "Sub")
              y = a - b;
            else if (op == "Mul")
              y = a * b;
            else if (op == "Div")
              y = a / b;
            else if (op == "Pow")
              y = std::pow(a, b);
            else if (op == "Min")
              y = std::min(a, b);
            else if (op == "Max")
              y = std::max(a, b);
            else if (op == "Equal")
              y = a == b;
            else if (op == "Less")
              y = a < b;
            else if (op == "Greater")
              y = a > b;
            else if (op == "LessOrEqual")
              y = a <= b;
            else if (op == "GreaterOrEqual")
              y = a >= b;
            else if (op == "And")
              y = a != 0 && b != 0;
            else if (op == "Or")
              y = a != 0 || b != 0;
            if (dtype == ir::DType::kBool)
              t->ints.push_back(y != 0);
            else
              t->floats.push_back(static_cast<float>(y));
            return;
          }
          int64_t a = inputs[0]->ints[f[0]], b = inputs[1]->ints[f[1]], y = 0;
          if (op == "Add")
            y = a + b;
          else if (op == "Sub")
            y = a - b;
          else if (op == "Mul")
            y = a * b;
          else if (op == "Div")
            y = b == 0 ? 0 : a / b;
          else if (op == "Pow")
            y = static_cast<int64_t>(std::pow(a, b));
          else if (op == "Min")
            y = std::min(a, b);
          else if (op == "Max")
            y = std::max(a, b);
          t->ints.push_back(y);
        },
        out);
  }

  const onnx::NodeProto& n_;
  int opset_;
  const std::vector<Value>& in_;
  const std::vector<const TypeInfo*>& types_;
  const std::string& label_;
};

const std::set<std::string>& foldable_ops() {
  static const std::set<std::string> ops = {"Constant",    "Identity",
                                            "Shape",       "Size",
                                            "Gather",      "Concat",
                                            "Unsqueeze",   "Squeeze",
                                            "Slice",       "Cast",
                                            "Reshape",     "Expand",
                                            "Where",       "Equal",
                                            "Less",        "Greater",
                                            "LessOrEqual", "GreaterOrEqual",
                                            "Not",         "And",
                                            "Or",          "ConstantOfShape",
                                            "Range",       "Add",
                                            "Sub",         "Mul",
                                            "Div",         "Pow",
                                            "Min",         "Max",
                                            "Neg",         "Abs",
                                            "Sqrt",        "Floor",
                                            "Ceil",        "Reciprocal",
                                            "Transpose"};
  return ops;
}

}  // namespace

bool is_foldable_op(const std::string& op_type) {
  // QuantizeLinear / DequantizeLinear of constants: fold_qdq (import_qdq.cc).
  return foldable_ops().count(op_type) != 0 || op_type == "QuantizeLinear" ||
         op_type == "DequantizeLinear";
}

Status fold_node(const onnx::NodeProto& node, int opset, const std::vector<Value>& inputs,
                 const std::vector<const TypeInfo*>& types, const std::string& label,
                 std::vector<Value>* outputs, bool* folded) {
  *folded = false;
  outputs->clear();
  // Min/Max with other than two inputs are left to the importer.
  if ((node.op_type() == "Min" || node.op_type() == "Max") && inputs.size() != 2) return Status();
  Folder folder(node, opset, inputs, types, label);
  STRIX_RETURN_IF_ERROR(folder.run(outputs));
  *folded = !outputs->empty();
  return Status();
}

}  // namespace strix::onnx_frontend
