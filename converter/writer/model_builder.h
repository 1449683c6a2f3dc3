// converter/writer/model_builder.h — writes .strix files.
//
//   strix::writer::ModelBuilder b;
//   int x = b.add_input("x", strix::DType::kF32, {1, 3, 8, 8});
//   int w = b.add_constant_f32("w", {4, 3, 3, 3}, weights);
//   int y = b.add_tensor("y", strix::DType::kF32, {1, 4, 6, 6});
//   auto& fbb = b.fbb();
//   auto opts = strix::fb::CreateConv2DOptions(fbb, fbb.CreateVector<int32_t>({3, 3}), ...);
//   b.add_node("conv", strix::fb::OpType::Conv2D, {x, w}, {y},
//              strix::fb::OpOptions::Conv2DOptions, opts.Union());
//   b.mark_output(y);
//   std::vector<uint8_t> file = b.finish();
//
// The builder writes what it is told: it does not validate (the loader does), which lets
// tests write deliberately broken files. Options tables are built with fbb() before the
// add_node() call that uses them. Constant data is copied into a 64-byte aligned data
// segment after the size-prefixed FlatBuffer (see sdk/schema/strix.fbs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "strix/model.h"
#include "strix/status.h"
#include "strix/tensor.h"
#include "strix_generated.h"

namespace strix::writer {

class ModelBuilder {
 public:
  ModelBuilder();

  // Each returns the new tensor's index. Shapes may use -1 for a dynamic dim 0.
  int add_input(const std::string& name, DType dtype, const std::vector<int64_t>& shape);
  int add_tensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape);
  int add_constant(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                   const void* data, size_t bytes);
  int add_constant_f32(const std::string& name, const std::vector<int64_t>& shape,
                       const std::vector<float>& values);
  int add_constant_i32(const std::string& name, const std::vector<int64_t>& shape,
                       const std::vector<int32_t>& values);
  void set_quantization(int tensor, const Quantization& q);

  flatbuffers::FlatBufferBuilder& fbb() { return fbb_; }

  // inputs may hold -1 for an omitted optional input. Returns the node index.
  int add_node(const std::string& name, fb::OpType op, const std::vector<int>& inputs,
               const std::vector<int>& outputs, fb::OpOptions options_type = fb::OpOptions::NONE,
               flatbuffers::Offset<void> options = 0,
               const std::vector<std::string>& source_nodes = {});
  void mark_output(int tensor);

  Metadata& metadata() { return metadata_; }
  void set_schema_version(uint32_t v) { schema_version_ = v; }

  int num_tensors() const { return static_cast<int>(tensors_.size()); }

  // The whole file. The builder must not be used afterwards.
  std::vector<uint8_t> finish();
  Status write(const std::string& path);

 private:
  struct PendingTensor {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    uint32_t buffer = 0;  // 1-based
    Quantization quant;
  };
  struct PendingNode {
    std::string name;
    fb::OpType op;
    std::vector<int> inputs, outputs;
    fb::OpOptions options_type;
    flatbuffers::Offset<void> options;
    std::vector<std::string> source_nodes;
  };
  int push_tensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape);

  flatbuffers::FlatBufferBuilder fbb_;
  std::vector<PendingTensor> tensors_;
  std::vector<PendingNode> nodes_;
  std::vector<int> inputs_, outputs_;
  std::vector<fb::Buffer> buffers_;
  std::vector<uint8_t> data_;  // the data segment
  Metadata metadata_;
  uint32_t schema_version_;
};

}  // namespace strix::writer
