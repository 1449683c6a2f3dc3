// The reference backend's op table. One line per op; static_assert keeps it complete in
// size. Built on first use (no global constructors in the runtime).
#include "kernels/cpu/ref/registry.h"

#include <array>

#include "kernels/cpu/ref/unary.h"
// ---- includes: conv/fc/matmul ----
#include "kernels/cpu/ref/conv.h"
#include "kernels/cpu/ref/conv_transpose.h"
#include "kernels/cpu/ref/fully_connected.h"
#include "kernels/cpu/ref/matmul.h"
// ---- includes: pool/binary ----
#include "kernels/cpu/ref/binary.h"
#include "kernels/cpu/ref/pool.h"
// ---- includes: norm/softmax/reduce ----
#include "kernels/cpu/ref/norm.h"
#include "kernels/cpu/ref/reduce.h"
#include "kernels/cpu/ref/softmax.h"
// ---- includes: data movement ----
#include "kernels/cpu/ref/concat.h"
#include "kernels/cpu/ref/custom.h"
#include "kernels/cpu/ref/quantize.h"
#include "kernels/cpu/ref/resize.h"
#include "kernels/cpu/ref/shape_ops.h"
#include "kernels/cpu/ref/slice_gather.h"
#include "kernels/cpu/ref/transpose_pad.h"

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
  set(O::Conv2D, make_conv2d, kFloat | kI8);  // conv.cc, conv_int8.cc
  set(O::ConvTranspose2D, make_conv_transpose2d, kFloat);
  set(O::FullyConnected, make_fully_connected, kFloat | kI8);  // fully_connected{,_int8}.cc
  set(O::MatMul, make_matmul, kFloat);
  // ---- table: pool/binary ----
  set(O::MaxPool, make_max_pool, kFloat | kI8);  // pool.cc, pool_int8.cc
  set(O::AveragePool, make_average_pool, kFloat | kI8);
  set(O::GlobalAveragePool, make_global_average_pool, kFloat | kI8);
  set(O::GlobalMaxPool, make_global_max_pool, kFloat | kI8);
  set(O::Add, make_binary, kFloat | kI8);  // binary.cc, binary_int8.cc
  for (O op : {O::Sub, O::Mul, O::Div, O::Max, O::Min, O::Pow}) set(op, make_binary, kFloat);
  set(O::PRelu, make_prelu, kFloat);
  // ---- table: norm/softmax/reduce ----
  set(O::BatchNormalization, make_batch_norm, kFloat);
  set(O::LayerNormalization, make_layer_norm, kFloat);
  set(O::InstanceNormalization, make_instance_norm, kFloat);
  set(O::GroupNormalization, make_group_norm, kFloat);
  set(O::LRN, make_lrn, kFloat);
  set(O::Softmax, make_softmax, kFloat);
  set(O::LogSoftmax, make_softmax, kFloat);
  for (O op : {O::ReduceMean, O::ReduceMax, O::ReduceSum}) set(op, make_reduce, kFloat);
  // ---- table: data movement ----
  set_generic(O::Reshape, make_reshape);
  set_generic(O::Flatten, make_flatten);
  set_generic(O::Squeeze, make_squeeze);
  set_generic(O::Unsqueeze, make_unsqueeze);
  set_generic(O::Concat, make_concat);
  set_generic(O::Split, make_split);
  set_generic(O::Slice, make_slice);
  set_generic(O::Gather, make_gather);
  set_generic(O::Transpose, make_transpose);
  set(O::Pad, make_pad, kAnyDType);  // f16 through the adapter; i8/u8 pad with the zero point
  set(O::Resize, make_resize, kFloat);
  set_generic(O::Cast, make_cast);
  set(O::Quantize, make_quantize, kFloat);
  set(O::Dequantize, make_dequantize, kI8 | kU8 | kI32);
  set_generic(O::Custom, make_custom);
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
