# Platform descriptors: -DSTRIX_PLATFORM=NAME reads platforms/NAME.yaml and sets
#   STRIX_PLATFORM_<KEY>          every key of the file (lists as CMake lists)
#   compile options               cpu_flags, for C and C++ sources
#   CMAKE_CUDA_ARCHITECTURES      cuda_sm, unless given on the command line
# It stops at configure time when the compiler targets another architecture or the CUDA
# toolkit cannot build for (or run on) the board. See platforms/README.md.
# Must be included before CUDA is detected.
include(CheckCXXSourceCompiles)

set(STRIX_PLATFORM "" CACHE STRING "Target platform: the name of a platforms/*.yaml file")
file(GLOB _strix_platform_files ${PROJECT_SOURCE_DIR}/platforms/*.yaml)
set(STRIX_PLATFORM_NAMES "")
foreach(file ${_strix_platform_files})
  get_filename_component(name ${file} NAME_WE)
  list(APPEND STRIX_PLATFORM_NAMES ${name})
endforeach()
set_property(CACHE STRIX_PLATFORM PROPERTY STRINGS ${STRIX_PLATFORM_NAMES})

# strix_read_platform(FILE PREFIX): sets PREFIX_<KEY> (upper case) for each `key: value`
# line of a flat YAML file. `[a, b]` becomes a CMake list; quotes and comments are dropped.
function(strix_read_platform file prefix)
  file(STRINGS ${file} lines REGEX "^[a-z0-9_]+:")
  foreach(line IN LISTS lines)
    string(REGEX MATCH "^([a-z0-9_]+):(.*)$" _ "${line}")
    string(TOUPPER "${CMAKE_MATCH_1}" key)
    set(value "${CMAKE_MATCH_2}")
    string(REGEX REPLACE "[ \t]+#.*$" "" value "${value}")
    string(STRIP "${value}" value)
    if(value MATCHES "^\"(.*)\"$")
      set(value "${CMAKE_MATCH_1}")
    elseif(value MATCHES "^\\[(.*)\\]$")
      string(REGEX REPLACE "[ \t]*,[ \t]*" ";" value "${CMAKE_MATCH_1}")
      string(STRIP "${value}" value)
    endif()
    set(${prefix}_${key} "${value}" PARENT_SCOPE)
  endforeach()
endfunction()

# strix_cuda_version(NVCC OUT): "12.6" from `nvcc --version`, or "" when it does not run.
function(strix_cuda_version nvcc out)
  execute_process(COMMAND ${nvcc} --version OUTPUT_VARIABLE text ERROR_QUIET
                  RESULT_VARIABLE rc)
  set(version "")
  if(rc EQUAL 0 AND text MATCHES "release ([0-9]+\\.[0-9]+)")
    set(version ${CMAKE_MATCH_1})
  endif()
  set(${out} "${version}" PARENT_SCOPE)
endfunction()

# Every platform rounds each float operation on its own. Without this GCC contracts a*b+c
# into one FMA wherever the target has it (always on aarch64, on x86 with -mfma or
# -march=x86-64-v3), so the same C++ computes different floats on x86-64 and aarch64: the
# reference kernels are the oracle, and a model must give the same results on every
# platform (INT8 bit-exact). SIMD kernels that want FMA call it through intrinsics, which
# this does not change.
add_compile_options($<$<COMPILE_LANGUAGE:C,CXX>:-ffp-contract=off>)

if(NOT STRIX_PLATFORM)
  strix_feature("platform" "none (compiler defaults)")
  return()
endif()

set(_strix_platform_file ${PROJECT_SOURCE_DIR}/platforms/${STRIX_PLATFORM}.yaml)
if(NOT EXISTS ${_strix_platform_file})
  string(REPLACE ";" ", " names "${STRIX_PLATFORM_NAMES}")
  message(FATAL_ERROR "STRIX_PLATFORM=${STRIX_PLATFORM}: no platforms/${STRIX_PLATFORM}.yaml. "
                      "Known platforms: ${names}")
endif()
strix_read_platform(${_strix_platform_file} STRIX_PLATFORM)

# ---- The compiler must target the platform's architecture.
set(_strix_arch ${CMAKE_SYSTEM_PROCESSOR})
if(_strix_arch MATCHES "^(AMD64|amd64|x64)$")
  set(_strix_arch x86_64)
elseif(_strix_arch MATCHES "^(arm64|ARM64)$")
  set(_strix_arch aarch64)
endif()
if(NOT _strix_arch STREQUAL STRIX_PLATFORM_ARCH)
  set(hint "a native ${STRIX_PLATFORM_ARCH} build")
  if(STRIX_PLATFORM_TOOLCHAIN)
    set(hint "-DCMAKE_TOOLCHAIN_FILE=${STRIX_PLATFORM_TOOLCHAIN}")
    if(STRIX_PLATFORM_TOOLCHAIN MATCHES "jetson-l4t")
      string(APPEND hint " (or toolchains/aarch64-linux-gnu.cmake with "
                         "-DSTRIX_WITH_CUDA=OFF for a CPU-only build)")
    endif()
  endif()
  message(FATAL_ERROR "STRIX_PLATFORM=${STRIX_PLATFORM} is an ${STRIX_PLATFORM_ARCH} platform "
                      "but the compiler targets ${CMAKE_SYSTEM_PROCESSOR}: configure with ${hint}.")
endif()

# ---- CPU flags (C and C++ only: nvcc takes its own).
if(STRIX_PLATFORM_CPU_FLAGS)
  separate_arguments(_strix_cpu_flags UNIX_COMMAND "${STRIX_PLATFORM_CPU_FLAGS}")
  set(CMAKE_REQUIRED_FLAGS "${STRIX_PLATFORM_CPU_FLAGS}")
  check_cxx_source_compiles("int main() { return 0; }" STRIX_PLATFORM_FLAGS_OK_${STRIX_PLATFORM})
  unset(CMAKE_REQUIRED_FLAGS)
  if(NOT STRIX_PLATFORM_FLAGS_OK_${STRIX_PLATFORM})
    message(FATAL_ERROR "STRIX_PLATFORM=${STRIX_PLATFORM}: ${CMAKE_CXX_COMPILER} "
                        "(${CMAKE_CXX_COMPILER_VERSION}) rejects cpu_flags "
                        "'${STRIX_PLATFORM_CPU_FLAGS}'.")
  endif()
  add_compile_options("$<$<COMPILE_LANGUAGE:C,CXX>:${_strix_cpu_flags}>")
endif()

# ---- CUDA architectures and the toolkit range.
set(_strix_platform_summary "${STRIX_PLATFORM} (${STRIX_PLATFORM_ARCH}")
if(STRIX_PLATFORM_CPU_FLAGS)
  string(APPEND _strix_platform_summary ", ${STRIX_PLATFORM_CPU_FLAGS}")
endif()
if(NOT STRIX_PLATFORM_CUDA_SM)
  if(STRIX_WITH_CUDA)
    message(STATUS "STRIX_WITH_CUDA is OFF: platform ${STRIX_PLATFORM} has no CUDA GPU")
    set(STRIX_WITH_CUDA OFF CACHE BOOL "" FORCE)
  endif()
else()
  string(REPLACE ";" " " _strix_sms "${STRIX_PLATFORM_CUDA_SM}")
  string(APPEND _strix_platform_summary ", CUDA sm ${_strix_sms}")
  set(STRIX_PLATFORM_CUDA_ARCHITECTURES ${STRIX_PLATFORM_CUDA_SM})
  if(NOT CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES "${STRIX_PLATFORM_CUDA_SM}" CACHE STRING
        "CUDA architectures (from platforms/${STRIX_PLATFORM}.yaml)" FORCE)
  endif()

  if(STRIX_WITH_CUDA)
    set(_strix_nvcc "${CMAKE_CUDA_COMPILER}")
    if(NOT _strix_nvcc AND DEFINED ENV{CUDACXX})
      set(_strix_nvcc "$ENV{CUDACXX}")
    endif()
    if(NOT _strix_nvcc)
      find_program(STRIX_NVCC nvcc HINTS ${CUDAToolkit_ROOT}/bin /usr/local/cuda/bin)
      set(_strix_nvcc "${STRIX_NVCC}")
    endif()
    set(_strix_cuda "")
    if(_strix_nvcc)
      strix_cuda_version("${_strix_nvcc}" _strix_cuda)
    endif()
    if(_strix_cuda)
      set(_strix_need "needs ${STRIX_PLATFORM_CUDA_TOOLCHAIN}")
      if(STRIX_PLATFORM_TOOLCHAIN)
        string(APPEND _strix_need ": use -DCMAKE_TOOLCHAIN_FILE=${STRIX_PLATFORM_TOOLCHAIN} with"
               " that JetPack's sysroot and CUDA (JETSON_SYSROOT, JETSON_CUDA_ROOT)")
      else()
        string(APPEND _strix_need ": set CMAKE_CUDA_COMPILER to that toolkit's nvcc")
      endif()
      set(_strix_old_sm "")
      foreach(sm ${STRIX_PLATFORM_CUDA_SM})
        if(sm LESS 75)
          list(APPEND _strix_old_sm sm_${sm})
        endif()
      endforeach()
      if(_strix_old_sm AND _strix_cuda VERSION_GREATER_EQUAL 13.0)
        message(FATAL_ERROR "STRIX_PLATFORM=${STRIX_PLATFORM} needs ${_strix_old_sm}, which "
                "CUDA ${_strix_cuda} (${_strix_nvcc}) cannot build (CUDA 13 dropped sm_50 to "
                "sm_72). ${STRIX_PLATFORM} ${_strix_need}.")
      endif()
      if((STRIX_PLATFORM_CUDA_MIN AND _strix_cuda VERSION_LESS STRIX_PLATFORM_CUDA_MIN) OR
         (STRIX_PLATFORM_CUDA_MAX AND _strix_cuda VERSION_GREATER STRIX_PLATFORM_CUDA_MAX))
        set(range "CUDA ${STRIX_PLATFORM_CUDA_MIN} or newer")
        if(STRIX_PLATFORM_CUDA_MAX)
          set(range "CUDA ${STRIX_PLATFORM_CUDA_MIN} to ${STRIX_PLATFORM_CUDA_MAX}")
        endif()
        message(FATAL_ERROR "STRIX_PLATFORM=${STRIX_PLATFORM} (sm ${_strix_sms}) builds with "
                "${range}, but ${_strix_nvcc} is CUDA ${_strix_cuda}. ${STRIX_PLATFORM} "
                "${_strix_need}.")
      endif()
      string(APPEND _strix_platform_summary ", CUDA ${_strix_cuda}")
    endif()
  endif()
endif()
string(APPEND _strix_platform_summary ")")
strix_feature("platform" "${_strix_platform_summary}")
