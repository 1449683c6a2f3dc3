// The Context's worker pool (kernels/cpu/thread_pool.h), physical core counting and the
// ISA selection of the optimized CPU backend.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "kernels/cpu/isa.h"
#include "kernels/cpu/thread_pool.h"
#include "tests/unit/cpu_opt_test_util.h"

namespace strix::kernels {
namespace {

TEST(CpuOptThreadPool, EveryTaskRunsOnceOnAValidThread) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {0, 1, 2, 7, 97, 1000}) {  // 97, 1000: runs of indices per claim
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      std::atomic<int> bad_thread{0};
      pool.parallel_for(n, [&](int64_t i, int thread) {
        hits[static_cast<size_t>(i)].fetch_add(1);
        if (thread < 0 || thread >= threads) bad_thread.fetch_add(1);
      });
      for (int64_t i = 0; i < n; ++i) EXPECT_EQ(hits[static_cast<size_t>(i)].load(), 1) << i;
      EXPECT_EQ(bad_thread.load(), 0);
    }
  }
}

TEST(CpuOptThreadPool, ManyJobsInARowAndWorkersReallyRun) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  std::atomic<int> on_worker{0};
  for (int job = 0; job < 2000; ++job) {
    pool.parallel_for(8, [&](int64_t i, int thread) {
      sum.fetch_add(i);
      if (thread == 1) on_worker.fetch_add(1);
      if (job % 500 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    });
  }
  EXPECT_EQ(sum.load(), 2000 * 28);  // 0 + 1 + ... + 7 per job
  EXPECT_GT(on_worker.load(), 0) << "the worker thread never took a task";
}

TEST(CpuOptThreadPool, SleepingWorkersWakeUp) {
  ThreadPool pool(2);
  std::atomic<int> done{0};
  for (int job = 0; job < 3; ++job) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past the spin window
    pool.parallel_for(4, [&](int64_t, int) { done.fetch_add(1); });
  }
  EXPECT_EQ(done.load(), 12);
}

TEST(CpuOptThreadPool, NullPoolRunsInline) {
  int calls = 0;
  parallel_for(nullptr, 5, [&](int64_t i, int thread) {
    EXPECT_EQ(thread, 0);
    EXPECT_EQ(i, calls);
    ++calls;
  });
  EXPECT_EQ(calls, 5);
}

TEST(CpuOptThreadPool, PhysicalCores) {
  int cores = physical_cores();
  EXPECT_GE(cores, 1);
  EXPECT_LE(cores, static_cast<int>(std::thread::hardware_concurrency()));
}

TEST(CpuOptIsa, SelectionFollowsTheEnvironmentDownwardOnly) {
  using cpu::Isa;
  Isa host = cpu::host_isa();
  {
    testing::cpuopt::ScopedIsa scoped("scalar");
    EXPECT_EQ(cpu::selected_isa(), Isa::kScalar);
  }
  {
    testing::cpuopt::ScopedIsa scoped("avx512");  // never above the host
    EXPECT_EQ(cpu::selected_isa(), host);
  }
  EXPECT_EQ(cpu::selected_isa(), host);
  EXPECT_EQ(cpu::isa_kernels(Isa::kScalar), nullptr);
  if (host == Isa::kAvx2 || host == Isa::kAvx512) {
    const cpu::IsaKernels* k = cpu::isa_kernels(Isa::kAvx2);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->lanes, 8);
    EXPECT_EQ(k->nr, 16);
  }
  if (host == Isa::kAvx512) {
    const cpu::IsaKernels* k = cpu::isa_kernels(Isa::kAvx512);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->lanes, 16);
    EXPECT_EQ(k->nr, 32);
  }
  if (host == Isa::kNeon || host == Isa::kNeonDotprod) {
    for (Isa isa : {Isa::kNeon, host}) {
      const cpu::IsaKernels* k = cpu::isa_kernels(isa);
      ASSERT_NE(k, nullptr);
      EXPECT_EQ(k->isa, isa);
      EXPECT_EQ(k->lanes, 4);
      EXPECT_EQ(k->nr, 8);
      EXPECT_EQ(k->mr, 8);
    }
    {
      testing::cpuopt::ScopedIsa scoped("neon");
      EXPECT_EQ(cpu::selected_isa(), Isa::kNeon);
    }
    {
      testing::cpuopt::ScopedIsa scoped("avx2");  // another family: ignored
      EXPECT_EQ(cpu::selected_isa(), host);
    }
    EXPECT_EQ(cpu::isa_kernels(Isa::kAvx2), nullptr);
  } else {
    testing::cpuopt::ScopedIsa scoped("neon");  // another family: ignored
    EXPECT_EQ(cpu::selected_isa(), host);
  }
  EXPECT_STREQ(cpu::isa_name(Isa::kNeon), "neon");
  EXPECT_STREQ(cpu::isa_name(Isa::kNeonDotprod), "neon_dotprod");
}

// With STRIX_CPU_ISA=scalar the optimized backend supports nothing: every node falls back.
TEST(CpuOptIsa, ScalarSelectionFallsBackToReference) {
  testing::cpuopt::ScopedIsa scoped("scalar");
  writer::ModelBuilder b;
  int x = b.add_input("x", DType::kF32, {13});
  int y = b.add_tensor("y", DType::kF32, {13});
  b.add_node("relu", fb::OpType::Relu, {x}, {y});
  b.mark_output(y);
  Result<testing::cpuopt::EngineRun> r = testing::cpuopt::run_engine(
      b.finish(), {testing::f32({13}, testing::random_floats(13, 1))}, false, 2);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value().nodes[0].backend, "cpu-ref");
}

}  // namespace
}  // namespace strix::kernels
