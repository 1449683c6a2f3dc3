// Conv2D through the cuDNN graph (backend) API: see conv_graph.h.
#include "kernels/cuda/conv_graph.h"

#include <cuda.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/cuda/tuning_cache.h"

// CUDNN_ATTR_*_HANDLE are marked deprecated in cuDNN 9.x headers but remain the way to bind
// a graph and a plan to a handle in every 9.x release.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace strix::kernels::cuda {
namespace {

constexpr int64_t kMaxWorkspace = 256ll << 20;
constexpr int kMaxCandidates = 12;  // engine configurations timed per shape

// Owns one cudnnBackendDescriptor_t.
class Desc {
 public:
  Desc() = default;
  explicit Desc(cudnnBackendDescriptorType_t type) {
    if (cudnnBackendCreateDescriptor(type, &d_) != CUDNN_STATUS_SUCCESS) d_ = nullptr;
  }
  Desc(const Desc&) = delete;
  Desc& operator=(const Desc&) = delete;
  Desc(Desc&& o) noexcept : d_(o.d_) { o.d_ = nullptr; }
  Desc& operator=(Desc&& o) noexcept {
    if (this != &o) {
      if (d_) cudnnBackendDestroyDescriptor(d_);
      d_ = o.d_;
      o.d_ = nullptr;
    }
    return *this;
  }
  ~Desc() {
    if (d_) cudnnBackendDestroyDescriptor(d_);
  }
  cudnnBackendDescriptor_t get() const { return d_; }
  cudnnBackendDescriptor_t* addr() { return &d_; }

  template <typename T>
  cudnnStatus_t set(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type,
                    int64_t count, const T* values) {
    if (d_ == nullptr) return CUDNN_STATUS_ALLOC_FAILED;
    return cudnnBackendSetAttribute(d_, name, type, count, values);
  }
  cudnnStatus_t finalize() {
    return d_ == nullptr ? CUDNN_STATUS_ALLOC_FAILED : cudnnBackendFinalize(d_);
  }

