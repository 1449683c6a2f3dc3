// kernels/cuda/tuning_cache.h — the tuning cache file of the CUDA backend (internal): the
// choices measured when an Engine is built (cuDNN graph engines, conv_graph.cc; INT8
// tensor-core tile shapes, conv_int8.cc), remembered across processes in the file named by
// STRIX_CUDA_TUNING_CACHE. Lines are "key<TAB>choice<TAB>ms"; the file is appended to, never
// rewritten, and the first line of a key wins. Keys start with device_key() and carry the
// kernel family and the shape, so an entry from another GPU, driver, cuDNN or kernel version
// never matches; an unknown, stale or unreadable entry only costs a re-measurement. Without
// the variable nothing is read or written.
#pragma once

#include <string>

namespace strix::kernels::cuda {

// The value of STRIX_CUDA_TUNING_CACHE, or "" when unset.
std::string tuning_cache_path();

// The first line of the file for `key`: its choice and measured time. False when the file is
// unset, missing or holds no well-formed line for the key.
bool lookup_tuning(const std::string& key, std::string* choice, float* ms);

// Appends a line (keys and choices must hold no tab or newline); a failure is ignored.
void store_tuning(const std::string& key, const std::string& choice, float ms);

// GPU name, compute capability, driver and cuDNN versions of `device`.
std::string device_key(int device);

}  // namespace strix::kernels::cuda
