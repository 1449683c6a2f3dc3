// sdk/src/context_access.h — what device pre-processing (vision::Preprocessor::run_batch)
// needs from a Context's internals (internal; defined in context.cc).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/device.h"
#include "strix/context.h"
#include "strix/status.h"

namespace strix {

// Where device pre-processing writes graph input i of a Context.
struct DeviceInputTarget {
  // Null when input i must be written in host memory (ctx.input(i)) instead: a CPU
  // Context, or an input that a CPU node or a graph output also reads from the host, that
  // no device node reads, or that is not copied by a leading input copy.
  const kernels::Device* device = nullptr;
  void* stream = nullptr;
  void* data = nullptr;        // the device copy of input i (its whole tensor)
  bool channels_last = false;  // its device layout (kernels::device_channels_last)
  bool caller_memory = false;  // set_device_input(i, ptr) is active: data is unset
};

struct ContextAccess {
  // Precondition: i in range.
  static DeviceInputTarget device_input(const Context& ctx, int i);
  // Page-locked host and device buffers of at least `bytes` each, owned by the Context and
  // grown here (the only allocation of device pre-processing). Waits for the Context's
  // stream first, so that earlier uploads from the host buffer are finished; returns the
  // first device error recorded since the last run().
  static Status frame_buffers(Context& ctx, size_t bytes, uint8_t** host, uint8_t** device);
  // The next run() does not copy input i to the device: it was written there. run() clears
  // the mark. Precondition: device_input(ctx, i).device is not null.
  static Status mark_written_on_device(Context& ctx, int i);
};

}  // namespace strix
