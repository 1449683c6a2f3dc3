// tests/unit/cpu_opt_test_util.h — runs one model on the optimized CPU backend ("cpu") and
// on the reference backend ("cpu-ref", EngineOptions::reference_kernels) and compares.
//
//   expect_matches_reference(file, inputs, "cpu");   // every ISA, threads 1 and 2
//
// The optimized run must report `backend` for every node (so a silent fallback to the
// reference fails the test) and match the reference output within relative L2 1e-5.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "converter/writer/model_builder.h"
#include "kernels/cpu/isa.h"
#include "strix/engine.h"
#include "strix/model.h"
#include "strix_generated.h"
#include "tests/support/model_runner.h"

namespace strix::testing::cpuopt {

using writer::ModelBuilder;

struct EngineRun {
  std::vector<std::vector<float>> outputs;  // the f32 outputs' values (empty for other dtypes)
  std::vector<HostTensor> raw;              // every output as it came out
  std::vector<NodeReport> nodes;
};

// Builds an Engine for `file` with the given options, runs twice, copies the outputs.
inline Result<EngineRun> run_engine(const std::vector<uint8_t>& file,
                                    const std::vector<HostTensor>& inputs, bool reference,
                                    int threads) {
  Result<Model> model = Model::from_buffer(file.data(), file.size());
  if (!model.ok()) return model.status();
  EngineOptions options;
  options.threads = threads;
  options.reference_kernels = reference;
  Result<std::shared_ptr<Engine>> engine = Engine::create(model.value(), options);
  if (!engine.ok()) return engine.status();
  Result<Context> context = engine.value()->create_context();
  if (!context.ok()) return context.status();
  Context& ctx = context.value();
  const Engine& e = *engine.value();
  for (int i = 0; i < e.num_inputs(); ++i)
    STRIX_RETURN_IF_ERROR(ctx.set_input(i, inputs[i].bytes.data(), inputs[i].bytes.size()));
  EngineRun run;
  // Twice: the second run catches state kept between runs (scratch, pool).
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < e.num_outputs(); ++i) {
      TensorView out = ctx.output(i);
      std::memset(out.data, 0xA5, out.byte_size());
    }
    ctx.run();
  }
  for (int i = 0; i < e.num_outputs(); ++i) {
    TensorView out = ctx.output(i);
    HostTensor t;
    t.dtype = out.dtype;
    t.shape = out.shape;
    const auto* b = static_cast<const uint8_t*>(out.data);
    t.bytes.assign(b, b + out.byte_size());
    run.outputs.push_back(out.dtype == DType::kF32 ? t.values<float>() : std::vector<float>());
    run.raw.push_back(std::move(t));
  }
  run.nodes = e.report().nodes;
  return run;
}

// The SIMD instruction sets this CPU can run, best first ("avx512", "avx2"; "neon_dotprod",
// "neon"). Each is a STRIX_CPU_ISA value and a substring of the kernel names it gives.
inline std::vector<std::string> host_isas() {
  using kernels::cpu::Isa;
  std::vector<std::string> isas;
  Isa host = kernels::cpu::host_isa();
  if (host == Isa::kAvx512) isas.push_back("avx512");
  if (host == Isa::kAvx512 || host == Isa::kAvx2) isas.push_back("avx2");
  if (host == Isa::kNeonDotprod) isas.push_back("neon_dotprod");
  if (host == Isa::kNeonDotprod || host == Isa::kNeon) isas.push_back("neon");
  return isas;
}

// Sets STRIX_CPU_ISA for the Engines built in its scope.
struct ScopedIsa {
  explicit ScopedIsa(const std::string& isa) { setenv("STRIX_CPU_ISA", isa.c_str(), 1); }
  ~ScopedIsa() { unsetenv("STRIX_CPU_ISA"); }
};

// Reference once, then the optimized backend for every ISA x threads {1, 2}. `backend` is
// what every node must report ("cpu", or "cpu-ref" where a fallback is expected).
inline void expect_matches_reference(const std::vector<uint8_t>& file,
                                     const std::vector<HostTensor>& inputs,
                                     const std::string& backend = "cpu", double tol = 1e-5) {
  Result<EngineRun> ref = run_engine(file, inputs, true, 1);
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  for (const NodeReport& n : ref.value().nodes) ASSERT_EQ(n.backend, "cpu-ref");
  double energy = 0;
  for (const auto& o : ref.value().outputs)
    for (float v : o) energy += static_cast<double>(v) * v;
  ASSERT_GT(energy, 0.0) << "reference output is all zeros: the test would prove nothing";
  std::vector<std::string> isas = host_isas();
  if (isas.empty()) GTEST_SKIP() << "no SIMD ISA on this CPU";
  for (const std::string& isa : isas) {
    ScopedIsa scoped(isa);
    for (int threads : {1, 2}) {
      SCOPED_TRACE("isa " + isa + ", threads " + std::to_string(threads));
      Result<EngineRun> opt = run_engine(file, inputs, false, threads);
      ASSERT_TRUE(opt.ok()) << opt.status().to_string();
      for (const NodeReport& n : opt.value().nodes) {
        EXPECT_EQ(n.backend, backend) << n.op << " ran " << n.kernel;
        if (backend == "cpu") {
          EXPECT_NE(n.kernel.find(isa), std::string::npos) << n.kernel;
        }
      }
      ASSERT_EQ(opt.value().outputs.size(), ref.value().outputs.size());
      for (size_t i = 0; i < opt.value().outputs.size(); ++i) {
        double err = relative_l2(opt.value().outputs[i], ref.value().outputs[i]);
        EXPECT_LE(err, tol) << "output " << i;
      }
    }
  }
}

inline flatbuffers::Offset<fb::Activation> activation(ModelBuilder& b, fb::ActivationKind kind,
                                                      float alpha = 0, float beta = 0) {
  return fb::CreateActivation(b.fbb(), kind, alpha, beta);
}

inline flatbuffers::Offset<flatbuffers::Vector<int32_t>> ints(ModelBuilder& b,
                                                              const std::vector<int32_t>& v) {
  if (v.empty()) return 0;
  return b.fbb().CreateVector(v);
}

// Every fused activation kind with parameters that exercise it.
struct ActCase {
  fb::ActivationKind kind;
  float alpha, beta;
};
inline std::vector<ActCase> all_activations() {
  using K = fb::ActivationKind;
  return {{K::None, 0, 0},
          {K::Relu, 0, 0},
          {K::Clip, -0.25f, 0.5f},
          {K::LeakyRelu, 0.1f, 0},
          {K::Sigmoid, 0, 0},
          {K::Tanh, 0, 0},
          {K::HardSigmoid, 0.2f, 0.5f},
          {K::HardSwish, 0, 0},
          {K::SiLU, 0, 0},
          {K::Gelu, 0, 0},
          {K::Elu, 0.7f, 0},
          {K::Mish, 0, 0},
          {K::Softplus, 0, 0},
          {K::GeluTanh, 0, 0}};
}

}  // namespace strix::testing::cpuopt
