// Tensor homes, mirrors and copy steps for Engines with a device backend.
#include "sdk/src/device_placement.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>

namespace strix {
namespace {

// A copy step's kernel: never evaluated (the Context enqueues the copy itself).
class CopyStep : public kernels::Kernel {
 public:
  explicit CopyStep(bool to_device) { name = to_device ? "copy_h2d" : "copy_d2h"; }
  void eval(const kernels::EvalArgs&) const override {}
};

constexpr size_t kDeviceAlignment = 256;
size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

}  // namespace

Status place_on_device(EngineImpl& e) {
  const int num_model_tensors = static_cast<int>(e.tensors.size());
  std::vector<bool>& on_dev = e.tensor_on_device;
  on_dev.assign(num_model_tensors, false);
  e.device_mirror_of.assign(num_model_tensors, -1);
  for (const CompiledNode& n : e.nodes)
    for (int t : n.outputs) on_dev[t] = n.on_device;

  std::map<std::pair<int, bool>, int> mirror;  // (tensor, on device) -> mirror tensor
  std::vector<int> uploads;                    // device mirrors of constants
  std::vector<CompiledNode> nodes;
  std::vector<NodeReport> reports;
  auto add_copy = [&](int from, int to, bool to_device) {
    CompiledNode c;
    c.kernel = std::make_unique<CopyStep>(to_device);
    const kernels::KTensor& device_side = e.tensors[to_device ? to : from];
    c.convert_layout = kernels::device_channels_last(device_side);
    if (c.convert_layout)
      c.kernel->scratch_bytes = device_side.shape.num_elements() * dtype_size(device_side.dtype);
    c.inputs = {from};
    c.outputs = {to};
    c.on_device = true;
    c.copy = to_device ? CompiledNode::kToDevice : CompiledNode::kToHost;
    NodeReport r;
    r.name = e.tensors[from].name;
    r.op = to_device ? "CopyToDevice" : "CopyToHost";
    r.backend = "device";
    r.kernel = c.kernel->name;
    nodes.push_back(std::move(c));
    reports.push_back(std::move(r));
  };
  auto mirror_of = [&](int t, bool device_side) {
    auto key = std::make_pair(t, device_side);
    auto it = mirror.find(key);
    if (it != mirror.end()) return it->second;
    int m = static_cast<int>(e.tensors.size());
    kernels::KTensor copy = e.tensors[t];
    copy.name += device_side ? "@device" : "@host";
    e.tensors.push_back(copy);
    on_dev.push_back(device_side);
    e.device_mirror_of.push_back(t);
    mirror[key] = m;
    if (e.tensors[t].constant != nullptr) {
      uploads.push_back(m);  // weights: uploaded below, no copy step
    } else {
      add_copy(t, m, device_side);
    }
    return m;
  };

  for (size_t i = 0; i < e.nodes.size(); ++i) {
    CompiledNode& n = e.nodes[i];
    for (int& t : n.inputs) {
      if (t < 0) continue;
      bool home = on_dev[t] && e.tensors[t].constant == nullptr;
      if (home == n.on_device) continue;
      if (!n.on_device && e.tensors[t].constant != nullptr) continue;  // host weights
      t = mirror_of(t, n.on_device);
    }
    nodes.push_back(std::move(n));
    reports.push_back(std::move(e.report.nodes[i]));
  }
  for (int& t : e.output_tensors)
    if (on_dev[t]) t = mirror_of(t, false);

  // Upload constants read on the device.
  size_t total = 0;
  std::vector<size_t> offsets;
  for (int m : uploads) {
    offsets.push_back(total);
    total = align_up(total + e.tensors[m].shape.num_elements() * dtype_size(e.tensors[m].dtype),
                     kDeviceAlignment);
  }
  if (total > 0) {
    Result<void*> mem = e.device->allocate(total);
    if (!mem.ok()) return mem.status();
    e.device_weights = mem.value();
    for (size_t i = 0; i < uploads.size(); ++i) {
      kernels::KTensor& k = e.tensors[uploads[i]];
      size_t bytes = k.shape.num_elements() * dtype_size(k.dtype);
      void* dst = static_cast<uint8_t*>(e.device_weights) + offsets[i];
      const void* src = k.constant;
      std::vector<uint8_t> nhwc;
      if (kernels::device_channels_last(k)) {  // conv filters become [M, kH, kW, C/group]
        const int64_t n = k.shape[0], c = k.shape[1], hw = k.shape[2] * k.shape[3];
        const size_t es = dtype_size(k.dtype);
        nhwc.resize(bytes);
        const auto* from = static_cast<const uint8_t*>(src);
        for (int64_t a = 0; a < n; ++a)
          for (int64_t ch = 0; ch < c; ++ch)
            for (int64_t p = 0; p < hw; ++p)
              std::memcpy(&nhwc[((a * hw + p) * c + ch) * es], &from[((a * c + ch) * hw + p) * es],
                          es);
        src = nhwc.data();
      }
      if (bytes) STRIX_RETURN_IF_ERROR(e.device->upload(dst, src, bytes));
      k.constant = dst;
    }
  }
  e.report.device_weights_bytes = total;
  e.nodes = std::move(nodes);
  e.report.nodes = std::move(reports);
  return Status();
}

size_t plan_per_device(std::vector<PlannedBuffer>& buffers, const std::vector<bool>& on_device,
                       size_t* device_bytes) {
  std::vector<PlannedBuffer> side[2];
  for (size_t i = 0; i < buffers.size(); ++i) side[on_device[i] ? 1 : 0].push_back(buffers[i]);
  size_t host = plan_memory(side[0]);
  *device_bytes = side[1].empty() ? 0 : plan_memory(side[1]);
  size_t next[2] = {0, 0};
  for (size_t i = 0; i < buffers.size(); ++i) {
    int d = on_device[i] ? 1 : 0;
    buffers[i].offset = side[d][next[d]++].offset;
  }
  return host;
}

}  // namespace strix