 private:
  cudnnBackendDescriptor_t d_ = nullptr;
};

// Unique ids of the graph's tensors.
enum : int64_t { kUidX = 1, kUidW, kUidB, kUidY, kUidZ, kUidVirtual = 100 };

#define STRIX_GRAPH_TRY(expr)                                                   \
  do {                                                                          \
    cudnnStatus_t strix_s_ = (expr);                                            \
    if (strix_s_ != CUDNN_STATUS_SUCCESS) return cudnn_status(strix_s_, #expr); \
  } while (0)

// A 4-d channels-last tensor [n, c, h, w] (strides of NHWC order).
Status make_tensor(int64_t uid, cudnnDataType_t dt, int64_t n, int64_t c, int64_t h, int64_t w,
                   bool is_virtual, Desc* out) {
  *out = Desc(CUDNN_BACKEND_TENSOR_DESCRIPTOR);
  const int64_t dims[4] = {n, c, h, w};
  const int64_t strides[4] = {h * w * c, 1, w * c, c};
  const int64_t alignment = 16;
  const bool virt = is_virtual;
  STRIX_GRAPH_TRY(out->set(CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &dt));
  STRIX_GRAPH_TRY(out->set(CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, 4, dims));
  STRIX_GRAPH_TRY(out->set(CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, 4, strides));
  STRIX_GRAPH_TRY(out->set(CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, 1, &uid));
  STRIX_GRAPH_TRY(out->set(CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, 1, &alignment));
  STRIX_GRAPH_TRY(out->set(CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_TYPE_BOOLEAN, 1, &virt));
  STRIX_GRAPH_TRY(out->finalize());
  return Status();
}

// A pointwise operation y = mode(x [, b]) with f32 math; relu_clip > 0 clips ReLU above.
Status make_pointwise(cudnnPointwiseMode_t mode, const Desc& x, const Desc* b, const Desc& y,
                      float relu_upper, Desc* op) {
  Desc pw(CUDNN_BACKEND_POINTWISE_DESCRIPTOR);
  const cudnnDataType_t prec = CUDNN_DATA_FLOAT;
  STRIX_GRAPH_TRY(pw.set(CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, 1, &mode));
  STRIX_GRAPH_TRY(pw.set(CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_TYPE_DATA_TYPE, 1, &prec));
  if (mode == CUDNN_POINTWISE_RELU_FWD && relu_upper > 0.f) {
    const float lower = 0.f;
    STRIX_GRAPH_TRY(pw.set(CUDNN_ATTR_POINTWISE_RELU_LOWER_CLIP, CUDNN_TYPE_FLOAT, 1, &lower));
    STRIX_GRAPH_TRY(pw.set(CUDNN_ATTR_POINTWISE_RELU_UPPER_CLIP, CUDNN_TYPE_FLOAT, 1, &relu_upper));
  }
  STRIX_GRAPH_TRY(pw.finalize());
  *op = Desc(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR);
  cudnnBackendDescriptor_t d;
  d = pw.get();
  STRIX_GRAPH_TRY(
      op->set(CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &d));
  d = x.get();
  STRIX_GRAPH_TRY(
      op->set(CUDNN_ATTR_OPERATION_POINTWISE_XDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &d));
  if (b != nullptr) {
    d = b->get();
    STRIX_GRAPH_TRY(
        op->set(CUDNN_ATTR_OPERATION_POINTWISE_BDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &d));
  }
  d = y.get();
  STRIX_GRAPH_TRY(
      op->set(CUDNN_ATTR_OPERATION_POINTWISE_YDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &d));
  STRIX_GRAPH_TRY(op->finalize());
  return Status();
}

// A finalized execution plan, shared by every kernel of the same shape in the process.
struct Plan {
  Desc plan;
  int64_t workspace = 0;
  std::string engine;  // "A:3": heuristic mode and rank, for the kernel name and the cache
  float ms = 0;        // measured time on scratch data
  // The graph, its tensors and the engine configuration the plan was made from: kept alive
  // with the plan (cheap), so nothing depends on what a finalized plan still references.
  std::vector<Desc> keep;
};

std::mutex g_plan_mutex;
std::map<std::string, std::shared_ptr<Plan>>& plan_cache() {
  static auto* cache = new std::map<std::string, std::shared_ptr<Plan>>();  // never destroyed
  return *cache;
}

class GraphConvKernel : public Kernel {
 public:
  void eval(const EvalArgs& a) const override {
    CudaStream* cs = stream_of(a);
    void* ptrs[5];
    int64_t uids[5];
    int n = 0;
    uids[n] = kUidX;
    ptrs[n++] = const_cast<void*>(a.inputs[0]);
    uids[n] = kUidW;
    ptrs[n++] = const_cast<void*>(a.inputs[1]);
    if (has_bias_) {
      uids[n] = kUidB;
      ptrs[n++] = const_cast<void*>(a.inputs[2]);
    }
    if (residual_) {
      uids[n] = kUidZ;
      ptrs[n++] = const_cast<void*>(a.inputs[3]);
    }
    uids[n] = kUidY;
    ptrs[n++] = a.outputs[0];
    Desc pack(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR);
    void* ws = a.scratch;
    cudnnStatus_t s = pack.set(CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64, n, uids);
    if (s == CUDNN_STATUS_SUCCESS)
      s = pack.set(CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR, n, ptrs);
    if (s == CUDNN_STATUS_SUCCESS)
      s = pack.set(CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, &ws);
    if (s == CUDNN_STATUS_SUCCESS) s = pack.finalize();
    if (s == CUDNN_STATUS_SUCCESS)
      s = cudnnBackendExecute(cs->cudnn, plan_->plan.get(), pack.get());
    if (s != CUDNN_STATUS_SUCCESS) cs->record(cudnn_status(s, "cudnnBackendExecute (conv graph)"));
  }

  std::shared_ptr<Plan> plan_;
  bool has_bias_ = false;
  bool residual_ = false;
};

// Builds the operation graph of one convolution on `handle`.
struct ConvGraph {
  std::vector<Desc> descs;  // tensors, conv descriptor, operations (kept alive)
  Desc graph;
};

Status build_graph(cudnnHandle_t handle, const ref::Conv2DParams& p, const DevActivation& act,
                   bool has_bias, bool residual, ConvGraph* g) {
  const bool relu = act.kind == static_cast<int>(fb::ActivationKind::Relu);
  const bool clip = act.kind == static_cast<int>(fb::ActivationKind::Clip);
  // The epilogue chain after the convolution: [+ bias] [+ residual] [ReLU / clipped ReLU].
  // Intermediates are virtual f32 tensors; the last stage writes y.
  const int stages = (has_bias ? 1 : 0) + (residual ? 1 : 0) + ((relu || clip) ? 1 : 0);
  Desc x, w, y, b, z, conv_desc, conv_op;
  STRIX_RETURN_IF_ERROR(make_tensor(kUidX, CUDNN_DATA_HALF, p.n, p.c, p.h, p.w, false, &x));
  STRIX_RETURN_IF_ERROR(
      make_tensor(kUidW, CUDNN_DATA_HALF, p.m, p.c / p.group, p.kh, p.kw, false, &w));
  STRIX_RETURN_IF_ERROR(make_tensor(kUidY, CUDNN_DATA_HALF, p.n, p.m, p.oh, p.ow, false, &y));
  if (has_bias) STRIX_RETURN_IF_ERROR(make_tensor(kUidB, CUDNN_DATA_HALF, 1, p.m, 1, 1, false, &b));
  if (residual)
    STRIX_RETURN_IF_ERROR(make_tensor(kUidZ, CUDNN_DATA_HALF, p.n, p.m, p.oh, p.ow, false, &z));
  // virt[i]: the output of stage i - 1 (virt[0]: the convolution's), for i < stages.
  std::vector<Desc> virt(stages);
  for (int i = 0; i < stages; ++i)
    STRIX_RETURN_IF_ERROR(
        make_tensor(kUidVirtual + i, CUDNN_DATA_FLOAT, p.n, p.m, p.oh, p.ow, true, &virt[i]));

  conv_desc = Desc(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR);
  const cudnnDataType_t comp = CUDNN_DATA_FLOAT;
  const cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
  const int64_t dims = 2;
  const int64_t dil[2] = {p.dilation_h, p.dilation_w}, str[2] = {p.stride_h, p.stride_w};
  const int64_t pre[2] = {p.pad_top, p.pad_left}, post[2] = {p.pad_bottom, p.pad_right};
  STRIX_GRAPH_TRY(conv_desc.set(CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &comp));
  STRIX_GRAPH_TRY(
      conv_desc.set(CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode));
  STRIX_GRAPH_TRY(conv_desc.set(CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, CUDNN_TYPE_INT64, 1, &dims));
  STRIX_GRAPH_TRY(conv_desc.set(CUDNN_ATTR_CONVOLUTION_DILATIONS, CUDNN_TYPE_INT64, 2, dil));
  STRIX_GRAPH_TRY(conv_desc.set(CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, CUDNN_TYPE_INT64, 2, str));
  STRIX_GRAPH_TRY(conv_desc.set(CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, CUDNN_TYPE_INT64, 2, pre));
  STRIX_GRAPH_TRY(conv_desc.set(CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, CUDNN_TYPE_INT64, 2, post));
  STRIX_GRAPH_TRY(conv_desc.finalize());

  conv_op = Desc(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR);
  const float alpha = 1.f, beta = 0.f;
  cudnnBackendDescriptor_t d;
  d = x.get();
  STRIX_GRAPH_TRY(conv_op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X,
                              CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &d));
  d = w.get();
  STRIX_GRAPH_TRY(conv_op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W,
                              CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &d));
  d = stages > 0 ? virt[0].get() : y.get();
  STRIX_GRAPH_TRY(conv_op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y,
                              CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &d));
  d = conv_desc.get();
  STRIX_GRAPH_TRY(conv_op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC,
                              CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &d));
  STRIX_GRAPH_TRY(
      conv_op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, CUDNN_TYPE_FLOAT, 1, &alpha));
  STRIX_GRAPH_TRY(
      conv_op.set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, CUDNN_TYPE_FLOAT, 1, &beta));
  STRIX_GRAPH_TRY(conv_op.finalize());

  std::vector<cudnnBackendDescriptor_t> ops = {conv_op.get()};
  std::vector<Desc> stage_ops(stages);
  int stage = 0;
  auto out_of = [&](int i) -> const Desc& { return i + 1 < stages ? virt[i + 1] : y; };
  if (has_bias) {
    STRIX_RETURN_IF_ERROR(make_pointwise(CUDNN_POINTWISE_ADD, virt[stage], &b, out_of(stage), 0.f,
                                         &stage_ops[stage]));
    ops.push_back(stage_ops[stage++].get());
  }
  if (residual) {
    STRIX_RETURN_IF_ERROR(make_pointwise(CUDNN_POINTWISE_ADD, virt[stage], &z, out_of(stage), 0.f,
                                         &stage_ops[stage]));
    ops.push_back(stage_ops[stage++].get());
  }
  if (relu || clip) {
    STRIX_RETURN_IF_ERROR(make_pointwise(CUDNN_POINTWISE_RELU_FWD, virt[stage], nullptr,
                                         out_of(stage), clip ? act.beta : 0.f, &stage_ops[stage]));
    ops.push_back(stage_ops[stage++].get());
  }
  g->graph = Desc(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR);
  STRIX_GRAPH_TRY(g->graph.set(CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR,
                               static_cast<int64_t>(ops.size()), ops.data()));
  STRIX_GRAPH_TRY(g->graph.set(CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle));
  STRIX_GRAPH_TRY(g->graph.finalize());
  for (Desc* keep : {&x, &w, &y, &b, &z, &conv_desc, &conv_op})
    g->descs.push_back(std::move(*keep));
  for (Desc& v : virt) g->descs.push_back(std::move(v));
  for (Desc& o : stage_ops) g->descs.push_back(std::move(o));
  return Status();
}

