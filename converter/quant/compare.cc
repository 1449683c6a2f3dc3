#include "converter/quant/compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

#include "converter/data/dataset_runner.h"
#include "sdk/src/model_impl.h"
#include "strix/context.h"
#include "strix/engine.h"

namespace strix::quant {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool is_conversion(fb::OpType op) {
  return op == fb::OpType::Cast || op == fb::OpType::Quantize || op == fb::OpType::Dequantize;
}

// The node-produced tensors of one model, one per key.
struct TensorIndex {
  const ModelImpl* m = nullptr;
  std::vector<int> producer;          // per tensor: node index or -1
  std::map<std::string, int> by_key;  // key -> chosen tensor
  std::vector<std::string> keys;      // in node order (of first appearance)
  std::vector<bool> is_output;

  explicit TensorIndex(const Model& model) : m(model.impl()) {
    producer.assign(m->num_tensors(), -1);
    is_output.assign(m->num_tensors(), false);
    for (int t : *m->graph->outputs()) is_output[t] = true;
    const auto* nodes = m->graph->nodes();
    for (uint32_t n = 0; n < nodes->size(); ++n) {
      const auto* outs = nodes->Get(n)->outputs();
      if (outs == nullptr) continue;
      for (int t : *outs) {
        if (t < 0) continue;
        producer[t] = static_cast<int>(n);
        const std::string& name = m->tensors[t].name;
        std::string key = strip_suffix(name);
        auto it = by_key.find(key);
        if (it == by_key.end()) {
          by_key[key] = t;
          keys.push_back(key);
        } else if (m->tensors[it->second].name != key && name == key) {
          it->second = t;  // the unsuffixed tensor wins
        }
      }
    }
  }

  const fb::Node* node(int n) const { return m->graph->nodes()->Get(n); }

  // The node that computes tensor t: its producer, or through Cast/Quantize/Dequantize the
  // producer of their input (as long as one exists).
  int compute_node(int t) const {
    int p = producer[t];
    while (p >= 0 && is_conversion(node(p)->op())) {
      const auto* ins = node(p)->inputs();
      if (ins == nullptr || ins->size() == 0 || ins->Get(0) < 0) break;
      int q = producer[ins->Get(0)];
      if (q < 0) break;
      p = q;
    }
    return p;
  }
};

// Shapes agree; -1 in dim 0 of either matches anything.
bool same_shape(const Shape& a, const Shape& b) {
  if (a.rank() != b.rank()) return false;
  for (int i = 0; i < a.rank(); ++i)
    if (a[i] != b[i] && !(i == 0 && (a[i] < 0 || b[i] < 0))) return false;
  return true;
}

// Writes n floats into a tensor of dtype f32 or f16.
bool write_floats(const float* src, int64_t n, DType dtype, void* dst) {
  if (dtype == DType::kF32) {
    std::copy(src, src + n, static_cast<float*>(dst));
    return true;
  }
  if (dtype == DType::kF16) {
    uint16_t* h = static_cast<uint16_t*>(dst);
    for (int64_t i = 0; i < n; ++i) h[i] = float_to_half(src[i]);
    return true;
  }
  return false;
}

int argmax(const std::vector<float>& v) {
  return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

// One compared key: the output index in each engine and the accumulated stats.
struct Pair {
  std::string key;
  int model_tensor = -1, ref_tensor = -1;
  int model_out = -1, ref_out = -1;
  bool usable = true;
  DriftStats stats;
};

}  // namespace

std::string strip_suffix(const std::string& name) {
  size_t hash = name.find('#');
  return hash == std::string::npos ? name : name.substr(0, hash);
}

void DriftStats::add(const float* a, const float* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double x = a[i], y = b[i];
    if (!std::isfinite(x)) {
      ++non_finite_;
      continue;
    }
    double d = x - y;
    max_abs_ = std::max(max_abs_, std::fabs(d));
    diff2_ += d * d;
    b2_ += y * y;
    a2_ += x * x;
    ab_ += x * y;
  }
  count_ += n;
}

