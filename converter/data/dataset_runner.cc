// data::run_dataset: one Engine, one Context, items read in order into the rows of input 0,
// converted to the input's dtype (f32, f16, or i8/u8 through its per-tensor quantization, as
// vision::Preprocessor stores them), and a progress line on a terminal.
#include "converter/data/dataset_runner.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <new>

#include "kernels/cpu/ref/requantize.h"

namespace strix::data {
namespace {

// "calibrating  1234/10000  (12.3%)  ETA 0:42" on stderr, rewritten in place at most ten
// times a second, when stderr is a terminal; finish() ends it with a newline.
class Progress {
 public:
  Progress(bool on, const std::string& label, int64_t total)
      : on_(on && total > 0 && isatty(2) == 1),
        label_(label.empty() ? "running" : label),
        total_(total),
        start_(std::chrono::steady_clock::now()) {}

  void update(int64_t done) {
    if (!on_) return;
    const auto now = std::chrono::steady_clock::now();
    if (done < total_ && shown_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    shown_ = true;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    char eta[32] = "-:--";
    if (done > 0) {
      const long s = static_cast<long>(elapsed * (total_ - done) / done + 0.5);
      if (s >= 3600) {
        std::snprintf(eta, sizeof(eta), "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
      } else {
        std::snprintf(eta, sizeof(eta), "%ld:%02ld", s / 60, s % 60);
      }
    }
    std::fprintf(stderr, "\r%s  %lld/%lld  (%.1f%%)  ETA %s\033[K", label_.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_),
                 100.0 * done / total_, eta);
    std::fflush(stderr);
  }

  void finish() {
    if (on_ && shown_) std::fputc('\n', stderr);
    on_ = false;
  }
  ~Progress() { finish(); }

 private:
  bool on_;
  std::string label_;
  int64_t total_;
  std::chrono::steady_clock::time_point start_, last_;
  bool shown_ = false;
};

// Writes `count` floats as row `row` of input `in` (dtype per `info`).
void store_row(const TensorInfo& info, const TensorView& in, int64_t row, const float* v,
               size_t count, float q_scale, int32_t q_zero) {
  const size_t base = static_cast<size_t>(row) * count;
  switch (info.dtype) {
    case DType::kF32: std::memcpy(in.as<float>() + base, v, count * sizeof(float)); break;
    case DType::kF16:
      for (size_t i = 0; i < count; ++i) in.as<uint16_t>()[base + i] = float_to_half(v[i]);
      break;
    case DType::kI8:
      for (size_t i = 0; i < count; ++i)
        in.as<int8_t>()[base + i] =
            static_cast<int8_t>(kernels::ref::quantize_value(v[i], q_scale, q_zero, -128, 127));
      break;
    case DType::kU8:
      for (size_t i = 0; i < count; ++i)
        in.as<uint8_t>()[base + i] =
            static_cast<uint8_t>(kernels::ref::quantize_value(v[i], q_scale, q_zero, 0, 255));
      break;
    default: break;  // rejected before the run
  }
}

Status run(const Model& model, const Dataset& data, const RunOptions& options, const Visit& visit) {
  const std::string what = "data spec '" + data.spec() + "'";
  if (model.num_inputs() != 1)
    return make_status(StatusCode::kUnsupported,
                       "the model has %d inputs: running a dataset needs exactly one",
                       model.num_inputs());
  if (options.batch < 1)
    return make_status(StatusCode::kInvalidArgument, "batch %d: must be at least 1", options.batch);
  if (options.limit < 0)
    return make_status(StatusCode::kInvalidArgument, "limit %lld: must be 0 (all) or positive",
                       static_cast<long long>(options.limit));
  EngineOptions eo;
  eo.device = options.device;
  eo.batch = options.batch;
  eo.threads = options.threads;
  eo.reference_kernels = options.reference_kernels;
  eo.extra_outputs = options.extra_outputs;
  Result<std::shared_ptr<Engine>> engine = Engine::create(model, eo);
  if (!engine.ok()) return engine.status();
  const Engine& e = *engine.value();
  Result<Context> created = e.create_context();
  if (!created.ok()) return created.status();
  Context& ctx = created.value();

  const TensorInfo& info = e.input(0);
  float q_scale = 1;
  int32_t q_zero = 0;
  if (info.dtype == DType::kI8 || info.dtype == DType::kU8) {
    const Quantization& q = info.quantization;
    if (q.scales.size() != 1 || q.zero_points.size() > 1 || !(q.scales[0] > 0.f))
      return make_status(StatusCode::kUnsupported,
                         "input '%s' is %s without a per-tensor quantization", info.name.c_str(),
                         dtype_name(info.dtype));
    q_scale = q.scales[0];
    q_zero = q.zero_points.empty() ? 0 : static_cast<int32_t>(q.zero_points[0]);
  } else if (info.dtype != DType::kF32 && info.dtype != DType::kF16) {
    return make_status(StatusCode::kUnsupported,
                       "input '%s' is %s: datasets feed f32, f16, i8 or u8", info.name.c_str(),
                       dtype_name(info.dtype));
  }
  if (info.shape.rank() < 1 || info.shape[0] != options.batch)
    return make_status(StatusCode::kInternal, "input '%s' compiled as %s for batch %d",
                       info.name.c_str(), info.shape.to_string().c_str(), options.batch);
  const size_t item = static_cast<size_t>(info.shape.num_elements() / options.batch);
  const std::vector<float> zeros(item, 0.f);

  int64_t total = data.size();
  if (options.limit > 0 && options.limit < total) total = options.limit;
  const TensorView in = ctx.input(0);
  Progress progress(options.progress, options.progress_label, total);
  Sample sample;
  for (int64_t first = 0; first < total; first += options.batch) {
    const int count = static_cast<int>(std::min<int64_t>(options.batch, total - first));
    for (int r = 0; r < count; ++r) {
      STRIX_RETURN_IF_ERROR(data.read(first + r, &sample));
      if (sample.input.size() != item)
        return make_status(StatusCode::kShapeMismatch,
                           "%s: item %lld has %zu values, input '%s' %s takes %zu per item",
                           what.c_str(), static_cast<long long>(first + r), sample.input.size(),
                           info.name.c_str(), info.shape.to_string().c_str(), item);
      store_row(info, in, r, sample.input.data(), item, q_scale, q_zero);
    }
    for (int r = count; r < options.batch; ++r)
      store_row(info, in, r, zeros.data(), item, q_scale, q_zero);
    ctx.run();
    STRIX_RETURN_IF_ERROR(ctx.last_error());
    STRIX_RETURN_IF_ERROR(visit(first, count, e, ctx));
    progress.update(first + count);
  }
  progress.finish();
  return Status::ok_status();
}

}  // namespace

Status run_dataset(const Model& model, const Dataset& data, const RunOptions& options,
                   const Visit& visit) {
  try {
    return run(model, data, options, visit);
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::kOutOfMemory,
                  "running data spec '" + data.spec() + "': out of memory");
  } catch (const std::exception& e) {
    return Status(StatusCode::kInternal, "running data spec '" + data.spec() + "': " + e.what());
  }
}

}  // namespace strix::data
