#include "converter/quant/calibrate.h"

#include <cmath>
#include <cstdio>
#include <vector>

#include "converter/data/dataset_runner.h"
#include "converter/ir/export.h"
#include "converter/quant/histogram.h"
#include "converter/quant/quantize_graph.h"

namespace strix::quant {
namespace {

Result<Model> export_model(const ir::Graph& g, const Metadata& metadata) {
  Result<std::vector<uint8_t>> bytes = ir::export_strix(g, metadata);
  if (!bytes.ok()) return bytes.status();
  return Model::from_buffer(bytes.value().data(), bytes.value().size());
}

// Where each calibrated tensor is read after a run: graph input 0 or an engine output.
struct Tap {
  int tensor = -1;
  bool is_input = false;
  int output = -1;
};

TensorCalibration make_entry(const TensorStats& s, const CalibratorParams& params) {
  TensorCalibration c;
  c.min = s.min();
  c.max = s.max();
  const bool non_negative = s.min() >= 0.f;
  double t = compute_threshold(s.histogram(), s.bin_width(), non_negative, params);
  if (!(t > 0) || !std::isfinite(t)) t = 1.0;
  c.threshold = t;
  c.scale = static_cast<float>(t / (non_negative ? 255.0 : 127.0));
  c.zero_point = non_negative ? -128 : 0;
  return c;
}

}  // namespace

Result<CalibrationTable> calibrate(const ir::Graph& g, const Metadata& metadata,
                                   const data::Dataset& data, const CalibrateOptions& options) {
  if (options.batch < 1)
    return Status(StatusCode::kInvalidArgument, "calibration batch must be >= 1");
  if (g.inputs.size() != 1)
    return Status(StatusCode::kUnsupported,
                  "calibration needs a model with one input, this one has " +
                      std::to_string(g.inputs.size()));
  if (data.size() == 0)
    return Status(StatusCode::kInvalidArgument,
                  "calibration data '" + data.spec() + "' has no items");
  Result<std::string> ghash = graph_hash(g);
  if (!ghash.ok()) return ghash.status();

  std::vector<int> tensors = calibration_tensors(g);
  std::vector<Tap> taps;
  data::RunOptions run;
  run.batch = options.batch;
  run.threads = options.threads;
  run.reference_kernels = options.reference_kernels;
  run.limit = options.samples;
  run.progress = options.progress;
  for (int t : tensors) {
    Tap tap;
    tap.tensor = t;
    tap.is_input = t == g.inputs[0];
    if (!tap.is_input) run.extra_outputs.push_back(g.tensors[t].name);
    taps.push_back(tap);
  }
  Result<Model> model = export_model(g, metadata);
  if (!model.ok()) return model.status();

  std::vector<TensorStats> stats(taps.size());
  int64_t items = 0;
  for (int pass = 0; pass < 2; ++pass) {
    run.progress_label =
        pass == 0 ? "calibrating (pass 1/2: ranges)" : "calibrating (pass 2/2: histograms)";
    bool resolved = false;
    int64_t seen = 0;
    Status s = data::run_dataset(
        model.value(), data, run,
        [&](int64_t, int count, const Engine& engine, Context& ctx) -> Status {
          if (!resolved) {
            for (Tap& tap : taps) {
              if (tap.is_input) continue;
              tap.output = engine.find_output(g.tensors[tap.tensor].name);
              if (tap.output < 0)
                return Status(StatusCode::kInternal, "calibration: tensor '" +
                                                         g.tensors[tap.tensor].name +
                                                         "' is not among the engine's outputs");
            }
            resolved = true;
          }
          for (size_t k = 0; k < taps.size(); ++k) {
            TensorView v = taps[k].is_input ? ctx.input(0) : ctx.output(taps[k].output);
            if (v.dtype != DType::kF32)
              return Status(
                  StatusCode::kInternal,
                  "calibration: tensor '" + g.tensors[taps[k].tensor].name + "' is not f32");
            int64_t total = v.shape.num_elements();
            int64_t per_item = total / options.batch;
            int64_t n = per_item * count;
            if (pass == 0)
              stats[k].add_range(v.as<float>(), n);
            else
              stats[k].add_histogram(v.as<float>(), n);
          }
          seen += count;
          return Status();
        });
    if (!s.ok()) return s;
    if (pass == 0)
      for (TensorStats& st : stats) st.start_histogram();
    items = seen;
  }

  CalibrationTable table;
  table.graph_hash = ghash.value();
  table.preprocess_hash = preprocess_hash(metadata);
  table.dataset_hash = data.fingerprint();
  table.calibrator = calibrator_name(options.calibrator.kind);
  if (options.calibrator.kind == CalibratorKind::kPercentile) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), ":%g", options.calibrator.percentile);
    table.calibrator += buf;
  }
  table.samples = items;
  for (size_t k = 0; k < taps.size(); ++k)
    table.tensors[g.tensors[taps[k].tensor].name] = make_entry(stats[k], options.calibrator);
  // Outputs that must carry their input's quantization take its entry (graph order).
  for (const ir::Node& n : g.nodes) {
    if (!shares_input_quantization(n.op) || n.inputs.empty() || n.inputs[0] < 0) continue;
    auto in = table.tensors.find(g.tensors[n.inputs[0]].name);
    if (in == table.tensors.end()) continue;
    for (int o : n.outputs) {
      auto out = table.tensors.find(g.tensors[o].name);
      if (out == table.tensors.end()) continue;
      out->second.threshold = in->second.threshold;
      out->second.scale = in->second.scale;
      out->second.zero_point = in->second.zero_point;
    }
  }
  return table;
}

Result<CalibrationTable> calibrate_spec(const ir::Graph& g, const Metadata& metadata,
                                        const std::string& data_spec,
                                        const CalibrateOptions& options) {
  Result<Model> model = export_model(g, metadata);
  if (!model.ok()) return model.status();
  EngineOptions eo;
  eo.batch = 1;
  Result<std::shared_ptr<Engine>> engine = Engine::create(model.value(), eo);
  if (!engine.ok()) return engine.status();
  if (engine.value()->num_inputs() != 1)
    return Status(StatusCode::kUnsupported, "calibration needs a model with one input");
  Result<std::unique_ptr<data::Dataset>> d =
      data::open_dataset(data_spec, model.value(), engine.value()->input(0));
  if (!d.ok()) return d.status();
  return calibrate(g, metadata, *d.value(), options);
}

}  // namespace strix::quant