double DriftStats::rel_l2() const {
  if (b2_ == 0) return diff2_ == 0 ? 0 : kInf;
  return std::sqrt(diff2_ / b2_);
}

double DriftStats::cosine() const {
  if (a2_ == 0 && b2_ == 0) return 1;
  if (a2_ == 0 || b2_ == 0) return 0;
  return ab_ / std::sqrt(a2_ * b2_);
}

double DriftStats::sqnr_db() const {
  if (diff2_ == 0) return kInf;
  if (b2_ == 0) return -kInf;
  return 10 * std::log10(b2_ / diff2_);
}

bool read_as_float(const TensorInfo& info, const void* data, int64_t offset, int64_t n,
                   float* out) {
  switch (info.dtype) {
    case DType::kF32: {
      const float* p = static_cast<const float*>(data) + offset;
      std::copy(p, p + n, out);
      return true;
    }
    case DType::kF16: {
      const uint16_t* p = static_cast<const uint16_t*>(data) + offset;
      for (int64_t i = 0; i < n; ++i) out[i] = half_to_float(p[i]);
      return true;
    }
    case DType::kI8:
    case DType::kU8:
    case DType::kI32: break;
    default: return false;
  }
  const Quantization& q = info.quantization;
  // Channel of element e along q.axis (per-channel quantization): (e / inner) % channels.
  int64_t channels = 1, inner = 1;
  if (q.scales.size() > 1) {
    if (q.axis < 0 || q.axis >= info.shape.rank() || info.shape[q.axis] <= 0) return false;
    channels = info.shape[q.axis];
    if (static_cast<int64_t>(q.scales.size()) != channels) return false;
    for (int d = q.axis + 1; d < info.shape.rank(); ++d) inner *= info.shape[d];
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t e = offset + i;
    int64_t v = info.dtype == DType::kI8   ? static_cast<const int8_t*>(data)[e]
                : info.dtype == DType::kU8 ? static_cast<const uint8_t*>(data)[e]
                                           : static_cast<const int32_t*>(data)[e];
    if (q.scales.empty()) {
      out[i] = static_cast<float>(v);
      continue;
    }
    size_t c = channels > 1 ? static_cast<size_t>((e / inner) % channels) : 0;
    int64_t zp = c < q.zero_points.size() ? q.zero_points[c] : 0;
    out[i] = q.scales[c] * static_cast<float>(v - zp);
  }
  return true;
}

