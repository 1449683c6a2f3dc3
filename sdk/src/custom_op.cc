#include "strix/custom_op.h"

namespace strix {

void CustomOpRegistry::add(const std::string& name, CustomKernelFactory factory) {
  for (auto& entry : entries_) {
    if (entry.first == name) {
      entry.second = std::move(factory);
      return;
    }
  }
  entries_.emplace_back(name, std::move(factory));
}

const CustomKernelFactory* CustomOpRegistry::find(const std::string& name) const {
  for (const auto& entry : entries_)
    if (entry.first == name) return &entry.second;
  return nullptr;
}

}  // namespace strix
