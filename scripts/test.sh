#!/usr/bin/env bash
# Builds Strix and runs the whole test suite with ctest.
# Usage: scripts/test.sh [--preset default|debug|asan]
set -euo pipefail
cd "$(dirname "$0")/.."

preset=default
while [[ $# -gt 0 ]]; do
  case "$1" in
    --preset) preset="$2"; shift 2 ;;
    *) echo "usage: scripts/test.sh [--preset default|debug|asan]" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
if [[ "$preset" == asan ]]; then
  # Huge allocations asked for by corrupt models must fail as Status, not abort ASan.
  export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
ctest --preset "$preset" -j2
