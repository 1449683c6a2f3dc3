#include "sdk/src/memory_planner.h"

#include <algorithm>
#include <numeric>

namespace strix {
namespace {

size_t align(size_t n) { return (n + kArenaAlignment - 1) & ~(kArenaAlignment - 1); }

bool overlap_in_time(const PlannedBuffer& a, const PlannedBuffer& b) {
  return a.first <= b.last && b.first <= a.last;
}

}  // namespace

size_t plan_memory(std::vector<PlannedBuffer>& buffers) {
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return buffers[a].size > buffers[b].size; });
  std::vector<size_t> placed;  // indices, kept sorted by offset
  size_t arena = 0;
  for (size_t i : order) {
    PlannedBuffer& buf = buffers[i];
    size_t need = align(buf.size);
    size_t candidate = 0;
    // Walk the placed buffers that are live at the same time, in offset order, and take the
    // first gap large enough.
    for (size_t j : placed) {
      const PlannedBuffer& other = buffers[j];
      if (!overlap_in_time(buf, other)) continue;
      if (other.offset >= candidate + need) break;  // the gap before `other` fits
      candidate = std::max(candidate, align(other.offset + other.size));
    }
    buf.offset = candidate;
    arena = std::max(arena, candidate + need);
    auto pos = std::upper_bound(placed.begin(), placed.end(), i, [&](size_t a, size_t b) {
      return buffers[a].offset < buffers[b].offset;
    });
    placed.insert(pos, i);
  }
  return arena;
}

}  // namespace strix
