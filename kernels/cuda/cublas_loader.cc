// See cublas_loader.h.
#include "kernels/cuda/cublas_loader.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace strix::kernels::cuda {
namespace {

#define STRIX_STR2(x) #x
#define STRIX_STR(x) STRIX_STR2(x)

// The soname of the toolkit we were built with (libcublas.so.13 for CUDA 13), then the
// unversioned name of a development install.
constexpr const char* kLibraries[] = {"libcublas.so." STRIX_STR(CUBLAS_VER_MAJOR), "libcublas.so"};

template <class Fn>
bool resolve(void* lib, const char* name, Fn* fn, std::string* missing) {
  *fn = reinterpret_cast<Fn>(dlsym(lib, name));
  if (*fn == nullptr && missing->empty()) *missing = name;
  return *fn != nullptr;
}

Status load(CublasApi* api) {
  void* lib = nullptr;
  std::string tried;
  for (const char* name : kLibraries) {
    lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (lib != nullptr) break;
    tried += std::string(tried.empty() ? "" : ", ") + name;
  }
  if (lib == nullptr)
    return make_status(StatusCode::kUnsupported, "cuBLAS is not installed: cannot load %s (%s)",
                       tried.c_str(), dlerror());
  std::string missing;
  resolve(lib, "cublasCreate_v2", &api->create, &missing);
  resolve(lib, "cublasDestroy_v2", &api->destroy, &missing);
  resolve(lib, "cublasSetStream_v2", &api->set_stream, &missing);
  resolve(lib, "cublasSetWorkspace_v2", &api->set_workspace, &missing);
  resolve(lib, "cublasGemmEx", &api->gemm_ex, &missing);
  resolve(lib, "cublasGetStatusString", &api->status_string, &missing);
  if (!missing.empty())
    return make_status(StatusCode::kUnsupported, "cuBLAS library lacks %s", missing.c_str());
  return Status();  // the library stays loaded for the process
}

}  // namespace

Result<const CublasApi*> cublas_api() {
  static std::once_flag once;
  static CublasApi api;
  static Status status;
  std::call_once(once, [] { status = load(&api); });
  if (!status.ok()) return status;
  return &api;
}

}  // namespace strix::kernels::cuda