// The engine configurations heuristics `mode` proposes (possibly none).
std::vector<Desc> heuristic_configs(const Desc& graph, cudnnBackendHeurMode_t mode) {
  std::vector<Desc> configs;
  Desc heur(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR);
  cudnnBackendDescriptor_t g = graph.get();
  if (heur.set(CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &g) !=
          CUDNN_STATUS_SUCCESS ||
      heur.set(CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1, &mode) !=
          CUDNN_STATUS_SUCCESS ||
      heur.finalize() != CUDNN_STATUS_SUCCESS)
    return configs;
  int64_t count = 0;
  if (cudnnBackendGetAttribute(heur.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS,
                               CUDNN_TYPE_BACKEND_DESCRIPTOR, 0, &count,
                               nullptr) != CUDNN_STATUS_SUCCESS ||
      count <= 0)
    return configs;
  count = std::min<int64_t>(count, kMaxCandidates);
  std::vector<cudnnBackendDescriptor_t> raw(count, nullptr);
  configs.reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    configs.emplace_back(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR);
    raw[i] = configs.back().get();
  }
  int64_t returned = 0;
  if (cudnnBackendGetAttribute(heur.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS,
                               CUDNN_TYPE_BACKEND_DESCRIPTOR, count, &returned,
                               raw.data()) != CUDNN_STATUS_SUCCESS)
    return {};
  configs.resize(std::max<int64_t>(0, std::min(returned, count)));
  return configs;
}

