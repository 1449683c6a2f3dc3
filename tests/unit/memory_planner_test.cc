// The planner's contract: buffers live at the same time never share bytes; the arena is
// no larger than the sum of sizes and no smaller than the peak of live bytes.
#include "sdk/src/memory_planner.h"

#include <gtest/gtest.h>

#include <random>

namespace strix {
namespace {

void expect_no_live_overlap(const std::vector<PlannedBuffer>& b, size_t arena) {
  for (size_t i = 0; i < b.size(); ++i) {
    EXPECT_EQ(b[i].offset % kArenaAlignment, 0u);
    EXPECT_LE(b[i].offset + b[i].size, arena);
    for (size_t j = i + 1; j < b.size(); ++j) {
      bool time = b[i].first <= b[j].last && b[j].first <= b[i].last;
      bool space = b[i].offset < b[j].offset + b[j].size && b[j].offset < b[i].offset + b[i].size;
      EXPECT_FALSE(time && space && b[i].size && b[j].size)
          << "buffers " << i << " and " << j << " overlap while both are live";
    }
  }
}

TEST(MemoryPlanner, ChainReusesMemory) {
  // a -> b -> c -> d: each lives two steps; a and c can share, b and d can share.
  std::vector<PlannedBuffer> b = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 4}};
  size_t arena = plan_memory(b);
  expect_no_live_overlap(b, arena);
  EXPECT_EQ(arena, 2 * 1024u);  // two 1000-byte buffers rounded to 64
  EXPECT_EQ(b[0].offset, b[2].offset);
}

TEST(MemoryPlanner, AllLiveNeedsTheSum) {
  std::vector<PlannedBuffer> b = {{100, 0, 5}, {200, 0, 5}, {300, 0, 5}};
  size_t arena = plan_memory(b);
  expect_no_live_overlap(b, arena);
  EXPECT_EQ(arena, 128u + 256u + 320u);
}

TEST(MemoryPlanner, RandomIntervalsNeverOverlap) {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<PlannedBuffer> b(1 + rng() % 60);
    size_t sum = 0;
    for (auto& x : b) {
      x.size = rng() % 5000;
      x.first = static_cast<int>(rng() % 40);
      x.last = x.first + static_cast<int>(rng() % 10);
      sum += (x.size + 63) / 64 * 64;
    }
    size_t arena = plan_memory(b);
    expect_no_live_overlap(b, arena);
    EXPECT_LE(arena, sum);
    // Lower bound: at every step, the live buffers must fit.
    for (int t = 0; t < 50; ++t) {
      size_t live = 0;
      for (auto& x : b)
        if (x.first <= t && t <= x.last) live += x.size;
      EXPECT_GE(arena, live);
    }
  }
}

}  // namespace
}  // namespace strix
