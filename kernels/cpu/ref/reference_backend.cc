// The reference CPU backend: looks ops up in the registry and runs f16 tensors through
// their f32 kernels (f16 storage, f32 compute).
#include <cstring>
#include <vector>

#include "kernels/backend.h"
#include "kernels/cpu/ref/registry.h"
#include "kernels/f16_adapter.h"

namespace strix::kernels::ref {
namespace {

class ReferenceBackend : public Backend {
 public:
  const char* name() const override { return "cpu-ref"; }
  bool is_cpu() const override { return true; }

  bool supports(const PrepareArgs& args) const override {
    const RefOp& entry = ref_op(args.node->op());
    if (entry.factory == nullptr) return false;
    if (args.inputs.empty() || args.inputs[0] == nullptr) return true;
    return (entry.dtypes & dtype_bit(args.inputs[0]->dtype)) != 0;
  }

  Result<std::unique_ptr<Kernel>> prepare(const PrepareArgs& args) const override {
    const RefOp& entry = ref_op(args.node->op());
    if (entry.factory == nullptr)
      return node_error(args, StatusCode::kUnsupported, "the reference CPU backend has no kernel");
    if (!entry.dtype_generic && has_f16(args))
      return prepare_with_f16_storage(args,
                                      [&entry](const PrepareArgs& a) { return entry.factory(a); });
    return entry.factory(args);
  }
};

}  // namespace
}  // namespace strix::kernels::ref

namespace strix::kernels {
std::unique_ptr<Backend> make_cpu_reference_backend() {
  return std::make_unique<ref::ReferenceBackend>();
}
}  // namespace strix::kernels
