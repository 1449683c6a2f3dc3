// Engines shared by model-instance-id (engine_pool.h).
#include "pipeline/engine_pool.h"

#include <map>
#include <mutex>

namespace strix::gst {

namespace {

struct Pool {
  std::mutex mutex;
  std::map<std::string, std::weak_ptr<const SharedEngine>> engines;
};

Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: elements may outlive static destruction
  return *p;
}

Result<std::shared_ptr<const SharedEngine>> build(const std::string& path,
                                                  const std::string& device, int threads) {
  Result<Model> model = Model::load(path);
  if (!model.ok()) return model.status();
  auto shared = std::make_shared<SharedEngine>();
  shared->path = path;
  shared->device_asked = device;
  shared->threads = threads;
  shared->model = model.value();
  EngineOptions options;
  options.threads = threads;
  Status cuda_status;
  if (device == "cuda" || device == "auto") {
    options.device = "cuda";
    Result<std::shared_ptr<Engine>> engine = Engine::create(shared->model, options);
    if (engine.ok()) {
      shared->engine = engine.value();
      shared->device = "cuda";
      return std::shared_ptr<const SharedEngine>(shared);
    }
    if (device == "cuda") return engine.status();
  }
  options.device = "cpu";
  Result<std::shared_ptr<Engine>> engine = Engine::create(shared->model, options);
  if (!engine.ok()) return engine.status();
  shared->engine = engine.value();
  shared->device = "cpu";
  return std::shared_ptr<const SharedEngine>(shared);
}

}  // namespace

Result<std::shared_ptr<const SharedEngine>> acquire_engine(const std::string& id,
                                                           const std::string& path,
                                                           const std::string& device, int threads) {
  if (id.empty()) return build(path, device, threads);
  Pool& p = pool();
  // Held while building, so two elements starting together build one Engine.
  std::lock_guard<std::mutex> lock(p.mutex);
  auto it = p.engines.find(id);
  if (it != p.engines.end()) {
    std::shared_ptr<const SharedEngine> existing = it->second.lock();
    if (existing) {
      if (existing->path != path || existing->device_asked != device ||
          existing->threads != threads)
        return make_status(StatusCode::kInvalidArgument,
                           "model-instance-id '%s' already holds model '%s' (device %s, %d "
                           "threads); this element asks for '%s' (device %s, %d threads)",
                           id.c_str(), existing->path.c_str(), existing->device_asked.c_str(),
                           existing->threads, path.c_str(), device.c_str(), threads);
      return existing;
    }
  }
  Result<std::shared_ptr<const SharedEngine>> built = build(path, device, threads);
  if (built.ok()) p.engines[id] = built.value();
  return built;
}

int live_shared_engines() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  int n = 0;
  for (auto it = p.engines.begin(); it != p.engines.end();) {
    if (it->second.expired()) {
      it = p.engines.erase(it);
    } else {
      ++n;
      ++it;
    }
  }
  return n;
}

}  // namespace strix::gst
