# The installable SDK: `cmake --install` lays out
#   include/strix/*.h                      public headers (component dev)
#   lib/libstrix.so.<VERSION>, .so.<MAJOR> the runtime (component runtime), .so (dev)
#   bin/strix                              the runtime CLI (component runtime)
#   lib/cmake/Strix/StrixConfig.cmake      find_package(Strix [COMPONENTS ...]) -> Strix::strix
#   lib/pkgconfig/strix.pc                 pkg-config --cflags --libs strix
# and `cpack` turns each install component into a .deb (strix-runtime, strix-dev, ...).
#
# Optional parts: `cuda` (the CUDA backend inside libstrix) and `converter` (bin/strixc,
# package strix-converter) are handled below when their targets exist. Another part (the
# GStreamer plugin) installs its files with COMPONENT plugin and registers the name with
#   set_property(GLOBAL APPEND PROPERTY STRIX_SDK_COMPONENTS plugin)
# Each install component becomes a package; each registered name a find_package component.
# This file is included last by the top-level CMakeLists.txt.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(STRIX_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Strix CACHE STRING
    "Where StrixConfig.cmake is installed, relative to the prefix")
set(STRIX_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig CACHE STRING
    "Where strix.pc is installed, relative to the prefix")

# ---- Headers and libraries.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/include/strix
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev FILES_MATCHING PATTERN "*.h")

target_include_directories(strix PUBLIC $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(strix PUBLIC cxx_std_17)
install(TARGETS strix EXPORT StrixTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev)

file(RELATIVE_PATH _strix_bin_to_lib ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}
     ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR})
if(TARGET strix_cli)
  set_target_properties(strix_cli PROPERTIES INSTALL_RPATH "$ORIGIN/${_strix_bin_to_lib}")
  install(TARGETS strix_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
endif()

# Optional parts that exist in this build.
if(TARGET strix_kernels_cuda)  # inside libstrix: a find_package component, no package
  set_property(GLOBAL APPEND PROPERTY STRIX_SDK_COMPONENTS cuda)
endif()
if(TARGET strixc)
  install(TARGETS strixc RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT converter)
  set_property(GLOBAL APPEND PROPERTY STRIX_SDK_COMPONENTS converter)
  set(CPACK_DEBIAN_CONVERTER_PACKAGE_NAME strix-converter)
  set(CPACK_COMPONENT_CONVERTER_DESCRIPTION "Strix converter strixc (ONNX to .strix)")
endif()

if(TARGET gststrix)
  # The plugin goes where GStreamer looks for plugins under this prefix
  # (/usr -> /usr/lib/<multiarch>/gstreamer-1.0); the metadata library and its header are
  # for applications that read results from a pad probe or an appsink.
  set_target_properties(gststrix PROPERTIES INSTALL_RPATH "$ORIGIN/..")
  install(TARGETS gststrix LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/gstreamer-1.0
          COMPONENT plugin)
  install(TARGETS strix_gst LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT plugin
          NAMELINK_COMPONENT dev)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/pipeline/include/strix/gst
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/strix COMPONENT dev FILES_MATCHING PATTERN "*.h")
  set_property(GLOBAL APPEND PROPERTY STRIX_SDK_COMPONENTS plugin)
  set(CPACK_DEBIAN_PLUGIN_PACKAGE_NAME strix-gstreamer-plugin)
  set(CPACK_COMPONENT_PLUGIN_DESCRIPTION "Strix GStreamer plugin (strixclassify, strixoverlay, ...)")
endif()

# `cmake --build B --target strix_sdk` builds exactly what `cmake --install B` installs.
add_custom_target(strix_sdk)
foreach(target strix strix_cli strixc gststrix strix_gst)
  if(TARGET ${target})
    add_dependencies(strix_sdk ${target})
  endif()
endforeach()

# ---- find_package(Strix).
get_property(_strix_optional GLOBAL PROPERTY STRIX_SDK_COMPONENTS)
set(STRIX_SDK_COMPONENTS runtime ${_strix_optional})
list(REMOVE_DUPLICATES STRIX_SDK_COMPONENTS)

install(EXPORT StrixTargets NAMESPACE Strix:: DESTINATION ${STRIX_INSTALL_CMAKEDIR}
        COMPONENT dev)
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/StrixConfig.cmake.in
  ${PROJECT_BINARY_DIR}/sdk/StrixConfig.cmake
  INSTALL_DESTINATION ${STRIX_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR)
# 0.x: the ABI (SOVERSION) follows the major version, and so does compatibility.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sdk/StrixConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sdk/StrixConfig.cmake
              ${PROJECT_BINARY_DIR}/sdk/StrixConfigVersion.cmake
        DESTINATION ${STRIX_INSTALL_CMAKEDIR} COMPONENT dev)

# ---- pkg-config. The prefix is found from the .pc file's own place, so the installed tree
# (or a .deb's /usr) may be moved.
if(IS_ABSOLUTE "${STRIX_INSTALL_PKGCONFIGDIR}")
  set(STRIX_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _strix_pc_up /prefix/${STRIX_INSTALL_PKGCONFIGDIR} /prefix)
  string(REGEX REPLACE "/$" "" _strix_pc_up "${_strix_pc_up}")
  set(STRIX_PC_PREFIX "\${pcfiledir}/${_strix_pc_up}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/strix.pc.in ${PROJECT_BINARY_DIR}/sdk/strix.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/sdk/strix.pc DESTINATION ${STRIX_INSTALL_PKGCONFIGDIR}
        COMPONENT dev)

# ---- Debian packages: one per install component.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME strix)
set(CPACK_PACKAGE_VENDOR "Strix")
set(CPACK_PACKAGE_CONTACT "Strix maintainers <strix-dev@lists.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Strix edge-inference runtime")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
get_cmake_property(CPACK_COMPONENTS_ALL COMPONENTS)
list(REMOVE_ITEM CPACK_COMPONENTS_ALL Unspecified)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME strix-runtime)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
    "Strix runtime: libstrix (CPU reference backend) and the strix CLI")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME strix-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "Strix SDK: headers, CMake package (find_package(Strix)) and pkg-config file")
set(CPACK_COMPONENT_DEV_DEPENDS runtime)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
endif()
find_program(STRIX_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(NOT CMAKE_CROSSCOMPILING AND STRIX_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "libc6, libstdc++6")
endif()
include(CPack)

string(REPLACE ";" " " _strix_components "${STRIX_SDK_COMPONENTS}")
strix_feature("install (find_package components)" "${_strix_components}")
