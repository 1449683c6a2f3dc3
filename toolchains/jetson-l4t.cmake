# Cross build for NVIDIA Jetson (L4T) with CUDA, from an x86-64 host.
#
#   cmake -S . -B build/jetson -G Ninja -DCMAKE_TOOLCHAIN_FILE=toolchains/jetson-l4t.cmake \
#         -DJETSON_SYSROOT=/opt/jetson/rootfs -DJETSON_CUDA_ROOT=/usr/local/cuda-12.6 \
#         -DSTRIX_PLATFORM=jetson-orin-nano
#
# Needs (all from the JetPack release that the board runs; see platforms/*.yaml cuda_toolchain):
#   JETSON_SYSROOT    the board's root file system (Linux_for_Tegra/rootfs after
#                     apply_binaries.sh, or a copy of the board's /usr and /lib), used as
#                     --sysroot. It must hold libc, libstdc++ and the L4T CUDA driver.
#   JETSON_CUDA_ROOT  the host CUDA toolkit with the aarch64 cross target (JetPack's
#                     cuda-cross-aarch64 package): bin/nvcc and targets/aarch64-linux/.
#   JETSON_CROSS_PREFIX  (optional) compiler prefix, default aarch64-linux-gnu-; a path
#                     prefix such as /opt/l4t-gcc/bin/aarch64-buildroot-linux-gnu- also works.
#                     Use the GCC of that JetPack's host tools: nvcc accepts only the host
#                     compilers its release supports.
# Header-only dependencies (FlatBuffers 2.0.x headers matching the host flatc, CLI11,
# nlohmann/json) are looked up in the sysroot; pass -DFLATBUFFERS_INCLUDE_DIR=DIR (a
# directory that holds only flatbuffers/) when the sysroot has none or an older one.
# Each variable may also come from the environment.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

# try_compile projects read this file again: hand them the same variables.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES JETSON_SYSROOT JETSON_CUDA_ROOT JETSON_CROSS_PREFIX)
foreach(var JETSON_SYSROOT JETSON_CUDA_ROOT JETSON_CROSS_PREFIX)
  if(NOT DEFINED ${var} AND DEFINED ENV{${var}})
    set(${var} "$ENV{${var}}")
  endif()
endforeach()
if(NOT DEFINED JETSON_CROSS_PREFIX)
  set(JETSON_CROSS_PREFIX aarch64-linux-gnu-)
endif()

set(_jetson_missing "")
if(NOT JETSON_SYSROOT OR NOT EXISTS "${JETSON_SYSROOT}/usr/lib/aarch64-linux-gnu")
  string(APPEND _jetson_missing
    "  JETSON_SYSROOT=<the board's root file system (Linux_for_Tegra/rootfs)>"
    " (now '${JETSON_SYSROOT}': it must contain usr/lib/aarch64-linux-gnu)\n")
endif()
if(NOT JETSON_CUDA_ROOT OR NOT EXISTS "${JETSON_CUDA_ROOT}/bin/nvcc"
   OR NOT EXISTS "${JETSON_CUDA_ROOT}/targets/aarch64-linux")
  string(APPEND _jetson_missing
    "  JETSON_CUDA_ROOT=<host CUDA toolkit with JetPack's cuda-cross-aarch64 package>"
    " (now '${JETSON_CUDA_ROOT}': it must contain bin/nvcc and targets/aarch64-linux)\n")
endif()
if(_jetson_missing)
  message(FATAL_ERROR "toolchains/jetson-l4t.cmake needs a JetPack sysroot and its CUDA; set\n"
    "${_jetson_missing}"
    "with -D on the cmake command line or in the environment. Without CUDA, cross-build "
    "for the Jetson CPU with toolchains/aarch64-linux-gnu.cmake instead.")
endif()

set(CMAKE_SYSROOT "${JETSON_SYSROOT}")
set(CMAKE_C_COMPILER ${JETSON_CROSS_PREFIX}gcc)
set(CMAKE_CXX_COMPILER ${JETSON_CROSS_PREFIX}g++)
set(CMAKE_CUDA_COMPILER "${JETSON_CUDA_ROOT}/bin/nvcc")
set(CMAKE_CUDA_HOST_COMPILER ${JETSON_CROSS_PREFIX}g++)
set(CUDAToolkit_ROOT "${JETSON_CUDA_ROOT}")
# nvcc compiles for the aarch64 target and links against the target's CUDA libraries.
set(CMAKE_CUDA_FLAGS_INIT "--target-directory aarch64-linux")

set(CMAKE_FIND_ROOT_PATH "${JETSON_SYSROOT}" "${JETSON_CUDA_ROOT}/targets/aarch64-linux")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # host tools: flatc, nvcc
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(ENV{PKG_CONFIG_SYSROOT_DIR} "${JETSON_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${JETSON_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${JETSON_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# Tests can run under qemu with the sysroot's libraries (not the CUDA ones: no GPU there).
find_program(JETSON_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(JETSON_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${JETSON_QEMU_AARCH64} -L "${JETSON_SYSROOT}")
endif()
