// The reference backend's op table. One line per op; static_assert keeps it complete in
// size. Built on first use (no global constructors in the runtime).
#include "kernels/cpu/ref/registry.h"

#include <array>

#include "kernels/cpu/ref/unary.h"
// ---- includes: conv/fc/matmul ----
// ---- includes: pool/binary ----
// ---- includes: norm/softmax/reduce ----
// ---- includes: data movement ----

namespace strix::kernels::ref {
namespace {

constexpr int kNumOps = static_cast<int>(fb::OpType::MAX) + 1;
using Table = std::array<RefOp, kNumOps>;
static_assert(kNumOps == 54, "an op was added to the schema: give it a line in the table below");

Table build_table() {
  Table t{};
  auto set = [&t](fb::OpType op, KernelFactory f, uint32_t dtypes) {
    t[static_cast<int>(op)] = RefOp{f, dtypes, false};
  };
  // Ops that move bytes and so handle any dtype natively.
  auto set_generic = [&t](fb::OpType op, KernelFactory f) {
    t[static_cast<int>(op)] = RefOp{f, kAnyDType, true};
  };
  using O = fb::OpType;
  // Activations and other elementwise unary ops (unary.cc).
  for (O op : {O::Relu, O::Clip, O::LeakyRelu, O::Elu, O::Sigmoid, O::Tanh, O::HardSigmoid,
               O::HardSwish, O::SiLU, O::Gelu, O::Mish, O::Softplus}) {
    set(op, make_unary, kFloat);
  }
  set(O::Power, make_power, kFloat);
  // ---- table: conv/fc/matmul ----
  // ---- table: pool/binary ----
  // ---- table: norm/softmax/reduce ----
  // ---- table: data movement ----
  return t;
}

}  // namespace

const RefOp& ref_op(fb::OpType op) {
  static const Table table = build_table();
  static const RefOp none{};
  int i = static_cast<int>(op);
  return (i >= 0 && i < kNumOps) ? table[i] : none;
}

}  // namespace strix::kernels::ref
