// sdk/src/memory_planner.h — places activation buffers in one arena (internal).
//
// Each buffer is live over the closed interval [first, last] of execution steps. Two
// buffers whose intervals intersect never share bytes; buffers whose intervals are disjoint
// may. Greedy by size (largest first), each at the lowest 64-byte aligned offset that fits
// beside the already placed buffers it overlaps in time (as TFLite's greedy planner).
#pragma once

#include <cstddef>
#include <vector>

namespace strix {

struct PlannedBuffer {
  size_t size = 0;
  int first = 0;      // first step at which the buffer is live
  int last = 0;       // last step (inclusive)
  size_t offset = 0;  // set by plan_memory
};

constexpr size_t kArenaAlignment = 64;

// Sets every buffer's offset; returns the arena size (a multiple of kArenaAlignment).
size_t plan_memory(std::vector<PlannedBuffer>& buffers);

}  // namespace strix
