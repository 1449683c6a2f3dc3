// The tuning cache file: see tuning_cache.h.
#include "kernels/cuda/tuning_cache.h"

#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>

namespace strix::kernels::cuda {

std::string tuning_cache_path() {
  const char* p = std::getenv("STRIX_CUDA_TUNING_CACHE");
  return p != nullptr ? std::string(p) : std::string();
}

bool lookup_tuning(const std::string& key, std::string* choice, float* ms) {
  const std::string path = tuning_cache_path();
  if (path.empty() || key.empty()) return false;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    const size_t tab = line.find('\t');
    if (tab != key.size() || line.compare(0, tab, key) != 0) continue;
    const size_t tab2 = line.find('\t', tab + 1);
    if (tab2 == std::string::npos || tab2 == tab + 1) continue;
    char* end = nullptr;
    const float t = std::strtof(line.c_str() + tab2 + 1, &end);
    if (end == line.c_str() + tab2 + 1) continue;  // no number: a torn or foreign line
    *choice = line.substr(tab + 1, tab2 - tab - 1);
    *ms = t;
    return true;
  }
  return false;
}

void store_tuning(const std::string& key, const std::string& choice, float ms) {
  const std::string path = tuning_cache_path();
  if (path.empty()) return;
  std::ofstream f(path, std::ios::app);  // appends; a failure only costs a re-measurement
  if (f) f << key << '\t' << choice << '\t' << ms << '\n';
}

std::string device_key(int device) {
  // Asked once per convolution of every Engine build: made once per device.
  static std::mutex mu;
  static auto* keys = new std::map<int, std::string>();  // never destroyed
  std::lock_guard<std::mutex> lock(mu);
  auto it = keys->find(device);
  if (it != keys->end()) return it->second;
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
    cudaGetLastError();
    return "unknown-device";  // not remembered: the next call asks again
  }
  int driver = 0;
  cudaDriverGetVersion(&driver);
  char buf[384];
  std::snprintf(buf, sizeof(buf), "%s|sm%d%d|drv%d|cudnn%zu", prop.name, prop.major, prop.minor,
                driver, cudnnGetVersion());
  return (*keys)[device] = buf;
}

}  // namespace strix::kernels::cuda
