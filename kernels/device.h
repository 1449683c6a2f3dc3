// kernels/device.h — memory and execution state of a non-CPU device, as the Engine and
// Context see it (internal). Implemented by kernels/cuda/cuda_device.cc; the sdk itself never
// includes a device runtime header.
//
// Execution model. A Context owns one Stream (an opaque pointer made by create_stream():
// for CUDA a stream plus cuDNN/cuBLAS handles) and hands it to every device kernel as
// EvalArgs::device. Device kernels only enqueue work on that stream; errors of calls made
// at eval are recorded in the stream and returned by synchronize(). Copies between host
// and device memory are enqueued with copy_async(); host memory that takes part is
// page-locked (allocate_host) so that the copies are asynchronous.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "kernels/kernel.h"
#include "kernels/preprocess_job.h"
#include "strix/status.h"

namespace strix::kernels {

enum class CopyKind { kHostToDevice, kDeviceToHost, kDeviceToDevice };

// Device layout. Every rank-4 f16 or i8 tensor in device memory is stored channels-last
// (NHWC: element [n, c, h, w] at ((n * H + h) * W + w) * C + c), the layout of the
// tensor-core convolutions; every other tensor keeps the model's layout (NCHW for rank 4).
// Host memory is always in the model's layout: copies between the two convert
// (convert_layout), and device kernels index rank-4 f16 and i8 tensors as NHWC.
inline bool device_channels_last(const KTensor& t) {
  return t.shape.rank() == 4 && (t.dtype == DType::kF16 || t.dtype == DType::kI8);
}

class Device {
 public:
  virtual ~Device() = default;

  // "cuda:0 (NVIDIA H100 80GB HBM3)".
  virtual std::string description() const = 0;
  // Makes this device current on the calling thread (cudaSetDevice).
  virtual void activate() const = 0;

  // Device memory (zero-filled, 256-byte aligned). release(nullptr) is a no-op.
  virtual Result<void*> allocate(size_t bytes) const = 0;
  virtual void release(void* p) const = 0;
  // Page-locked host memory (zero-filled, 64-byte aligned).
  virtual Result<void*> allocate_host(size_t bytes) const = 0;
  virtual void release_host(void* p) const = 0;
  // Synchronous host -> device copy, for weights at Engine build.
  virtual Status upload(void* dst, const void* src, size_t bytes) const = 0;

  // Per-Context execution state.
  virtual Result<void*> create_stream() const = 0;
  virtual void destroy_stream(void* stream) const = 0;
  virtual void copy_async(void* dst, const void* src, size_t bytes, CopyKind kind,
                          void* stream) const = 0;
  // Device memory to device memory: [n, c, hw] <-> [n, hw, c] of `elem_size`-byte elements
  // (to_channels_last: NCHW -> NHWC).
  virtual void convert_layout(void* dst, const void* src, int64_t n, int64_t c, int64_t hw,
                              size_t elem_size, bool to_channels_last, void* stream) const = 0;
  // Waits for the stream; returns the first error recorded since the last call (launch
  // errors, failed library calls) and clears it.
  virtual Status synchronize(void* stream) const = 0;

  // Graph capture of the work enqueued between begin_capture and end_capture. end_capture
  // returns an executable graph (an error when capture failed: the caller then launches
  // the work directly).
  virtual Status begin_capture(void* stream) const = 0;
  virtual Result<void*> end_capture(void* stream) const = 0;
  virtual void launch_graph(void* graph, void* stream) const = 0;
  virtual void destroy_graph(void* graph) const = 0;

  // Enqueues the pre-processing of job.count frames (already in device memory) into the
  // device tensor job.dst (kernels/preprocess_job.h). Returns a launch error at once; errors
  // of the work itself surface at the next synchronize().
  virtual Status preprocess(const PreprocessJob& job, void* stream) const = 0;

  // Timing events recorded on a stream; elapsed_ms() reads two completed events.
  virtual Result<void*> create_event() const = 0;
  virtual void destroy_event(void* event) const = 0;
  virtual void record_event(void* event, void* stream) const = 0;
  virtual double elapsed_ms(void* start, void* end) const = 0;
};

// Makes the CUDA backend for device `index` (kernels/cuda/); defined only when libstrix is
// built with STRIX_WITH_CUDA (STRIX_HAVE_CUDA is then defined for the sdk).
class Backend;
Result<std::unique_ptr<Backend>> make_cuda_backend(int index);

}  // namespace strix::kernels