Status compare_models(const Model& model, const Model& reference, const data::Dataset& data,
                      const CompareOptions& options, CompareReport* report) {
  *report = CompareReport();
  if (model.num_inputs() != 1 || reference.num_inputs() != 1)
    return Status(StatusCode::kUnsupported, "compare: only models with one input are supported");
  if (!same_shape(model.input(0).shape, reference.input(0).shape))
    return Status(StatusCode::kInvalidArgument,
                  "compare: the model's input " + model.input(0).shape.to_string() +
                      " and the reference's input " + reference.input(0).shape.to_string() +
                      " differ");
  if (options.batch < 1) return Status(StatusCode::kInvalidArgument, "compare: batch must be >= 1");
  TensorIndex mi(model), ri(reference);

  // The keys both models compute, in the model's node order.
  std::vector<Pair> pairs;
  for (const std::string& key : mi.keys) {
    auto r = ri.by_key.find(key);
    if (r == ri.by_key.end()) continue;
    int mt = mi.by_key[key], rt = r->second;
    if (!options.intermediates && !mi.is_output[mt]) continue;
    const TensorInfo& a = mi.m->tensors[mt];
    const TensorInfo& b = ri.m->tensors[rt];
    if (!same_shape(a.shape, b.shape)) {
      report->skipped.push_back(key + ": shapes differ (" + a.shape.to_string() + " vs " +
                                b.shape.to_string() + ")");
      continue;
    }
    if (a.dtype == DType::kI32 && a.quantization.empty()) {
      report->skipped.push_back(key + ": an i32 tensor without quantization");
      continue;
    }
    Pair p;
    p.key = key;
    p.model_tensor = mt;
    p.ref_tensor = rt;
    pairs.push_back(std::move(p));
  }
  if (pairs.empty())
    return Status(StatusCode::kInvalidArgument,
                  "compare: the model and the reference share no tensor name");

  EngineOptions ro;
  ro.batch = options.batch;
  ro.threads = options.threads;
  ro.reference_kernels = options.reference_kernels;
  data::RunOptions mo;
  mo.batch = options.batch;
  mo.threads = options.threads;
  mo.limit = options.limit;
  mo.reference_kernels = options.reference_kernels;
  mo.progress = options.progress;
  mo.progress_label = "comparing";
  for (const Pair& p : pairs) {
    mo.extra_outputs.push_back(mi.m->tensors[p.model_tensor].name);
    ro.extra_outputs.push_back(ri.m->tensors[p.ref_tensor].name);
  }
  Result<std::shared_ptr<Engine>> ref_engine = Engine::create(reference, ro);
  if (!ref_engine.ok())
    return Status(ref_engine.status().code(),
                  "compare: reference: " + ref_engine.status().message());
  const Engine& re = *ref_engine.value();
  Result<Context> ref_ctx_r = re.create_context();
  if (!ref_ctx_r.ok()) return ref_ctx_r.status();
  Context ref_ctx = std::move(ref_ctx_r).value();
  const int64_t batch = options.batch;

  const TensorInfo& rin = re.input(0);
  std::vector<float> in_buf, a_buf, b_buf, out_a, out_b;
  bool initialized = false;
  const Task task = model.metadata().task;
  data::Sample sample;

  auto visit = [&](int64_t first, int count, const Engine& me, Context& ctx) -> Status {
    if (!initialized) {
      initialized = true;
      if (me.input(0).shape != rin.shape)
        return Status(StatusCode::kInvalidArgument,
                      "compare: compiled inputs differ: " + me.input(0).shape.to_string() + " vs " +
                          rin.shape.to_string());
      for (Pair& p : pairs) {
        p.model_out = me.find_output(mi.m->tensors[p.model_tensor].name);
        p.ref_out = re.find_output(ri.m->tensors[p.ref_tensor].name);
        if (p.model_out < 0 || p.ref_out < 0)
          return Status(StatusCode::kInternal, "compare: '" + p.key + "' is not an output");
        const Shape& a = me.output(p.model_out).shape;
        const Shape& b = re.output(p.ref_out).shape;
        if (a != b || a.rank() == 0 || a[0] != batch) {
          p.usable = false;
          report->skipped.push_back(p.key + ": compiled shapes " + a.to_string() + " vs " +
                                    b.to_string() + (a == b ? " (dim 0 is not the batch)" : ""));
        }
      }
      const Shape& o = re.output(0).shape;
      report->classification =
          task == Task::kClassify || (o.rank() == 2 && o[1] >= 2 && me.output(0).shape == o);
    }
    // The reference reads the model's input values.
    const TensorInfo& min = me.input(0);
    int64_t n_in = min.shape.num_elements();
    in_buf.resize(static_cast<size_t>(n_in));
    if (!read_as_float(min, ctx.input(0).data, 0, n_in, in_buf.data()) ||
        !write_floats(in_buf.data(), n_in, rin.dtype, ref_ctx.input(0).data))
      return Status(StatusCode::kUnsupported, std::string("compare: input dtype ") +
                                                  dtype_name(min.dtype) + " -> " +
                                                  dtype_name(rin.dtype) + " is not supported");
    ref_ctx.run();
    STRIX_RETURN_IF_ERROR(ref_ctx.last_error());
    for (Pair& p : pairs) {
      if (!p.usable) continue;
      const TensorInfo& ia = me.output(p.model_out);
      const TensorInfo& ib = re.output(p.ref_out);
      int64_t per_item = ia.shape.num_elements() / batch;
      a_buf.resize(static_cast<size_t>(per_item));
      b_buf.resize(static_cast<size_t>(per_item));
      for (int row = 0; row < count; ++row) {
        if (!read_as_float(ia, ctx.output(p.model_out).data, row * per_item, per_item,
                           a_buf.data()) ||
            !read_as_float(ib, ref_ctx.output(p.ref_out).data, row * per_item, per_item,
                           b_buf.data()))
          return Status(StatusCode::kUnsupported, "compare: cannot read tensor '" + p.key + "' (" +
                                                      dtype_name(ia.dtype) + "/" +
                                                      dtype_name(ib.dtype) + ")");
        p.stats.add(a_buf.data(), b_buf.data(), per_item);
      }
    }
    if (report->classification) {
      const TensorInfo& ia = me.output(0);
      const TensorInfo& ib = re.output(0);
      int64_t classes = ia.shape.num_elements() / batch;
      out_a.resize(static_cast<size_t>(classes));
      out_b.resize(static_cast<size_t>(classes));
      for (int row = 0; row < count; ++row) {
        if (!read_as_float(ia, ctx.output(0).data, row * classes, classes, out_a.data()) ||
            !read_as_float(ib, ref_ctx.output(0).data, row * classes, classes, out_b.data()))
          return Status(StatusCode::kUnsupported, "compare: cannot read output 0");
        int pa = argmax(out_a), pb = argmax(out_b);
        report->top1_agree += pa == pb;
        if (data.has_labels()) {
          STRIX_RETURN_IF_ERROR(data.read(first + row, &sample));
          if (sample.label >= 0) {
            ++report->labelled;
            report->model_correct += pa == sample.label;
            report->reference_correct += pb == sample.label;
          }
        }
      }
    }
    report->items += count;
    return Status();
  };
  STRIX_RETURN_IF_ERROR(data::run_dataset(model, data, mo, visit));

  // Results in node order, with the drift each node adds over its compared inputs.
  std::map<std::string, double> sqnr_of;
  for (const Pair& p : pairs) {
    if (!p.usable) continue;
    TensorDrift d;
    d.tensor = p.key;
    int node = mi.compute_node(p.model_tensor);
    if (node >= 0) {
      const fb::Node* n = mi.node(node);
      d.node = n->name() ? n->name()->str() : "";
      d.op = fb::EnumNameOpType(n->op());
      const auto* outs = n->outputs();
      DType out_dtype = mi.m->tensors[p.model_tensor].dtype;
      if (outs != nullptr && outs->size() > 0 && outs->Get(0) >= 0)
        out_dtype = mi.m->tensors[outs->Get(0)].dtype;
      d.precision = dtype_name(out_dtype);
      const auto* ins = n->inputs();
      if (ins != nullptr)
        for (int t : *ins) {
          if (t < 0) continue;
          auto it = sqnr_of.find(strip_suffix(mi.m->tensors[t].name));
          if (it != sqnr_of.end()) d.input_sqnr_db = std::min(d.input_sqnr_db, it->second);
        }
    }
    d.is_output = mi.is_output[p.model_tensor];
    d.shape = mi.m->tensors[p.model_tensor].shape.to_vector();
    if (!d.shape.empty()) d.shape[0] = batch;
    d.count = p.stats.count();
    d.max_abs = p.stats.max_abs();
    d.rel_l2 = p.stats.rel_l2();
    d.cosine = p.stats.cosine();
    d.sqnr_db = p.stats.sqnr_db();
    d.non_finite = p.stats.non_finite();
    if (d.input_sqnr_db == d.sqnr_db)
      d.added_db = 0;  // both +inf, or equal
    else
      d.added_db = d.input_sqnr_db - d.sqnr_db;
    sqnr_of[p.key] = d.sqnr_db;
    report->tensors.push_back(std::move(d));
  }
  for (size_t i = 0; i < report->tensors.size(); ++i) {
    const TensorDrift& d = report->tensors[i];
    if (d.sqnr_db < kInf &&
        (report->worst < 0 || d.sqnr_db < report->tensors[report->worst].sqnr_db))
      report->worst = static_cast<int>(i);
    if (d.added_db > 0 &&
        (report->largest_drop < 0 || d.added_db > report->tensors[report->largest_drop].added_db))
      report->largest_drop = static_cast<int>(i);
  }
  return Status();
}

}  // namespace strix::quant
