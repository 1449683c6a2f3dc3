#include "kernels/cpu/thread_pool.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define STRIX_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define STRIX_CPU_RELAX() asm volatile("yield")
#else
#define STRIX_CPU_RELAX() ((void)0)
#endif

namespace strix::kernels {
namespace {

bool read_int_file(const char* path, int* value) {
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return false;
  bool ok = std::fscanf(f, "%d", value) == 1;
  std::fclose(f);
  return ok;
}

int count_physical_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  bool have_affinity = sched_getaffinity(0, sizeof(set), &set) == 0;
  std::set<std::pair<int, int>> cores;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (have_affinity && !CPU_ISSET(cpu, &set)) continue;
    char path[128];
    int core = 0, package = 0;
    std::snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology/core_id", cpu);
    if (!read_int_file(path, &core)) continue;
    std::snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology/physical_package_id",
                  cpu);
    if (!read_int_file(path, &package)) package = 0;
    cores.insert({package, core});
  }
  if (!cores.empty()) return static_cast<int>(cores.size());
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<int>(online) : 1;
}

// A pause is ~40 ns on recent Intel cores (~10 ns elsewhere): a worker spins ~50-100 us for
// the next job before it sleeps, so back-to-back kernels do not pay a wake-up each.
constexpr int kSpinRounds = 2000;
// The caller spins this long for the last worker, then yields its core: on an oversubscribed
// machine the worker it waits for may need that core.
constexpr int kWaitSpins = 256;
// parallel_for hands out runs of n / (kClaimsPerThread * threads) indices (at least 1).
constexpr int64_t kClaimsPerThread = 8;

}  // namespace

namespace {

uint64_t flush_denormals() {
#if defined(__x86_64__) || defined(__i386__)
  const unsigned saved = _mm_getcsr();
  _mm_setcsr(saved | 0x8040u);  // FTZ (bit 15) | DAZ (bit 6)
  return saved;
#elif defined(__aarch64__)
  uint64_t saved;
  asm volatile("mrs %0, fpcr" : "=r"(saved));
  asm volatile("msr fpcr, %0" : : "r"(saved | (uint64_t(1) << 24)));
  return saved;
#else
  return 0;
#endif
}

void restore_float_mode(uint64_t saved) {
#if defined(__x86_64__) || defined(__i386__)
  _mm_setcsr(static_cast<unsigned>(saved));
#elif defined(__aarch64__)
  asm volatile("msr fpcr, %0" : : "r"(saved));
#else
  (void)saved;
#endif
}

}  // namespace

ScopedFlushDenormals::ScopedFlushDenormals() : saved_(flush_denormals()) {}
ScopedFlushDenormals::~ScopedFlushDenormals() { restore_float_mode(saved_); }

int physical_cores() {
  static const int cores = count_physical_cores();
  return cores;
}

ThreadPool::ThreadPool(int threads) {
  if (threads < 1) threads = 1;
  workers_.reserve(static_cast<size_t>(threads - 1));
  for (int t = 1; t < threads; ++t) workers_.emplace_back([this, t] { worker_main(t); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  for (std::thread& w : workers_) w.join();
}

void ThreadPool::drain(int thread) {
  const int64_t grain = grain_;
  for (;;) {
    int64_t i = next_.fetch_add(grain, std::memory_order_relaxed);
    if (i >= n_) break;
    const int64_t end = std::min(n_, i + grain);
    for (; i < end; ++i) call_(ctx_, i, thread);
  }
}

void ThreadPool::run(int64_t n, Call call, const void* ctx) {
  n_ = n;
  // Runs of indices per claim: at most ~kClaimsPerThread claims per thread. Many tiny tasks
  // (a 13x13 pooling plane each) then neither bounce the counter's cache line between cores
  // per task nor write neighbouring outputs from two cores (false sharing); few tasks are
  // still handed out one at a time.
  grain_ = std::max<int64_t>(1, n / (kClaimsPerThread * size()));
  call_ = call;
  ctx_ = ctx;
  next_.store(0, std::memory_order_relaxed);
  busy_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  {
    // The lock orders the job's fields before a sleeping worker's wake-up check.
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  if (sleepers_.load(std::memory_order_acquire) > 0) wake_.notify_all();
  drain(0);
  for (int spin = 0; busy_.load(std::memory_order_acquire) > 0; ++spin) {
    if (spin < kWaitSpins)
      STRIX_CPU_RELAX();
    else
      std::this_thread::yield();
  }
}

void ThreadPool::worker_main(int thread) {
  flush_denormals();  // for the thread's life: it only runs optimized kernels
  uint64_t seen = 0;
  for (;;) {
    uint64_t g = generation_.load(std::memory_order_acquire);
    for (int spin = 0; g == seen && spin < kSpinRounds; ++spin) {
      STRIX_CPU_RELAX();
      g = generation_.load(std::memory_order_acquire);
    }
    if (g == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      sleepers_.fetch_add(1, std::memory_order_acq_rel);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      sleepers_.fetch_sub(1, std::memory_order_acq_rel);
      g = generation_.load(std::memory_order_acquire);
    }
    seen = g;
    if (stop_.load(std::memory_order_relaxed)) return;
    drain(thread);
    busy_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace strix::kernels