Status make_plan(cudnnHandle_t handle, const Desc& config, Plan* plan) {
  plan->plan = Desc(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
  cudnnBackendDescriptor_t c = config.get();
  STRIX_GRAPH_TRY(plan->plan.set(CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle));
  STRIX_GRAPH_TRY(plan->plan.set(CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG,
                                 CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &c));
  STRIX_GRAPH_TRY(plan->plan.finalize());
  int64_t n = 0;
  STRIX_GRAPH_TRY(cudnnBackendGetAttribute(plan->plan.get(),
                                           CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE,
                                           CUDNN_TYPE_INT64, 1, &n, &plan->workspace));
  return Status();
}

// Scratch device buffers for timing, freed on destruction.
struct Scratch {
  void *x = nullptr, *w = nullptr, *b = nullptr, *y = nullptr, *z = nullptr, *ws = nullptr;
  ~Scratch() {
    for (void* p : {x, w, b, y, z, ws}) cudaFree(p);
  }
};

// Median-free best-of-3 time of one plan in ms, or < 0 when it fails to run.
float time_plan(cudnnHandle_t handle, const Plan& plan, const Scratch& s, bool has_bias,
                bool residual) {
  int64_t uids[5] = {kUidX, kUidW, kUidY};
  void* ptrs[5] = {s.x, s.w, s.y};
  int64_t n = 3;
  if (has_bias) {
    uids[n] = kUidB;
    ptrs[n++] = s.b;
  }
  if (residual) {
    uids[n] = kUidZ;
    ptrs[n++] = s.z;
  }
  Desc pack(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR);
  void* ws = s.ws;
  if (pack.set(CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64, n, uids) !=
          CUDNN_STATUS_SUCCESS ||
      pack.set(CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR, n, ptrs) !=
          CUDNN_STATUS_SUCCESS ||
      pack.set(CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, &ws) !=
          CUDNN_STATUS_SUCCESS ||
      pack.finalize() != CUDNN_STATUS_SUCCESS)
    return -1.f;
  cudaStream_t stream = nullptr;
  cudnnGetStream(handle, &stream);
  // Warm-up (lazy module loading, clocks), then the best of three.
  if (cudnnBackendExecute(handle, plan.plan.get(), pack.get()) != CUDNN_STATUS_SUCCESS ||
      cudaStreamSynchronize(stream) != cudaSuccess) {
    cudaGetLastError();
    return -1.f;
  }
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  float best = -1.f;
  for (int r = 0; r < 3; ++r) {
    cudaEventRecord(start, stream);
    cudnnStatus_t st = cudnnBackendExecute(handle, plan.plan.get(), pack.get());
    cudaEventRecord(stop, stream);
    if (st != CUDNN_STATUS_SUCCESS || cudaEventSynchronize(stop) != cudaSuccess) {
      best = -1.f;
      break;
    }
    float ms = 0.f;
    cudaEventElapsedTime(&ms, start, stop);
    if (best < 0.f || ms < best) best = ms;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaGetLastError();
  return best;
}

// Chooses (times) the plan for one shape, or kUnsupported when no configuration runs.
Status choose_plan(const CudaBackendContext& b, const ref::Conv2DParams& p,
                   const DevActivation& act, bool has_bias, bool residual, const std::string& key,
                   std::shared_ptr<Plan>* out) {
  cudnnHandle_t handle = b.cudnn();
  ConvGraph g;
  Status built = build_graph(handle, p, act, has_bias, residual, &g);
  if (!built.ok()) return Status(StatusCode::kUnsupported, built.message());

  struct Candidate {
    std::string name;
    Desc* config;
  };
  std::vector<Desc> configs_a = heuristic_configs(g.graph, CUDNN_HEUR_MODE_A);
  std::vector<Desc> configs_f = heuristic_configs(g.graph, CUDNN_HEUR_MODE_FALLBACK);
  std::vector<Candidate> candidates;
  for (size_t i = 0; i < configs_a.size(); ++i)
    candidates.push_back({"A:" + std::to_string(i), &configs_a[i]});
  for (size_t i = 0; i < configs_f.size(); ++i)
    candidates.push_back({"F:" + std::to_string(i), &configs_f[i]});
  if (candidates.empty())
    return Status(StatusCode::kUnsupported, "cuDNN graph API: no engine configuration");

  // A remembered choice from the tuning cache file: build only that one.
  std::string remembered;
  float remembered_ms = 0.f;
  if (lookup_tuning(key, &remembered, &remembered_ms)) {
    for (Candidate& c : candidates) {
      if (c.name != remembered) continue;
      auto plan = std::make_shared<Plan>();
      if (make_plan(handle, *c.config, plan.get()).ok() && plan->workspace <= kMaxWorkspace) {
        plan->engine = c.name;
        plan->ms = remembered_ms;
        plan->keep = std::move(g.descs);
        plan->keep.push_back(std::move(g.graph));
        plan->keep.push_back(std::move(*c.config));
        *out = plan;
        return Status();
      }
    }
  }

  const size_t es = 2;
  Scratch s;
  const size_t xb = p.n * p.c * p.h * p.w * es, yb = p.n * p.m * p.oh * p.ow * es;
  const size_t wb = p.m * (p.c / p.group) * p.kh * p.kw * es, bb = p.m * es;
  if (cudaMalloc(&s.x, xb) != cudaSuccess || cudaMalloc(&s.y, yb) != cudaSuccess ||
      cudaMalloc(&s.w, wb) != cudaSuccess || cudaMalloc(&s.b, bb) != cudaSuccess ||
      (residual && cudaMalloc(&s.z, yb) != cudaSuccess)) {
    cudaGetLastError();
    return make_status(StatusCode::kOutOfMemory, "CUDA: no memory to time convolution engines");
  }
  cudaMemset(s.x, 0x3c, xb);
  cudaMemset(s.w, 0x3c, wb);
  cudaMemset(s.b, 0x3c, bb);
  if (residual) cudaMemset(s.z, 0x3c, yb);
  std::shared_ptr<Plan> best;
  float best_ms = -1.f;
  int64_t allocated_ws = -1;
  for (Candidate& c : candidates) {
    auto plan = std::make_shared<Plan>();
    if (!make_plan(handle, *c.config, plan.get()).ok() || plan->workspace > kMaxWorkspace) continue;
    if (plan->workspace > allocated_ws) {
      cudaFree(s.ws);
      s.ws = nullptr;
      if (plan->workspace > 0 && cudaMalloc(&s.ws, plan->workspace) != cudaSuccess) {
        cudaGetLastError();
        allocated_ws = -1;
        continue;
      }
      allocated_ws = plan->workspace;
    }
    float ms = time_plan(handle, *plan, s, has_bias, residual);
    if (ms < 0.f) continue;
    plan->engine = c.name;
    plan->ms = ms;
    if (best_ms < 0.f || ms < best_ms) {
      best_ms = ms;
      best = plan;
    }
  }
  cudaDeviceSynchronize();
  cudaGetLastError();
  if (!best) return Status(StatusCode::kUnsupported, "cuDNN graph API: no engine ran");
  best->keep = std::move(g.descs);
  best->keep.push_back(std::move(g.graph));
  for (Candidate& c : candidates)
    if (c.name == best->engine) best->keep.push_back(std::move(*c.config));
  store_tuning(key, best->engine, best->ms);
  *out = best;
  return Status();
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_conv2d_graph(const CudaBackendContext& b,
                                                  const PrepareArgs& args,
                                                  const ref::Conv2DParams& p,
                                                  const DevActivation& act, bool has_bias,
                                                  bool residual, float* measured_ms) {
  if (args.inputs[0]->dtype != DType::kF16)
    return Status(StatusCode::kUnsupported, "the graph path is for f16");
  const bool relu = act.kind == static_cast<int>(fb::ActivationKind::Relu);
  const bool clip =
      act.kind == static_cast<int>(fb::ActivationKind::Clip) && act.alpha == 0.f && act.beta > 0.f;
  if (act.kind != 0 && !relu && !clip)
    return Status(StatusCode::kUnsupported, "activation not fused by the graph path");
  if (has_bias && args.inputs[2]->dtype != DType::kF16)
    return Status(StatusCode::kUnsupported, "bias dtype");
  char shape[256];
  std::snprintf(
      shape, sizeof(shape),
      "conv|%lld,%lld,%lld,%lld|%lld,%lld,%lld|s%lld,%lld|d%lld,%lld|p%lld,%lld,%lld,%lld|"
      "g%lld|b%d|z%d|a%d,%g",
      (long long)p.n, (long long)p.c, (long long)p.h, (long long)p.w, (long long)p.m,
      (long long)p.kh, (long long)p.kw, (long long)p.stride_h, (long long)p.stride_w,
      (long long)p.dilation_h, (long long)p.dilation_w, (long long)p.pad_top, (long long)p.pad_left,
      (long long)p.pad_bottom, (long long)p.pad_right, (long long)p.group, has_bias ? 1 : 0,
      residual ? 1 : 0, act.kind, clip ? act.beta : 0.f);
  const std::string key = device_key(b.device_index()) + "|" + shape;
  std::shared_ptr<Plan> plan;
  {
    std::lock_guard<std::mutex> lock(g_plan_mutex);
    auto it = plan_cache().find(key);
    if (it != plan_cache().end()) {
      plan = it->second;
    } else {
      Status s = choose_plan(b, p, act, has_bias, residual, key, &plan);
      if (!s.ok()) return s;
      plan_cache()[key] = plan;
    }
  }
  auto k = std::make_unique<GraphConvKernel>();
  k->plan_ = plan;
  k->has_bias_ = has_bias;
  k->residual_ = residual;
  k->scratch_bytes = static_cast<size_t>(plan->workspace);
  *measured_ms = plan->ms;
  k->name = "cudnn_graph_conv2d_f16" + std::string(has_bias ? "_bias" : "") +
            (residual ? "_add" : "") + (relu ? "_relu" : (clip ? "_clip" : "")) + "_" +
            plan->engine;
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace strix::kernels::cuda
