#include "sdk/src/op_options.h"

#include <array>

namespace strix {
namespace {

constexpr int kNumOps = static_cast<int>(fb::OpType::MAX) + 1;
static_assert(kNumOps == 54, "an op was added to the schema: give it an options rule below");

std::array<OptionsRule, kNumOps> build_rules() {
  std::array<OptionsRule, kNumOps> r{};
  using O = fb::OpType;
  using T = fb::OpOptions;
  auto req = [&r](O op, T t) { r[static_cast<int>(op)] = {t, true}; };
  auto opt = [&r](O op, T t) { r[static_cast<int>(op)] = {t, false}; };
  req(O::Conv2D, T::Conv2DOptions);
  req(O::ConvTranspose2D, T::ConvTranspose2DOptions);
  opt(O::FullyConnected, T::FullyConnectedOptions);
  opt(O::MatMul, T::MatMulOptions);
  req(O::MaxPool, T::Pool2DOptions);
  req(O::AveragePool, T::Pool2DOptions);
  for (O op : {O::Relu, O::Sigmoid, O::Tanh, O::HardSwish, O::SiLU, O::Mish, O::Softplus})
    opt(op, T::UnaryOptions);
  for (O op : {O::Clip, O::LeakyRelu, O::Elu, O::HardSigmoid}) req(op, T::UnaryOptions);
  opt(O::Gelu, T::GeluOptions);
  req(O::Power, T::PowerOptions);
  for (O op : {O::Add, O::Sub, O::Mul, O::Div, O::Max, O::Min, O::Pow}) opt(op, T::BinaryOptions);
  opt(O::BatchNormalization, T::BatchNormOptions);
  opt(O::LayerNormalization, T::LayerNormOptions);
  opt(O::InstanceNormalization, T::NormOptions);
  req(O::GroupNormalization, T::NormOptions);
  req(O::LRN, T::LRNOptions);
  opt(O::Softmax, T::SoftmaxOptions);
  opt(O::LogSoftmax, T::SoftmaxOptions);
  req(O::Concat, T::ConcatOptions);
  req(O::Split, T::SplitOptions);
  req(O::Slice, T::SliceOptions);
  opt(O::Gather, T::GatherOptions);
  req(O::Reshape, T::ReshapeOptions);
  opt(O::Flatten, T::FlattenOptions);
  opt(O::Transpose, T::TransposeOptions);
  opt(O::Squeeze, T::AxesOptions);
  req(O::Unsqueeze, T::AxesOptions);
  req(O::Pad, T::PadOptions);
  req(O::Resize, T::ResizeOptions);
  for (O op : {O::ReduceMean, O::ReduceMax, O::ReduceSum}) opt(op, T::ReduceOptions);
  req(O::Cast, T::CastOptions);
  req(O::Custom, T::CustomOptions);
  // GlobalAveragePool, GlobalMaxPool, PRelu, Quantize, Dequantize: no options.
  return r;
}

}  // namespace

OptionsRule options_rule(fb::OpType op) {
  static const std::array<OptionsRule, kNumOps> rules = build_rules();
  int i = static_cast<int>(op);
  return (i >= 0 && i < kNumOps) ? rules[i] : OptionsRule{};
}

}  // namespace strix
