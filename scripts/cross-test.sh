#!/usr/bin/env bash
# Cross-builds Strix for aarch64 Linux (toolchains/aarch64-linux-gnu.cmake, Release: runtime,
# strix CLI, tests, samples) into build/aarch64 and checks it under qemu-aarch64:
#   1. ctest: the whole suite except tests that exec target programs from host Python, then
#      the optimized CPU backend's tests (CpuOpt*) again with QEMU_CPU=cortex-a57 (NEON
#      without dotprod; qemu's default CPU, max, has it)
#   2. models written on the host (make_test_model, tests/reference cases) give the same
#      outputs with the aarch64 `strix run` as with the host's (scripts/cross_compare.py:
#      f32 relative L2 <= 1e-5, integers bit-exact)
#   3. the SDK installed into build/aarch64/install builds samples/external_app (CMake
#      find_package and pkg-config) and it runs; cpack makes the arm64 .debs.
# The host's CLI comes from build/default (the Release preset; only strix_cli and
# make_test_model are built there if it is not built yet).
# Usage: scripts/cross-test.sh
#   STRIX_CROSS_BUILD=DIR (default build/aarch64), STRIX_HOST_BUILD=DIR (default build/default)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${STRIX_CROSS_BUILD:-build/aarch64}
host_build=${STRIX_HOST_BUILD:-build/default}
prefix=$root/$build/install
sysroot=/usr/aarch64-linux-gnu
emulator="qemu-aarch64 -L $sysroot"
jobs=2
# Tests that run target binaries from host Python (CI has no binfmt_misc): not run here.
skip_labels='^cli$'
skip_tests='^strix_run_matches_numpy$'

start=$(date +%s)
step() { echo "== cross-test: $* [$(( $(date +%s) - start )) s]"; }

scripts/install-deps.sh --cross

step "host strix CLI ($host_build)"
if [[ $host_build == build/default ]]; then
  cmake --preset default >/dev/null
else
  cmake -S . -B "$host_build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$host_build" -j $jobs --target strix_cli make_test_model
host_strix=$root/$host_build/sdk/tools/strix
host_make_model=$root/$host_build/tests/tools/make_test_model

step "aarch64 build ($build)"
cmake -S . -B $build -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE=$root/toolchains/aarch64-linux-gnu.cmake \
  -DSTRIX_WITH_CUDA=OFF -DSTRIX_WITH_GSTREAMER=OFF -DSTRIX_WITH_CONVERTER=OFF \
  -DSTRIX_WITH_TRAINING=OFF >/dev/null
cmake --build $build -j $jobs
readelf -h $build/sdk/libstrix.so | grep -q 'Machine:.*AArch64'

step "ctest under qemu"
ctest --test-dir $build -j $jobs --output-on-failure -LE "$skip_labels" -E "$skip_tests"

# The optimized CPU backend picks NEON + dotprod on qemu's default CPU (max); its tests run
# again on a CPU without the dot-product extension (plain NEON).
step "ctest CpuOpt under qemu -cpu cortex-a57"
QEMU_CPU=cortex-a57 ctest --test-dir $build -j $jobs --output-on-failure -R '^CpuOpt'

step "host-made models on aarch64"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for variant in classifier:1 classifier_batch3:3; do
  name=${variant%%:*}
  batch=${variant##*:}
  mkdir -p "$work/cases/$name"
  if [[ $batch == 1 ]]; then
    "$host_make_model" "$work/cases/$name/model.strix"
  else
    "$host_make_model" "$work/cases/$name/model.strix" --dynamic-batch
  fi
  /usr/bin/python3 - "$work/cases/$name" "$name" "$batch" <<'PY'
import json, sys
import numpy as np
d, name, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
x = np.random.default_rng(7).uniform(-1, 1, size=(batch, 3, 8, 8)).astype(np.float32)
np.save(f"{d}/input_0.npy", x)
json.dump({"name": name, "inputs": ["image"], "batch": batch}, open(f"{d}/case.json", "w"))
PY
done
reference_cases=()
[[ -d $build/tests/reference/cases ]] && reference_cases=("$build/tests/reference/cases")
/usr/bin/python3 scripts/cross_compare.py --native "$host_strix" --target "$build/sdk/tools/strix" \
  --emulator "$emulator" --jobs $jobs "$work/cases" "${reference_cases[@]}"

step "install into $prefix, build samples/external_app against it"
rm -rf "$prefix"
cmake --install $build --prefix "$prefix" >/dev/null
model=$work/cases/classifier/model.strix
cmake -S samples/external_app -B $build/external_app -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE=$root/toolchains/aarch64-linux-gnu.cmake \
  -DStrix_DIR="$prefix/lib/cmake/Strix" >/dev/null
cmake --build $build/external_app
$emulator $build/external_app/external_app "$model" | tee "$work/app.txt"
grep -q "output 0: \[1x5\] f32 sum 1.0000" "$work/app.txt"
$emulator $build/external_app/external_app_c "$model"
# pkg-config (the .pc file finds its prefix from its own place).
aarch64-linux-gnu-g++ -std=c++17 -O1 samples/external_app/main.cc -o "$work/app_pc" \
  $(PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" pkg-config --cflags --libs strix) \
  -Wl,-rpath,"$prefix/lib"
$emulator "$work/app_pc" "$model" | grep -q "sum 1.0000"
# The installed CLI finds libstrix through its $ORIGIN runpath.
$emulator "$prefix/bin/strix" run "$model" --input "image=$work/cases/classifier/input_0.npy" \
  --output-dir "$work/installed_cli" >/dev/null
ls "$work"/installed_cli/*.npy >/dev/null

step "cpack (arm64 .deb)"
(cd $build && cpack >/dev/null)
for deb in $build/packages/*.deb; do
  echo "  $(basename "$deb"): $(dpkg-deb -f "$deb" Architecture), $(stat -c %s "$deb") bytes"
  [[ $(dpkg-deb -f "$deb" Architecture) == arm64 ]]
done

stripped=$work/libstrix.stripped.so
aarch64-linux-gnu-strip -o "$stripped" $build/sdk/libstrix.so
echo "libstrix.so (aarch64, Release, stripped): $(stat -c %s "$stripped") bytes"
step "passed"
