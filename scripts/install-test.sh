#!/usr/bin/env bash
# Checks the installable SDK natively: builds what is installed (target strix_sdk) in the
# Release preset's build/default, installs it into a temporary prefix, builds
# samples/external_app against it with CMake find_package(Strix) and with pkg-config, runs
# both, checks the CMake package's version and component handling, and makes the .deb
# packages with cpack.
# Usage: scripts/install-test.sh        (STRIX_BUILD=DIR tests another build, default build/default)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build_rel=${STRIX_BUILD:-build/default}
build=$root/$build_rel

start=$(date +%s)
step() { echo "== install-test: $* [$(( $(date +%s) - start )) s]"; }

scripts/install-deps.sh

step "build ($build_rel)"
if [[ $build_rel == build/default ]]; then
  cmake --preset default >/dev/null
else
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" -j 2 --target strix_sdk make_test_model  # what is installed + a model

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
step "install into $prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/strix/strix.h include/strix/engine.h lib/libstrix.so lib/cmake/Strix/StrixConfig.cmake \
         lib/cmake/Strix/StrixConfigVersion.cmake lib/pkgconfig/strix.pc bin/strix; do
  [[ -e $prefix/$f ]] || { echo "install-test: $f was not installed" >&2; exit 1; }
done
soname=$(readelf -d "$prefix/lib/libstrix.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[[ -e $prefix/lib/$soname && $soname == libstrix.so.* ]]
echo "  libstrix SONAME $soname"

model=$work/model.strix
"$build/tests/tools/make_test_model" "$model"

step "samples/external_app with find_package(Strix)"
cmake -S samples/external_app -B "$work/app" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/app"
"$work/app/external_app" "$model" | tee "$work/app.txt"
grep -q "output 0: \[1x5\] f32 sum 1.0000" "$work/app.txt"
"$work/app/external_app_c" "$model"

step "samples/external_app with pkg-config"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
[[ $(pkg-config --modversion strix) == $(sed -n 's/^project(Strix VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt) ]]
g++ -std=c++17 samples/external_app/main.cc -o "$work/app_pc" $(pkg-config --cflags --libs strix) \
  -Wl,-rpath,"$prefix/lib"
"$work/app_pc" "$model" | grep -q "sum 1.0000"
gcc -std=c89 -pedantic -Werror samples/external_app/main.c -o "$work/app_pc_c" \
  $(pkg-config --cflags --libs strix) -Wl,-rpath,"$prefix/lib"
"$work/app_pc_c" "$model" >/dev/null
# The installed CLI finds libstrix through its $ORIGIN runpath.
/usr/bin/python3 -c "import numpy as np, sys; np.save(sys.argv[1], np.ones((1, 3, 8, 8), np.float32))" \
  "$work/input.npy"
"$prefix/bin/strix" run "$model" --input "image=$work/input.npy" --output-dir "$work/cli_out" >/dev/null
ls "$work"/cli_out/*.npy >/dev/null

step "find_package: version and components"
mkdir -p "$work/probe"
cat > "$work/probe/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(probe LANGUAGES CXX)
find_package(Strix REQUIRED COMPONENTS runtime OPTIONAL_COMPONENTS cuda plugin converter)
if(NOT TARGET Strix::strix OR NOT Strix_runtime_FOUND)
  message(FATAL_ERROR "no Strix::strix")
endif()
message(STATUS "probe: cuda=${Strix_cuda_FOUND} plugin=${Strix_plugin_FOUND} converter=${Strix_converter_FOUND}")
find_package(Strix 99 QUIET)
if(Strix_FOUND)
  message(FATAL_ERROR "Strix 99 should not be found")
endif()
find_package(Strix QUIET COMPONENTS no_such_part)
if(Strix_FOUND)
  message(FATAL_ERROR "an unknown required component should make Strix not found")
endif()
CM
cmake -S "$work/probe" -B "$work/probe/build" -DCMAKE_PREFIX_PATH="$prefix" | grep "probe:"

step "cpack (.deb)"
(cd "$build" && cpack >/dev/null)
for deb in "$build"/packages/*.deb; do
  echo "  $(basename "$deb"): $(dpkg-deb -f "$deb" Depends)"
done
# Listings are read whole (grep -q would close the pipe early and kill dpkg-deb's tar).
runtime_files=$(dpkg-deb -c "$build"/packages/strix-runtime_*.deb)
dev_files=$(dpkg-deb -c "$build"/packages/strix-dev_*.deb)
grep -q 'usr/lib/libstrix.so.' <<<"$runtime_files"
grep -q 'usr/include/strix/strix.h' <<<"$dev_files"

stripped=$work/libstrix.stripped.so
strip -o "$stripped" "$build/sdk/libstrix.so"
echo "libstrix.so ($(uname -m), $(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt"), stripped): $(stat -c %s "$stripped") bytes"
step "passed"
