// kernels/cpu/thread_pool.h — the one persistent worker pool of a Context (internal).
//
//   ThreadPool pool(2);                      // the caller plus 1 worker thread
//   pool.parallel_for(tasks, [&](int64_t task, int thread) { ... });
//
// parallel_for(n, fn) runs fn(i, thread) once for every i in [0, n) and returns when all
// have finished. The calling thread takes part (it is thread 0); workers are 1..size()-1.
// Tasks are handed out dynamically (an atomic counter; with many tasks, in runs of
// consecutive indices, about 8 runs per thread), so `thread` only says which
// per-thread scratch slot the task may use: two tasks running at once never share it.
// No allocation per call. Not reentrant: fn must not call parallel_for on the same pool.
// A pool is used by one thread at a time (its Context's).
//
// Workers spin briefly after a job (to catch the next kernel's job without a wake-up),
// then sleep on a condition variable.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace strix::kernels {

// Physical cores available to this process: the distinct (package, core) pairs in
// /sys/devices/system/cpu/cpu*/topology of the CPUs in the affinity mask (hyper-thread
// siblings count once). Falls back to sysconf(_SC_NPROCESSORS_ONLN), and to 1. Cached.
int physical_cores();

class ThreadPool {
 public:
  // threads >= 1 counts the calling thread: threads - 1 workers are started.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  template <typename F>
  void parallel_for(int64_t n, const F& fn) {
    if (n <= 0) return;
    if (n == 1 || workers_.empty()) {
      for (int64_t i = 0; i < n; ++i) fn(i, 0);
      return;
    }
    run(
        n, [](const void* ctx, int64_t i, int thread) { (*static_cast<const F*>(ctx))(i, thread); },
        &fn);
  }

 private:
  using Call = void (*)(const void* ctx, int64_t i, int thread);
  void run(int64_t n, Call call, const void* ctx);
  void worker_main(int thread);
  void drain(int thread);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};  // bumped for each job and for shutdown
  std::atomic<int64_t> next_{0};         // next task index
  std::atomic<int> busy_{0};             // workers still in the current job
  std::atomic<int> sleepers_{0};
  int64_t n_ = 0;
  int64_t grain_ = 1;  // indices per claim of next_
  Call call_ = nullptr;
  const void* ctx_ = nullptr;
  std::atomic<bool> stop_{false};
};

// While alive, the calling thread computes with denormal floats flushed to zero (x86:
// MXCSR FTZ and DAZ; aarch64: FPCR.FZ); the previous mode is restored after. Denormal
// operands make x86 FMAs take microcode assists (100x slower); randomly initialized or
// badly scaled networks produce them. The optimized kernels always run this way (pool
// workers set it once, the calling thread per parallel_for); the reference kernels do not.
class ScopedFlushDenormals {
 public:
  ScopedFlushDenormals();
  ~ScopedFlushDenormals();
  ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
  ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

 private:
  uint64_t saved_ = 0;
};

// Runs fn(i, thread) for i in [0, n): through the pool when it is non-null, inline otherwise,
// with denormals flushed to zero.
template <typename F>
void parallel_for(ThreadPool* pool, int64_t n, const F& fn) {
  ScopedFlushDenormals ftz;
  if (pool != nullptr) {
    pool->parallel_for(n, fn);
  } else {
    for (int64_t i = 0; i < n; ++i) fn(i, 0);
  }
}

}  // namespace strix::kernels
