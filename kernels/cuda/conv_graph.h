// kernels/cuda/conv_graph.h — Conv2D through the cuDNN graph (backend) API (internal).
//
// An f16 channels-last convolution with its bias, a residual input (PrepareArgs::
// fused_residual: inputs[3]) and a fused ReLU / Clip (ReLU6) becomes one cuDNN operation
// graph: conv -> + bias -> + residual -> relu, intermediates in f32, the output in f16.
// cuDNN's heuristics (mode A, then the fallback list) propose engine configurations; each
// that finalizes is timed on scratch buffers when the Engine is built and the fastest is
// kept. The choice is remembered for the process per shape and GPU, and across processes in
// the tuning cache file named by STRIX_CUDA_TUNING_CACHE (lines "key<TAB>engine<TAB>ms", the key
// holding GPU name, compute capability, driver and cuDNN versions and the shape; appended
// to, never rewritten; an unknown or stale entry only costs a re-measurement). Unlike the legacy
// API this reaches cuDNN's runtime-fused and newest tensor-core engines, and takes asymmetric pads.
#pragma once

#include <memory>

#include "kernels/cpu/ref/conv.h"
#include "kernels/cuda/cuda_common.h"

namespace strix::kernels::cuda {

// kUnsupported when the graph API has no engine for this convolution (the caller then uses
// the legacy path); other errors are real failures. `measured_ms` receives the chosen
// engine's time on scratch data (from the tuning cache file when it came from there), so
// the caller can compare it with the legacy path's.
Result<std::unique_ptr<Kernel>> make_conv2d_graph(const CudaBackendContext& b,
                                                  const PrepareArgs& args,
                                                  const ref::Conv2DParams& p,
                                                  const DevActivation& act, bool has_bias,
                                                  bool residual, float* measured_ms);

}  // namespace strix::kernels::cuda
