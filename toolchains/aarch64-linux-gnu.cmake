# Cross build for 64-bit Arm Linux with Debian's cross compiler, tests run under qemu.
#
#   apt-get install g++-aarch64-linux-gnu qemu-user      (scripts/install-deps.sh --cross)
#   cmake -S . -B build/aarch64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64-linux-gnu.cmake
#   ctest --test-dir build/aarch64                       (each test runs through qemu-aarch64)
#
# Target libraries (libstdc++, libc) come from /usr/aarch64-linux-gnu. Programs (flatc) are
# the host's. Header-only dependencies (FlatBuffers, CLI11, nlohmann/json) are taken from the
# host's /usr/include: they are architecture independent, and /usr/include is already the
# last directory of the cross compiler's own search list, after its aarch64 libc headers.
# GoogleTest is compiled from /usr/src/googletest (tests/CMakeLists.txt does that when
# CMAKE_CROSSCOMPILING). Set STRIX_CROSS_PREFIX to use another compiler prefix.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

if(NOT DEFINED STRIX_CROSS_PREFIX)
  set(STRIX_CROSS_PREFIX aarch64-linux-gnu-)
endif()
set(CMAKE_C_COMPILER ${STRIX_CROSS_PREFIX}gcc)
set(CMAKE_CXX_COMPILER ${STRIX_CROSS_PREFIX}g++)
set(CMAKE_STRIP ${STRIX_CROSS_PREFIX}strip CACHE FILEPATH "strip for the target")

set(STRIX_TARGET_ROOT /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH ${STRIX_TARGET_ROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # host tools: flatc, pkg-config, python
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)    # never link an x86-64 library
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)    # header-only libraries from /usr/include
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)    # no host CMake packages (GTest, Torch)

# pkg-config must not report the host's .pc files (GStreamer) as target libraries.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:${STRIX_TARGET_ROOT}/lib/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# ctest and gtest_discover_tests run target programs through qemu.
find_program(STRIX_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(STRIX_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${STRIX_QEMU_AARCH64} -L ${STRIX_TARGET_ROOT})
endif()
